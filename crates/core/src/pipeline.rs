//! The order of checks every request goes through (CONTRACT §3).

use http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::sync::Arc;

use crate::auth::protected_resource::{is_metadata_path, metadata_json};
use crate::hook::{self, Hooked};
use crate::host::{HostEvent, RequestHead};
use crate::legacy_sse::MESSAGES_PATH;
use crate::limits::{BodyHold, RequestDeadline};
use crate::rebinding::Refusal;
use crate::reply::{self, Reply};
use crate::server::{Peer, Shared};

impl Shared {
    pub(crate) async fn handle(self: Arc<Self>, req: Request<Incoming>, peer: Peer) -> Reply {
        let origin = req.headers().get(header::ORIGIN).cloned();
        let verdict = self.origin_verdict(origin.as_ref()).await;
        let trusted_origin = self.config.cors.names_origin(origin.as_ref(), verdict);
        let mut res = self.route(req, peer, trusted_origin).await;
        self.config
            .cors
            .apply(origin.as_ref(), verdict, res.headers_mut());
        res
    }

    /// Asks the host's CORS `origin` function about this origin, when it is one.
    async fn origin_verdict(&self, origin: Option<&http::HeaderValue>) -> bool {
        let cors = &self.config.cors;
        let Some(origin) = cors.origin_of(origin).filter(|_| cors.asks_host()) else {
            return false;
        };
        let token = self.token();
        let waiting = self.origin_verdicts.register(token);
        self.host.dispatch(HostEvent::CheckOrigin {
            token,
            origin: origin.to_string(),
        });
        waiting
            .answer(self.config.callback_timeout)
            .await
            .unwrap_or(false)
    }

    async fn route(
        self: &Arc<Self>,
        req: Request<Incoming>,
        peer: Peer,
        trusted_origin: bool,
    ) -> Reply {
        // RFC 9112 §3.2: more than one Host is a 400, whatever the request. Two hosts would
        // also let the rebinding check and the application each read a different one.
        if req.headers().get_all(header::HOST).iter().nth(1).is_some() {
            return reply::text(StatusCode::BAD_REQUEST, "Bad Request");
        }
        if req.method() == Method::OPTIONS {
            return reply::empty(StatusCode::NO_CONTENT);
        }
        let path = req.uri().path();
        if req.method() == Method::GET && path == "/ping" {
            if self.config.availability.is_down() {
                return reply::text(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
            }
            return reply::text(StatusCode::OK, "pong");
        }
        // `//x` is a scheme-relative reference, not a path: Node's URL parser (and so
        // mcp-proxy ≤6.5.1) fails on it.
        if path.starts_with("//")
            || (req.uri().scheme().is_none() && !path.starts_with('/') && path != "*")
        {
            return reply::text(StatusCode::BAD_REQUEST, "Bad Request");
        }
        if let Err(refusal) = self.config.rebinding.check(req.headers(), trusted_origin) {
            let message = match refusal {
                Refusal::Host => "Forbidden: Host header is not allowed",
                Refusal::Origin => "Forbidden: Origin header is not allowed",
            };
            return reply::error(StatusCode::FORBIDDEN, -32000, message, None);
        }
        let legacy = self.config.sse_endpoint.is_some();
        let mcp_path = self.config.stream_endpoint.as_deref() == Some(path)
            || (legacy
                && (self.config.sse_endpoint.as_deref() == Some(path) || path == MESSAGES_PATH));
        if !mcp_path {
            return self.other_path(req, peer).await;
        }
        if let Err(res) = self.check_api_key(req.headers()) {
            return res;
        }
        if self.config.stream_endpoint.as_deref() == Some(path) {
            return self.streamable(req, peer).await;
        }
        if self.config.sse_endpoint.as_deref() == Some(path) {
            if req.method() != Method::GET {
                return reply::empty(StatusCode::NOT_FOUND);
            }
            let (parts, _) = req.into_parts();
            return self.open_legacy(parts, peer).await;
        }
        if req.method() != Method::POST {
            return reply::empty(StatusCode::NOT_FOUND);
        }
        self.post_legacy(req, peer).await
    }

    /// A path that is not an MCP endpoint: the hook, the protected resource metadata, the
    /// API key, then 404 (CONTRACT §3 steps 5, 6, 8).
    async fn other_path(self: &Arc<Self>, req: Request<Incoming>, peer: Peer) -> Reply {
        // Without a hook the body is never read; hyper discards it.
        let (parts, body) = req.into_parts();
        if self.config.unhandled_hook {
            let head = Arc::new(request_head(&parts, peer));
            let deadline = RequestDeadline::of(&parts);
            let token = self.token();
            if let Hooked::Answered(res) = hook::run(&self.hooks, token, head, body, deadline).await
            {
                return *res;
            }
        }
        if let Some(resource) = self
            .config
            .oauth
            .as_ref()
            .and_then(|o| o.protected_resource.as_ref())
        {
            let endpoint = self.config.stream_endpoint.as_deref().unwrap_or("");
            let own_path = resource.get("resource").and_then(|r| r.as_str());
            if parts.method == Method::GET && is_metadata_path(parts.uri.path(), endpoint, own_path)
            {
                return reply::json(StatusCode::OK, metadata_json(resource));
            }
        }
        if let Err(res) = self.check_api_key(&parts.headers) {
            return res;
        }
        reply::empty(StatusCode::NOT_FOUND)
    }
}

impl Shared {
    /// A request body of an MCP endpoint within `maxBodySize`: 413 as soon as the declared
    /// length or the bytes read cross it, 408 when it has not arrived by `requestTimeout`,
    /// 503 when the server-wide `maxBufferedBodyBytes` is spent, 400 when it breaks off (a
    /// client that left sees nothing of it).
    pub(crate) async fn read_request_body(
        &self,
        parts: &http::request::Parts,
        body: Incoming,
    ) -> Result<Vec<u8>, Reply> {
        let max = self.config.max_body_size;
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let (Some(max), Some(len)) = (max, declared) {
            if len > max as u64 {
                return Err(too_large(max));
            }
        }
        let mut hold = self.limits.hold_body();
        let reading = read_body(body, max, &mut hold);
        let read = match RequestDeadline::of(parts) {
            Some(deadline) => tokio::time::timeout_at(deadline.into(), reading)
                .await
                .unwrap_or(Err(BodyError::TimedOut)),
            None => reading.await,
        };
        read.map_err(|e| match e {
            BodyError::TooLarge => too_large(max.unwrap_or_default()),
            BodyError::TimedOut => {
                let limit = self.limits.request_timeout.unwrap_or_default();
                self.limits.report("requestTimeout", || {
                    format!(
                        "[mcp-proxy] request body not received within {}ms (requestTimeout): answered 408",
                        limit.as_millis()
                    )
                });
                reply::request_timeout(self.limits.request_timeout)
            }
            BodyError::OverBudget => {
                self.limits.report("maxBufferedBodyBytes", || {
                    "[mcp-proxy] request bodies being received hold maxBufferedBodyBytes: answered 503"
                        .to_string()
                });
                let mut res = reply::closing(reply::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    -32000,
                    "Service Unavailable: too many request bodies are being received; retry later",
                    None,
                ));
                res.headers_mut()
                    .insert(header::RETRY_AFTER, http::HeaderValue::from_static("1"));
                res
            }
            BodyError::Broken => reply::unreadable_body(),
        })
    }
}

/// Reads a request body, refusing more than `max` bytes as soon as they are seen, and
/// counting what it holds against the server-wide budget.
async fn read_body(
    body: Incoming,
    max: Option<usize>,
    hold: &mut BodyHold<'_>,
) -> Result<Vec<u8>, BodyError> {
    let mut body = body;
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Broken)?;
        if let Ok(data) = frame.into_data() {
            if max.is_some_and(|max| buf.len() + data.len() > max) {
                return Err(BodyError::TooLarge);
            }
            if !hold.grow(data.len()) {
                return Err(BodyError::OverBudget);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

/// 413 with `Connection: close`: the rest of the body is not read.
fn too_large(max: usize) -> Reply {
    let message = format!("Payload Too Large: request body exceeds {max} bytes");
    reply::closing(reply::error(
        StatusCode::PAYLOAD_TOO_LARGE,
        -32600,
        &message,
        None,
    ))
}

#[derive(Debug)]
enum BodyError {
    TooLarge,
    TimedOut,
    /// `maxBufferedBodyBytes` is spent.
    OverBudget,
    /// The client went away or sent a malformed body.
    Broken,
}

/// The identity of the next HTTP exchange (see [`RequestHead::exchange`]).
static NEXT_EXCHANGE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub(crate) fn request_head(parts: &http::request::Parts, peer: Peer) -> RequestHead {
    RequestHead {
        exchange: NEXT_EXCHANGE.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        method: parts.method.as_str().to_string(),
        url: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
        http_version: match parts.version {
            http::Version::HTTP_10 => "1.0".into(),
            http::Version::HTTP_2 => "2.0".into(),
            _ => "1.1".into(),
        },
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    crate::header_text::text(v).into_owned(),
                )
            })
            .collect(),
        remote_address: peer.addr.ip().to_canonical().to_string(),
        remote_port: peer.addr.port(),
        encrypted: peer.encrypted,
    }
}
