//! `startHTTPServer` options as the JS wrapper normalised them, into a core `Config`.

use mcp_proxy_core::auth::challenge::OAuthConfig;
use mcp_proxy_core::config::{Config, EventStoreMode, DEFAULT_MAX_LISTEN_STREAMS};
use mcp_proxy_core::cors::{AllowOrigin, CorsConfig};
use mcp_proxy_core::rebinding::RebindingPolicy;
use mcp_proxy_core::tls::TlsFiles;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::time::Duration;

#[napi(object)]
pub struct NativeCors {
    pub enabled: bool,
    /// `*`, an exact value, or (with `origin_list`) ignored.
    pub origin: Option<String>,
    pub origin_list: Option<Vec<String>>,
    /// `origin` is a JS function, asked per request.
    pub origin_callback: Option<bool>,
    pub credentials: Option<bool>,
    pub methods: Option<String>,
    pub allowed_headers: Option<String>,
    pub exposed_headers: Option<String>,
    pub max_age: Option<u32>,
}

#[napi(object)]
pub struct NativeOptions {
    pub host: String,
    pub port: u32,
    /// Empty = Streamable HTTP disabled.
    pub stream_endpoint: String,
    /// Empty = legacy HTTP+SSE (and `/messages`) disabled.
    pub sse_endpoint: String,
    pub stateless: bool,
    pub enable_json_response: bool,
    /// 0 = no in-memory event store.
    pub event_store_max_events: u32,
    /// A user-supplied SDK `EventStore` is used (through JS) instead.
    pub external_event_store: bool,
    /// 0 = unbounded.
    pub max_body_size: f64,
    /// Messages per JSON-RPC batch.
    pub max_batch_size: f64,
    /// Sessions held at once.
    pub max_sessions: f64,
    /// Bytes the default event store keeps per session.
    pub event_store_max_bytes: f64,
    /// Bytes an SSE stream may queue for a reader that is behind.
    pub sse_max_queued_bytes: f64,
    pub keep_alive_timeout_ms: f64,
    pub sse_keep_alive_ms: f64,
    /// 0 = sessions are never reaped.
    pub session_idle_timeout_ms: f64,
    /// 0 = no limit.
    pub headers_timeout_ms: f64,
    /// 0 = no limit.
    pub request_timeout_ms: f64,
    /// 0 = no limit.
    pub body_idle_timeout_ms: f64,
    /// Bytes per second; 0 = no minimum.
    pub min_body_rate: f64,
    pub max_connections: u32,
    /// 0 = no budget.
    pub max_buffered_body_bytes: f64,
    pub callback_timeout_ms: f64,
    pub cors: NativeCors,
    /// An `authenticate` callback is set.
    pub authenticate: bool,
    pub api_key: Option<String>,
    /// DNS-rebinding allow-lists; both absent = the default for the bind address.
    pub allowed_hosts: Option<Vec<String>>,
    pub allowed_origins: Option<Vec<String>>,
    /// An `onUnhandledRequest` hook is set.
    pub unhandled_hook: bool,
    pub ssl_cert: Option<String>,
    pub ssl_key: Option<String>,
    pub ssl_ca: Option<String>,
    /// The `oauth` option as JSON text.
    pub oauth_json: Option<String>,
    /// `modern`: serve MCP 2026-07-28 on the stream endpoint (default true).
    pub modern: Option<bool>,
    /// `maxListenStreams`: open 2026-07-28 listen streams at most.
    pub max_listen_streams: Option<u32>,
    /// `http2`; absent = on with the defaults.
    pub http2: Option<crate::http2_options::NativeHttp2>,
    /// `reusePort`: bind with SO_REUSEPORT (several processes on one port).
    pub reuse_port: Option<bool>,
    /// `cluster` (CONTRACT §14), validated by lib/options.js.
    pub cluster: Option<NativeCluster>,
}

#[napi(object)]
pub struct NativeCluster {
    pub redis: String,
    pub advertise: Option<String>,
    pub secret: Option<String>,
    pub instance_id: Option<String>,
    pub lease_ms: Option<u32>,
}

fn millis(ms: f64, what: &str) -> Result<Duration> {
    if !(ms.is_finite() && ms > 0.0) {
        return Err(Error::new(
            Status::InvalidArg,
            format!("{what} must be a positive number of milliseconds"),
        ));
    }
    Ok(Duration::from_millis(ms as u64))
}

/// A count option: a positive integer.
fn count(value: f64, what: &str) -> Result<usize> {
    if !(value.is_finite() && value >= 1.0 && value.fract() == 0.0) {
        return Err(Error::new(
            Status::InvalidArg,
            format!("{what} must be a positive integer"),
        ));
    }
    Ok(value as usize)
}

/// A duration where 0 turns the bound off (`None`).
fn millis_or_off(ms: f64, what: &str) -> Result<Option<Duration>> {
    if ms == 0.0 {
        return Ok(None);
    }
    millis(ms, what).map(Some)
}

fn cors_from_js(c: NativeCors) -> CorsConfig {
    let defaults = CorsConfig::default();
    let origin = match (c.origin_list, c.origin) {
        _ if c.origin_callback == Some(true) => AllowOrigin::Callback,
        (Some(list), _) => AllowOrigin::List(list),
        (None, Some(o)) if o != "*" => AllowOrigin::Exact(o),
        _ => AllowOrigin::Any,
    };
    CorsConfig {
        enabled: c.enabled,
        origin,
        credentials: c.credentials.unwrap_or(defaults.credentials),
        methods: c.methods.unwrap_or(defaults.methods),
        allowed_headers: c.allowed_headers.unwrap_or(defaults.allowed_headers),
        exposed_headers: c.exposed_headers.unwrap_or(defaults.exposed_headers),
        max_age: c.max_age.map(u64::from),
    }
}

fn rebinding_from_js(
    host: &str,
    hosts: Option<Vec<String>>,
    origins: Option<Vec<String>>,
) -> RebindingPolicy {
    match (hosts, origins) {
        (None, None) => RebindingPolicy::for_bind(host),
        (allowed_hosts, allowed_origins) => RebindingPolicy {
            allowed_hosts,
            allowed_origins,
        },
    }
}

/// The `oauth` option, refused at start when a value could never be written in a header.
fn oauth_from_js(json: &str) -> Result<OAuthConfig> {
    let invalid = |e: String| Error::new(Status::InvalidArg, format!("invalid oauth option: {e}"));
    let oauth = OAuthConfig::from_json(json).map_err(|e| invalid(e.to_string()))?;
    oauth.validate().map_err(|e| invalid(format!("{e:?}")))?;
    Ok(oauth)
}

pub fn config_from_js(o: NativeOptions) -> Result<Config> {
    let port = u16::try_from(o.port)
        .map_err(|_| Error::new(Status::InvalidArg, "port must be 0..65535"))?;
    let rebinding = rebinding_from_js(&o.host, o.allowed_hosts, o.allowed_origins);
    let oauth = o.oauth_json.as_deref().map(oauth_from_js).transpose()?;
    Ok(Config {
        rebinding,
        host: o.host,
        port,
        stream_endpoint: (!o.stream_endpoint.is_empty()).then_some(o.stream_endpoint),
        sse_endpoint: (!o.sse_endpoint.is_empty()).then_some(o.sse_endpoint),
        stateless: o.stateless,
        enable_json_response: o.enable_json_response,
        event_store: match (o.external_event_store, o.event_store_max_events) {
            (true, _) => EventStoreMode::External,
            (false, 0) => EventStoreMode::Off,
            (false, max) => EventStoreMode::InMemory {
                max_events: max as usize,
                max_bytes: count(o.event_store_max_bytes, "eventStoreMaxBytes")?,
            },
        },
        max_body_size: (o.max_body_size > 0.0).then_some(o.max_body_size as usize),
        max_batch_size: count(o.max_batch_size, "maxBatchSize")?,
        max_sessions: count(o.max_sessions, "maxSessions")?,
        sse_max_queued_bytes: count(o.sse_max_queued_bytes, "sseMaxQueuedBytes")?,
        keep_alive_timeout: millis(o.keep_alive_timeout_ms, "keepAliveTimeout")?,
        sse_keep_alive: millis(o.sse_keep_alive_ms, "sseKeepAliveInterval")?,
        session_idle_timeout: millis_or_off(o.session_idle_timeout_ms, "sessionIdleTimeout")?
            .unwrap_or(Duration::ZERO),
        headers_timeout: millis_or_off(o.headers_timeout_ms, "headersTimeout")?,
        request_timeout: millis_or_off(o.request_timeout_ms, "requestTimeout")?,
        body_idle_timeout: millis_or_off(o.body_idle_timeout_ms, "bodyIdleTimeout")?,
        min_body_rate: match o.min_body_rate {
            0.0 => 0,
            rate => count(rate, "minBodyRate")? as u64,
        },
        max_connections: match o.max_connections {
            0 => {
                return Err(Error::new(
                    Status::InvalidArg,
                    "maxConnections must be a positive integer",
                ))
            }
            n => n as usize,
        },
        max_buffered_body_bytes: (o.max_buffered_body_bytes > 0.0)
            .then_some(o.max_buffered_body_bytes as usize),
        callback_timeout: millis(o.callback_timeout_ms, "callbackTimeout")?,
        cors: cors_from_js(o.cors),
        authenticate: o.authenticate,
        unhandled_hook: o.unhandled_hook,
        oauth,
        tls: TlsFiles {
            cert: o.ssl_cert,
            key: o.ssl_key,
            ca: o.ssl_ca,
        },
        api_key: o.api_key.filter(|k| !k.is_empty()),
        modern: o.modern.unwrap_or(true),
        max_listen_streams: o
            .max_listen_streams
            .map_or(DEFAULT_MAX_LISTEN_STREAMS, |n| n as usize),
        http2: crate::http2_options::http2_from_js(o.http2)?,
        availability: Default::default(),
        reuse_port: o.reuse_port.unwrap_or(false),
    })
}
