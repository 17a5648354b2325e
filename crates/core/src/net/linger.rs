//! Lingering close: a connection the server ends while the client is still sending (a 431 to
//! an oversized head, a 413 with `Connection: close`) would be closed with unread bytes in its
//! receive buffer, and the kernel then answers with a reset that makes the client drop the
//! answer it was sent. So when the server drops a connection whose client has not closed its
//! side, the socket is shut for writing and what still arrives is read and discarded for at
//! most [`LINGER_TIME`] and [`LINGER_BYTES`] (as Apache's `lingering_close` does), then closed.
//!
//! It never reads for the server once the connection is dropped, and never writes.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

/// How long a dropped connection is drained at most.
pub(crate) const LINGER_TIME: Duration = Duration::from_secs(2);
/// How many bytes a dropped connection drains at most.
pub(crate) const LINGER_BYTES: usize = 8 * 1024 * 1024;

/// The socket under everything else of a connection, drained when dropped (see the module doc).
pub(crate) struct Lingering<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> {
    io: Option<S>,
    /// The client ended its side, or the socket failed: nothing to drain.
    done: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Lingering<S> {
    pub(crate) fn new(io: S) -> Self {
        Lingering {
            io: Some(io),
            done: false,
        }
    }

    fn io(&mut self) -> &mut S {
        self.io.as_mut().expect("the socket is there until drop")
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Drop for Lingering<S> {
    fn drop(&mut self) {
        let Some(mut io) = self.io.take() else {
            return;
        };
        if self.done {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let drain = async {
                let _ = io.shutdown().await;
                let mut scratch = vec![0u8; 16 * 1024];
                let mut drained = 0;
                while drained < LINGER_BYTES {
                    match io.read(&mut scratch).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => drained += n,
                    }
                }
            };
            let _ = tokio::time::timeout(LINGER_TIME, drain).await;
        });
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> AsyncRead for Lingering<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(this.io()).poll_read(cx, buf);
        match &read {
            Poll::Ready(Err(_)) => this.done = true,
            Poll::Ready(Ok(())) if buf.filled().len() == before && buf.remaining() > 0 => {
                this.done = true
            }
            _ => {}
        }
        read
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> AsyncWrite for Lingering<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(this.io()).poll_write(cx, buf);
        if let Poll::Ready(Err(_)) = written {
            this.done = true;
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().io()).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().io()).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(this.io()).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Err(_)) = written {
            this.done = true;
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.as_ref().is_some_and(|io| io.is_write_vectored())
    }
}
