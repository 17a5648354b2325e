//! Which protocol serves an accepted connection. TLS: what ALPN chose (`h2` is offered only
//! while HTTP/2 is on, tls.rs). Plain TCP: h2c when it opens with the HTTP/2 preface and
//! HTTP/2 is on, else HTTP/1.1, unchanged (preface.rs). Waiting for the first bytes counts as
//! waiting for a request head: a connection silent for `headersTimeout` gets HTTP/1.1's 408.

use hyper_util::server::graceful::Watcher;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use crate::http::limits::ConnectionSlot;
use crate::net::peer::Peer;
use crate::server::http2::preface::{sniff, Opening, Rewind};
use crate::server::serve_connection;
use crate::streamable::shared::Shared;

/// What HTTP/1.1 answers a head that is late (connection.rs).
const REQUEST_TIMEOUT_RESPONSE: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

impl Shared {
    pub(crate) async fn serve_tls(
        self: Arc<Self>,
        stream: TlsStream<TcpStream>,
        peer: Peer,
        watcher: Watcher,
        slot: ConnectionSlot,
    ) {
        if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
            self.serve_h2(stream, peer, watcher, slot).await;
        } else {
            serve_connection(self, stream, peer, watcher, slot).await;
        }
    }

    pub(crate) async fn serve_plain(
        self: Arc<Self>,
        mut stream: TcpStream,
        peer: Peer,
        watcher: Watcher,
        slot: ConnectionSlot,
    ) {
        if self.config.http2.is_none() {
            return serve_connection(self, stream, peer, watcher, slot).await;
        }
        let opening = match self.limits.headers_timeout {
            Some(limit) => match tokio::time::timeout(limit, sniff(&mut stream)).await {
                Ok(opening) => opening,
                Err(_) => return self.late_head(stream).await,
            },
            None => sniff(&mut stream).await,
        };
        match opening {
            Ok(Opening::Http2(preface)) => {
                let stream = Rewind::new(stream, preface);
                self.serve_h2(stream, peer, watcher, slot).await;
            }
            Ok(Opening::Http1(head)) => {
                let stream = Rewind::new(stream, head);
                serve_connection(self, stream, peer, watcher, slot).await;
            }
            Err(_) => {}
        }
    }

    /// A connection that sent nothing within `headersTimeout`.
    async fn late_head(&self, mut stream: TcpStream) {
        let limit = self.limits.headers_timeout.unwrap_or_default();
        self.limits.report("headersTimeout", || {
            format!(
                "[mcp-proxy] request head not received within {}ms (headersTimeout): answered 408 and closed the connection",
                limit.as_millis()
            )
        });
        let _ = stream.write_all(REQUEST_TIMEOUT_RESPONSE).await;
        let _ = stream.shutdown().await;
    }
}
