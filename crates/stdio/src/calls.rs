//! Upstream calls in flight: every request sent to the child gets a fresh integer id from one
//! counter (downstream ids never reach the child, so two sessions' `1`s never meet), and is
//! kept with who asked, under which id, with which progress token, until it is answered,
//! cancelled, timed out, or the child is gone.

use mcp_proxy_core::stream_queue::WrittenSignal;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::oneshot;

/// Who a call answers.
pub enum Caller {
    /// A 2025-era session's request (stateful, stateless or legacy SSE).
    Session { session: Arc<str>, id: String },
    /// A 2026-07-28 request, answered on modern exchange `token`.
    Modern { token: u64, id: String },
    /// The proxy's own request; the answer's line goes to the sender (none = ignored).
    Own(Option<oneshot::Sender<String>>),
}

/// One request the child has not answered yet.
pub struct Call {
    pub caller: Caller,
    /// The downstream `progressToken` (raw JSON) the upstream one stands for.
    pub progress: Option<String>,
    pub deadline: Option<Instant>,
    /// A `resources/subscribe` that must be rolled back when the child refuses it.
    pub subscribing: Option<String>,
    /// Modern: the SSE head has gone out (a progress came first).
    pub streaming: bool,
    /// 2025: the write of the last progress sent; the response waits for it.
    pub last_written: Option<WrittenSignal>,
    /// Modern: a list or read, whose 2026-07-28 result carries `ttlMs` and `cacheScope`.
    pub cacheable: bool,
}

impl Call {
    pub fn new(caller: Caller) -> Self {
        Call {
            caller,
            progress: None,
            deadline: None,
            subscribing: None,
            streaming: false,
            last_written: None,
            cacheable: false,
        }
    }
}

/// How a downstream party names one of its calls.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum CallKey {
    /// Session key and the canonical downstream id.
    Session(Arc<str>, String),
    Modern(u64),
}

impl Caller {
    fn key(&self) -> Option<CallKey> {
        match self {
            Caller::Session { session, id } => Some(CallKey::Session(
                session.clone(),
                crate::wire::canonical_id(id),
            )),
            Caller::Modern { token, .. } => Some(CallKey::Modern(*token)),
            Caller::Own(_) => None,
        }
    }
}

#[derive(Default)]
struct Inner {
    calls: HashMap<u64, Call>,
    by_key: HashMap<CallKey, u64>,
}

/// The calls of one child.
pub struct Calls {
    inner: Mutex<Inner>,
    next: Mutex<u64>,
}

impl Calls {
    /// `first` is the id of the first call (the SDK gives `initialize` 0).
    pub fn new(first: u64) -> Self {
        Calls {
            inner: Mutex::new(Inner::default()),
            next: Mutex::new(first),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps a call; returns its upstream id.
    pub fn open(&self, call: Call) -> u64 {
        let id = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let id = *next;
            *next += 1;
            id
        };
        let mut inner = self.lock();
        if let Some(key) = call.caller.key() {
            inner.by_key.insert(key, id);
        }
        inner.calls.insert(id, call);
        id
    }

    /// The call answered (or given up): no longer in flight.
    pub fn take(&self, id: u64) -> Option<Call> {
        let mut inner = self.lock();
        let call = inner.calls.remove(&id)?;
        if let Some(key) = call.caller.key() {
            if inner.by_key.get(&key) == Some(&id) {
                inner.by_key.remove(&key);
            }
        }
        Some(call)
    }

    /// Runs `f` on a call still in flight.
    pub fn with<R>(&self, id: u64, f: impl FnOnce(&mut Call) -> R) -> Option<R> {
        self.lock().calls.get_mut(&id).map(f)
    }

    /// The upstream id of a downstream party's call.
    pub fn find(&self, key: &CallKey) -> Option<u64> {
        self.lock().by_key.get(key).copied()
    }

    /// Every call of a session.
    pub fn of_session(&self, session: &str) -> Vec<u64> {
        self.lock()
            .calls
            .iter()
            .filter(
                |(_, c)| matches!(&c.caller, Caller::Session { session: s, .. } if &**s == session),
            )
            .map(|(id, _)| *id)
            .collect()
    }

    /// Every call, taken (the child is gone).
    pub fn drain(&self) -> Vec<(u64, Call)> {
        let mut inner = self.lock();
        inner.by_key.clear();
        inner.calls.drain().collect()
    }

    /// The calls whose deadline passed, taken.
    pub fn expired(&self, now: Instant) -> Vec<(u64, Call)> {
        let ids: Vec<u64> = self
            .lock()
            .calls
            .iter()
            .filter(|(_, c)| c.deadline.is_some_and(|d| d <= now))
            .map(|(id, _)| *id)
            .collect();
        ids.into_iter()
            .filter_map(|id| self.take(id).map(|c| (id, c)))
            .collect()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().calls.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(s: &str, id: &str) -> Call {
        Call::new(Caller::Session {
            session: s.into(),
            id: id.into(),
        })
    }

    #[test]
    fn same_downstream_id_in_two_sessions_gets_two_upstream_ids() {
        let calls = Calls::new(1);
        let a = calls.open(session("a", "1"));
        let b = calls.open(session("b", "1"));
        assert_ne!(a, b);
        assert_eq!(
            calls.find(&CallKey::Session("a".into(), "1".into())),
            Some(a)
        );
        assert_eq!(
            calls.find(&CallKey::Session("b".into(), "1.0".into())),
            None
        );
        assert_eq!(
            calls.find(&CallKey::Session(
                "b".into(),
                crate::wire::canonical_id("1.0")
            )),
            Some(b)
        );
        let Some(Call {
            caller: Caller::Session { session, id },
            ..
        }) = calls.take(a)
        else {
            panic!("call a");
        };
        assert_eq!((&*session, id.as_str()), ("a", "1"));
        assert!(calls.take(a).is_none(), "answered once");
        assert_eq!(calls.of_session("b"), vec![b]);
    }

    #[test]
    fn string_and_number_ids_differ() {
        let calls = Calls::new(0);
        let n = calls.open(session("s", "1"));
        let s = calls.open(session("s", "\"1\""));
        assert_eq!(
            calls.find(&CallKey::Session("s".into(), "1".into())),
            Some(n)
        );
        assert_eq!(
            calls.find(&CallKey::Session("s".into(), "\"1\"".into())),
            Some(s)
        );
    }

    #[test]
    fn expired_calls_are_taken_once() {
        let calls = Calls::new(0);
        let mut call = session("s", "1");
        call.deadline = Some(Instant::now());
        let id = calls.open(call);
        calls.open(session("s", "2"));
        let expired = calls.expired(Instant::now());
        assert_eq!(
            expired.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            vec![id]
        );
        assert!(calls.expired(Instant::now()).is_empty());
        assert_eq!(calls.drain().len(), 1);
        assert!(calls.is_empty());
    }
}
