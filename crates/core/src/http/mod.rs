//! HTTP pieces.

pub mod body;
pub mod cors;
pub(crate) mod header_text;
pub mod hook;
pub(crate) mod limits;
pub mod pipe;
pub mod rebinding;
pub mod reply;
pub mod sse;
pub mod stream_queue;
