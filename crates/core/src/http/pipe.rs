//! A bounded byte pipe from a writer the host drives (an `onUnhandledRequest` hook's `res`)
//! to the response body hyper polls. The writer is never blocked: a write past the window is
//! still taken, but reported as `Full`, and the pipe calls `on_drain` once the reader has
//! caught up. That is `res.write()` returning false and `'drain'` following, as in Node.
//!
//! It never blocks the writer and never knows what the bytes are.

use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// What a write came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Taken; there is room for more.
    Open,
    /// Taken, but the window is full: wait for `on_drain` before writing more.
    Full,
    /// Nobody reads any more (the client left, or the response was cut).
    Gone,
}

/// How the writer finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Open,
    Ended,
    /// The response must not look complete: hyper closes the connection instead.
    Cut,
}

struct State {
    chunks: VecDeque<Bytes>,
    buffered: usize,
    ending: Ending,
    reader_gone: bool,
    drain_wanted: bool,
    waker: Option<Waker>,
}

struct Inner {
    state: Mutex<State>,
    window: usize,
    on_drain: Box<dyn Fn() + Send + Sync>,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct PipeWriter {
    inner: Arc<Inner>,
}

pub struct PipeReader {
    inner: Arc<Inner>,
    /// Called once when the reader is dropped; `true` when everything written was read
    /// and the writer had ended.
    on_gone: Option<Box<dyn FnOnce(bool) + Send>>,
}

/// A pipe holding up to about `window` bytes before writes report `Full`.
pub fn pipe(
    window: usize,
    on_drain: Box<dyn Fn() + Send + Sync>,
    on_gone: Box<dyn FnOnce(bool) + Send>,
) -> (PipeWriter, PipeReader) {
    let inner = Arc::new(Inner {
        state: Mutex::new(State {
            chunks: VecDeque::new(),
            buffered: 0,
            ending: Ending::Open,
            reader_gone: false,
            drain_wanted: false,
            waker: None,
        }),
        window: window.max(1),
        on_drain,
    });
    (
        PipeWriter {
            inner: inner.clone(),
        },
        PipeReader {
            inner,
            on_gone: Some(on_gone),
        },
    )
}

impl PipeWriter {
    pub fn write(&self, chunk: Bytes) -> Written {
        let mut state = self.inner.state();
        if state.reader_gone || state.ending != Ending::Open {
            return Written::Gone;
        }
        if !chunk.is_empty() {
            state.buffered += chunk.len();
            state.chunks.push_back(chunk);
            if let Some(waker) = state.waker.take() {
                waker.wake();
            }
        }
        if state.buffered >= self.inner.window {
            state.drain_wanted = true;
            Written::Full
        } else {
            Written::Open
        }
    }

    /// The body is complete: the reader ends after what is queued.
    pub fn end(&self) {
        self.finish(Ending::Ended);
    }

    /// The body breaks off: the client sees the response cut, never a complete one.
    pub fn cut(&self) {
        self.finish(Ending::Cut);
    }

    fn finish(&self, ending: Ending) {
        let mut state = self.inner.state();
        if state.ending == Ending::Open {
            state.ending = ending;
        }
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }
}

impl Drop for PipeWriter {
    /// A writer dropped without `end` (its exchange was forgotten) cuts the body.
    fn drop(&mut self) {
        self.cut();
    }
}

/// A frame of the pipe: a chunk, the end, or a cut.
pub enum Frame {
    Data(Bytes),
    End,
    Cut,
}

impl PipeReader {
    pub fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Frame> {
        let mut state = self.inner.state();
        if state.ending == Ending::Cut {
            return Poll::Ready(Frame::Cut);
        }
        if let Some(chunk) = state.chunks.pop_front() {
            state.buffered -= chunk.len();
            let drained = state.drain_wanted && state.buffered <= self.inner.window / 2;
            if drained {
                state.drain_wanted = false;
            }
            drop(state);
            if drained {
                (self.inner.on_drain)();
            }
            return Poll::Ready(Frame::Data(chunk));
        }
        if state.ending == Ending::Ended {
            return Poll::Ready(Frame::End);
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for PipeReader {
    fn drop(&mut self) {
        let mut state = self.inner.state();
        state.reader_gone = true;
        let complete = state.ending == Ending::Ended && state.chunks.is_empty();
        let drain_wanted = std::mem::take(&mut state.drain_wanted);
        drop(state);
        // A writer waiting for room must learn that none will come.
        if drain_wanted && !complete {
            (self.inner.on_drain)();
        }
        if let Some(on_gone) = self.on_gone.take() {
            on_gone(complete);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Waker;

    fn counting() -> (Arc<AtomicUsize>, Box<dyn Fn() + Send + Sync>) {
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        (
            n,
            Box::new(move || {
                m.fetch_add(1, Ordering::SeqCst);
            }),
        )
    }

    fn poll(reader: &mut PipeReader) -> Poll<Frame> {
        reader.poll_frame(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn full_past_the_window_then_drains_once_half_read() {
        let (drains, on_drain) = counting();
        let (w, mut r) = pipe(10, on_drain, Box::new(|_| {}));
        assert_eq!(w.write(Bytes::from_static(b"12345")), Written::Open);
        assert_eq!(w.write(Bytes::from_static(b"67890")), Written::Full);
        assert!(matches!(poll(&mut r), Poll::Ready(Frame::Data(_))));
        assert_eq!(drains.load(Ordering::SeqCst), 1);
        assert!(matches!(poll(&mut r), Poll::Ready(Frame::Data(_))));
        assert_eq!(drains.load(Ordering::SeqCst), 1);
        assert!(poll(&mut r).is_pending());
        w.end();
        assert!(matches!(poll(&mut r), Poll::Ready(Frame::End)));
    }

    #[test]
    fn a_reader_gone_refuses_writes_and_releases_a_waiting_writer() {
        let (drains, on_drain) = counting();
        let gone = Arc::new(Mutex::new(None));
        let g = gone.clone();
        let (w, r) = pipe(
            4,
            on_drain,
            Box::new(move |complete| *g.lock().unwrap() = Some(complete)),
        );
        assert_eq!(w.write(Bytes::from_static(b"12345")), Written::Full);
        drop(r);
        assert_eq!(drains.load(Ordering::SeqCst), 1);
        assert_eq!(*gone.lock().unwrap(), Some(false));
        assert_eq!(w.write(Bytes::from_static(b"x")), Written::Gone);
    }

    #[test]
    fn a_dropped_writer_cuts_the_body() {
        let (_, on_drain) = counting();
        let (w, mut r) = pipe(4, on_drain, Box::new(|_| {}));
        w.write(Bytes::from_static(b"ab"));
        drop(w);
        assert!(matches!(poll(&mut r), Poll::Ready(Frame::Cut)));
    }
}
