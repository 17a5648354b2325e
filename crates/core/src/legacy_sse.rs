//! The legacy HTTP+SSE transport (MCP 2024-11-05; CONTRACT §8): `GET /sse` opens a session
//! whose one SSE stream carries every server message, and the client posts to
//! `/messages?sessionId=<id>`. A client that disconnects ends the session.
//!
//! It reuses the Streamable HTTP sessions (`streamable/`); nothing imports it but the pipeline.

use bytes::Bytes;
use http::request::Parts;
use http::{Request, StatusCode};
use hyper::body::Incoming;
use std::sync::Arc;

use crate::host::{CreateReason, HostEvent};
use crate::http::body::Body;
use crate::http::reply::{self, Reply};
use crate::http::sse;
use crate::jsonrpc::{self, ParseError};
use crate::net::peer::request_head;
use crate::net::peer::Peer;
use crate::streamable::session::Session;
use crate::streamable::shared::Shared;

/// The path clients post to while the SSE endpoint is enabled.
pub const MESSAGES_PATH: &str = "/messages";

const GREETING: &str = r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"SSE Connection established","level":"info"}}"#;

fn endpoint_event(session: &str) -> Bytes {
    Bytes::from(format!(
        "event: endpoint\ndata: {MESSAGES_PATH}?sessionId={session}\n\n"
    ))
}

/// The protocol of this transport, recorded as a legacy session's in the cluster.
const LEGACY_PROTOCOL_VERSION: &str = "2024-11-05";

pub(crate) fn session_param(parts: &Parts) -> Option<&str> {
    parts
        .uri
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("sessionId="))
        .filter(|id| !id.is_empty())
}

impl Shared {
    /// `GET /sse`.
    pub(crate) async fn open_legacy(self: &Arc<Self>, parts: Parts, peer: Peer) -> Reply {
        let head = Arc::new(request_head(&parts, peer));
        let auth = match self.authenticate(&head, None, false, true).await {
            Ok(authenticated) => authenticated.auth,
            Err(res) => return res,
        };
        let id = uuid::Uuid::new_v4().to_string();
        let session = Arc::new(
            Session::legacy(Arc::from(id.as_str()), auth)
                .with_sse_max_queued_bytes(self.config.sse_max_queued_bytes),
        );
        if let Err(res) = self
            .create_server(&session, CreateReason::Legacy, &head, None)
            .await
        {
            return res;
        }
        let legacy_version = Some(LEGACY_PROTOCOL_VERSION);
        if let Err(res) = self
            .register_owner(&session, "", legacy_version, None)
            .await
        {
            return res;
        }
        let Some(live) = session.open_standalone() else {
            return reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                -32603,
                "Internal error: session closed",
                None,
            );
        };
        let queued = [endpoint_event(&id), sse::message_event(None, GREETING)];
        let shared = self.clone();
        let key = session.key.clone();
        // The stream ending (client gone, or the session closed) ends the session.
        let on_close = move || {
            shared.end_session(&key);
        };
        let mut res = reply::sse(queued, Some(live), self.config.sse_keep_alive);
        if let Body::Sse(body) = res.body_mut() {
            body.on_drop(Box::new(on_close));
        }
        res
    }

    /// `POST /messages?sessionId=<id>`.
    pub(crate) async fn post_legacy(self: &Arc<Self>, req: Request<Incoming>, peer: Peer) -> Reply {
        let (parts, body) = req.into_parts();
        let body = match self.read_request_body(&parts, body).await {
            Ok(body) => body,
            Err(res) => return res,
        };
        let head = Arc::new(request_head(&parts, peer));
        // Authorized by the session id, the unguessable capability the authenticated
        // `GET /sse` handed out: legacy clients (FastMCP's among them) send credentials on
        // the stream only, so `authenticate` is not asked again (CONTRACT §5.1).
        let Some(id) = session_param(&parts) else {
            return reply::error(
                StatusCode::BAD_REQUEST,
                -32000,
                "Bad Request: sessionId query parameter is required",
                None,
            );
        };
        let Some(session) = self.session(id).filter(|s| s.legacy) else {
            return reply::error(StatusCode::NOT_FOUND, -32001, "Session not found", None);
        };
        match jsonrpc::parse_posted(&body, self.config.max_batch_size) {
            Ok(_) => {}
            Err(ParseError::InvalidRequest { message, id }) => {
                return reply::error(StatusCode::BAD_REQUEST, -32600, &message, id.as_deref())
            }
            Err(_) => {
                return reply::error(
                    StatusCode::BAD_REQUEST,
                    -32700,
                    "Parse error: Invalid JSON-RPC message",
                    None,
                )
            }
        }
        session.touch();
        self.host.dispatch(HostEvent::Deliver {
            session: session.key.clone(),
            body: String::from_utf8(body).unwrap_or_default(),
            request: head,
            auth: session.auth.clone(),
        });
        reply::text(StatusCode::ACCEPTED, "Accepted")
    }
}
