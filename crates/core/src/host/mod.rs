//! The boundary to whatever runs the MCP server (the JS side, or a Rust test double).
//! The core tells the host what happened through fire-and-forget [`HostEvent`]s; the host
//! answers through methods of [`crate::Server`] (`server_ready`, `send`, `session_closed`...).
//!
//! This is the core's upstream seam: the JS bridge (`src/`) implements [`Host`] today,
//! `crates/stdio` (the command line's child process) will be another. It must never depend on
//! how the host runs servers: no napi, no child process, no JSON of its own beyond the text it
//! carries.

pub(crate) mod waiters;

use bytes::Bytes;
use std::sync::Arc;

/// What a callback needs to know of the HTTP request: enough to build an
/// `http.IncomingMessage`-like object.
#[derive(Debug, Clone, Default)]
pub struct RequestHead {
    pub method: String,
    pub url: String,
    pub http_version: String,
    /// Header lines in arrival order, names lower-case.
    pub headers: Vec<(String, String)>,
    pub remote_address: String,
    pub remote_port: u16,
    pub encrypted: bool,
    /// The HTTP exchange (one request and its answer) this head belongs to, unique in the
    /// process: every event an exchange raises carries it, so the host can give
    /// `authenticate` and `createServer` the same `req` (FastMCP memoizes by that object).
    pub exchange: u64,
}

/// Why a host event was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateReason {
    /// `initialize` on the Streamable HTTP endpoint, stateful mode.
    Initialize,
    /// Any POST in stateless mode.
    Stateless,
    /// `GET /sse`, the legacy HTTP+SSE transport.
    Legacy,
}

#[derive(Debug)]
pub enum HostEvent {
    /// Call `createServer(req)`, give it a transport for `session`, start `connect`,
    /// await `onConnect`, then answer with `Server::server_ready(token, ..)`.
    CreateServer {
        token: u64,
        /// The key the host uses for every later call about this session.
        session: Arc<str>,
        /// The `Mcp-Session-Id` the transport exposes (`None` when stateless).
        session_id: Option<String>,
        reason: CreateReason,
        request: Arc<RequestHead>,
        /// The principal the session is bound to (see [`AuthOutcome::Allowed`]).
        principal: Option<Arc<str>>,
    },
    /// Hand these JSON-RPC messages (a JSON text, one message or a batch) to the session's
    /// transport `onmessage`.
    Deliver {
        session: Arc<str>,
        body: String,
        request: Arc<RequestHead>,
        /// What `authenticate` returned for this request, as JSON text.
        auth: Option<Arc<str>>,
    },
    /// Call `onUnhandledRequest(req, res)`; `res` writes come back through
    /// `Server::hook_write(token, ..)`, ending with `End`, or `Pass` when it wrote nothing.
    /// The body follows as `HookBody` events, then one `HookBodyEnd`.
    Unhandled {
        token: u64,
        request: Arc<RequestHead>,
    },
    /// A chunk of hook `token`'s request body, as it arrived. Report each chunk consumed with
    /// `Server::hook_body_read(token, len)`: no more than a window is read ahead of that.
    HookBody { token: u64, chunk: Bytes },
    /// Hook `token`'s request body is over.
    HookBodyEnd { token: u64, end: BodyEnd },
    /// Hook `token`'s `res` has room again after a write reported `Full` (`'drain'`).
    HookDrain { token: u64 },
    /// The client of hook `token` went away before its response ended.
    HookGone { token: u64 },
    /// A line for the host's console (`console.log` / `console.error`).
    Log { level: LogLevel, message: String },
    /// Call the CORS `origin` function and answer with `Server::origin_checked(token, ..)`.
    CheckOrigin { token: u64, origin: String },
    /// Call `authenticate(req)` and answer with `Server::authenticated(token, ..)`. When the
    /// request names a session the host knows, it passes the result to `updateAuth`.
    Authenticate {
        token: u64,
        request: Arc<RequestHead>,
        /// A 2026-07-28 POST: it concerns no session, so no session's `updateAuth` runs
        /// (a stray `Mcp-Session-Id` on it is ignored, as mcp-proxy 6.7 does).
        modern: bool,
        /// Whether a `CreateServer` of this exchange may follow when allowed (an
        /// `initialize`, a stateless POST, `GET /sse`): the host keeps the `req` only then.
        creates: bool,
    },
    /// The session ended: call `onClose(server)`, then `server.close()`, then answer
    /// with `Server::session_closed(token)`.
    CloseSession { token: u64, session: Arc<str> },
    /// Serve one 2026-07-28 request (CONTRACT §12) with the SDK's per-request machinery:
    /// `createServer`, `updateAuth`, `onConnect`, the SDK handler, then write its answer
    /// through `Server::modern_write(token, ..)`; afterwards `onClose` and `server.close()`.
    Modern {
        token: u64,
        request: Arc<RequestHead>,
        body: String,
        auth: Option<Arc<str>>,
    },
    /// The client of modern exchange `token` went away: abort its handler.
    ModernCancel { token: u64 },
    /// Create the server of a `subscriptions/listen` stream (`onListenSubscriptions(uris)`
    /// when `uris` is not empty) and answer with `Server::listen_ready(token, ..)`.
    Listen {
        token: u64,
        request: Arc<RequestHead>,
        body: String,
        auth: Option<Arc<str>>,
        /// The requested `resourceSubscriptions`, as the client sent them.
        uris: Vec<String>,
    },
    /// Listen stream `token` ended: run the release, `onClose`, `server.close()`, then
    /// answer with `Server::listen_released(token)`.
    ListenClosed { token: u64 },
    /// `Last-Event-ID` with a user-supplied event store: call its `replayEventsAfter`,
    /// passing each event to `Server::replay_event(token, ..)`, then `Server::replay_done`.
    Replay {
        token: u64,
        session: Arc<str>,
        last_event_id: String,
    },
}

/// How a hook's request body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEnd {
    Complete,
    /// The client went away or sent a malformed body.
    Aborted,
    /// `requestTimeout` passed before the body was complete.
    TimedOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Error,
}

/// What the host says about a server it was asked to create.
#[derive(Debug, Clone)]
pub enum ServerOutcome {
    Ready,
    /// `createServer` threw or rejected with something that is not Response-like.
    CreateFailed {
        message: String,
    },
    /// `onConnect` threw or rejected.
    ConnectFailed {
        message: String,
    },
    /// A callback threw or returned a Response-like object: write it as it is.
    Respond(ResponseLike),
}

/// What `authenticate(req)` came to.
#[derive(Debug, Clone)]
pub enum AuthOutcome {
    /// Truthy and not `{ authenticated: false }`; the result as JSON text when it has one,
    /// and who it is (`principalOf(result)`, by default an SDK `AuthInfo`'s client and
    /// user): a session is bound to the principal that created it.
    Allowed {
        auth: Option<String>,
        principal: Option<String>,
    },
    /// Falsy, or `{ authenticated: false, error?, wwwAuthenticate? }`.
    Denied {
        message: Option<String>,
        www_authenticate: Option<String>,
    },
    /// Threw something that is not Response-like.
    Failed { message: Option<String> },
    /// Threw or returned a Response-like object: written as it is.
    Respond(ResponseLike),
    /// Threw a Response-like object that could not be read (its `text()` rejected).
    InvalidResponse,
}

/// A `Response`-like object read by the host: written back verbatim.
#[derive(Debug, Clone, Default)]
pub struct ResponseLike {
    pub status: u16,
    pub status_text: Option<String>,
    /// Every header line, repeated names kept as separate lines.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

pub trait Host: Send + Sync + 'static {
    /// Must not block and must not call back into the server synchronously.
    fn dispatch(&self, event: HostEvent);
}
