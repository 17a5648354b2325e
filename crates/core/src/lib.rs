//! The MCP Streamable HTTP server core of mcp-proxy-native: HTTP on hyper, sessions,
//! streams, routing, SSE framing, the event store. It knows nothing of napi: the host
//! that runs MCP servers (JavaScript, or a Rust test double) plugs in through [`Host`].

// An early return of the HTTP answer (`Result<_, Reply>`) happens once per request, at most;
// boxing it would cost an allocation on the error path and buy nothing.
#![allow(clippy::result_large_err)]

pub mod auth;
mod authenticate;
pub mod body;
pub mod config;
mod connection;
pub mod cors;
pub mod event_store;
mod half_close;
mod header_text;
pub mod hook;
pub mod host;
pub mod jsonrpc;
mod legacy_sse;
mod limits;
mod message_schema;
pub mod modern;
pub mod pipe;
mod pipeline;
mod post;
pub mod rebinding;
pub mod reply;
pub mod request_id;
mod server;
pub mod session;
pub mod session_store;
pub mod sse;
pub mod stream_queue;
mod streamable;
pub mod tls;
mod waiters;
mod write_through;
mod written;

pub use bytes;
pub use config::{Availability, Config, EventStoreMode};
pub use host::{
    AuthOutcome, BodyEnd, CreateReason, Host, HostEvent, LogLevel, RequestHead, ResponseLike,
    ServerOutcome,
};
pub use server::{Replayed, Server};
pub use session::SendError;
