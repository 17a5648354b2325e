//! The frames of one SSE stream waiting for its reader, bounded in bytes
//! (`sseMaxQueuedBytes`). A reader that reads keeps up however many frames come: only bytes
//! count, so a burst of small messages (a 50 000-request batch) fits. A reader further behind
//! than the bound is cut: its queue is freed at once and its response breaks off, never
//! ending as if complete; what it missed stays in the event store for `Last-Event-ID`.
//!
//! It never frames or stores events (that is `sse.rs` and the event store): it queues bytes.

use bytes::Bytes;
use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use tokio::sync::oneshot;

struct State {
    /// Each with the signal its writer waits on, if any ([`FrameSender::push_written`]).
    frames: VecDeque<(Bytes, Option<Written>)>,
    bytes: usize,
    cut: bool,
    sender_gone: bool,
    receiver_gone: bool,
    /// The reader's client closed its side of the connection (it may still read for a short
    /// grace, half_close.rs): a resume of this stream is not a second reader.
    reader_input_ended: bool,
    /// The reader's connection found its socket full and has not flushed since: a writer
    /// has nothing to wait for (`written.rs`).
    socket_full: bool,
    waker: Option<Waker>,
}

struct Inner {
    state: Mutex<State>,
    max_bytes: usize,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

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

/// The session's end of a stream.
pub struct FrameSender {
    inner: Arc<Inner>,
}

/// The response body's end of a stream.
pub struct FrameReceiver {
    inner: Arc<Inner>,
    /// Write signals of frames taken and not yet handed to the connection.
    taken_written: Vec<Written>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// Nobody reads any more (the client left).
    Gone,
    /// The reader fell more than the bound behind: the stream is cut.
    Cut,
}

/// A stream holding at most `max_bytes` of frames not yet taken by its reader (one frame
/// is always taken, however large).
pub fn channel(max_bytes: usize) -> (FrameSender, FrameReceiver) {
    let inner = Arc::new(Inner {
        state: Mutex::new(State {
            frames: VecDeque::new(),
            bytes: 0,
            cut: false,
            sender_gone: false,
            receiver_gone: false,
            reader_input_ended: false,
            socket_full: false,
            waker: None,
        }),
        max_bytes,
    });
    (
        FrameSender {
            inner: inner.clone(),
        },
        FrameReceiver {
            inner,
            taken_written: Vec::new(),
        },
    )
}

/// Drops every frame (and tells a waiting writer its frame will not be written).
fn clear(state: &mut State) {
    state.frames = VecDeque::new();
    state.bytes = 0;
}

fn wake(state: &mut State) {
    if let Some(waker) = state.waker.take() {
        waker.wake();
    }
}

impl FrameSender {
    pub fn push(&self, frame: Bytes) -> Result<(), PushError> {
        self.push_locked(&mut self.inner.state(), frame)
    }

    fn push_locked(&self, state: &mut State, frame: Bytes) -> Result<(), PushError> {
        if state.receiver_gone {
            return Err(PushError::Gone);
        }
        if state.cut {
            return Err(PushError::Cut);
        }
        if state.bytes > 0 && state.bytes + frame.len() > self.inner.max_bytes {
            state.cut = true;
            clear(state);
            wake(state);
            return Err(PushError::Cut);
        }
        state.bytes += frame.len();
        state.frames.push_back((frame, None));
        wake(state);
        Ok(())
    }

    /// The reader is gone.
    pub fn is_closed(&self) -> bool {
        self.inner.state().receiver_gone
    }

    /// The reader is gone, or its client closed its side of the connection.
    pub fn reader_left(&self) -> bool {
        let state = self.inner.state();
        state.receiver_gone || state.reader_input_ended
    }

    /// Breaks the stream off (never a clean end): another reader takes it over.
    pub fn cut(self) {
        let mut state = self.inner.state();
        state.cut = true;
        clear(&mut state);
        wake(&mut state);
    }

    /// `push`, and a signal for when the frame is in the client's socket, as Node's
    /// `res.write` has put it there when it returns. None when there is nothing to wait for:
    /// the reader's socket is full, so the client is behind and waiting would only slow the
    /// writer down to its pace. The signal also comes when the frame will never be written
    /// (the stream was cut or its reader left), as the sender dropping.
    pub fn push_written(&self, frame: Bytes) -> Result<Option<WrittenSignal>, PushError> {
        let mut state = self.inner.state();
        self.push_locked(&mut state, frame)?;
        if state.socket_full {
            return Ok(None);
        }
        let (written, signal) = oneshot::channel();
        if let Some((_, slot)) = state.frames.back_mut() {
            *slot = Some(Written(written));
        }
        Ok(Some(signal))
    }
}

impl Drop for FrameSender {
    fn drop(&mut self) {
        let mut state = self.inner.state();
        state.sender_gone = true;
        wake(&mut state);
    }
}

impl FrameReceiver {
    /// The next frame; `Some(Err(Cut))` once the stream was cut; `None` when the sender is
    /// gone and every frame was taken (the stream ended).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Cut>>> {
        let mut state = self.inner.state();
        if state.cut {
            return Poll::Ready(Some(Err(Cut)));
        }
        if let Some((frame, written)) = state.frames.pop_front() {
            state.bytes -= frame.len();
            self.taken_written.extend(written);
            return Poll::Ready(Some(Ok(frame)));
        }
        if state.sender_gone {
            return Poll::Ready(None);
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }

    pub async fn recv(&mut self) -> Option<Result<Bytes, Cut>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// A frame already queued, if any.
    pub fn try_recv(&mut self) -> Option<Bytes> {
        let mut state = self.inner.state();
        if state.cut {
            return None;
        }
        let (frame, written) = state.frames.pop_front()?;
        state.bytes -= frame.len();
        self.taken_written.extend(written);
        Some(frame)
    }

    /// The sender is gone: nothing more will be queued.
    pub fn is_closed(&self) -> bool {
        self.inner.state().sender_gone
    }

    /// A handle through which the reader's connection tells the stream about its client.
    pub fn reader_state(&self) -> ReaderState {
        ReaderState(self.inner.clone())
    }

    /// The write signals of the frames taken since the last call: their writers wait until
    /// the connection has written them (`written::WriteSignals`).
    pub fn take_written(&mut self) -> Vec<Written> {
        std::mem::take(&mut self.taken_written)
    }
}

/// Tells its writer, by being dropped, that its frame was written or never will be.
pub struct Written(#[allow(dead_code)] oneshot::Sender<()>);

/// What a writer waits on: ready when its frame was written or never will be.
pub type WrittenSignal = oneshot::Receiver<()>;

/// What the reader's connection tells a stream about its client.
#[derive(Clone)]
pub struct ReaderState(Arc<Inner>);

impl ReaderState {
    /// The client closed its side of the connection.
    pub fn input_ended(&self) {
        self.0.state().reader_input_ended = true;
    }

    /// The connection's socket is full (until it has flushed again): a writer waiting for
    /// its frame to be written is told at once, and new ones do not wait.
    pub fn socket_full(&self, full: bool) {
        let mut state = self.0.state();
        state.socket_full = full;
        if full {
            for (_, written) in &mut state.frames {
                *written = None;
            }
        }
    }
}

impl Drop for FrameReceiver {
    fn drop(&mut self) {
        let mut state = self.inner.state();
        state.receiver_gone = true;
        clear(&mut state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> Bytes {
        Bytes::from(vec![b'x'; n])
    }

    #[tokio::test]
    async fn a_reader_that_keeps_up_gets_every_frame_whatever_their_number() {
        let (tx, mut rx) = channel(100);
        let reader = tokio::spawn(async move {
            let mut count = 0;
            while let Some(frame) = rx.recv().await {
                frame.unwrap();
                count += 1;
            }
            count
        });
        for _ in 0..50_000 {
            while tx.inner.state().bytes + 10 > 100 {
                tokio::task::yield_now().await;
            }
            tx.push(frame(10)).unwrap();
        }
        drop(tx);
        assert_eq!(reader.await.unwrap(), 50_000);
    }

    #[test]
    fn crossing_the_bound_cuts_the_stream_and_frees_its_queue() {
        let (tx, mut rx) = channel(100);
        tx.push(frame(60)).unwrap();
        tx.push(frame(40)).unwrap();
        assert_eq!(tx.push(frame(1)), Err(PushError::Cut));
        assert_eq!(tx.inner.state().frames.len(), 0, "freed at once");
        assert_eq!(tx.push(frame(1)), Err(PushError::Cut));
        drop(tx);
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(Some(Err(Cut)))));
    }

    #[test]
    fn one_frame_larger_than_the_bound_still_goes_out() {
        let (tx, mut rx) = channel(10);
        tx.push(frame(1000)).unwrap();
        assert_eq!(rx.try_recv().map(|f| f.len()), Some(1000));
        drop(tx);
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(None)));
    }

    #[test]
    fn a_reader_whose_client_closed_its_side_has_left() {
        let (tx, rx) = channel(10);
        assert!(!tx.reader_left());
        rx.reader_state().input_ended();
        assert!(tx.reader_left());
        assert!(!tx.is_closed(), "it may still read within the grace");
    }

    #[test]
    fn a_stream_taken_over_breaks_off() {
        let (tx, mut rx) = channel(10);
        tx.push(frame(1)).unwrap();
        tx.cut();
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(Some(Err(Cut)))));
    }

    fn told(written: &mut WrittenSignal) -> bool {
        written
            .try_recv()
            .is_err_and(|e| e == oneshot::error::TryRecvError::Closed)
    }

    #[test]
    fn each_frame_pushed_signals_when_its_taker_lets_go() {
        let (tx, mut rx) = channel(100);
        let mut first = tx.push_written(frame(1)).unwrap().unwrap();
        let mut second = tx.push_written(frame(1)).unwrap().unwrap();
        assert!(!told(&mut first), "not written yet");
        assert_eq!(rx.try_recv().map(|f| f.len()), Some(1));
        let taken = rx.take_written();
        assert_eq!(taken.len(), 1);
        assert!(!told(&mut first), "taken, not yet written");
        drop(taken);
        assert!(told(&mut first));
        assert!(!told(&mut second), "still queued");
    }

    #[test]
    fn a_full_socket_tells_the_waiting_writers_and_new_ones_do_not_wait() {
        let (tx, rx) = channel(100);
        let mut first = tx.push_written(frame(1)).unwrap().unwrap();
        let mut second = tx.push_written(frame(1)).unwrap().unwrap();
        rx.reader_state().socket_full(true);
        assert!(told(&mut first) && told(&mut second));
        assert!(tx.push_written(frame(1)).unwrap().is_none());
        rx.reader_state().socket_full(false);
        assert!(tx.push_written(frame(1)).unwrap().is_some());
    }

    #[test]
    fn a_frame_that_will_never_be_written_signals_too() {
        let (tx, rx) = channel(100);
        let mut written = tx.push_written(frame(1)).unwrap().unwrap();
        drop(rx);
        assert!(written
            .try_recv()
            .is_err_and(|e| e == oneshot::error::TryRecvError::Closed));
    }

    #[test]
    fn a_gone_reader_refuses_frames() {
        let (tx, rx) = channel(10);
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.push(frame(1)), Err(PushError::Gone));
    }
}
