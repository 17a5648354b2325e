//! The response body: a complete buffer, or an SSE stream fed by a session.
//!
//! It never decides what to send: routes and sessions fill it; it only hands frames to hyper
//! and reports a cut.

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;
use tokio::time::{interval_at, Duration, Instant, Interval};

use crate::http::pipe::{self, PipeReader};
use crate::http::sse::KEEP_ALIVE_COMMENT;
// `Cut` lives with the queue that cuts a stream; a body reports it.
pub use crate::http::stream_queue::Cut;
use crate::http::stream_queue::{FrameReceiver, ReaderState, Written};

pub enum Body {
    Full(Option<Bytes>),
    Sse(SseBody),
    /// Chunks written by the host, until its sender is dropped.
    Stream(mpsc::UnboundedReceiver<Bytes>),
    /// Chunks written by a JS `res` (onUnhandledRequest), through a bounded pipe.
    Piped(PipeReader),
    /// Another server's answer passed through as it arrives (a cluster's owner, over the
    /// internal hop): polled only as hyper polls this body, so a slow client slows the
    /// owner's stream instead of filling memory. Its error breaks the response off.
    Relayed(RelayedBody),
}

/// A body from another server, as `Body::Relayed` carries it.
pub type RelayedBody = Pin<
    Box<dyn http_body::Body<Data = Bytes, Error = Box<dyn std::error::Error + Send + Sync>> + Send>,
>;

pub struct SseBody {
    queued: VecDeque<Bytes>,
    live: Option<FrameReceiver>,
    keep_alive: Interval,
    /// The stream was cut and hyper had one turn to flush: the next poll breaks it off.
    breaking: bool,
    on_drop: Option<Box<dyn FnOnce() + Send>>,
}

impl SseBody {
    /// Runs `f` when the stream is gone: it ended, or hyper dropped it because the client left.
    pub fn on_drop(&mut self, f: Box<dyn FnOnce() + Send>) {
        self.on_drop = Some(f);
    }
}

impl Drop for SseBody {
    fn drop(&mut self) {
        if let Some(f) = self.on_drop.take() {
            f();
        }
    }
}

impl Body {
    pub fn empty() -> Self {
        Body::Full(None)
    }

    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Body::Full((!bytes.is_empty()).then_some(bytes))
    }

    pub fn stream(chunks: mpsc::UnboundedReceiver<Bytes>) -> Self {
        Body::Stream(chunks)
    }

    pub fn piped(chunks: PipeReader) -> Self {
        Body::Piped(chunks)
    }

    pub fn relayed(body: RelayedBody) -> Self {
        Body::Relayed(body)
    }

    /// Whether the body comes as the server makes it (an event stream, a streamed or piped
    /// answer), not whole at once.
    pub fn streams(&self) -> bool {
        !matches!(self, Body::Full(_))
    }

    /// The write signals of the SSE frames this body has given out since the last call.
    pub fn take_written(&mut self) -> Vec<Written> {
        match self {
            Body::Sse(SseBody {
                live: Some(live), ..
            }) => live.take_written(),
            _ => Vec::new(),
        }
    }

    /// For a live SSE stream: how to tell it about its client.
    pub fn reader_state(&self) -> Option<ReaderState> {
        match self {
            Body::Sse(SseBody {
                live: Some(live), ..
            }) => Some(live.reader_state()),
            _ => None,
        }
    }

    /// Frames written first, then whatever arrives on `live` until its senders are gone,
    /// with a keep-alive comment after every `keep_alive` without a frame.
    pub fn sse(
        queued: impl IntoIterator<Item = Bytes>,
        live: Option<FrameReceiver>,
        keep_alive: Duration,
    ) -> Self {
        let start = Instant::now() + keep_alive;
        Body::Sse(SseBody {
            queued: queued.into_iter().collect(),
            live,
            keep_alive: interval_at(start, keep_alive),
            breaking: false,
            on_drop: None,
        })
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Cut;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Cut>>> {
        match self.get_mut() {
            Body::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Body::Stream(chunks) => chunks
                .poll_recv(cx)
                .map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes)))),
            Body::Relayed(body) => body.as_mut().poll_frame(cx).map(|frame| match frame {
                Some(Ok(frame)) => Some(Ok(frame)),
                Some(Err(_)) => Some(Err(Cut)),
                None => None,
            }),
            Body::Piped(chunks) => chunks.poll_frame(cx).map(|frame| match frame {
                pipe::Frame::Data(bytes) => Some(Ok(Frame::data(bytes))),
                pipe::Frame::End => None,
                pipe::Frame::Cut => Some(Err(Cut)),
            }),
            Body::Sse(sse) => {
                if let Some(frame) = sse.queued.pop_front() {
                    return Poll::Ready(Some(Ok(Frame::data(frame))));
                }
                if sse.breaking {
                    return Poll::Ready(Some(Err(Cut)));
                }
                let Some(live) = &mut sse.live else {
                    return Poll::Ready(None);
                };
                match live.poll_recv(cx) {
                    Poll::Ready(Some(Ok(frame))) => {
                        sse.keep_alive.reset();
                        Poll::Ready(Some(Ok(Frame::data(frame))))
                    }
                    Poll::Ready(Some(Err(Cut))) => {
                        // hyper drops what it has buffered when a body fails, and the head
                        // and the frames before the cut may all sit in that buffer (the
                        // writer ran ahead of hyper's first poll): without this turn the
                        // client got nothing, not even an event id to resume from. Pending
                        // lets hyper flush what the socket takes; the next poll breaks off.
                        sse.live = None;
                        sse.breaking = true;
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                    Poll::Ready(None) => {
                        sse.live = None;
                        Poll::Ready(None)
                    }
                    Poll::Pending => match sse.keep_alive.poll_tick(cx) {
                        Poll::Ready(_) => Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(
                            KEEP_ALIVE_COMMENT,
                        ))))),
                        Poll::Pending => Poll::Pending,
                    },
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(None) => SizeHint::with_exact(0),
            Body::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Body::Relayed(body) => body.size_hint(),
            Body::Sse(_) | Body::Stream(_) | Body::Piped(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::stream_queue;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use std::convert::Infallible;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    const PRIMING: &[u8] = b"id: 0\ndata: \n\n";

    /// Serves one connection whose response is an SSE stream cut before its reader took
    /// anything (its writer ran ahead of hyper's first poll), as `post.rs` builds it then.
    async fn serve_cut_stream() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let service = service_fn(|_req| async {
                let (tx, rx) = stream_queue::channel(10);
                tx.push(Bytes::from_static(b"id: 1\ndata: x\n\n")).unwrap();
                assert!(tx.push(Bytes::from(vec![b'x'; 100])).is_err(), "cut");
                let body = Body::sse(
                    [Bytes::from_static(PRIMING)],
                    Some(rx),
                    Duration::from_secs(60),
                );
                Ok::<_, Infallible>(hyper::Response::new(body))
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        port
    }

    /// hyper drops what it has buffered when a body fails: a stream cut right after its head
    /// reached the client as nothing at all, so the client had no event id to resume from.
    #[tokio::test]
    async fn a_cut_stream_breaks_off_after_the_head_and_the_frames_before_the_cut() {
        let port = serve_cut_stream().await;
        let mut client = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut all = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(3), client.read_to_end(&mut all));
        let _ = read.await.expect("closed in time");
        let all = String::from_utf8_lossy(&all);
        assert!(all.starts_with("HTTP/1.1 200 OK\r\n"), "{all:?}");
        assert!(all.contains("id: 0\ndata: \n\n"), "{all:?}");
        assert!(
            !all.ends_with("0\r\n\r\n"),
            "never ends like a complete response: {all:?}"
        );
    }
}
