//! The socket side.

pub(crate) mod connection;
pub(crate) mod half_close;
pub(crate) mod peer;
pub mod tls;
pub(crate) mod write_through;
pub(crate) mod written;
