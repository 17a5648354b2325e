//! The server-wide state every route takes: the options, the host, the session store, the
//! waits for the host's answers, the limits and the running hooks and 2026-07-28 exchanges.
//! Routes (`streamable/`, `legacy_sse.rs`, `server/pipeline.rs`) are `impl Shared` blocks in
//! their own files and import this one; this file imports no route, so dependencies run one
//! way: routes → shared → the session state, `http/`, `host/`. It must never import a route
//! nor answer a request: it keeps the state, hands out tokens and ends sessions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

use crate::config::{Config, ON_CLOSE_TIMEOUT};
use crate::host::waiters::{Waiters, Waiting};
use crate::host::{AuthOutcome, Host, HostEvent, LogLevel, ResponseLike, ServerOutcome};
use crate::http::hook::Hooks;
use crate::http::limits::Limits;
use crate::http::stream_queue::WrittenSignal;
use crate::streamable::event_store::Replayed;
use crate::streamable::owners::Owners;
use crate::streamable::session::{SendError, Session};
use crate::streamable::session_store::SessionStore;

/// State shared by every connection task and the host-facing handle.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) host: Arc<dyn Host>,
    pub(crate) sessions: Box<dyn SessionStore>,
    /// The cluster seam (`owners.rs`); `None` without the `cluster` option.
    pub(crate) owners: Option<Arc<dyn Owners>>,
    pub(crate) created: Waiters<ServerOutcome>,
    pub(crate) closed: Waiters<()>,
    pub(crate) replayed: Waiters<Option<Replayed>>,
    pub(crate) authenticated: Waiters<AuthOutcome>,
    pub(crate) origin_verdicts: Waiters<bool>,
    /// Responses of `respondWith` claims the host is still reading, by claim token.
    pub(crate) claims: Mutex<HashMap<u64, oneshot::Sender<ResponseLike>>>,
    /// Running `onUnhandledRequest` exchanges.
    pub(crate) hooks: Arc<Hooks>,
    pub(crate) limits: Arc<Limits>,
    /// The 2026-07-28 leg: exchanges in flight and listen streams.
    pub(crate) modern: crate::streamable::modern::state::State,
    pub(crate) next_token: AtomicU64,
    pub(crate) stopping: watch::Sender<bool>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn token(&self) -> u64 {
        self.next_token.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn session(&self, key: &str) -> Option<Arc<Session>> {
        self.sessions.get(key)
    }

    /// Keeps a new session; false when `maxSessions` are kept already (logged).
    pub(crate) fn insert_session(&self, session: Arc<Session>) -> bool {
        let max = self.config.max_sessions;
        if self.sessions.insert_within(session, max) {
            return true;
        }
        self.limits.report("maxSessions", || {
            format!("[mcp-proxy] {max} sessions open (maxSessions): answered 503 to a new one")
        });
        false
    }

    /// Forgets a session whose server never became ready; the host was not given it.
    pub(crate) fn discard_session(&self, key: &str) {
        if let Some(session) = self.sessions.remove(key) {
            session.close();
        }
    }

    /// A claim whose response will not be awaited any more.
    pub(crate) fn forget_claim(&self, token: u64) {
        lock(&self.claims).remove(&token);
    }

    /// Ends a session: closes its streams and asks the host to run `onClose` and close the
    /// server. Only the first caller for a session gets the receiver of the host's answer.
    pub(crate) fn end_session(&self, key: &str) -> Option<Waiting<'_, ()>> {
        let session = self.sessions.remove(key)?;
        session.close();
        if let Some(owners) = &self.owners {
            owners.ended(key);
        }
        let token = self.token();
        let done = self.closed.register(token);
        self.host.dispatch(HostEvent::CloseSession {
            token,
            session: session.key.clone(),
        });
        Some(done)
    }

    pub(crate) async fn end_session_and_wait(&self, key: &str) {
        if let Some(done) = self.end_session(key) {
            done.answer(ON_CLOSE_TIMEOUT).await;
        }
    }

    pub(crate) fn send(
        &self,
        key: &str,
        json: &str,
        related: Option<&str>,
        event_id: Option<&str>,
    ) -> Result<Option<WrittenSignal>, SendError> {
        let session = self.session(key).ok_or(SendError::Closed)?;
        let sent = session.send(json, related, event_id)?;
        if sent.cut_stream {
            let max = self.config.sse_max_queued_bytes;
            self.limits.report("sseMaxQueuedBytes", || {
                format!(
                    "[mcp-proxy] cut an SSE stream of session {key}: its client was more than {max} bytes behind (sseMaxQueuedBytes); it can resume with Last-Event-ID"
                )
            });
        }
        if sent.completed_exchange && session.id.is_none() {
            // Stateless: the server lives for one exchange.
            self.end_session(key);
        }
        Ok(sent.written)
    }

    /// The key of every session held, for ending them all (stop, shutdown).
    pub(crate) fn session_keys(&self) -> Vec<Arc<str>> {
        self.sessions.all().iter().map(|s| s.key.clone()).collect()
    }

    /// Ends the sessions idle for longer than `sessionIdleTimeout` (mcp-proxy 6.7's log line).
    pub(crate) fn reap_idle(&self, sweep: Duration) {
        let timeout = self.config.session_idle_timeout;
        let now = std::time::Instant::now();
        let idle: Vec<Arc<str>> = self
            .sessions
            .all()
            .into_iter()
            .filter(|s| s.idle_for(now, sweep) > timeout)
            .map(|s| s.key.clone())
            .collect();
        for key in idle {
            self.host.dispatch(HostEvent::Log {
                level: LogLevel::Info,
                message: format!(
                    "[mcp-proxy] closing session {key}, idle for over {}ms",
                    timeout.as_millis()
                ),
            });
            self.end_session(&key);
        }
    }
}
