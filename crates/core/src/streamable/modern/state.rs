//! The 2026-07-28 leg's state inside the server: the exchanges in flight (by token, with
//! the channel the host's writes go into) and the open listen streams. The server-wide
//! state (`streamable/shared.rs`) holds one; the leg's routes (`mod.rs`, `exchange.rs`) and
//! the host-facing `Server` reach it there. Pure state: it never dispatches to the host and
//! never imports a route, so `shared.rs` can hold it without a circle.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::mpsc;

use super::listen::{self, Listen, Notice};
use crate::host::waiters::{Waiters, Waiting};
use crate::host::ServerOutcome;

/// What the host writes for a served request, in order.
#[derive(Debug)]
pub enum ModernWrite {
    /// Status, status text, every header line.
    Head {
        status: u16,
        status_text: Option<String>,
        headers: Vec<(String, String)>,
    },
    Chunk(Bytes),
    End,
    /// A whole answer in one write (a JSON response).
    Whole {
        status: u16,
        headers: Vec<(String, String)>,
        body: Bytes,
    },
    /// `createServer` or `onConnect` failed: answered as on the 2025 path.
    Failed(ServerOutcome),
}

pub(crate) type WriteSender = mpsc::UnboundedSender<ModernWrite>;

/// What the host says about the server it created for a listen stream.
#[derive(Debug)]
pub enum ListenOutcome {
    /// The server's declared capabilities and `serverInfo`, as JSON text.
    Ready {
        capabilities: String,
        server_info: String,
    },
    Failed(ServerOutcome),
}

/// The leg's state inside the server.
#[derive(Default)]
pub(crate) struct State {
    exchanges: Mutex<HashMap<u64, WriteSender>>,
    pub(super) listens: Mutex<HashMap<u64, Listen>>,
    pub(super) ready: Waiters<ListenOutcome>,
    released: Waiters<()>,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    pub(super) fn register_exchange(&self, token: u64, tx: WriteSender) {
        lock(&self.exchanges).insert(token, tx);
    }

    pub(super) fn forget_exchange(&self, token: u64) {
        lock(&self.exchanges).remove(&token);
    }

    /// A write of the host for exchange `token`; false when nobody reads it any more.
    pub(crate) fn write(&self, token: u64, write: ModernWrite) -> bool {
        let done = matches!(
            write,
            ModernWrite::End | ModernWrite::Whole { .. } | ModernWrite::Failed(_)
        );
        let mut exchanges = lock(&self.exchanges);
        let sent = exchanges
            .get(&token)
            .is_some_and(|tx| tx.send(write).is_ok());
        if done || !sent {
            exchanges.remove(&token);
        }
        sent
    }

    pub(crate) fn listen_ready(&self, token: u64, outcome: ListenOutcome) -> bool {
        self.ready.answer(token, outcome)
    }

    pub(crate) fn listen_released(&self, token: u64) {
        self.released.answer(token, ());
    }

    /// Feeds `notice` to every listen stream whose filter accepts it.
    pub(crate) fn notify(&self, notice: &Notice) {
        let mut listens = lock(&self.listens);
        // A reader further behind than `sseMaxQueuedBytes` is cut off (its response breaks
        // off without the closing result, which the client sees as a broken stream).
        listens.retain(|_, listen| match listen.frame(notice) {
            Some(frame) => listen.sink.push(frame).is_ok(),
            None => !listen.sink.is_closed(),
        });
    }

    pub(crate) fn listen_count(&self) -> usize {
        lock(&self.listens).len()
    }

    /// Ends every listen stream with its closing result; the returned waits end when the
    /// host has released each stream's server (`onClose`).
    pub(super) fn close_listens(&self) -> Vec<Waiting<'_, ()>> {
        let listens: Vec<(u64, Listen)> = lock(&self.listens).drain().collect();
        listens
            .into_iter()
            .map(|(token, listen)| {
                let waiting = self.released.register(token);
                let _ = listen
                    .sink
                    .push(listen::closing_result(&listen.id, &listen.server_info));
                waiting
            })
            .collect()
    }

    /// For an environment going away: drop everything without a word to the host.
    pub(crate) fn stop_now(&self) {
        lock(&self.listens).clear();
        lock(&self.exchanges).clear();
    }
}
