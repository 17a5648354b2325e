//! What a session answers the routes and the host: where a POST's answers go
//! ([`Answer`], [`PostStream`]), what replaces a POST's whole answer ([`Takeover`]), and the
//! outcomes of opening, sending and resuming. Plain data: the session (`session.rs`) makes
//! them, the routes act on them; nothing here holds a lock or does I/O.

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::auth::challenge::InsufficientScope;
use crate::host::ResponseLike;
use crate::http::stream_queue::{FrameReceiver, WrittenSignal};
use crate::streamable::event_store::StreamId;

/// Where a POST wants its answers.
pub enum Answer {
    /// An SSE stream.
    Sse(FrameReceiver),
    /// One JSON body once every response is in (the responses, in arrival order).
    Json(oneshot::Receiver<Vec<String>>),
}

/// Replaces a POST's whole HTTP answer while its headers have not gone out.
#[derive(Debug)]
pub enum Takeover {
    /// A response given whole (a Rust host, tests).
    Response(ResponseLike),
    /// `respondWith(response)` claimed the exchange at the call, before the host read the
    /// response; it follows on `response`, answered through `Server::answer_claim(token)`.
    Claimed {
        token: u64,
        response: oneshot::Receiver<ResponseLike>,
    },
    /// An error response carrying mcp-proxy's scope challenge, answered as a 403; `json` is
    /// that JSON-RPC error response, which becomes the body.
    InsufficientScope {
        challenge: InsufficientScope,
        json: String,
    },
}

/// What `open_post_stream` gives the POST handler.
pub struct PostStream {
    pub id: StreamId,
    pub answer: Answer,
    /// The priming event, already stored, to write first.
    pub prime: Option<Bytes>,
    /// Fires when the exchange is taken over before anything was written.
    pub takeover: oneshot::Receiver<Takeover>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum OpenError {
    /// The session has ended.
    Closed,
    /// This request id (canonical JSON) is already in flight in the session.
    DuplicateId(String),
}

#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    /// The message is not JSON-RPC.
    Invalid,
    /// The session has ended.
    Closed,
}

/// What a send did to the session, for the server to act on.
#[derive(Debug, Default)]
pub struct Sent {
    /// The last response of a POST stream went out: the exchange is complete.
    pub completed_exchange: bool,
    /// This message cut its stream: the reader was more than `sseMaxQueuedBytes` behind.
    pub cut_stream: bool,
    /// For a message that is not a response: ready once its frame is in the client's socket
    /// (or never will be). None when there is nothing to wait for (`written.rs`).
    pub written: Option<WrittenSignal>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ResumeError {
    /// The event id is unknown or evicted.
    UnknownEvent,
    /// The stream the id names still has a listener (the standalone stream's, or the POST
    /// whose stream it is).
    Conflict,
}

pub struct Resumed {
    pub frames: Vec<Bytes>,
    /// The rest of the stream, when it is still live.
    pub live: Option<FrameReceiver>,
}
