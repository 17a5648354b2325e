//! Cluster routing (CONTRACT §14), before any route runs: a request that names a 2025 or
//! legacy session this instance does not hold goes to the session's owner (through the
//! cluster's `Owners`, `streamable/owners.rs`), after `authenticate` ran here; a request
//! that came over the internal hop is served here when the session is held here (its
//! signature is checked as soon as its body is read) and refused with 421 when it is not,
//! so a forwarded request is never forwarded again. Without a cluster the pipeline never
//! calls this file.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use std::sync::Arc;

use crate::host::{HostEvent, LogLevel};
use crate::http::reply::{self, Reply, SESSION_HEADER};
use crate::legacy_sse::{session_param, MESSAGES_PATH};
use crate::net::peer::{request_head, Peer};
use crate::streamable::owners::{Forwarded, HopToVerify, Owners};
use crate::streamable::shared::Shared;

impl Shared {
    /// `Ok(req)` when this instance serves the request, else the answer (the owner's, or a
    /// refusal). Called for the MCP endpoints only, after the API key.
    pub(crate) async fn route_to_owner(
        self: &Arc<Self>,
        owners: &Arc<dyn Owners>,
        mut req: Request<Incoming>,
        peer: Peer,
    ) -> Result<Request<Incoming>, Reply> {
        let path = req.uri().path();
        let messages =
            self.config.stream_endpoint.as_deref() != Some(path) && path == MESSAGES_PATH;
        let session_id = if messages {
            let (parts, body) = req.into_parts();
            let id = session_param(&parts).map(str::to_string);
            req = Request::from_parts(parts, body);
            id
        } else if self.config.stream_endpoint.as_deref() == Some(path) {
            req.headers()
                .get(SESSION_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        } else {
            None
        };
        let Some(session_id) = session_id else {
            return Ok(req);
        };
        let forwarded = owners.is_forwarded(req.headers());
        if self.session(&session_id).is_some() {
            if !forwarded {
                return Ok(req);
            }
            if req.method() == Method::POST {
                // Checked against the body once the route has read it (request_body.rs).
                req.extensions_mut().insert(HopToVerify(session_id));
                return Ok(req);
            }
            let (parts, body) = req.into_parts();
            if let Err(why) = owners.verify_hop(&parts, &session_id, b"") {
                return Err(self.hop_refused(&why));
            }
            return Ok(Request::from_parts(parts, body));
        }
        if forwarded {
            // RFC 9110 §15.5.20: this instance cannot answer for that session; a forwarded
            // request is never forwarded again, so a stale owner record cannot loop.
            return Err(reply::error(
                StatusCode::MISDIRECTED_REQUEST,
                -32000,
                "Misdirected Request: this instance does not hold the session",
                None,
            ));
        }
        let (parts, body) = req.into_parts();
        // CONTRACT §14: `authenticate` runs where the request arrived, then again on the
        // owner, which checks the session's principal. Legacy posts are authorized by their
        // session id (CONTRACT §5.1).
        if self.config.authenticate && !messages {
            let head = Arc::new(request_head(&parts, peer));
            self.authenticate(&head, None, false, false).await?;
        }
        let body = match parts.method {
            Method::POST => Bytes::from(self.read_request_body(&parts, body).await?),
            _ => Bytes::new(),
        };
        match owners.forward(parts, session_id.clone(), body).await {
            Forwarded::Answered(res) => Err(*res),
            Forwarded::Unknown => Err(session_not_found()),
            Forwarded::OwnerLost => {
                self.host.dispatch(HostEvent::Log {
                    level: LogLevel::Error,
                    message: format!(
                        "[mcp-proxy] cluster: the instance that owned session {session_id} is gone; taking a session over is not supported yet: answered 404 (the client initializes again)"
                    ),
                });
                Err(session_not_found())
            }
            Forwarded::Unavailable(detail) => {
                self.host.dispatch(HostEvent::Log {
                    level: LogLevel::Error,
                    message: format!(
                        "[mcp-proxy] cluster: could not reach the owner of session {session_id}: {detail}: answered 503"
                    ),
                });
                let mut res = reply::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    -32000,
                    "Service Unavailable: the session's owner or the session store is unreachable; retry later",
                    None,
                );
                res.headers_mut().insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from_static("1"),
                );
                Err(res)
            }
        }
    }
}

fn session_not_found() -> Reply {
    reply::error(StatusCode::NOT_FOUND, -32001, "Session not found", None)
}
