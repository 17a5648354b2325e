//! Where the server keeps its sessions by key. In memory, in this process, today; a store
//! shared by several processes (Redis) would implement [`SessionStore`] too.
//!
//! This is the session-store seam `crates/cluster` plugs into (`Server::bind_with_sessions`),
//! with a Registry of owners and a Forwarder to them, which the cluster crate will bring. It
//! never creates or ends sessions: `shared.rs` decides.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::streamable::session::Session;

pub trait SessionStore: Send + Sync {
    fn get(&self, key: &str) -> Option<Arc<Session>>;
    /// Keeps `session` unless `max` sessions are kept already; false then (`maxSessions`).
    fn insert_within(&self, session: Arc<Session>, max: usize) -> bool;
    fn remove(&self, key: &str) -> Option<Arc<Session>>;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Every session kept (for the idle sweep and shutdown).
    fn all(&self) -> Vec<Arc<Session>>;
}

#[derive(Default)]
pub struct MemorySessions {
    map: Mutex<HashMap<Arc<str>, Arc<Session>>>,
}

impl MemorySessions {
    fn map(&self) -> MutexGuard<'_, HashMap<Arc<str>, Arc<Session>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SessionStore for MemorySessions {
    fn get(&self, key: &str) -> Option<Arc<Session>> {
        self.map().get(key).cloned()
    }

    fn insert_within(&self, session: Arc<Session>, max: usize) -> bool {
        let mut map = self.map();
        if map.len() >= max {
            return false;
        }
        map.insert(session.key.clone(), session);
        true
    }

    fn remove(&self, key: &str) -> Option<Arc<Session>> {
        self.map().remove(key)
    }

    fn len(&self) -> usize {
        self.map().len()
    }

    fn all(&self) -> Vec<Arc<Session>> {
        self.map().values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(key: &str) -> Arc<Session> {
        Arc::new(Session::new(key.into(), Some(key.into()), None, None))
    }

    #[test]
    fn keeps_at_most_max_sessions() {
        let store = MemorySessions::default();
        assert!(store.insert_within(session("a"), 2));
        assert!(store.insert_within(session("b"), 2));
        assert!(!store.insert_within(session("c"), 2));
        assert!(store.get("c").is_none());
        assert!(store.remove("a").is_some());
        assert!(store.insert_within(session("c"), 2));
        assert_eq!(store.len(), 2);
        assert_eq!(store.all().len(), 2);
    }
}
