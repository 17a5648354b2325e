//! Resource subscriptions of downstream holders (2025 sessions, 2026 listen streams) carried
//! to the shared child: a 2025 child gets `resources/subscribe` from the first holder of a
//! URI (whose request it answers) and `resources/unsubscribe` after the last; a 2026-07-28
//! child, which has no such methods, gets its upstream listen stream replaced with the new
//! set of URIs.

use std::sync::Arc;

use crate::router::{lock, Holder, Router};
use crate::subscriptions::Upstream as Change;
use crate::upstream::Upstream;
use crate::wire::{self, Message};

impl Router {
    /// A 2025 session's `resources/subscribe` or `resources/unsubscribe` on the shared child:
    /// the answer when the proxy gives it, `None` when the request goes to the child.
    pub(crate) async fn session_subscription(
        &self,
        session: &Arc<str>,
        message: &Message<'_>,
        id: &str,
        upstream: &Arc<Upstream>,
    ) -> Option<String> {
        let Some(uri) = wire::string_field(message.params, "uri") else {
            return Some(wire::error(id, -32602, "Invalid params: uri is required"));
        };
        let holder = Holder::Session(session.clone());
        let change = {
            let mut subs = lock(&self.subs);
            match message.method.as_deref() {
                Some("resources/subscribe") => subs.add(&holder, &uri),
                _ => subs.remove(&holder, &uri),
            }
        };
        let ok = || Some(wire::response(id, Some("{}"), None));
        match change {
            Change::Nothing => ok(),
            _ if upstream.is_modern() => {
                self.relisten(upstream).await;
                ok()
            }
            // The first holder (or the last) asks the child, whose answer is theirs.
            Change::Subscribe | Change::Unsubscribe => None,
        }
    }

    /// A listen stream takes its URIs.
    pub(crate) async fn hold(&self, holder: &Holder, uris: &[String], upstream: &Arc<Upstream>) {
        let mut first = Vec::new();
        for uri in uris {
            if lock(&self.subs).add(holder, uri) == Change::Subscribe {
                first.push(uri.clone());
            }
        }
        self.carry(upstream, "resources/subscribe", first).await;
    }

    /// A holder is gone: the URIs it alone held are unsubscribed upstream.
    pub(crate) async fn release(&self, holder: &Holder, upstream: Option<&Arc<Upstream>>) {
        let gone = lock(&self.subs).release(holder);
        if let Some(upstream) = upstream {
            self.carry(upstream, "resources/unsubscribe", gone).await;
        }
    }

    async fn carry(&self, upstream: &Arc<Upstream>, method: &str, uris: Vec<String>) {
        if uris.is_empty() || upstream.owner.is_some() {
            return;
        }
        if upstream.is_modern() {
            return self.relisten(upstream).await;
        }
        for uri in uris {
            let params = serde_json::json!({ "uri": uri }).to_string();
            upstream.fire(method, Some(&params)).await;
        }
    }

    /// A 2026-07-28 child's listen stream, replaced for the URIs held now.
    async fn relisten(&self, upstream: &Arc<Upstream>) {
        let uris = lock(&self.subs).uris();
        upstream.open_listen(uris).await;
    }
}
