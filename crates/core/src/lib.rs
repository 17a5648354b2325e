//! The MCP Streamable HTTP server core of mcp-proxy-native: HTTP on hyper, sessions,
//! streams, routing, SSE framing, the event store. It knows nothing of napi, child processes
//! or Redis: whatever runs the MCP servers (the JS bridge in `src/`, a Rust test double, the
//! stdio upstream later) plugs in through [`Host`].
//!
//! Layers, bottom to top (each imports only the ones before it; `ARCHITECTURE.md` at the
//! repository root is the map): `config.rs` and `host/` (the vocabulary: options, the upstream
//! seam), `auth/` and `jsonrpc/` (pure protocol text), `http/` (HTTP pieces), `net/` (the
//! socket side), `streamable/` (sessions, their stores, and the Streamable HTTP routes with
//! the 2026-07-28 leg), `legacy_sse.rs`, `forwarding.rs` (cluster routing to a session's owner), and `server/` (listener, pipeline, [`Server`]).

// An early return of the HTTP answer (`Result<_, Reply>`) happens once per request, at most;
// boxing it would cost an allocation on the error path and buy nothing.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod config;
mod forwarding;
pub mod host;
mod http;
pub mod jsonrpc;
mod legacy_sse;
mod net;
mod server;
mod streamable;

// The module paths the bridge (`src/`) and embedders use, kept where they were before the
// layers got their folders.
pub use self::http::{body, cors, hook, pipe, rebinding, reply, sse, stream_queue};
pub use self::jsonrpc::request_id;
pub use self::net::tls;
pub use self::server::http2;
pub use self::streamable::{event_store, modern, owners, session, session_store};

pub use bytes;
pub use config::{Availability, Config, EventStoreMode};
pub use host::{
    AuthOutcome, BodyEnd, CreateReason, Host, HostEvent, LogLevel, RequestHead, ResponseLike,
    ServerOutcome,
};
pub use server::Server;
pub use session::SendError;
pub use streamable::event_store::Replayed;
