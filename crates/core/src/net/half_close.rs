//! Clients that half-close: a client may send its whole request and then close its sending
//! side (`socket.end(lastChunk)`, as FastMCP's own OAuth tests do) and still read the answer.
//! hyper treats that end of input as the client leaving and drops the answer; turning its
//! `half_close` on instead would hide every client that leaves an open stream.
//!
//! On the wire a half-close and a client that left look the same (a FIN); what tells them
//! apart is when it comes. A FIN that comes while a request is served and its answer has not
//! started (FastMCP's body readers: `socket.end(lastChunk)`, then wait) is held back for at
//! most [`HALF_CLOSE_GRACE`]: an answer ready within it is written, then the connection closes
//! (as Node does: answer, then close); past it the client counts as gone. A FIN that comes
//! while an answer is already streaming (an SSE answer to a POST, a `subscriptions/listen`
//! stream, a hook's `res` mid-way) or on an event stream (`GET` with `Accept:
//! text/event-stream`: GET /mcp, the legacy GET /sse) is a client that left: it passes at
//! once, and everything that hangs on the stream (release callbacks, `onClose`, the handler's
//! abort signal) runs at once.
//!
//! It never answers a request: it only decides when the end of input counts.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::net::write_through::write_through;
use tokio::time::Sleep;

pub(crate) use crate::config::HALF_CLOSE_GRACE;
use crate::jsonrpc::FIRST_MODERN_VERSION;

#[derive(Default)]
struct State {
    /// A request is being served: its answer has not finished.
    serving: bool,
    /// That request opened an event stream, or speaks MCP 2026-07-28: its end is the client
    /// leaving.
    event_stream: bool,
    /// Its answer has started and streams (its head is out, its body still coming).
    streaming: bool,
    /// The input was read empty (no end of input waiting) after the answer started streaming:
    /// only from then on is an end of input the client leaving. A client that half-closes
    /// right after its request (`socket.end(body)`) has its end of input in the socket before
    /// its answer starts, but hyper may make the answer before it reads that end again.
    streaming_seen_open: bool,
    /// The task that last found the input empty, woken when an answer starts streaming so
    /// that the input is looked at again.
    idle_reader: Option<Waker>,
    /// The client's end of input came while an answer streamed: it left, nothing is held.
    left: bool,
    /// The reader holding back an end of input, woken when the answer finishes.
    reader: Option<Waker>,
    /// The client closed its side of the connection.
    input_ended: bool,
    /// Run when the client closes its side while this answer is being made.
    on_input_end: Option<Box<dyn FnOnce() + Send>>,
}

/// What the connection is serving, as far as a half-close is concerned; shared by its input
/// ([`HalfClosed`]) and its service.
#[derive(Default)]
pub(crate) struct Exchange {
    state: Mutex<State>,
}

impl Exchange {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A request head arrived.
    pub(crate) fn started<B>(&self, req: &http::Request<B>) {
        let mut state = self.state();
        state.serving = true;
        state.event_stream = opens_event_stream(req) || speaks_2026(req);
    }

    /// Its answer started and streams: an end of input from now on is the client leaving.
    pub(crate) fn streaming(&self) {
        let idle_reader = {
            let mut state = self.state();
            state.streaming = true;
            state.streaming_seen_open = false;
            state.idle_reader.take()
        };
        if let Some(reader) = idle_reader {
            reader.wake();
        }
    }

    /// The input was read and nothing was there (no end of input either).
    fn input_idle(&self, waker: &Waker) {
        let mut state = self.state();
        if state.streaming {
            state.streaming_seen_open = true;
        }
        if !state
            .idle_reader
            .as_ref()
            .is_some_and(|w| w.will_wake(waker))
        {
            state.idle_reader = Some(waker.clone());
        }
    }

    /// Runs `f` when the client closes its side while the answer is being made (at once if it
    /// already did): an SSE answer's stream then counts as left by its reader, so the client
    /// can resume it elsewhere without waiting for the grace.
    pub(crate) fn on_input_end(&self, f: Box<dyn FnOnce() + Send>) {
        let mut state = self.state();
        if state.input_ended {
            drop(state);
            f();
        } else {
            state.on_input_end = Some(f);
        }
    }

    /// The client closed its side of the connection.
    fn input_ended(&self) {
        let on_input_end = {
            let mut state = self.state();
            state.input_ended = true;
            state.left = state.serving
                && (state.event_stream || state.streaming && state.streaming_seen_open);
            state.on_input_end.take()
        };
        if let Some(f) = on_input_end {
            f();
        }
    }

    /// Its answer finished (written or dropped): a held-back end of input may pass.
    pub(crate) fn finished(&self) {
        let reader = {
            let mut state = self.state();
            state.serving = false;
            state.event_stream = false;
            state.streaming = false;
            state.streaming_seen_open = false;
            state.on_input_end = None;
            state.reader.take()
        };
        if let Some(reader) = reader {
            reader.wake();
        }
    }

    /// Whether an end of input must wait for the answer; if so, `waker` is woken when it is done.
    fn holds(&self, waker: &Waker) -> bool {
        let mut state = self.state();
        let holds = state.serving && !state.event_stream && !state.left;
        if holds && !state.reader.as_ref().is_some_and(|w| w.will_wake(waker)) {
            state.reader = Some(waker.clone());
        }
        holds
    }
}

/// A request whose `MCP-Protocol-Version` names 2026-07-28 or later. Its client (the SDK v2's
/// fetch) never half-closes; it ends its side only to abandon the request, and mcp-proxy
/// 6.7.19 cancels the handler at once then (its own test "propagates a modern client's
/// cancellation upstream" waits 1 s at most, less than [`HALF_CLOSE_GRACE`]).
fn speaks_2026<B>(req: &http::Request<B>) -> bool {
    req.headers()
        .get("mcp-protocol-version")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_matches([' ', '\t']) >= FIRST_MODERN_VERSION)
}

/// `GET` asking for `text/event-stream`: a stream that lasts as long as its client.
fn opens_event_stream<B>(req: &http::Request<B>) -> bool {
    req.method() == http::Method::GET
        && req
            .headers()
            .get_all(http::header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().contains("text/event-stream"))
}

/// The connection's input, holding back a client's end of input while its answer is made.
pub(crate) struct HalfClosed<S> {
    io: S,
    exchange: Arc<Exchange>,
    /// The client closed its side: every read from now on is an end of input (held or not).
    ended: bool,
    /// Started at the end of input: past it, the end passes whatever is being served.
    grace: Option<Pin<Box<Sleep>>>,
}

impl<S> HalfClosed<S> {
    pub(crate) fn new(io: S, exchange: Arc<Exchange>) -> Self {
        HalfClosed {
            io,
            exchange,
            ended: false,
            grace: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HalfClosed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.ended {
            let before = buf.filled().len();
            let Poll::Ready(read) = Pin::new(&mut this.io).poll_read(cx, buf) else {
                this.exchange.input_idle(cx.waker());
                return Poll::Pending;
            };
            if read.is_err() || buf.filled().len() > before || buf.remaining() == 0 {
                return Poll::Ready(read);
            }
            this.ended = true;
            this.exchange.input_ended();
        }
        if !this.exchange.holds(cx.waker()) {
            return Poll::Ready(Ok(()));
        }
        let grace = this
            .grace
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(HALF_CLOSE_GRACE)));
        match grace.as_mut().poll(cx) {
            // The answer is late: the client counts as gone, as without a half-close.
            Poll::Ready(()) => Poll::Ready(Ok(())),
            Poll::Pending => Poll::Pending,
        }
    }
}

write_through!(HalfClosed, AsyncWrite + Unpin);

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn get(accept: Option<&str>) -> http::Request<()> {
        let mut req = http::Request::get("/mcp");
        if let Some(accept) = accept {
            req = req.header("accept", accept);
        }
        req.body(()).unwrap()
    }

    #[test]
    fn only_get_event_streams_let_the_end_pass_at_once() {
        assert!(opens_event_stream(&get(Some("text/event-stream"))));
        assert!(opens_event_stream(&get(Some(
            "application/json, Text/Event-Stream"
        ))));
        assert!(!opens_event_stream(&get(Some("application/json"))));
        assert!(!opens_event_stream(&get(None)));
        let post = http::Request::post("/mcp")
            .header("accept", "application/json, text/event-stream")
            .body(())
            .unwrap();
        assert!(!opens_event_stream(&post));
    }

    /// A connection's input serving `req`, and the client's end of it.
    fn serving<B>(
        req: &http::Request<B>,
    ) -> (
        tokio::io::DuplexStream,
        Arc<Exchange>,
        HalfClosed<tokio::io::DuplexStream>,
    ) {
        let (client, server) = tokio::io::duplex(64);
        let exchange = Exchange::new();
        let input = HalfClosed::new(server, exchange.clone());
        exchange.started(req);
        (client, exchange, input)
    }

    fn post() -> http::Request<()> {
        http::Request::post("/x").body(()).unwrap()
    }

    #[tokio::test]
    async fn an_end_of_input_waits_for_the_answer_then_passes() {
        let (mut client, exchange, mut input) = serving(&post());
        client.write_all(b"hello").await.unwrap();
        client.shutdown().await.unwrap();
        let mut got = [0u8; 16];
        assert_eq!(input.read(&mut got).await.unwrap(), 5);
        let held = tokio::time::timeout(HALF_CLOSE_GRACE / 4, input.read(&mut got)).await;
        assert!(held.is_err(), "the end passed while the answer was made");
        let finish = exchange.clone();
        tokio::spawn(async move { finish.finished() });
        assert_eq!(input.read(&mut got).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn the_answer_hears_of_the_end_of_input_at_once_even_while_it_is_held() {
        let (mut client, exchange, mut input) = serving(&post());
        let heard = Arc::new(AtomicUsize::new(0));
        let hear = |heard: &Arc<AtomicUsize>| -> Box<dyn FnOnce() + Send> {
            let heard = heard.clone();
            Box::new(move || {
                heard.fetch_add(1, Ordering::SeqCst);
            })
        };
        exchange.on_input_end(hear(&heard));
        client.shutdown().await.unwrap();
        let mut got = [0u8; 16];
        let held = tokio::time::timeout(HALF_CLOSE_GRACE / 4, input.read(&mut got)).await;
        assert!(held.is_err(), "held for the answer");
        assert_eq!(heard.load(Ordering::SeqCst), 1, "told while held");
        // An answer made after the end hears of it as it registers.
        exchange.on_input_end(hear(&heard));
        assert_eq!(heard.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_late_answer_lets_the_end_pass_after_the_grace() {
        let (mut client, _exchange, mut input) = serving(&post());
        client.shutdown().await.unwrap();
        // The answer never finishes: the end passes anyway, once the grace is over.
        let mut got = [0u8; 16];
        let read = tokio::time::timeout(HALF_CLOSE_GRACE * 5, input.read(&mut got)).await;
        assert_eq!(read.expect("after the grace").unwrap(), 0);
    }

    #[tokio::test]
    async fn an_end_of_input_while_the_answer_streams_passes_at_once() {
        let (mut client, exchange, mut input) = serving(&post());
        exchange.streaming();
        // The connection reads on while the answer streams, and finds the input open.
        let mut got = [0u8; 16];
        let open = tokio::time::timeout(HALF_CLOSE_GRACE / 10, input.read(&mut got)).await;
        assert!(open.is_err(), "nothing to read yet");
        client.shutdown().await.unwrap();
        let mut got = [0u8; 16];
        let read = tokio::time::timeout(HALF_CLOSE_GRACE / 4, input.read(&mut got)).await;
        assert_eq!(read.expect("at once").unwrap(), 0);
    }

    #[tokio::test]
    async fn an_answer_that_starts_streaming_after_the_end_is_still_waited_for() {
        let (mut client, exchange, mut input) = serving(&post());
        client.shutdown().await.unwrap();
        let mut got = [0u8; 16];
        let held = tokio::time::timeout(HALF_CLOSE_GRACE / 4, input.read(&mut got)).await;
        assert!(held.is_err(), "held for the answer");
        // The half-closed client's SSE answer starts: it still reads it.
        exchange.streaming();
        let held = tokio::time::timeout(HALF_CLOSE_GRACE / 4, input.read(&mut got)).await;
        assert!(held.is_err(), "still held while its answer streams");
        exchange.finished();
        assert_eq!(input.read(&mut got).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn an_end_of_input_already_there_when_the_answer_starts_streaming_is_waited_for() {
        // `socket.end(body)`: the end of input is in the socket before the answer starts, but
        // the answer started streaming before the connection read the input again.
        let (mut client, exchange, mut input) = serving(&post());
        client.shutdown().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        exchange.streaming();
        let mut got = [0u8; 16];
        let held = tokio::time::timeout(HALF_CLOSE_GRACE / 4, input.read(&mut got)).await;
        assert!(held.is_err(), "held for the answer");
        exchange.finished();
        assert_eq!(input.read(&mut got).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_2026_request_sees_the_end_at_once_before_its_answer_starts() {
        let req = http::Request::post("/mcp")
            .header("mcp-protocol-version", "2026-07-28")
            .body(())
            .unwrap();
        assert!(speaks_2026(&req));
        assert!(!speaks_2026(&post()));
        let (mut client, _exchange, mut input) = serving(&req);
        client.shutdown().await.unwrap();
        let mut got = [0u8; 16];
        let read = tokio::time::timeout(HALF_CLOSE_GRACE / 4, input.read(&mut got)).await;
        assert_eq!(read.expect("at once").unwrap(), 0);
    }

    #[tokio::test]
    async fn an_event_stream_sees_the_end_at_once() {
        let (mut client, _exchange, mut input) = serving(&get(Some("text/event-stream")));
        client.shutdown().await.unwrap();
        let mut got = [0u8; 16];
        let read = tokio::time::timeout(HALF_CLOSE_GRACE / 4, input.read(&mut got)).await;
        assert_eq!(read.expect("at once").unwrap(), 0);
    }
}
