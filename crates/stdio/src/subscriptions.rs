//! `resources/subscribe` reference-counted across downstream holders (2025 sessions and
//! 2026 listen streams): the first holder of a URI subscribes upstream, the last one to let
//! go unsubscribes; a holder taking a URI twice counts once.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// What a change of holdings asks of the upstream.
#[derive(Debug, PartialEq, Eq)]
pub enum Upstream {
    /// Send `resources/subscribe` for the URI.
    Subscribe,
    /// Send `resources/unsubscribe` for the URI.
    Unsubscribe,
    /// Nothing to send.
    Nothing,
}

/// URIs held, by holder.
pub struct Subscriptions<H> {
    counts: HashMap<String, usize>,
    held: HashMap<H, HashSet<String>>,
}

impl<H: Eq + Hash + Clone> Default for Subscriptions<H> {
    fn default() -> Self {
        Subscriptions {
            counts: HashMap::new(),
            held: HashMap::new(),
        }
    }
}

impl<H: Eq + Hash + Clone> Subscriptions<H> {
    /// `holder` takes `uri`.
    pub fn add(&mut self, holder: &H, uri: &str) -> Upstream {
        let held = self.held.entry(holder.clone()).or_default();
        if !held.insert(uri.to_string()) {
            return Upstream::Nothing;
        }
        let count = self.counts.entry(uri.to_string()).or_insert(0);
        *count += 1;
        if *count == 1 {
            Upstream::Subscribe
        } else {
            Upstream::Nothing
        }
    }

    /// `holder` lets go of `uri` (a URI it never held changes nothing).
    pub fn remove(&mut self, holder: &H, uri: &str) -> Upstream {
        let Some(held) = self.held.get_mut(holder) else {
            return Upstream::Nothing;
        };
        if !held.remove(uri) {
            return Upstream::Nothing;
        }
        if held.is_empty() {
            self.held.remove(holder);
        }
        match self.counts.get_mut(uri) {
            Some(count) if *count > 1 => {
                *count -= 1;
                Upstream::Nothing
            }
            Some(_) => {
                self.counts.remove(uri);
                Upstream::Unsubscribe
            }
            None => Upstream::Nothing,
        }
    }

    /// `holder` is gone: the URIs to unsubscribe upstream.
    pub fn release(&mut self, holder: &H) -> Vec<String> {
        let uris: Vec<String> = self
            .held
            .get(holder)
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default();
        uris.into_iter()
            .filter(|uri| self.remove(holder, uri) == Upstream::Unsubscribe)
            .collect()
    }

    /// Whether `holder` holds `uri`.
    #[cfg(test)]
    pub fn holds(&self, holder: &H, uri: &str) -> bool {
        self.held.get(holder).is_some_and(|h| h.contains(uri))
    }

    /// Every URI held.
    pub fn uris(&self) -> Vec<String> {
        let mut uris: Vec<String> = self.counts.keys().cloned().collect();
        uris.sort();
        uris
    }

    /// The holders of `uri`.
    pub fn holders(&self, uri: &str) -> Vec<H> {
        self.held
            .iter()
            .filter(|(_, uris)| uris.contains(uri))
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// Holders of a URI, all together.
    #[cfg(test)]
    pub fn count(&self, uri: &str) -> usize {
        self.counts.get(uri).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_subscribes_last_unsubscribes() {
        let mut subs = Subscriptions::<&str>::default();
        assert_eq!(subs.add(&"a", "file:///x"), Upstream::Subscribe);
        assert_eq!(subs.add(&"b", "file:///x"), Upstream::Nothing);
        assert_eq!(
            subs.add(&"a", "file:///x"),
            Upstream::Nothing,
            "twice counts once"
        );
        assert_eq!(subs.count("file:///x"), 2);
        assert_eq!(subs.remove(&"a", "file:///x"), Upstream::Nothing);
        assert_eq!(
            subs.remove(&"a", "file:///x"),
            Upstream::Nothing,
            "not held"
        );
        assert_eq!(subs.remove(&"b", "file:///x"), Upstream::Unsubscribe);
        assert_eq!(subs.count("file:///x"), 0);
    }

    #[test]
    fn release_gives_back_only_the_last_holders_uris() {
        let mut subs = Subscriptions::<u64>::default();
        subs.add(&1, "u1");
        subs.add(&1, "u2");
        subs.add(&2, "u2");
        let mut gone = subs.release(&1);
        gone.sort();
        assert_eq!(gone, vec!["u1".to_string()]);
        assert!(subs.holds(&2, "u2"));
        assert_eq!(subs.holders("u2"), vec![2]);
        assert_eq!(subs.release(&2), vec!["u2".to_string()]);
        assert!(subs.release(&3).is_empty());
    }
}
