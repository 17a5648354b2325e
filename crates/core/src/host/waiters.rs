//! Answers from the host, awaited by token. Every host event that needs an answer
//! (`CreateServer`, `CloseSession`, `Replay`, `Authenticate`) registers here; the wait is
//! forgotten when the waiting request goes away, so a late answer finds nobody and a
//! callback that never settles pins nothing.
//!
//! It knows tokens and answers only: never what an answer means.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::oneshot;

pub(crate) struct Waiters<T> {
    map: Mutex<HashMap<u64, oneshot::Sender<T>>>,
}

impl<T> Default for Waiters<T> {
    fn default() -> Self {
        Waiters {
            map: Mutex::new(HashMap::new()),
        }
    }
}

/// One registered wait; dropping it unregisters.
pub(crate) struct Waiting<'a, T> {
    waiters: &'a Waiters<T>,
    token: u64,
    rx: oneshot::Receiver<T>,
}

impl<T> Waiters<T> {
    fn map(&self) -> MutexGuard<'_, HashMap<u64, oneshot::Sender<T>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn register(&self, token: u64) -> Waiting<'_, T> {
        let (tx, rx) = oneshot::channel();
        self.map().insert(token, tx);
        Waiting {
            waiters: self,
            token,
            rx,
        }
    }

    /// Delivers an answer; false when nobody waits for it any more.
    pub(crate) fn answer(&self, token: u64, value: T) -> bool {
        match self.map().remove(&token) {
            Some(tx) => tx.send(value).is_ok(),
            None => false,
        }
    }

    /// Drops every wait (their receivers see the sender gone).
    pub(crate) fn clear(&self) {
        self.map().clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map().len()
    }
}

impl<T> Waiting<'_, T> {
    /// The answer, or `None` when it did not come within `limit` (or can no longer come).
    pub(crate) async fn answer(mut self, limit: Duration) -> Option<T> {
        tokio::time::timeout(limit, &mut self.rx).await.ok()?.ok()
    }
}

impl<T> Drop for Waiting<'_, T> {
    fn drop(&mut self) {
        self.waiters.map().remove(&self.token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_reach_the_waiter() {
        let waiters = Waiters::default();
        let waiting = waiters.register(1);
        assert!(waiters.answer(1, "x"));
        assert_eq!(waiting.answer(Duration::from_secs(1)).await, Some("x"));
        assert_eq!(waiters.len(), 0);
    }

    #[tokio::test]
    async fn a_dropped_wait_is_forgotten() {
        let waiters = Waiters::<u8>::default();
        drop(waiters.register(1));
        assert_eq!(waiters.len(), 0);
        assert!(!waiters.answer(1, 0), "late answers find nobody");
    }

    #[tokio::test]
    async fn times_out_and_unregisters() {
        let waiters = Waiters::<u8>::default();
        let waiting = waiters.register(1);
        assert_eq!(waiting.answer(Duration::from_millis(5)).await, None);
        assert_eq!(waiters.len(), 0);
    }
}
