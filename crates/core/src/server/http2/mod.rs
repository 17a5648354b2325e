//! HTTP/2 on the same port as HTTP/1.1: h2c with prior knowledge on plain TCP (the
//! connection's first bytes decide, [`preface`]), ALPN `h2` on TLS. The routes see the same
//! `Request<Incoming>` whichever protocol carried it ([`serve`] gives h2 requests the few
//! things the pipeline reads from an HTTP/1.1 head). The settings below are the `http2`
//! option's, each a named default.

mod dispatch;
pub(crate) mod preface;
mod serve;

use std::time::Duration;

/// Default `http2.maxConcurrentStreams`: streams one connection may have open at once. A
/// client that opens more gets each extra one refused (`RST_STREAM REFUSED_STREAM`). Above
/// the 100 browsers use, so a web client's sessions and long tool calls share one connection.
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 250;
/// Default `http2.initialStreamWindowSize`: bytes a client may send on one stream (a POST
/// body) before the server reads them: the backpressure unit of one stream.
pub const DEFAULT_STREAM_WINDOW: u32 = 1024 * 1024;
/// Default `http2.initialConnectionWindowSize`: the same, all streams of a connection together.
pub const DEFAULT_CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;
/// Default `http2.maxHeaderListSize`: bytes of one header block (decoded, as RFC 9113 counts
/// them): Node's HTTP/1.1 limit on a request head (`--max-http-header-size`). A larger block
/// is refused before it reaches a route.
pub const DEFAULT_MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;
/// Default `http2.keepAliveInterval`: an idle connection (an SSE stream with nothing to say
/// counts) is PINGed this often, so a peer that vanished is found without waiting for TCP.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(30);
/// Default `http2.keepAliveTimeout`: a PING unanswered this long closes the connection.
pub const DEFAULT_PING_TIMEOUT: Duration = Duration::from_secs(20);
/// Default `http2.maxPendingAcceptResetStreams`: streams a client opened and reset before
/// the server accepted them, held at once; more is the "rapid reset" attack (CVE-2023-44487)
/// and ends the connection with `GOAWAY ENHANCE_YOUR_CALM`.
pub const DEFAULT_MAX_PENDING_ACCEPT_RESET_STREAMS: usize = 20;
/// Default `http2.maxLocalErrorResetStreams`: streams the server had to reset for a client's
/// protocol errors on one connection; past it the connection is closed (CVE-2025-8671).
pub const DEFAULT_MAX_LOCAL_ERROR_RESET_STREAMS: usize = 1024;

/// The `http2` option's settings; the server config holds `None` for `http2: false`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http2Settings {
    pub max_concurrent_streams: u32,
    pub initial_stream_window_size: u32,
    pub initial_connection_window_size: u32,
    pub max_header_list_size: u32,
    /// `None`: no PINGs.
    pub keep_alive_interval: Option<Duration>,
    pub keep_alive_timeout: Duration,
    pub max_pending_accept_reset_streams: usize,
    pub max_local_error_reset_streams: usize,
}

impl Default for Http2Settings {
    fn default() -> Self {
        Http2Settings {
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
            initial_stream_window_size: DEFAULT_STREAM_WINDOW,
            initial_connection_window_size: DEFAULT_CONNECTION_WINDOW,
            max_header_list_size: DEFAULT_MAX_HEADER_LIST_SIZE,
            keep_alive_interval: Some(DEFAULT_PING_INTERVAL),
            keep_alive_timeout: DEFAULT_PING_TIMEOUT,
            max_pending_accept_reset_streams: DEFAULT_MAX_PENDING_ACCEPT_RESET_STREAMS,
            max_local_error_reset_streams: DEFAULT_MAX_LOCAL_ERROR_RESET_STREAMS,
        }
    }
}

#[cfg(test)]
mod tests;
