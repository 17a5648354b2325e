//! Server options, each bound with its named default.
//!
//! It holds values only: it never opens a file or a socket (TLS files are read by `net/tls.rs`)
//! and imports only the option types of the layers (leaf files).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::auth::challenge::OAuthConfig;
use crate::http::cors::CorsConfig;
use crate::http::rebinding::RebindingPolicy;
use crate::net::tls::TlsFiles;
use crate::streamable::event_store::{DEFAULT_MAX_BYTES, DEFAULT_MAX_EVENTS};

/// Default `maxBodySize`: 10 MiB.
pub const DEFAULT_MAX_BODY_SIZE: usize = 10 * 1024 * 1024;
/// Default `maxBatchSize`: messages in one JSON-RPC batch. Batches exist only for clients
/// on 2025-03-26 and are small in practice; the cap bounds the work one POST can ask for.
pub const DEFAULT_MAX_BATCH_SIZE: usize = 10_000;
/// Default `maxListenStreams` (the SDK's `DEFAULT_MAX_SUBSCRIPTIONS`): one more listen is
/// answered -32603 "Subscription limit reached".
pub const DEFAULT_MAX_LISTEN_STREAMS: usize = 1024;
/// Default `maxSessions`: sessions (stateful sessions, legacy SSE connections, stateless
/// exchanges in flight) held at once; a new one beyond it is answered 503.
pub const DEFAULT_MAX_SESSIONS: usize = 10_000;
/// Default `keepAliveTimeout` (mcp-proxy's): 300 s.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(300);
/// Default idle time after which a session is reaped (mcp-proxy 6.7's); zero = never.
pub const DEFAULT_SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Default `headersTimeout` (Node's): a request head must arrive within it, else 408.
pub const DEFAULT_HEADERS_TIMEOUT: Duration = Duration::from_secs(60);
/// Default `requestTimeout` (Node's): head and body must arrive within it, else 408.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// Default `bodyIdleTimeout`: a request body with no byte for this long gets 408 (MCP bodies
/// arrive in milliseconds; one that stops is broken or hostile).
pub const DEFAULT_BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `minBodyRate`, bytes per second: a request body that has taken longer than
/// `bodyIdleTimeout` and arrived slower than this on average gets 408.
pub const DEFAULT_MIN_BODY_RATE: u64 = 1024;
/// Default `maxConnections`: open connections beyond it are answered 503 and closed.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Default `maxBufferedBodyBytes`: bytes of MCP request bodies still arriving, all
/// connections together; a body that would cross it gets 503.
pub const DEFAULT_MAX_BUFFERED_BODY_BYTES: usize = 256 * 1024 * 1024;
/// How far the reading of an `onUnhandledRequest` body runs ahead of the JS `req` consuming
/// it; beyond it the socket is not read (backpressure reaches the client).
pub const HOOK_BODY_WINDOW: usize = 64 * 1024;
/// Bytes an `onUnhandledRequest` `res` may have queued before `write()` returns false.
pub const HOOK_RESPONSE_WINDOW: usize = 64 * 1024;
/// How long `createServer` + `onConnect` may take before the request gets a 500.
pub const DEFAULT_CALLBACK_TIMEOUT: Duration = Duration::from_secs(30);
/// Default `sseMaxQueuedBytes`: bytes an SSE stream may hold for a client that reads slower
/// than the server writes. Beyond it the stream is cut (visibly: the response breaks off) and
/// the client resumes from the event store.
pub const DEFAULT_SSE_MAX_QUEUED_BYTES: usize = 16 * 1024 * 1024;
/// How long an SSE response waits for its first message before sending headers and the
/// priming event alone. Until headers go out, a handler can still change the status (403).
pub const PRIMING_DELAY: Duration = Duration::from_millis(1000);
/// Default interval of `: keepalive` comments on idle SSE streams (SDK v2's
/// `DEFAULT_SSE_KEEP_ALIVE_MS`, mcp-proxy 6.7).
pub const SSE_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(15);
/// How long after `close()` was called connections still open are cut (mcp-proxy 6.7's
/// `FORCE_CLOSE_GRACE_PERIOD`): in-flight responses may finish until then.
pub const FORCE_CLOSE_GRACE: Duration = Duration::from_secs(1);
/// How long a client may take to finish the TLS handshake.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client that half-closed after its request (end of input, `socket.end()`) waits
/// for its answer: one ready within it is written, then the connection closes; past it the
/// client counts as gone (a half-close and a client that left look the same on the wire).
/// An end of input while an answer already streams, or on an event stream (GET), is the
/// client leaving and is seen at once. See half_close.rs.
pub const HALF_CLOSE_GRACE: Duration = Duration::from_secs(1);
/// How long DELETE waits for the host's `onClose` of its session, and `close()` for the
/// `onClose` of every session together (they run concurrently).
pub const ON_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether what serves MCP is there, as a switch the embedder keeps a clone of: while it is
/// down (a command line's child exited), `GET /ping` answers 503 so a supervisor sees it.
#[derive(Debug, Clone, Default)]
pub struct Availability(Arc<AtomicBool>);

impl Availability {
    pub fn set_down(&self, down: bool) {
        self.0.store(down, Ordering::Relaxed);
    }

    pub fn is_down(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventStoreMode {
    /// A bounded in-memory store per session, in Rust.
    InMemory { max_events: usize, max_bytes: usize },
    /// A user-supplied SDK `EventStore`, called through the host.
    External,
    /// No resumability.
    Off,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    /// `None` disables Streamable HTTP.
    pub stream_endpoint: Option<String>,
    /// `None` disables the legacy HTTP+SSE transport and its `/messages` route.
    pub sse_endpoint: Option<String>,
    pub stateless: bool,
    pub enable_json_response: bool,
    pub event_store: EventStoreMode,
    /// `None` = unbounded.
    pub max_body_size: Option<usize>,
    /// Messages per JSON-RPC batch; more is 400 -32600.
    pub max_batch_size: usize,
    /// Sessions held at once; a new one beyond it is 503.
    pub max_sessions: usize,
    /// Bytes an SSE stream may queue for its reader before it is cut.
    pub sse_max_queued_bytes: usize,
    pub keep_alive_timeout: Duration,
    /// Interval of `: keepalive` comments on idle SSE streams.
    pub sse_keep_alive: Duration,
    /// Zero = sessions are never reaped.
    pub session_idle_timeout: Duration,
    /// `None` = no limit.
    pub headers_timeout: Option<Duration>,
    /// `None` = no limit.
    pub request_timeout: Option<Duration>,
    /// `None` = no limit.
    pub body_idle_timeout: Option<Duration>,
    /// Bytes per second; 0 = no minimum.
    pub min_body_rate: u64,
    pub max_connections: usize,
    /// `None` = no budget.
    pub max_buffered_body_bytes: Option<usize>,
    pub callback_timeout: Duration,
    pub cors: CorsConfig,
    /// An `authenticate` callback is set: every Streamable HTTP request asks the host.
    pub authenticate: bool,
    /// `X-API-Key` must equal this.
    pub api_key: Option<String>,
    /// Which `Host`/`Origin` values are answered (DNS-rebinding protection).
    pub rebinding: RebindingPolicy,
    /// An `onUnhandledRequest` hook is set: non-MCP paths ask the host first.
    pub unhandled_hook: bool,
    /// PEM files; any set = HTTPS.
    pub tls: TlsFiles,
    /// Shapes `WWW-Authenticate` and serves the protected resource metadata.
    pub oauth: Option<OAuthConfig>,
    /// Serve MCP 2026-07-28 requests on the stream endpoint (`modern`, CONTRACT §12).
    pub modern: bool,
    /// Open `subscriptions/listen` streams at most (`maxListenStreams`).
    pub max_listen_streams: usize,
    /// HTTP/2 (h2c and ALPN `h2`) and its settings; `None` = `http2: false`.
    pub http2: Option<crate::server::http2::Http2Settings>,
    /// While down, `GET /ping` answers 503.
    pub availability: Availability,
    /// `reusePort`: bind with SO_REUSEPORT, so several processes share one port and the
    /// kernel spreads connections over them (Linux, the BSDs, macOS).
    pub reuse_port: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "::".into(),
            port: 0,
            stream_endpoint: Some("/mcp".into()),
            sse_endpoint: Some("/sse".into()),
            stateless: false,
            enable_json_response: false,
            event_store: EventStoreMode::InMemory {
                max_events: DEFAULT_MAX_EVENTS,
                max_bytes: DEFAULT_MAX_BYTES,
            },
            max_body_size: Some(DEFAULT_MAX_BODY_SIZE),
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            max_sessions: DEFAULT_MAX_SESSIONS,
            sse_max_queued_bytes: DEFAULT_SSE_MAX_QUEUED_BYTES,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            sse_keep_alive: SSE_KEEP_ALIVE_INTERVAL,
            session_idle_timeout: DEFAULT_SESSION_IDLE_TIMEOUT,
            headers_timeout: Some(DEFAULT_HEADERS_TIMEOUT),
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            body_idle_timeout: Some(DEFAULT_BODY_IDLE_TIMEOUT),
            min_body_rate: DEFAULT_MIN_BODY_RATE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_buffered_body_bytes: Some(DEFAULT_MAX_BUFFERED_BODY_BYTES),
            callback_timeout: DEFAULT_CALLBACK_TIMEOUT,
            cors: CorsConfig::default(),
            authenticate: false,
            api_key: None,
            rebinding: RebindingPolicy::default(),
            unhandled_hook: false,
            tls: TlsFiles::default(),
            oauth: None,
            modern: true,
            max_listen_streams: DEFAULT_MAX_LISTEN_STREAMS,
            http2: Some(Default::default()),
            availability: Availability::default(),
            reuse_port: false,
        }
    }
}
