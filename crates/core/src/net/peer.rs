//! Where a request came from: the TCP connection's address and whether it was encrypted,
//! and the request head the host sees (`req` of the MCP SDK's transport: method, URL,
//! headers as Node reads them, remote address). Built once per request by the routes; never
//! looks at the body or at any session.

use std::net::SocketAddr;

use crate::host::RequestHead;
use crate::http::header_text;

/// Information about the TCP connection a request came in on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer {
    pub(crate) addr: SocketAddr,
    pub(crate) encrypted: bool,
}

/// The identity of the next HTTP exchange (see [`RequestHead::exchange`]).
static NEXT_EXCHANGE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub(crate) fn request_head(parts: &http::request::Parts, peer: Peer) -> RequestHead {
    RequestHead {
        exchange: NEXT_EXCHANGE.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        method: parts.method.as_str().to_string(),
        url: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
        http_version: match parts.version {
            http::Version::HTTP_10 => "1.0".into(),
            http::Version::HTTP_2 => "2.0".into(),
            _ => "1.1".into(),
        },
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), header_text::text(v).into_owned()))
            .collect(),
        remote_address: peer.addr.ip().to_canonical().to_string(),
        remote_port: peer.addr.port(),
        encrypted: peer.encrypted,
    }
}
