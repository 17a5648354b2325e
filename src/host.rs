//! The core's `Host`, implemented by one fire-and-forget threadsafe function into JS.

use mcp_proxy_core::{Host, HostEvent};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use std::sync::Mutex;

use crate::events::{event_to_js, JsHostEvent};

/// The JS dispatcher. Never throws: the JS side catches everything it runs.
pub type Dispatch = ThreadsafeFunction<JsHostEvent, Unknown<'static>, JsHostEvent, Status, false>;

pub struct JsHost {
    dispatch: Mutex<Option<Dispatch>>,
}

impl JsHost {
    pub fn new(dispatch: Dispatch) -> Self {
        JsHost {
            dispatch: Mutex::new(Some(dispatch)),
        }
    }

    /// Drops the threadsafe function so it no longer holds the Node event loop.
    pub fn release(&self) {
        self.dispatch
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }
}

impl Host for JsHost {
    fn dispatch(&self, event: HostEvent) {
        let guard = self.dispatch.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dispatch) = guard.as_ref() {
            dispatch.call(event_to_js(event), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}
