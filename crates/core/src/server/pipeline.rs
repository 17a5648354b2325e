//! The order of checks every request goes through (CONTRACT §3): the CORS origin verdict,
//! one `Host` header, `OPTIONS`, `/ping`, the path's form, `Host`/`Origin` (rebinding); then a
//! path that is not an MCP endpoint goes to the `onUnhandledRequest` hook, the protected
//! resource metadata, the API key and 404, and an MCP endpoint to the API key, the cluster's
//! owner routing when there is a cluster (`forwarding.rs`), and its route (`streamable/`,
//! `legacy_sse.rs`). It decides *which* route answers and never *how*: no
//! route's logic lives here, and no route imports it.

use http::{header, Method, Request, StatusCode};
use hyper::body::Incoming;
use std::sync::Arc;

use crate::auth::protected_resource::{is_metadata_path, metadata_json};
use crate::host::HostEvent;
use crate::http::hook::{self, Hooked};
use crate::http::limits::RequestDeadline;
use crate::http::rebinding::Refusal;
use crate::http::reply::{self, Reply};
use crate::legacy_sse::MESSAGES_PATH;
use crate::net::peer::{request_head, Peer};
use crate::streamable::shared::Shared;

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
        // A cluster (CONTRACT §14): a session held by another instance is served there.
        let req = match &self.owners {
            None => req,
            Some(owners) => match self.route_to_owner(owners, req, peer).await {
                Ok(req) => req,
                Err(res) => return res,
            },
        };
        let path = req.uri().path();
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
