//! Telling a message's writer when its SSE frame is in the client's socket. Node's `res.write`
//! puts an event into the socket before the SDK's `send` returns, and callers rely on it:
//! FastMCP awaits `setImmediate` after each progress notification so that an in-process client
//! reads it before the tool's result (the SDK client drops a progress it reads in the same chunk
//! as the result). Here the socket is written on another thread, so the JS transport makes a
//! response wait for the signal of the last notification sent before it (`lib/transport.js`).
//!
//! A body hands the signals of the frames it gave hyper to the connection's [`WriteSignals`];
//! the connection's IO ([`SignalWrites`]) drops them once hyper has flushed what it buffered,
//! or at once while the socket is full: then the client is behind, and waiting would only pace
//! the writer to the client (Node buffers and goes on too).
//!
//! It never delays a write: it only reports when one is done.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::http::stream_queue::{ReaderState, Written};

#[derive(Default)]
struct State {
    /// Frames hyper has taken and not yet flushed.
    pending: Vec<Written>,
    /// A write found the socket full, and hyper has not flushed everything since.
    blocked: bool,
    /// The SSE stream the connection is answering with, told while the socket is full.
    reader: Option<ReaderState>,
}

/// The write signals of one connection.
#[derive(Default)]
pub(crate) struct WriteSignals {
    state: Mutex<State>,
}

impl WriteSignals {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection answers with this SSE stream.
    pub(crate) fn reading(&self, reader: ReaderState) {
        let mut state = self.state();
        if state.blocked {
            reader.socket_full(true);
        }
        state.reader = Some(reader);
    }

    /// Frames hyper has just taken: told once it flushed them.
    pub(crate) fn taken(&self, written: Vec<Written>) {
        if written.is_empty() {
            return;
        }
        let mut state = self.state();
        if !state.blocked {
            state.pending.extend(written);
        }
    }

    /// hyper wrote out everything it had buffered.
    fn flushed(&self) {
        let done = {
            let mut state = self.state();
            if std::mem::take(&mut state.blocked) {
                if let Some(reader) = &state.reader {
                    reader.socket_full(false);
                }
            }
            std::mem::take(&mut state.pending)
        };
        drop(done);
    }

    /// A write found the socket full: until hyper flushed again, the client is behind, and
    /// no writer waits for it (a frame left in the stream's queue could wait for good).
    fn socket_full(&self) {
        let done = {
            let mut state = self.state();
            if !state.blocked {
                state.blocked = true;
                if let Some(reader) = &state.reader {
                    reader.socket_full(true);
                }
            }
            std::mem::take(&mut state.pending)
        };
        drop(done);
    }
}

/// The connection's IO, telling [`WriteSignals`] when hyper has flushed or the socket is full.
pub(crate) struct SignalWrites<S> {
    io: S,
    signals: Arc<WriteSignals>,
}

impl<S> SignalWrites<S> {
    pub(crate) fn new(io: S, signals: Arc<WriteSignals>) -> Self {
        SignalWrites { io, signals }
    }

    /// A write's outcome, told to the signals when it found the socket full.
    fn noted(&self, wrote: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if wrote.is_pending() {
            self.signals.socket_full();
        }
        wrote
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for SignalWrites<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SignalWrites<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let wrote = Pin::new(&mut this.io).poll_write(cx, buf);
        this.noted(wrote)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let wrote = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.noted(wrote)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    /// hyper flushes its IO once its own buffer is written out.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let flushed = Pin::new(&mut this.io).poll_flush(cx);
        if flushed.is_ready() {
            this.signals.flushed();
        }
        flushed
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::stream_queue::{channel, WrittenSignal};
    use bytes::Bytes;

    /// A write signal, and what the body hands the connection for it.
    fn taken_frame() -> (WrittenSignal, Vec<Written>) {
        let (tx, mut rx) = channel(100);
        let signal = tx.push_written(Bytes::from_static(b"x")).unwrap().unwrap();
        rx.try_recv().unwrap();
        (signal, rx.take_written())
    }

    fn told(signal: &mut WrittenSignal) -> bool {
        signal
            .try_recv()
            .is_err_and(|e| e == tokio::sync::oneshot::error::TryRecvError::Closed)
    }

    #[test]
    fn taken_frames_are_told_when_hyper_has_flushed() {
        let signals = WriteSignals::new();
        let (mut signal, written) = taken_frame();
        signals.taken(written);
        assert!(
            !told(&mut signal),
            "written into the socket only at the flush"
        );
        signals.flushed();
        assert!(told(&mut signal));
    }

    #[test]
    fn a_full_socket_tells_at_once() {
        let signals = WriteSignals::new();
        let (mut first, written) = taken_frame();
        signals.taken(written);
        signals.socket_full();
        assert!(told(&mut first), "told when the socket filled up");
        let (mut second, written) = taken_frame();
        signals.taken(written);
        assert!(told(&mut second), "told as taken while the socket is full");
    }
}
