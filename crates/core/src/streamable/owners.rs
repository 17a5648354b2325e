//! The cluster seam (CONTRACT §14): where a 2025 session lives when several instances share
//! one Redis. The core asks an [`Owners`] (implemented by `crates/cluster`, given to
//! `Server::bind_clustered`) to record the sessions it creates, to forward a request for a
//! session it does not hold to that session's owner, and to check the internal hop a request
//! forwarded to it came over. Without a cluster there is no `Owners` at all and nothing here
//! runs. It knows nothing of Redis or of how the hop is signed, and never answers a request
//! itself: the routes do.

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::request::Parts;

use crate::http::reply::Reply;

/// What forwarding a request to its session's owner came to.
pub enum Forwarded {
    /// The owner's answer, its body streaming as the owner writes it.
    Answered(Box<Reply>),
    /// No instance knows the session (never existed, ended, expired, Redis restarted empty).
    Unknown,
    /// The session's owner is gone and this instance cannot take the session over.
    OwnerLost,
    /// Redis or the hop failed; the request is answered 503 (the client retries).
    Unavailable(String),
}

/// A session this instance just created, recorded before `initialize`'s answer leaves.
pub struct NewSession<'a> {
    pub id: &'a str,
    /// The raw `initialize` request body ("" for a legacy `/sse` session).
    pub initialize: &'a str,
    pub protocol: &'a str,
    /// The principal the session is bound to, when `authenticate` named one.
    pub principal: Option<&'a str>,
}

pub trait Owners: Send + Sync {
    /// The request came over the internal hop (whether or not its signature holds).
    fn is_forwarded(&self, headers: &http::HeaderMap) -> bool;
    /// Checks a forwarded request's signature against what was read of it; `Err` says why
    /// it is refused.
    fn verify_hop(&self, parts: &Parts, session_id: &str, body: &[u8]) -> Result<(), String>;
    /// Sends a request for `session_id`, which this instance does not hold, to its owner.
    fn forward(
        &self,
        parts: Parts,
        session_id: String,
        body: Bytes,
    ) -> BoxFuture<'static, Forwarded>;
    /// Records a new session as owned here; `Err` (Redis unavailable) refuses it.
    fn created(&self, session: NewSession<'_>) -> BoxFuture<'static, Result<(), String>>;
    /// A session held here ended (DELETE, idle, its legacy stream closed, shutdown).
    fn ended(&self, session_id: &str);
    /// The server is closing: what `ended` started is finished, then the instance leaves.
    fn close(&self) -> BoxFuture<'static, ()>;
}

/// Marks a forwarded request whose body must be checked against the hop's signature once
/// it is read (`request_body.rs`); the session id it names is the one signed.
#[derive(Clone)]
pub(crate) struct HopToVerify(pub(crate) String);
