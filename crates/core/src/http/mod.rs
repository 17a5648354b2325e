//! HTTP pieces the routes build answers from, each knowing one part of the protocol and no
//! MCP session: response bodies (`body.rs`: a buffer, an SSE stream, a host's pipe), the
//! bounded queue behind an SSE stream (`stream_queue.rs`) and its framing (`sse.rs`),
//! replies (`reply.rs`), header text as Node reads it (`header_text.rs`), `Host`/`Origin`
//! checks (`rebinding.rs`), CORS (`cors.rs`), the server-wide limits (`limits.rs`) and the
//! `onUnhandledRequest` exchange with the host (`hook.rs`, with `pipe.rs`).
//!
//! Below everything that serves a request: nothing here imports `net/`, `streamable/`,
//! `legacy_sse.rs` or `server/`.

pub mod body;
pub(crate) mod body_buffer;
pub(crate) mod body_pace;
pub mod cors;
pub(crate) mod header_text;
pub mod hook;
pub(crate) mod limits;
pub mod pipe;
pub mod rebinding;
pub mod reply;
pub mod sse;
pub mod stream_queue;
