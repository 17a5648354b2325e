//! The socket side: what happens to a connection below HTTP's request/response. The
//! connection's clock (`connection.rs`: head timeout, keep-alive), clients that half-close
//! (`half_close.rs`), HTTPS (`tls.rs`), when a frame is in the client's socket
//! (`written.rs`), binding with `reusePort` (`listen.rs`), draining a connection the server
//! ends while its client still sends (`linger.rs`), the pass-through writes the wrappers share (`write_through.rs`) and where a
//! request came from (`peer.rs`).
//!
//! It serves bytes, never MCP: nothing here knows sessions, JSON-RPC or routes. It uses
//! `http/` (the response body it drives) and nothing above it; `server/` wires it up.

pub(crate) mod connection;
pub(crate) mod half_close;
pub(crate) mod linger;
pub(crate) mod listen;
pub(crate) mod peer;
pub mod tls;
pub(crate) mod write_through;
pub(crate) mod written;
