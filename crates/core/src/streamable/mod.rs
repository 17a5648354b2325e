//! The Streamable HTTP state machine (MCP 2025-11-25 transport, CONTRACT §4): the routes of
//! the stream endpoint and the state they share.
//!
//! - Routes: `endpoint.rs` (dispatch by method, GET and DELETE), `post.rs` (POST),
//!   `authenticate.rs` (the `authenticate` callback and the API key before any session
//!   lookup), `request_body.rs` (reading a POST body within the limits), and `modern/` (the
//!   2026-07-28 leg, classified inside POST), `cluster.rs` (recording a new session's owner,
//!   checking a forwarded request's hop).
//! - State: `shared.rs` (the server-wide state every route takes), `session.rs` and
//!   `outcomes.rs` (one session and what it answers), `session_store.rs` and `event_store.rs`
//!   (the seams a cluster store plugs into), `owners.rs` (the cluster seam: owners, forwarding).
//!
//! Routes import the state, never the other way; nothing here imports `server/` (the
//! pipeline on top) and nothing here touches a socket (that is `net/`).

pub(crate) mod authenticate;
pub(crate) mod cluster;
pub(crate) mod endpoint;
pub mod event_store;
pub mod modern;
pub(crate) mod outcomes;
pub mod owners;
pub(crate) mod post;
pub(crate) mod request_body;
pub mod session;
pub mod session_store;
pub(crate) mod shared;
