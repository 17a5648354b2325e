//! The command line's data path (CONTRACT §13): a stdio MCP server spawned as a child and
//! served over the core's Streamable HTTP, legacy SSE and 2026-07-28 machinery, routed in
//! Rust. The child is initialized once and shared (or, with `--perSession`, one per 2025
//! session); ids are rewritten, progress tokens mapped, notifications fanned out. No JS
//! runs per message and no SDK object exists per session.

mod calls;
mod child;
mod era;
mod framing;
mod from_child;
mod holders;
mod levels;
mod modern;
mod proxy;
mod router;
mod subscriptions;
mod upstream;
mod wire;

pub use child::{ChildSpec, Exit};
pub use era::UpstreamProtocol;
pub use framing::MAX_LINE_BYTES;
pub use proxy::StdioProxy;
pub use router::{LogSink, Options};
