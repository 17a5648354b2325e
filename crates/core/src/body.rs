//! The response body: a complete buffer, or an SSE stream fed by a session.

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;
use tokio::time::{interval_at, Duration, Instant, Interval};

use crate::pipe::{self, PipeReader};
use crate::sse::KEEP_ALIVE_COMMENT;
use crate::stream_queue::FrameReceiver;

/// A response body that broke off: hyper closes the connection instead of ending the
/// message, so the client sees the response cut, never complete.
#[derive(Debug)]
pub struct Cut;

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("response body cut")
    }
}

impl std::error::Error for Cut {}

pub enum Body {
    Full(Option<Bytes>),
    Sse(SseBody),
    /// Chunks written by the host, until its sender is dropped.
    Stream(mpsc::UnboundedReceiver<Bytes>),
    /// Chunks written by a JS `res` (onUnhandledRequest), through a bounded pipe.
    Piped(PipeReader),
}

pub struct SseBody {
    queued: VecDeque<Bytes>,
    live: Option<FrameReceiver>,
    keep_alive: Interval,
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
            Body::Piped(chunks) => chunks.poll_frame(cx).map(|frame| match frame {
                pipe::Frame::Data(bytes) => Some(Ok(Frame::data(bytes))),
                pipe::Frame::End => None,
                pipe::Frame::Cut => Some(Err(Cut)),
            }),
            Body::Sse(sse) => {
                if let Some(frame) = sse.queued.pop_front() {
                    return Poll::Ready(Some(Ok(Frame::data(frame))));
                }
                let Some(live) = &mut sse.live else {
                    return Poll::Ready(None);
                };
                match live.poll_recv(cx) {
                    Poll::Ready(Some(Ok(frame))) => {
                        sse.keep_alive.reset();
                        Poll::Ready(Some(Ok(Frame::data(frame))))
                    }
                    Poll::Ready(Some(Err(cut))) => {
                        sse.live = None;
                        Poll::Ready(Some(Err(cut)))
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
            Body::Sse(_) | Body::Stream(_) | Body::Piped(_) => SizeHint::default(),
        }
    }
}
