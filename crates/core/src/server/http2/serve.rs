//! One HTTP/2 connection, served by hyper's `http2` server. What HTTP/1.1 keeps in its own
//! connection wrappers is hyper's job here or has no meaning: PINGs find dead peers, flow
//! control is the backpressure of each stream (a stream whose client stopped reading stops
//! only itself), a reset stream drops its handler. What is kept of the HTTP/1.1 limits:
//! `requestTimeout` (per stream, from its HEADERS), `headersTimeout` (before a new
//! connection's first stream) and `keepAliveTimeout` (a connection with no stream open is
//! closed with GOAWAY after it).

use futures_util::FutureExt;
use http::{header, HeaderValue, Request, StatusCode};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::Watcher;
use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use crate::config::FORCE_CLOSE_GRACE;
use crate::http::body::{Body, Cut};
use crate::http::limits::{ConnectionSlot, RequestDeadline};
use crate::http::reply::{self, Reply};
use crate::net::peer::Peer;
use crate::server::http2::Http2Settings;
use crate::streamable::shared::Shared;

impl Shared {
    /// Serves HTTP/2 on one connection (h2c after its preface, or TLS with ALPN `h2`) until
    /// it closes, the server stops, or it stays without a stream for too long.
    pub(crate) async fn serve_h2<S>(
        self: Arc<Self>,
        io: S,
        peer: Peer,
        watcher: Watcher,
        _slot: ConnectionSlot,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Some(settings) = self.config.http2.clone() else {
            return;
        };
        let (open, streams) = watch::channel(0usize);
        let open = Arc::new(open);
        let shared = self.clone();
        let service = service_fn(move |req: Request<Incoming>| {
            let shared = shared.clone();
            let stream = Stream::begin(open.clone());
            async move {
                let res = shared.handle_h2(req, peer).await;
                Ok::<_, Infallible>(res.map(|body| H2Body::new(body, stream)))
            }
        });
        let conn = builder(&settings).serve_connection(TokioIo::new(io), service);
        let mut conn = pin!(conn);
        let mut stopping = self.stopping.subscribe();
        let first = self.limits.headers_timeout;
        let idle = idle(streams, first, self.limits.keep_alive_timeout);
        let mut idle = pin!(idle);
        let mut closing = false;
        // GOAWAY waits for the client's answer to a PING; one that does not answer is cut.
        let cut = tokio::time::sleep(Duration::MAX);
        let mut cut = pin!(cut);
        loop {
            tokio::select! {
                _ = conn.as_mut() => break,
                _ = stopping.wait_for(|s| *s), if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                _ = idle.as_mut(), if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                    cut.as_mut().reset(tokio::time::Instant::now() + FORCE_CLOSE_GRACE);
                }
                _ = cut.as_mut() => break,
            }
        }
        // Held until here: the server's graceful shutdown waits for this connection.
        drop(watcher);
    }

    /// One stream's request, made to look to the pipeline as an HTTP/1.1 one would.
    async fn handle_h2(self: Arc<Self>, mut req: Request<Incoming>, peer: Peer) -> Reply {
        if let Err(refused) = authority_as_host(&mut req) {
            return refused;
        }
        let deadline = self.limits.request_deadline(std::time::Instant::now());
        req.extensions_mut().insert(RequestDeadline(deadline));
        let handled = AssertUnwindSafe(self.handle(req, peer))
            .catch_unwind()
            .await;
        handled.unwrap_or_else(|_| {
            reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                -32603,
                "Internal error",
                None,
            )
        })
    }
}

fn builder(settings: &Http2Settings) -> http2::Builder<TokioExecutor> {
    let mut builder = http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .max_concurrent_streams(settings.max_concurrent_streams)
        .initial_stream_window_size(settings.initial_stream_window_size)
        .initial_connection_window_size(settings.initial_connection_window_size)
        .max_header_list_size(settings.max_header_list_size)
        .keep_alive_interval(settings.keep_alive_interval)
        .keep_alive_timeout(settings.keep_alive_timeout)
        .max_pending_accept_reset_streams(settings.max_pending_accept_reset_streams)
        .max_local_error_reset_streams(settings.max_local_error_reset_streams);
    builder
}

/// RFC 9113 §8.3.1: `:authority` is the request's Host. The pipeline (DNS-rebinding check,
/// the hook's `req.headers.host`) reads `Host`, so it is set from it; a `Host` that names
/// another authority makes the request malformed (400).
fn authority_as_host(req: &mut Request<Incoming>) -> Result<(), Reply> {
    let Some(authority) = req.uri().authority().map(|a| a.as_str().to_owned()) else {
        return Ok(());
    };
    match req.headers().get(header::HOST) {
        Some(host) if !host.as_bytes().eq_ignore_ascii_case(authority.as_bytes()) => {
            Err(reply::text(
                StatusCode::BAD_REQUEST,
                "Bad Request: Host differs from :authority",
            ))
        }
        Some(_) => Ok(()),
        None => {
            if let Ok(value) = HeaderValue::from_str(&authority) {
                req.headers_mut().insert(header::HOST, value);
            }
            Ok(())
        }
    }
}

/// A stream in flight, from its HEADERS to the end (or drop) of its response.
struct Stream(Arc<watch::Sender<usize>>);

impl Stream {
    fn begin(open: Arc<watch::Sender<usize>>) -> Stream {
        open.send_modify(|n| *n += 1);
        Stream(open)
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

/// Resolves once the connection has had no stream for its limit: `first` before its first
/// stream (`None`: no limit), `then` between streams.
async fn idle(mut streams: watch::Receiver<usize>, first: Option<Duration>, then: Duration) {
    let mut limit = first;
    loop {
        let gone = streams.wait_for(|n| *n == 0).await.is_err();
        if gone {
            return std::future::pending().await;
        }
        let quiet = async {
            match limit {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = quiet => return,
            gone = async { streams.wait_for(|n| *n > 0).await.is_err() } => {
                if gone {
                    return std::future::pending().await;
                }
            }
        }
        limit = Some(then);
    }
}

/// A response body on an HTTP/2 stream. Its SSE stream never holds write signals
/// (written.rs): streams share the socket and each has its own flow-control window, so a
/// frame waiting for its client's window says nothing about the connection, and a response
/// on another stream must not wait for it.
struct H2Body {
    body: Body,
    _stream: Stream,
}

impl H2Body {
    fn new(body: Body, stream: Stream) -> Self {
        if let Some(reader) = body.reader_state() {
            reader.socket_full(true);
        }
        H2Body {
            body,
            _stream: stream,
        }
    }
}

impl http_body::Body for H2Body {
    type Data = bytes::Bytes;
    type Error = Cut;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<bytes::Bytes>, Cut>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(Some(Ok(_))) = &frame {
            drop(this.body.take_written());
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
