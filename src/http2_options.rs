//! The `http2` option, as the JS wrapper normalised it (lib/http2Options.js), into the core's
//! [`Http2Settings`]; each value absent keeps its named default (crates/core/src/http2).

use mcp_proxy_core::http2::Http2Settings;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::time::Duration;

#[napi(object)]
pub struct NativeHttp2 {
    /// `http2: false` turns HTTP/2 off (no h2c, no ALPN `h2`).
    pub enabled: bool,
    pub max_concurrent_streams: Option<f64>,
    pub initial_stream_window_size: Option<f64>,
    pub initial_connection_window_size: Option<f64>,
    pub max_header_list_size: Option<f64>,
    /// 0 = no PINGs.
    pub keep_alive_interval_ms: Option<f64>,
    pub keep_alive_timeout_ms: Option<f64>,
    pub max_pending_accept_reset_streams: Option<f64>,
    pub max_local_error_reset_streams: Option<f64>,
}

/// RFC 9113 §6.9.1: a flow-control window is at most 2^31-1 bytes.
const MAX_WINDOW: f64 = 2_147_483_647.0;

fn whole(value: Option<f64>, min: f64, max: f64, what: &str) -> Result<Option<f64>> {
    match value {
        Some(v) if !(v.is_finite() && v.fract() == 0.0 && v >= min && v <= max) => Err(Error::new(
            Status::InvalidArg,
            format!("http2.{what} must be an integer from {min} to {max}"),
        )),
        v => Ok(v),
    }
}

pub fn http2_from_js(o: Option<NativeHttp2>) -> Result<Option<Http2Settings>> {
    let Some(o) = o else {
        return Ok(Some(Http2Settings::default()));
    };
    if !o.enabled {
        return Ok(None);
    }
    let d = Http2Settings::default();
    let u32_of = |v: Option<f64>, min: f64, max: f64, what: &str, default: u32| {
        whole(v, min, max, what).map(|v| v.map_or(default, |v| v as u32))
    };
    let count = |v: Option<f64>, what: &str, default: usize| {
        whole(v, 1.0, u32::MAX as f64, what).map(|v| v.map_or(default, |v| v as usize))
    };
    let ping = whole(
        o.keep_alive_interval_ms,
        0.0,
        u32::MAX as f64,
        "keepAliveInterval",
    )?;
    let ping_timeout = whole(
        o.keep_alive_timeout_ms,
        1.0,
        u32::MAX as f64,
        "keepAliveTimeout",
    )?;
    Ok(Some(Http2Settings {
        max_concurrent_streams: u32_of(
            o.max_concurrent_streams,
            1.0,
            u32::MAX as f64,
            "maxConcurrentStreams",
            d.max_concurrent_streams,
        )?,
        initial_stream_window_size: u32_of(
            o.initial_stream_window_size,
            1.0,
            MAX_WINDOW,
            "initialStreamWindowSize",
            d.initial_stream_window_size,
        )?,
        initial_connection_window_size: u32_of(
            o.initial_connection_window_size,
            1.0,
            MAX_WINDOW,
            "initialConnectionWindowSize",
            d.initial_connection_window_size,
        )?,
        max_header_list_size: u32_of(
            o.max_header_list_size,
            1.0,
            u32::MAX as f64,
            "maxHeaderListSize",
            d.max_header_list_size,
        )?,
        keep_alive_interval: match ping {
            None => d.keep_alive_interval,
            Some(0.0) => None,
            Some(ms) => Some(Duration::from_millis(ms as u64)),
        },
        keep_alive_timeout: ping_timeout
            .map_or(d.keep_alive_timeout, |ms| Duration::from_millis(ms as u64)),
        max_pending_accept_reset_streams: count(
            o.max_pending_accept_reset_streams,
            "maxPendingAcceptResetStreams",
            d.max_pending_accept_reset_streams,
        )?,
        max_local_error_reset_streams: count(
            o.max_local_error_reset_streams,
            "maxLocalErrorResetStreams",
            d.max_local_error_reset_streams,
        )?,
    }))
}
