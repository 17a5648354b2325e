//! The clock of one connection: how long a request head may take to arrive (`headersTimeout`,
//! answered 408 as Node does) and how long an idle keep-alive connection stays open
//! (`keepAliveTimeout`, closed silently). hyper's own header timer would close without an
//! answer and cannot tell the two apart, so the connection's I/O is watched here instead.
//!
//! It never reads or writes HTTP itself: hyper does; it only watches the I/O.

use http_body::{Frame, SizeHint};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::net::write_through::write_through;
use tokio::time::{Instant, Sleep};

use crate::http::body::{Body, Cut};
use crate::http::limits::Limits;
use crate::net::half_close::Exchange;
use crate::net::written::WriteSignals;

const REQUEST_TIMEOUT_RESPONSE: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for (the rest of) a request head that began at `since`.
    Head { since: Instant },
    /// A request is being served.
    Busy,
    /// Keep-alive: the last response ended at `since`, nothing of a next request yet.
    Idle { since: Instant },
}

/// Where the connection is between requests; shared by its I/O and its service.
pub(crate) struct ConnClock {
    phase: Mutex<Phase>,
    /// The last reader that found nothing to read: woken when a response is done, so that
    /// it arms the keep-alive timer.
    reader: Mutex<Option<Waker>>,
}

impl ConnClock {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(ConnClock {
            // A new connection owes a request head from the start (Node counts it so too).
            phase: Mutex::new(Phase::Head {
                since: Instant::now(),
            }),
            reader: Mutex::new(None),
        })
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A request head arrived: returns when it began.
    pub(crate) fn request_started(&self) -> std::time::Instant {
        let mut phase = self.phase();
        let since = match *phase {
            Phase::Head { since } => since,
            // A pipelined head, already read with the previous request.
            Phase::Busy | Phase::Idle { .. } => Instant::now(),
        };
        *phase = Phase::Busy;
        since.into_std()
    }

    fn response_done(&self) {
        *self.phase() = Phase::Idle {
            since: Instant::now(),
        };
        let reader = self.reader.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(reader) = reader {
            reader.wake();
        }
    }
}

/// The connection's I/O, with the head and keep-alive timers of its [`ConnClock`].
pub(crate) struct Watched<S> {
    io: S,
    clock: Arc<ConnClock>,
    limits: Arc<Limits>,
    timer: Pin<Box<Sleep>>,
}

impl<S> Watched<S> {
    pub(crate) fn new(io: S, clock: Arc<ConnClock>, limits: Arc<Limits>) -> Self {
        Watched {
            io,
            clock,
            limits,
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
        }
    }
}

enum Expiry {
    /// The head is late: 408, then close.
    Answer,
    /// Idle keep-alive: close quietly.
    Close,
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        let got_bytes = buf.filled().len() > before;
        let pending = {
            let mut phase = this.clock.phase();
            if got_bytes {
                if let Phase::Idle { .. } = *phase {
                    *phase = Phase::Head {
                        since: Instant::now(),
                    };
                }
            }
            if read.is_pending() {
                let mut reader = this.clock.reader.lock().unwrap_or_else(|e| e.into_inner());
                if !reader.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *reader = Some(cx.waker().clone());
                }
            }
            match (*phase, read.is_pending()) {
                (_, false) => None,
                // A timeout too large to add is no limit.
                (Phase::Head { since }, true) => this
                    .limits
                    .headers_timeout
                    .and_then(|t| since.checked_add(t))
                    .map(|deadline| (deadline, Expiry::Answer)),
                (Phase::Idle { since }, true) => since
                    .checked_add(this.limits.keep_alive_timeout)
                    .map(|deadline| (deadline, Expiry::Close)),
                (Phase::Busy, true) => None,
            }
        };
        let Some((deadline, expiry)) = pending else {
            return read;
        };
        if this.timer.deadline() != deadline {
            this.timer.as_mut().reset(deadline);
        }
        if this.timer.as_mut().poll(cx).is_pending() {
            return read;
        }
        match expiry {
            // End of stream on an idle connection: hyper closes it cleanly.
            Expiry::Close => Poll::Ready(Ok(())),
            Expiry::Answer => {
                // Best effort, as Node does: the answer fits any socket buffer.
                let _ = Pin::new(&mut this.io).poll_write(cx, REQUEST_TIMEOUT_RESPONSE);
                let _ = Pin::new(&mut this.io).poll_flush(cx);
                let limit = this.limits.headers_timeout.unwrap_or_default();
                this.limits.report("headersTimeout", || {
                    format!(
                        "[mcp-proxy] request head not received within {}ms (headersTimeout): answered 408 and closed the connection",
                        limit.as_millis()
                    )
                });
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "request head timeout",
                )))
            }
        }
    }
}

write_through!(Watched, AsyncRead + AsyncWrite + Unpin);

/// A response body that tells the connection's clock when it is done (written or dropped):
/// from then on the connection is idle (and a client's held-back half-close may pass).
pub(crate) struct Timed {
    body: Body,
    clock: Arc<ConnClock>,
    exchange: Arc<Exchange>,
    written: Arc<WriteSignals>,
}

impl Timed {
    pub(crate) fn new(
        body: Body,
        clock: Arc<ConnClock>,
        exchange: Arc<Exchange>,
        written: Arc<WriteSignals>,
    ) -> Self {
        if let Some(reader) = body.reader_state() {
            written.reading(reader.clone());
            exchange.on_input_end(Box::new(move || reader.input_ended()));
        }
        if body.streams() {
            exchange.streaming();
        }
        Timed {
            body,
            clock,
            exchange,
            written,
        }
    }
}

impl Drop for Timed {
    fn drop(&mut self) {
        self.clock.response_done();
        self.exchange.finished();
    }
}

impl http_body::Body for Timed {
    type Data = bytes::Bytes;
    type Error = Cut;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<bytes::Bytes>, Cut>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(Some(Ok(_))) = &frame {
            this.written.taken(this.body.take_written());
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

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::host::{Host, HostEvent};
    use crate::Server;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    struct Quiet;
    impl Host for Quiet {
        fn dispatch(&self, _: HostEvent) {}
    }

    async fn server(config: Config) -> Server {
        let config = Config {
            host: "127.0.0.1".into(),
            ..config
        };
        Server::bind(config, Arc::new(Quiet)).await.expect("bind")
    }

    /// Everything the server sends until it closes the connection (bounded).
    async fn until_closed(stream: &mut TcpStream) -> String {
        let mut all = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut all));
        read.await.expect("closed in time").expect("read");
        String::from_utf8_lossy(&all).into_owned()
    }

    #[tokio::test]
    async fn an_idle_keep_alive_connection_closes_quietly() {
        let s = server(Config {
            keep_alive_timeout: Duration::from_millis(200),
            ..Config::default()
        })
        .await;
        let mut c = TcpStream::connect(("127.0.0.1", s.port())).await.unwrap();
        c.write_all(b"GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let all = until_closed(&mut c).await;
        assert!(all.starts_with("HTTP/1.1 200"), "{all}");
        assert!(all.ends_with("pong"), "{all}");
    }

    #[tokio::test]
    async fn ping_answers_503_while_what_serves_mcp_is_gone() {
        let config = Config::default();
        let availability = config.availability.clone();
        let s = server(config).await;
        availability.set_down(true);
        let mut c = TcpStream::connect(("127.0.0.1", s.port())).await.unwrap();
        c.write_all(b"GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let all = until_closed(&mut c).await;
        assert!(all.starts_with("HTTP/1.1 503"), "{all}");
    }

    #[tokio::test]
    async fn a_late_head_gets_408() {
        let s = server(Config {
            headers_timeout: Some(Duration::from_millis(200)),
            ..Config::default()
        })
        .await;
        let mut c = TcpStream::connect(("127.0.0.1", s.port())).await.unwrap();
        c.write_all(b"GET /ping HTTP/1.1\r\n").await.unwrap();
        let all = until_closed(&mut c).await;
        assert!(all.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{all}");
    }
}
