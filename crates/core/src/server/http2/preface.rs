//! Telling h2c from HTTP/1.1 on a plain TCP port: an HTTP/2 client with prior knowledge
//! opens with the connection preface (RFC 9113 §3.4); nothing that starts differently can be
//! one, so most HTTP/1.1 requests are told apart by their second byte (`POST` vs `PRI`). The
//! bytes read to decide are given back to whichever server reads the connection ([`Rewind`]).

use bytes::{Buf, Bytes};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

use crate::net::write_through::write_through;

/// The first bytes of every HTTP/2 connection.
pub(crate) const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What the first bytes of a connection say.
pub(crate) enum Opening {
    /// The HTTP/2 preface.
    Http2(Bytes),
    /// Anything else, or the end of input before the decision (HTTP/1.1 answers that).
    Http1(Bytes),
}

/// Reads until the bytes are the whole preface or cannot be one.
pub(crate) async fn sniff<S: AsyncRead + Unpin>(io: &mut S) -> io::Result<Opening> {
    let mut seen = Vec::with_capacity(PREFACE.len());
    loop {
        let mut chunk = [0u8; 64];
        let want = PREFACE.len() - seen.len();
        // Never more than the preface: what follows it belongs to the server that reads it.
        let n = io.read(&mut chunk[..want]).await?;
        seen.extend_from_slice(&chunk[..n]);
        if n == 0 || !PREFACE.starts_with(&seen) {
            return Ok(Opening::Http1(seen.into()));
        }
        if seen.len() == PREFACE.len() {
            return Ok(Opening::Http2(seen.into()));
        }
    }
}

/// A connection whose first bytes were read already: they are read again first.
pub(crate) struct Rewind<S> {
    prefix: Bytes,
    io: S,
}

impl<S> Rewind<S> {
    pub(crate) fn new(io: S, prefix: Bytes) -> Self {
        Rewind { prefix, io }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.prefix.has_remaining() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

write_through!(Rewind, AsyncRead + AsyncWrite + Unpin);

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    async fn opening(chunks: &[&[u8]]) -> (bool, Vec<u8>, Vec<u8>) {
        let (mut client, server) = tokio::io::duplex(1024);
        for chunk in chunks {
            client.write_all(chunk).await.unwrap();
        }
        drop(client);
        let mut server = server;
        let (h2, prefix) = match sniff(&mut server).await.unwrap() {
            Opening::Http2(p) => (true, p),
            Opening::Http1(p) => (false, p),
        };
        let mut all = Vec::new();
        Rewind::new(server, prefix.clone())
            .read_to_end(&mut all)
            .await
            .unwrap();
        (h2, prefix.to_vec(), all)
    }

    #[tokio::test]
    async fn an_http1_request_is_told_by_its_first_bytes_and_read_whole() {
        let request = b"POST /mcp HTTP/1.1\r\nHost: x\r\n\r\n";
        let (h2, prefix, all) = opening(&[request]).await;
        assert!(!h2);
        // One read decides: at most the preface's length is taken, never waited for.
        assert!(prefix.len() <= PREFACE.len(), "{prefix:?}");
        assert_eq!(all, request);
    }

    #[tokio::test]
    async fn the_preface_in_pieces_is_http2_and_what_follows_is_kept() {
        let (h2, prefix, all) =
            opening(&[b"PRI * HT", b"TP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04"]).await;
        assert!(h2);
        assert_eq!(prefix, PREFACE);
        assert_eq!(&all[PREFACE.len()..], b"\0\0\0\x04");
    }

    #[tokio::test]
    async fn a_cut_preface_is_left_to_http1() {
        let (h2, _, all) = opening(&[b"PRI * HTTP/2"]).await;
        assert!(!h2);
        assert_eq!(all, b"PRI * HTTP/2");
    }
}
