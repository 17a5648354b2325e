//! The Streamable HTTP endpoint (CONTRACT §4): dispatch by method, GET and DELETE, and the
//! checks POST shares with them. POST itself is in `post.rs`.
//!
//! It owns the checks POST, GET and DELETE share (`Accept`, `MCP-Protocol-Version`, the session
//! header) and never POST's own logic.

use http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use hyper::body::Incoming;
use std::sync::Arc;
use tokio::time::{sleep, Duration, Instant};

use crate::host::HostEvent;
use crate::http::reply::{self, Reply, SESSION_HEADER};
use crate::http::sse;
use crate::jsonrpc;
use crate::net::peer::request_head;
use crate::net::peer::Peer;
use crate::streamable::session::{ResumeError, Session};
use crate::streamable::shared::Shared;

const PROTOCOL_HEADER: &str = "mcp-protocol-version";

/// A client that cut its POST's stream and resumes it at once races the close of its old
/// connection: the resume can be read before that close is. A stream still in use gets this
/// long to be left before the resume is answered 409.
const RESUME_RACE_WAIT: Duration = Duration::from_millis(250);

/// `attempt`, tried again while the stream it resumes is in use, for [`RESUME_RACE_WAIT`].
async fn when_left<T>(
    mut attempt: impl FnMut() -> Result<T, ResumeError>,
) -> Result<T, ResumeError> {
    let deadline = Instant::now() + RESUME_RACE_WAIT;
    loop {
        match attempt() {
            Err(ResumeError::Conflict) if Instant::now() < deadline => {
                sleep(Duration::from_millis(10)).await
            }
            other => return other,
        }
    }
}

pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers.get_all(header::ACCEPT).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.to_ascii_lowercase().contains(media))
    })
}

/// 400 -32000; `id` is the request's id where the body was read.
pub(crate) fn bad_request(message: &str, id: Option<&str>) -> Reply {
    reply::error(StatusCode::BAD_REQUEST, -32000, message, id)
}

pub(crate) fn session_not_found(id: Option<&str>) -> Reply {
    reply::error(StatusCode::NOT_FOUND, -32001, "Session not found", id)
}

fn method_not_allowed(allow: &'static str) -> Reply {
    let mut res = reply::error(
        StatusCode::METHOD_NOT_ALLOWED,
        -32000,
        "Method not allowed.",
        None,
    );
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    res
}

/// The protocol version header, when present, must be one we speak.
pub(crate) fn check_protocol_version<'a>(
    headers: &'a HeaderMap,
    id: Option<&str>,
) -> Result<Option<&'a str>, Reply> {
    match headers.get(PROTOCOL_HEADER) {
        None => Ok(None),
        Some(v) => match v.to_str() {
            Ok(v) if jsonrpc::is_supported_version(v) => Ok(Some(v)),
            _ => Err(bad_request(
                &format!(
                    "Bad Request: Unsupported protocol version (supported versions: {})",
                    jsonrpc::SUPPORTED_PROTOCOL_VERSIONS.join(", ")
                ),
                id,
            )),
        },
    }
}

impl Shared {
    pub(crate) async fn streamable(self: &Arc<Self>, req: Request<Incoming>, peer: Peer) -> Reply {
        // A request naming a session claims it from its arrival, before its body and
        // `authenticate` (as mcp-proxy 6.7): a slow upload keeps the session alive.
        let _claim = req
            .headers()
            .get(reply::SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|id| self.session(id))
            .map(|session| session.claim());
        if req.method() == Method::POST {
            return self.post(req, peer).await;
        }
        let (parts, _body) = req.into_parts();
        let mut principal = None;
        if self.config.authenticate {
            let head = Arc::new(request_head(&parts, peer));
            match self.authenticate(&head, None, false, false).await {
                Ok(authenticated) => principal = authenticated.principal,
                Err(res) => return res,
            }
        }
        let principal = principal.as_deref();
        match parts.method {
            Method::GET => self.get(&parts.headers, principal).await,
            Method::DELETE => self.delete(&parts.headers, principal).await,
            _ if self.config.stateless => method_not_allowed("POST"),
            _ => method_not_allowed("GET, POST, DELETE"),
        }
    }

    async fn get(self: &Arc<Self>, headers: &HeaderMap, principal: Option<&str>) -> Reply {
        if self.config.stateless {
            return method_not_allowed("POST");
        }
        if !accepts(headers, "text/event-stream") {
            return reply::error(
                StatusCode::NOT_ACCEPTABLE,
                -32000,
                "Not Acceptable: Client must accept text/event-stream",
                None,
            );
        }
        let session = match self.known_session(headers, principal) {
            Ok(session) => session,
            Err(res) => return res,
        };
        if let Err(res) = check_protocol_version(headers, None) {
            return res;
        }
        let session_id = session.id.as_deref();
        if let Some(last) = header(headers, "last-event-id") {
            if session.has_external_store() {
                return self.replay_from_host(&session, last).await;
            }
            return match when_left(|| session.resume(last)).await {
                Ok(resumed) => reply::with_session(
                    reply::sse(resumed.frames, resumed.live, self.config.sse_keep_alive),
                    session_id,
                ),
                Err(ResumeError::UnknownEvent) => unknown_event_id(),
                Err(ResumeError::Conflict) => stream_in_use(),
            };
        }
        match session.open_standalone() {
            Some(live) => reply::with_session(
                reply::sse([], Some(live), self.config.sse_keep_alive),
                session_id,
            ),
            None => conflict(),
        }
    }

    async fn delete(&self, headers: &HeaderMap, principal: Option<&str>) -> Reply {
        if self.config.stateless {
            return method_not_allowed("POST");
        }
        let session = match self.known_session(headers, principal) {
            Ok(session) => session,
            Err(res) => return res,
        };
        self.end_session_and_wait(&session.key).await;
        reply::empty(StatusCode::OK)
    }

    /// Resumption through a user-supplied store: the host replays, then the live rest of the
    /// stream follows when it is still open.
    async fn replay_from_host(self: &Arc<Self>, session: &Session, last_event_id: &str) -> Reply {
        let token = self.token();
        let done = self.replayed.register(token);
        self.host.dispatch(HostEvent::Replay {
            token,
            session: session.key.clone(),
            last_event_id: last_event_id.to_string(),
        });
        let Some(Some(replayed)) = done.answer(self.config.callback_timeout).await else {
            return unknown_event_id();
        };
        // A shared store replays whatever stream the id belongs to: one that is not this
        // session's is refused exactly like an unknown id, and none of it is written.
        let Some(stream) = session.external_stream(&replayed.stream) else {
            return unknown_event_id();
        };
        match when_left(|| session.attach(stream)).await {
            Ok(live) => {
                let frames: Vec<_> = replayed
                    .events
                    .iter()
                    .map(|(id, json)| sse::message_event(Some(id), json))
                    .collect();
                reply::with_session(
                    reply::sse(frames, live, self.config.sse_keep_alive),
                    session.id.as_deref(),
                )
            }
            Err(_) => stream_in_use(),
        }
    }

    /// The session the request names, when it exists and belongs to the request's principal.
    fn known_session(
        &self,
        headers: &HeaderMap,
        principal: Option<&str>,
    ) -> Result<Arc<Session>, Reply> {
        let Some(id) = header(headers, SESSION_HEADER) else {
            return Err(bad_request(
                "Bad Request: Mcp-Session-Id header is required",
                None,
            ));
        };
        // Legacy SSE sessions are not reachable through the Streamable HTTP endpoint;
        // another principal's session does not exist as far as this client can tell.
        self.session(id)
            .filter(|s| !s.legacy && s.belongs_to(principal))
            .ok_or_else(|| session_not_found(None))
    }
}

/// A `Last-Event-ID` naming no event this session still has: the SDK v2 transport's answer
/// (mcp-proxy 6.7), so a client cannot tell the two apart.
fn unknown_event_id() -> Reply {
    bad_request("Invalid event ID format", None)
}

/// A `Last-Event-ID` of a stream that is still being read (SDK v2, mcp-proxy 6.7).
fn stream_in_use() -> Reply {
    reply::error(
        StatusCode::CONFLICT,
        -32000,
        "Conflict: Stream already has an active connection",
        None,
    )
}

fn conflict() -> Reply {
    reply::error(
        StatusCode::CONFLICT,
        -32000,
        "Conflict: Only one SSE stream is allowed per session",
        None,
    )
}
