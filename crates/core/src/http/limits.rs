//! Server-wide bounds on what clients can make the server hold (CONTRACT §4.6): concurrent
//! connections, bytes buffered for request bodies still arriving, and the time a request
//! may take to arrive. Each refusal is logged through the host, at most once a second per
//! kind, so a flood cannot flood the log too.
//!
//! It counts and reports; the routes and the listener decide what to answer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::host::{Host, HostEvent, LogLevel};

/// When the request that carries it must have arrived completely (head and body):
/// `requestTimeout` after its head began. Put in the request's extensions by the connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestDeadline(pub(crate) Option<Instant>);

impl RequestDeadline {
    pub(crate) fn of(parts: &http::request::Parts) -> Option<Instant> {
        parts.extensions.get::<RequestDeadline>().and_then(|d| d.0)
    }
}

pub(crate) struct Limits {
    host: Arc<dyn Host>,
    pub(crate) headers_timeout: Option<Duration>,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) body_idle_timeout: Option<Duration>,
    pub(crate) min_body_rate: u64,
    pub(crate) keep_alive_timeout: Duration,
    max_connections: usize,
    connections: AtomicUsize,
    max_buffered_body_bytes: Option<usize>,
    buffered_body_bytes: AtomicUsize,
    /// kind → (last logged, refusals not logged since)
    logged: Mutex<HashMap<&'static str, (Option<Instant>, u64)>>,
}

/// A connection counted against `maxConnections` until dropped.
pub(crate) struct ConnectionSlot(Arc<Limits>);

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Bytes of one unfinished body counted against `maxBufferedBodyBytes` until dropped.
pub(crate) struct BodyHold<'a> {
    limits: &'a Limits,
    held: usize,
}

impl BodyHold<'_> {
    /// Counts `more` bytes; false (nothing counted) when the server-wide budget is spent.
    pub(crate) fn grow(&mut self, more: usize) -> bool {
        let Some(max) = self.limits.max_buffered_body_bytes else {
            return true;
        };
        let total = &self.limits.buffered_body_bytes;
        let mut now = total.load(Ordering::Acquire);
        loop {
            if now.saturating_add(more) > max {
                return false;
            }
            match total.compare_exchange_weak(now, now + more, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(actual) => now = actual,
            }
        }
        self.held += more;
        true
    }
}

impl Drop for BodyHold<'_> {
    fn drop(&mut self) {
        if self.held > 0 {
            self.limits
                .buffered_body_bytes
                .fetch_sub(self.held, Ordering::AcqRel);
        }
    }
}

impl Limits {
    pub(crate) fn new(config: &Config, host: Arc<dyn Host>) -> Self {
        Limits {
            host,
            headers_timeout: config.headers_timeout,
            request_timeout: config.request_timeout,
            body_idle_timeout: config.body_idle_timeout,
            min_body_rate: config.min_body_rate,
            keep_alive_timeout: config.keep_alive_timeout,
            max_connections: config.max_connections,
            connections: AtomicUsize::new(0),
            max_buffered_body_bytes: config.max_buffered_body_bytes,
            buffered_body_bytes: AtomicUsize::new(0),
            logged: Mutex::new(HashMap::new()),
        }
    }

    /// A slot for a new connection; `None` when `maxConnections` are open.
    pub(crate) fn connection(self: &Arc<Self>) -> Option<ConnectionSlot> {
        let previous = self.connections.fetch_add(1, Ordering::AcqRel);
        let slot = ConnectionSlot(self.clone());
        (previous < self.max_connections).then_some(slot)
    }

    pub(crate) fn hold_body(&self) -> BodyHold<'_> {
        BodyHold {
            limits: self,
            held: 0,
        }
    }

    /// The deadline of a request whose head began at `started`.
    pub(crate) fn request_deadline(&self, started: Instant) -> Option<Instant> {
        // A timeout too large to add is no limit.
        self.request_timeout.and_then(|t| started.checked_add(t))
    }

    /// Logs a refusal through the host's `console.error`, at most once a second per kind.
    pub(crate) fn report(&self, kind: &'static str, message: impl FnOnce() -> String) {
        let now = Instant::now();
        let suppressed = {
            let mut logged = self.logged.lock().unwrap_or_else(|e| e.into_inner());
            let entry = logged.entry(kind).or_insert((None, 0));
            if entry
                .0
                .is_some_and(|last| now.duration_since(last) < Duration::from_secs(1))
            {
                entry.1 += 1;
                return;
            }
            let suppressed = entry.1;
            *entry = (Some(now), 0);
            suppressed
        };
        let mut message = message();
        if suppressed > 0 {
            message.push_str(&format!(" ({suppressed} more like it in the last second)"));
        }
        self.host.dispatch(HostEvent::Log {
            level: LogLevel::Error,
            message,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quiet;
    impl Host for Quiet {
        fn dispatch(&self, _: HostEvent) {}
    }

    fn limits(config: Config) -> Arc<Limits> {
        Arc::new(Limits::new(&config, Arc::new(Quiet)))
    }

    #[test]
    fn connections_are_counted_until_their_slot_drops() {
        let l = limits(Config {
            max_connections: 2,
            ..Config::default()
        });
        let a = l.connection().expect("first");
        let _b = l.connection().expect("second");
        assert!(l.connection().is_none());
        drop(a);
        assert!(l.connection().is_some());
    }

    #[test]
    fn body_bytes_share_one_budget() {
        let l = limits(Config {
            max_buffered_body_bytes: Some(10),
            ..Config::default()
        });
        let mut a = l.hold_body();
        assert!(a.grow(6));
        let mut b = l.hold_body();
        assert!(!b.grow(5));
        assert!(b.grow(4));
        drop(a);
        assert!(b.grow(6));
    }
}
