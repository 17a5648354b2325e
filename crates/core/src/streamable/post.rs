//! POST on the Streamable HTTP endpoint (CONTRACT §4.1): the checks in order, new
//! sessions, and the answer of an exchange (SSE, JSON, or a takeover).
//!
//! It never reads the socket or frames events itself: it asks the session and `http/` for that.

use bytes::Bytes;
use http::{Request, StatusCode};
use hyper::body::Incoming;
use std::sync::Arc;
use tokio::sync::oneshot;

use crate::config::{EventStoreMode, PRIMING_DELAY};
use crate::host::{CreateReason, HostEvent, RequestHead, ServerOutcome};
use crate::http::body::Cut;
use crate::http::reply::{self, Reply, SESSION_HEADER};
use crate::http::stream_queue::FrameReceiver;
use crate::jsonrpc::{self, ParseError, Posted, PRIMING_PROTOCOL_VERSION};
use crate::net::peer::request_head;
use crate::net::peer::Peer;
use crate::streamable::authenticate::Authenticated;
use crate::streamable::endpoint::{
    accepts, bad_request, check_protocol_version, header, session_not_found,
};
use crate::streamable::event_store::EventStore;
use crate::streamable::session::{Answer, OpenError, PostStream, Session, Store, Takeover};
use crate::streamable::shared::Shared;

fn ended_before_answer(id: Option<&str>) -> Reply {
    reply::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        -32603,
        "Internal error: the session ended before responding",
        id,
    )
}

/// mcp-proxy's heuristic, which FastMCP 3.x relies on: a createServer error that talks
/// about authentication is a 401.
fn is_auth_error(message: &str) -> bool {
    ["Authentication", "Invalid JWT", "Token", "Unauthorized"]
        .iter()
        .any(|w| message.contains(w))
}

/// A POST that passed every check, on its way to a session.
struct Post {
    posted: Posted,
    text: String,
    head: Arc<RequestHead>,
    /// The client's protocol version: the header, or `initialize`'s params.
    version: Option<String>,
    /// What `authenticate` returned, as JSON text.
    auth: Option<Arc<str>>,
    /// Who `authenticate` said the client is: a new session is bound to it.
    principal: Option<Arc<str>>,
}

enum First {
    Frame(Bytes),
    Ended,
    Waited,
    /// The stream was cut before anything went out (its reader fell behind the bound).
    Cut,
}

impl First {
    fn of(frame: Option<Result<Bytes, Cut>>) -> Self {
        match frame {
            Some(Ok(frame)) => First::Frame(frame),
            Some(Err(Cut)) => First::Cut,
            None => First::Ended,
        }
    }
}

impl Shared {
    pub(crate) async fn post(self: &Arc<Self>, req: Request<Incoming>, peer: Peer) -> Reply {
        let (parts, body) = req.into_parts();
        let body = match self.read_request_body(&parts, body).await {
            Ok(body) => body,
            Err(res) => return res,
        };
        let head = Arc::new(request_head(&parts, peer));
        // CONTRACT §12: 2026-07-28 traffic is told apart now (authenticate then leaves 2025
        // sessions alone) and answered after authenticate.
        let modern = self.classify_modern(&parts.headers, &body);
        let Authenticated { auth, principal } = if self.config.authenticate {
            // The id, when the body has one, makes the 401 body answer that request.
            let parsed = jsonrpc::parse_posted(&body, self.config.max_batch_size).ok();
            let id = parsed.as_ref().and_then(Posted::first_request_id);
            let creates = match &modern {
                Some(classified) => classified.creates(),
                None => {
                    self.config.stateless || parsed.as_ref().is_some_and(Posted::has_initialize)
                }
            };
            match self
                .authenticate(&head, id, modern.is_some(), creates)
                .await
            {
                Ok(authenticated) => authenticated,
                Err(res) => return res,
            }
        } else {
            Authenticated::default()
        };
        // No Accept check on the 2026-07-28 leg.
        if let Some(classified) = modern {
            return self.modern(classified, &body, &head, &auth).await;
        }
        if !(accepts(&parts.headers, "application/json")
            && accepts(&parts.headers, "text/event-stream"))
        {
            return reply::error(
                StatusCode::NOT_ACCEPTABLE,
                -32000,
                "Not Acceptable: Client must accept both application/json and text/event-stream",
                None,
            );
        }
        let content_type = header(&parts.headers, "content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if !content_type.starts_with("application/json") {
            return reply::error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                -32000,
                "Unsupported Media Type: Content-Type must be application/json",
                None,
            );
        }
        let posted = match jsonrpc::parse_posted(&body, self.config.max_batch_size) {
            Ok(posted) => posted,
            Err(ParseError::InvalidJson) => {
                return reply::error(
                    StatusCode::BAD_REQUEST,
                    -32700,
                    "Parse error: Invalid JSON",
                    None,
                )
            }
            Err(ParseError::NotJsonRpc) => {
                return reply::error(
                    StatusCode::BAD_REQUEST,
                    -32700,
                    "Parse error: Invalid JSON-RPC message",
                    None,
                )
            }
            Err(ParseError::InvalidRequest { message, id }) => {
                return reply::error(StatusCode::BAD_REQUEST, -32600, &message, id.as_deref())
            }
        };
        let header_version = match check_protocol_version(&parts.headers, posted.first_request_id())
        {
            Ok(v) => v.map(str::to_string),
            Err(res) => return res,
        };
        let post = Post {
            version: header_version.or_else(|| posted.initialize_version.clone()),
            posted,
            // JSON is UTF-8 (RFC 8259 §8.1) and parsing succeeded, so this holds.
            text: String::from_utf8(body).unwrap_or_default(),
            head,
            auth,
            principal,
        };
        if self.config.stateless {
            return self.stateless_post(post).await;
        }
        match header(&parts.headers, SESSION_HEADER) {
            None => self.initialize(post).await,
            Some(id) => {
                // A legacy /sse session is not reachable here (GET and DELETE refuse it too),
                // nor is another principal's session.
                let principal = post.principal.as_deref();
                let Some(session) = self
                    .session(id)
                    .filter(|s| !s.legacy && s.belongs_to(principal))
                else {
                    return session_not_found(post.posted.first_request_id());
                };
                if post.posted.has_initialize() {
                    return reply::error(
                        StatusCode::BAD_REQUEST,
                        -32600,
                        "Invalid Request: Server already initialized",
                        post.posted.first_request_id(),
                    );
                }
                self.exchange(&session, post).await
            }
        }
    }

    fn new_store(&self) -> Option<Store> {
        match self.config.event_store {
            EventStoreMode::InMemory {
                max_events,
                max_bytes,
            } => Some(Store::Memory(Box::new(
                EventStore::new(max_events).with_max_bytes(max_bytes),
            ))),
            EventStoreMode::External => Some(Store::external()),
            EventStoreMode::Off => None,
        }
    }

    async fn initialize(self: &Arc<Self>, post: Post) -> Reply {
        let posted = &post.posted;
        if !posted.has_initialize() {
            return bad_request(
                "Bad Request: No valid session ID provided",
                posted.first_request_id(),
            );
        }
        if posted.batch {
            return reply::error(
                StatusCode::BAD_REQUEST,
                -32600,
                "Invalid Request: initialize must not be part of a batch",
                posted.first_request_id(),
            );
        }
        let id = uuid::Uuid::new_v4().to_string();
        let session = Arc::new(
            Session::new(
                Arc::from(id.as_str()),
                Some(id),
                post.version.clone(),
                self.new_store(),
            )
            .bound_to(post.principal.clone())
            .with_sse_max_queued_bytes(self.config.sse_max_queued_bytes),
        );
        if let Err(res) = self
            .create_server(
                &session,
                CreateReason::Initialize,
                &post.head,
                posted.first_request_id(),
            )
            .await
        {
            return res;
        }
        let id = posted.first_request_id();
        let version = post.version.as_deref();
        if let Err(res) = self.register_owner(&session, &post.text, version, id).await {
            return res;
        }
        self.exchange(&session, post).await
    }

    async fn stateless_post(self: &Arc<Self>, post: Post) -> Reply {
        let key: Arc<str> = Arc::from(format!("stateless-{}", self.token()));
        let session = Arc::new(
            Session::new(key, None, post.version.clone(), None)
                .with_sse_max_queued_bytes(self.config.sse_max_queued_bytes),
        );
        if let Err(res) = self
            .create_server(
                &session,
                CreateReason::Stateless,
                &post.head,
                post.posted.first_request_id(),
            )
            .await
        {
            return res;
        }
        let notifications_only = !post.posted.has_requests();
        let res = self.exchange(&session, post).await;
        if notifications_only {
            self.end_session(&session.key);
        }
        res
    }

    /// Asks the host for a server for `session` and waits until it is connected.
    pub(crate) async fn create_server(
        self: &Arc<Self>,
        session: &Arc<Session>,
        reason: CreateReason,
        head: &Arc<RequestHead>,
        id: Option<&str>,
    ) -> Result<(), Reply> {
        let token = self.token();
        let outcome = self.created.register(token);
        // Registered first, so the transport can send as soon as it is connected.
        if !self.insert_session(session.clone()) {
            return Err(reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                -32000,
                "Service Unavailable: the server holds its maximum number of sessions",
                id,
            ));
        }
        // From here until the host answers, giving up (the timeout below, or the client
        // leaving, which drops this future) ends the session: the host frees the server it
        // may hold and runs onClose when onConnect saw it (CONTRACT §4.6).
        let abandoned = EndOnDrop {
            shared: self.clone(),
            key: Some(session.key.clone()),
        };
        self.host.dispatch(HostEvent::CreateServer {
            token,
            session: session.key.clone(),
            session_id: session.id.clone(),
            reason,
            request: head.clone(),
            principal: session.principal.clone(),
        });
        let outcome = match outcome.answer(self.config.callback_timeout).await {
            Some(outcome) => outcome,
            None => {
                drop(abandoned);
                return Err(reply::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    -32603,
                    "Error creating server: timed out",
                    id,
                ));
            }
        };
        abandoned.disarm();
        let Some(failure) = self.creation_failure(outcome, id) else {
            return Ok(());
        };
        self.discard_session(&session.key);
        Err(failure)
    }

    /// The answer when `createServer` or `onConnect` did not give a ready server; `None`
    /// when it did.
    pub(crate) fn creation_failure(
        &self,
        outcome: ServerOutcome,
        id: Option<&str>,
    ) -> Option<Reply> {
        Some(match outcome {
            ServerOutcome::Ready => return None,
            ServerOutcome::CreateFailed { message } if is_auth_error(&message) => {
                self.unauthorized(&message, None, id)
            }
            ServerOutcome::CreateFailed { .. } => reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                -32603,
                "Error creating server",
                id,
            ),
            ServerOutcome::ConnectFailed { .. } => reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                -32603,
                "Error connecting to server",
                id,
            ),
            ServerOutcome::Respond(response) => reply::response_like(&response),
        })
    }

    /// Delivers a POST's messages and answers with what the server sends back.
    async fn exchange(&self, session: &Session, post: Post) -> Reply {
        let Post {
            posted,
            text,
            head,
            version,
            auth,
            principal: _,
        } = post;
        let session_id = session.id.as_deref();
        let deliver = HostEvent::Deliver {
            session: session.key.clone(),
            body: text,
            request: head,
            auth,
        };
        if !posted.has_requests() {
            session.touch();
            self.host.dispatch(deliver);
            return reply::with_session(reply::empty(StatusCode::ACCEPTED), session_id);
        }
        let version = version.or_else(|| session.protocol_version.clone());
        let priming = version
            .as_deref()
            .is_some_and(|v| v >= PRIMING_PROTOCOL_VERSION);
        let opened = session.open_post_stream(
            posted.request_ids(),
            self.config.enable_json_response,
            priming,
        );
        let post =
            match opened {
                Ok(post) => post,
                Err(OpenError::Closed) => return session_not_found(posted.first_request_id()),
                Err(OpenError::DuplicateId(id)) => return reply::error(
                    StatusCode::BAD_REQUEST,
                    -32600,
                    "Invalid Request: a request with this id is already in flight in this session",
                    Some(&id),
                ),
            };
        self.host.dispatch(deliver);
        let first_id = posted.first_request_id();
        let PostStream {
            id: stream,
            answer,
            prime,
            mut takeover,
        } = post;
        match answer {
            Answer::Json(done) => match or_takeover(&mut takeover, done).await {
                Err(taken) => self.taken_over(taken).await,
                Ok(Ok(responses)) => {
                    let body = if posted.batch {
                        format!("[{}]", responses.join(","))
                    } else {
                        responses.concat()
                    };
                    reply::with_session(reply::json(StatusCode::OK, body), session_id)
                }
                Ok(Err(_)) => ended_before_answer(first_id),
            },
            Answer::Sse(mut live) => {
                // Headers wait for the first event, so a handler can still answer with
                // another status (403) until something was written.
                let first = async {
                    match &prime {
                        Some(_) => tokio::select! {
                            frame = live.recv() => First::of(frame),
                            _ = tokio::time::sleep(PRIMING_DELAY) => First::Waited,
                        },
                        None => First::of(live.recv().await),
                    }
                };
                let first = match or_takeover(&mut takeover, first).await {
                    Ok(first) => first,
                    Err(taken) => return self.taken_over(taken).await,
                };
                session.commit(stream);
                // A takeover that raced the first frame still wins: nothing is written yet.
                if let Ok(taken) = takeover.try_recv() {
                    return self.taken_over(taken).await;
                }
                let queued: Vec<Bytes> = match first {
                    First::Frame(frame) => prime.into_iter().chain(Some(frame)).collect(),
                    // A cut stream breaks off right after the head (and the priming event).
                    First::Waited | First::Cut => prime.into_iter().collect(),
                    First::Ended => {
                        // The stream ended with nothing sent: the session was closed.
                        let Some(frame) = drain(&mut live) else {
                            return ended_before_answer(first_id);
                        };
                        vec![frame]
                    }
                };
                reply::with_session(
                    reply::sse(queued, Some(live), self.config.sse_keep_alive),
                    session_id,
                )
            }
        }
    }

    /// The answer of an exchange a handler took over before anything was written.
    async fn taken_over(&self, taken: Takeover) -> Reply {
        match taken {
            Takeover::Response(response) => reply::response_like(&response),
            Takeover::Claimed { token, response } => {
                match tokio::time::timeout(self.config.callback_timeout, response).await {
                    Ok(Ok(response)) => reply::response_like(&response),
                    _ => {
                        self.forget_claim(token);
                        reply::error(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            -32603,
                            "Internal error: the response given to respondWith could not be read",
                            None,
                        )
                    }
                }
            }
            Takeover::InsufficientScope { challenge, json } => {
                self.insufficient_scope(&challenge, json)
            }
        }
    }
}

/// Ends a session whose server the host was asked for, unless disarmed: the wait for the
/// host's answer was abandoned.
struct EndOnDrop {
    shared: Arc<Shared>,
    key: Option<Arc<str>>,
}

impl EndOnDrop {
    fn disarm(mut self) {
        self.key = None;
    }
}

impl Drop for EndOnDrop {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Nobody waits for the host's onClose here; its answer finds nobody.
            drop(self.shared.end_session(&key));
        }
    }
}

/// Waits for `fut` unless the exchange is taken over first (`Err`).
async fn or_takeover<T>(
    takeover: &mut oneshot::Receiver<Takeover>,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, Takeover> {
    tokio::pin!(fut);
    tokio::select! {
        biased;
        // A dropped sender (the exchange completed, or headers are committed) disables
        // this branch; a value wins over everything.
        Ok(taken) = &mut *takeover => Err(taken),
        value = &mut fut => Ok(value),
    }
}

fn drain(live: &mut FrameReceiver) -> Option<Bytes> {
    live.try_recv()
}
