//! The core's cluster seam (`mcp_proxy_core::owners::Owners`) on top of this crate: a new
//! session's meta is written before its first answer leaves; a request for a session another
//! live instance owns goes over the signed hop and its answer is relayed as it streams; a
//! forwarded request is checked (HMAC, skew, nonce) before the owner serves it; sessions
//! that end are deleted, and `close()` waits for those deletions and drops the lease.
//!
//! Not wired yet, and said so where it matters: taking over a session whose owner died
//! (`Forwarded::OwnerLost`: the client gets 404 and initializes again), events in Redis,
//! cross-instance `notify`.

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use http::request::Parts;
use http_body_util::BodyExt;
use mcp_proxy_core::body::Body;
use mcp_proxy_core::owners::{Forwarded, NewSession, Owners};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

use crate::forwarder::ForwardError;
use crate::hop_auth::{HopRefusal, HopRequest, HOP_HEADER};
use crate::keys::principal_hash;
use crate::node::ClusterNode;
use crate::registry::{Owner, SessionMeta};

/// How often a dying owner's record is read again while its lease runs out.
const OWNER_POLL: Duration = Duration::from_millis(100);

/// Response headers that describe the hop's connection, not the answer (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "trailer",
    "upgrade",
];

struct Owned {
    epoch: u64,
}

type OwnedMap = Arc<Mutex<HashMap<String, Owned>>>;

pub struct ClusterOwners {
    node: Arc<ClusterNode>,
    owned: OwnedMap,
    /// Deletions of ended sessions still running; `close` waits for them.
    ending: Mutex<Vec<JoinHandle<()>>>,
    /// Renews the keys of every session held here (`keep_alive`); stopped by `close`.
    keeper: Mutex<Option<JoinHandle<()>>>,
}

impl ClusterOwners {
    pub fn new(node: ClusterNode) -> Arc<Self> {
        let node = Arc::new(node);
        let owned: OwnedMap = Arc::default();
        let keeper = tokio::spawn(keep_alive(node.clone(), owned.clone()));
        Arc::new(ClusterOwners {
            node,
            owned,
            ending: Mutex::new(Vec::new()),
            keeper: Mutex::new(Some(keeper)),
        })
    }

    pub fn node(&self) -> &ClusterNode {
        &self.node
    }

    /// Sessions this instance owns now.
    pub fn owned_count(&self) -> usize {
        self.owned.lock().unwrap().len()
    }
}

fn refusal_text(refusal: HopRefusal) -> &'static str {
    match refusal {
        HopRefusal::Malformed => "malformed hop header",
        HopRefusal::Expired => "hop timestamp outside the allowed clock skew",
        HopRefusal::Forged => "hop signature does not match (another secret, or a changed request)",
        HopRefusal::Replayed => "hop nonce already used",
    }
}

/// The owner's answer as the core's reply: status and headers as they came (minus the
/// hop's own), the body relayed as it arrives.
fn relay(res: http::Response<hyper::body::Incoming>) -> mcp_proxy_core::reply::Reply {
    let (mut parts, body) = res.into_parts();
    for name in HOP_BY_HOP {
        parts.headers.remove(name);
    }
    let body = body.map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>);
    http::Response::from_parts(parts, Body::relayed(Box::pin(body)))
}

/// While this instance holds a session, its keys live: they are renewed every quarter of their
/// TTL, whether or not requests come (a session with only a GET stream open is not idle). When
/// the instance dies the renewals stop and the keys expire a TTL later.
async fn keep_alive(node: Arc<ClusterNode>, owned: OwnedMap) {
    let every = node.redis.config().session_ttl / 4;
    loop {
        tokio::time::sleep(every).await;
        let ids: Vec<String> = owned.lock().unwrap().keys().cloned().collect();
        for id in ids {
            // Best effort: a renewal Redis missed is retried a quarter TTL later.
            let _ = node.registry.touch(&id).await;
        }
    }
}

/// Waits (at most a lease and a little) for the session's owner to stop being live; true
/// when it did (its lease ran out, or the record is gone).
async fn vacated(node: &ClusterNode, session_id: &str, lease: Duration) -> bool {
    let deadline = Instant::now() + lease + OWNER_POLL * 5;
    loop {
        match node.registry.lookup(session_id).await {
            Ok(Some(Owner::Live { .. })) | Err(_) => {}
            Ok(_) => return true,
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(OWNER_POLL).await;
    }
}

/// Resolves once the session's owner is no longer live (read every half lease); pending
/// while it is, or while Redis does not answer.
async fn lapsed(node: &ClusterNode, session_id: &str, lease: Duration) {
    loop {
        tokio::time::sleep(lease / 2).await;
        match node.registry.lookup(session_id).await {
            Ok(Some(Owner::Live { .. })) | Err(_) => {}
            Ok(_) => return,
        }
    }
}

impl Owners for ClusterOwners {
    fn is_forwarded(&self, headers: &http::HeaderMap) -> bool {
        headers.contains_key(HOP_HEADER)
    }

    fn verify_hop(&self, parts: &Parts, session_id: &str, body: &[u8]) -> Result<(), String> {
        let header = parts.headers.get(HOP_HEADER).and_then(|v| v.to_str().ok());
        let request = HopRequest {
            method: parts.method.as_str(),
            path: parts.uri.path_and_query().map_or("/", |p| p.as_str()),
            session_id,
            body,
        };
        self.node
            .hop_key
            .verify(header, &request)
            .map_err(|r| refusal_text(r).to_string())
    }

    fn forward(
        &self,
        parts: Parts,
        session_id: String,
        body: Bytes,
    ) -> BoxFuture<'static, Forwarded> {
        let node = self.node.clone();
        async move {
            let lease = node.redis.config().lease;
            let mut waited: Option<Instant> = None;
            let mut misdirected = false;
            loop {
                // After a 421 the cached owner was stale: read Redis itself.
                let looked_up = match misdirected {
                    false => node.registry.lookup_cached(&session_id).await,
                    true => node.registry.lookup(&session_id).await,
                };
                let owner = match looked_up {
                    Ok(Some(owner)) => owner,
                    Ok(None) => return Forwarded::Unknown,
                    Err(e) => return Forwarded::Unavailable(e.to_string()),
                };
                let url = match owner {
                    Owner::Live { url, .. } => url,
                    // Vacant: the owner's lease lapsed or it released the session. Me: this
                    // instance restarted under the same id and lost what it held.
                    Owner::Vacant { .. } | Owner::Me { .. } => return Forwarded::OwnerLost,
                };
                let sent = node
                    .forwarder
                    .forward(&url, &parts, &session_id, body.clone());
                // An owner that takes the connection but never answers (stopped, hung) is
                // given up once its lease has lapsed: its sessions are vacant then.
                let answered = tokio::select! {
                    answered = sent => answered,
                    _ = lapsed(&node, &session_id, lease) => {
                        node.registry.invalidate(&session_id);
                        return Forwarded::OwnerLost;
                    }
                };
                match answered {
                    Ok(res) if res.status() == http::StatusCode::MISDIRECTED_REQUEST => {
                        node.registry.invalidate(&session_id);
                        if misdirected {
                            // Redis names an owner that does not hold the session: it
                            // restarted under the same id and lost it.
                            return Forwarded::OwnerLost;
                        }
                        misdirected = true;
                    }
                    Ok(res) => return Forwarded::Answered(Box::new(relay(res))),
                    Err(ForwardError::Failed(detail)) => {
                        // The request may have reached the owner before the connection broke:
                        // it is never sent twice. A dead owner's lease tells.
                        node.registry.invalidate(&session_id);
                        return match vacated(&node, &session_id, lease).await {
                            true => Forwarded::OwnerLost,
                            false => Forwarded::Unavailable(detail),
                        };
                    }
                    Err(ForwardError::Unreachable(detail)) => {
                        // The owner is dying: hold the request until its lease runs out
                        // (never a 503 for that: SDK clients give up after two retries).
                        node.registry.invalidate(&session_id);
                        let since = *waited.get_or_insert_with(Instant::now);
                        if since.elapsed() > lease + OWNER_POLL * 5 {
                            return Forwarded::Unavailable(detail);
                        }
                        tokio::time::sleep(OWNER_POLL).await;
                    }
                    Err(e) => return Forwarded::Unavailable(e.to_string()),
                }
            }
        }
        .boxed()
    }

    fn created(&self, session: NewSession<'_>) -> BoxFuture<'static, Result<(), String>> {
        let node = self.node.clone();
        let id = session.id.to_string();
        let meta = SessionMeta {
            init: session.initialize.to_string(),
            protocol: session.protocol.to_string(),
            principal: session.principal.map(principal_hash).unwrap_or_default(),
        };
        let owned = self.owned.clone();
        async move {
            let epoch = node
                .registry
                .create(&id, &meta)
                .await
                .map_err(|e| e.to_string())?;
            owned.lock().unwrap().insert(id, Owned { epoch });
            Ok(())
        }
        .boxed()
    }

    fn ended(&self, session_id: &str) {
        let Some(Owned { epoch, .. }) = self.owned.lock().unwrap().remove(session_id) else {
            return;
        };
        let node = self.node.clone();
        let id = session_id.to_string();
        let task = tokio::spawn(async move {
            // Fenced or gone: someone else holds it now, or it is already gone.
            let _ = node.registry.end(&id, epoch).await;
        });
        let mut ending = self.ending.lock().unwrap();
        ending.retain(|t| !t.is_finished());
        ending.push(task);
    }

    fn close(&self) -> BoxFuture<'static, ()> {
        if let Some(keeper) = self.keeper.lock().unwrap().take() {
            keeper.abort();
        }
        let node = self.node.clone();
        let ending: Vec<_> = self.ending.lock().unwrap().drain(..).collect();
        let owned: Vec<(String, u64)> = self
            .owned
            .lock()
            .unwrap()
            .drain()
            .map(|(id, o)| (id, o.epoch))
            .collect();
        async move {
            for task in ending {
                let _ = task.await;
            }
            // Sessions still recorded here (none after the core ended them all) are released.
            let _ = node.close(&owned).await;
        }
        .boxed()
    }
}
