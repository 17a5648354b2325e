//! The shapes that cross the boundary: host events to JS, outcomes from JS.

use mcp_proxy_core::{
    AuthOutcome, BodyEnd, CreateReason, HostEvent, LogLevel, RequestHead, ResponseLike,
    ServerOutcome,
};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

/// `http.IncomingMessage`-like facts about a request; headers flattened as
/// `[name, value, name, value, …]` like Node's `rawHeaders`.
#[napi(object)]
pub struct JsRequestHead {
    pub method: String,
    pub url: String,
    pub http_version: String,
    pub raw_headers: Vec<String>,
    pub remote_address: String,
    pub remote_port: u32,
    pub encrypted: bool,
    /// The HTTP exchange this head belongs to (the same in its `authenticate` and `create`).
    pub exchange: i64,
}

/// One event for the JS dispatcher; `kind` says which fields are set.
#[napi(object)]
pub struct JsHostEvent {
    /// `create` | `message` | `close` | `replay` | `authenticate` | `unhandled` | `origin`
    /// (whose `body` is the Origin to judge) | `modern` | `modernCancel` | `listen` |
    /// `listenClosed` | `body` (a chunk of a hook's request body in `raw_body`) | `bodyEnd`
    /// (`reason`: `complete` | `aborted` | `timeout`) | `drain` | `gone` (the hook's client
    /// left) | `log` (`reason`: `info` | `error`, `body`: the line)
    pub kind: String,
    pub token: Option<i64>,
    pub session: String,
    pub session_id: Option<String>,
    /// For `create`: `initialize` | `stateless` | `sse`.
    pub reason: Option<String>,
    pub body: Option<String>,
    pub request: Option<JsRequestHead>,
    /// For `replay`: the client's `Last-Event-ID`.
    pub last_event_id: Option<String>,
    /// For `message`: what `authenticate` returned for the request, as JSON text.
    pub auth: Option<String>,
    /// For `body`: a chunk of the request body.
    pub raw_body: Option<Buffer>,
    /// For `listen`: the requested `resourceSubscriptions`.
    pub uris: Option<Vec<String>>,
    /// For `authenticate`: a 2026-07-28 POST (no session's `updateAuth` runs).
    pub modern: Option<bool>,
    /// For `authenticate`: a `create` of this exchange may follow when it is allowed.
    pub creates: Option<bool>,
    /// For `message`: the request's headers as `name\nvalue\n…` — one string instead of an
    /// object graph on the hot path; JS folds it only if a handler reads the headers.
    pub headers_text: Option<String>,
    /// For `create`: the principal the session is bound to (what `principalOf` said).
    pub principal: Option<String>,
    /// For `message`: the request's absolute URL (scheme, `Host`, path and query), for the
    /// Fetch `Request` SDK v2 servers read as `extra.request`, built in JS only when read.
    pub url: Option<String>,
}

fn head_to_js(head: &RequestHead) -> JsRequestHead {
    JsRequestHead {
        method: head.method.clone(),
        url: head.url.clone(),
        http_version: head.http_version.clone(),
        raw_headers: head
            .headers
            .iter()
            .flat_map(|(k, v)| [k.clone(), v.clone()])
            .collect(),
        remote_address: head.remote_address.clone(),
        remote_port: head.remote_port as u32,
        encrypted: head.encrypted,
        exchange: head.exchange as i64,
    }
}

/// Header names and values cannot contain a line feed (RFC 9110 §5.5), so it separates them.
fn headers_text(head: &RequestHead) -> String {
    let mut text = String::with_capacity(
        head.headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum(),
    );
    for (name, value) in &head.headers {
        text.push_str(name);
        text.push('\n');
        text.push_str(value);
        text.push('\n');
    }
    text
}

/// `http(s)://<Host><path?query>`; a request without `Host` (HTTP/1.0) names `localhost`.
fn absolute_url(head: &RequestHead) -> String {
    let host = head
        .headers
        .iter()
        .find(|(name, _)| name == "host")
        .map_or("localhost", |(_, value)| value.as_str());
    let scheme = if head.encrypted { "https" } else { "http" };
    format!("{scheme}://{host}{}", head.url)
}

pub fn event_to_js(event: HostEvent) -> JsHostEvent {
    let blank = |kind: &str, session: &str| JsHostEvent {
        kind: kind.into(),
        token: None,
        session: session.into(),
        session_id: None,
        reason: None,
        body: None,
        request: None,
        last_event_id: None,
        auth: None,
        raw_body: None,
        creates: None,
        headers_text: None,
        uris: None,
        modern: None,
        principal: None,
        url: None,
    };
    match event {
        HostEvent::CreateServer {
            token,
            session,
            session_id,
            reason,
            request,
            principal,
        } => JsHostEvent {
            token: Some(token as i64),
            session_id,
            principal: principal.map(|p| p.to_string()),
            reason: Some(
                match reason {
                    CreateReason::Initialize => "initialize",
                    CreateReason::Stateless => "stateless",
                    CreateReason::Legacy => "sse",
                }
                .into(),
            ),
            request: Some(head_to_js(&request)),
            ..blank("create", &session)
        },
        HostEvent::Deliver {
            session,
            body,
            request,
            auth,
        } => JsHostEvent {
            body: Some(body),
            headers_text: Some(headers_text(&request)),
            auth: auth.map(|a| a.to_string()),
            url: Some(absolute_url(&request)),
            ..blank("message", &session)
        },
        HostEvent::Unhandled { token, request } => JsHostEvent {
            token: Some(token as i64),
            request: Some(head_to_js(&request)),
            ..blank("unhandled", "")
        },
        HostEvent::HookBody { token, chunk } => JsHostEvent {
            token: Some(token as i64),
            raw_body: Some(Buffer::from(chunk.to_vec())),
            ..blank("body", "")
        },
        HostEvent::HookBodyEnd { token, end } => JsHostEvent {
            token: Some(token as i64),
            reason: Some(
                match end {
                    BodyEnd::Complete => "complete",
                    BodyEnd::Aborted => "aborted",
                    BodyEnd::TimedOut => "timeout",
                }
                .into(),
            ),
            ..blank("bodyEnd", "")
        },
        HostEvent::HookDrain { token } => JsHostEvent {
            token: Some(token as i64),
            ..blank("drain", "")
        },
        HostEvent::HookGone { token } => JsHostEvent {
            token: Some(token as i64),
            ..blank("gone", "")
        },
        HostEvent::Log { level, message } => JsHostEvent {
            reason: Some(
                match level {
                    LogLevel::Info => "info",
                    LogLevel::Error => "error",
                }
                .into(),
            ),
            body: Some(message),
            ..blank("log", "")
        },
        HostEvent::CheckOrigin { token, origin } => JsHostEvent {
            token: Some(token as i64),
            body: Some(origin),
            ..blank("origin", "")
        },
        HostEvent::Authenticate {
            token,
            request,
            modern,
            creates,
        } => JsHostEvent {
            token: Some(token as i64),
            request: Some(head_to_js(&request)),
            modern: Some(modern),
            creates: Some(creates),
            ..blank("authenticate", "")
        },
        HostEvent::CloseSession { token, session } => JsHostEvent {
            token: Some(token as i64),
            ..blank("close", &session)
        },
        HostEvent::Modern {
            token,
            request,
            body,
            auth,
        } => JsHostEvent {
            token: Some(token as i64),
            request: Some(head_to_js(&request)),
            body: Some(body),
            auth: auth.map(|a| a.to_string()),
            ..blank("modern", "")
        },
        HostEvent::ModernCancel { token } => JsHostEvent {
            token: Some(token as i64),
            ..blank("modernCancel", "")
        },
        HostEvent::Listen {
            token,
            request,
            body,
            auth,
            uris,
        } => JsHostEvent {
            token: Some(token as i64),
            request: Some(head_to_js(&request)),
            body: Some(body),
            auth: auth.map(|a| a.to_string()),
            uris: Some(uris),
            ..blank("listen", "")
        },
        HostEvent::ListenClosed { token } => JsHostEvent {
            token: Some(token as i64),
            ..blank("listenClosed", "")
        },
        HostEvent::Replay {
            token,
            session,
            last_event_id,
        } => JsHostEvent {
            token: Some(token as i64),
            last_event_id: Some(last_event_id),
            ..blank("replay", &session)
        },
    }
}

/// What JS reports after running `createServer` and `onConnect`.
#[napi(object)]
pub struct JsOutcome {
    /// `ready` | `createFailed` | `connectFailed` | `respond`
    pub kind: String,
    pub message: Option<String>,
    pub status: Option<u32>,
    pub status_text: Option<String>,
    /// `[name, value, name, value, …]`, every header line.
    pub headers: Option<Vec<String>>,
    pub body: Option<String>,
    /// For `denied`: the callback's `wwwAuthenticate`, used verbatim.
    pub www_authenticate: Option<String>,
    /// For `allowed`: the result as JSON text.
    pub auth: Option<String>,
    /// For `allowed`: who the result says the client is (`principalOf`).
    pub principal: Option<String>,
}

/// A Response-like object as JS read it.
pub fn response_from_js(o: JsOutcome) -> ResponseLike {
    ResponseLike {
        status: o.status.unwrap_or(500).min(u16::MAX as u32) as u16,
        status_text: o.status_text,
        headers: o
            .headers
            .unwrap_or_default()
            .chunks_exact(2)
            .map(|pair| (pair[0].clone(), pair[1].clone()))
            .collect(),
        body: o.body.unwrap_or_default(),
    }
}

pub fn outcome_from_js(o: JsOutcome) -> ServerOutcome {
    match o.kind.as_str() {
        "ready" => ServerOutcome::Ready,
        "connectFailed" => ServerOutcome::ConnectFailed {
            message: o.message.unwrap_or_default(),
        },
        "respond" => ServerOutcome::Respond(response_from_js(o)),
        _ => ServerOutcome::CreateFailed {
            message: o.message.unwrap_or_default(),
        },
    }
}

pub fn auth_from_js(o: JsOutcome) -> AuthOutcome {
    match o.kind.as_str() {
        "allowed" => AuthOutcome::Allowed {
            auth: o.auth,
            principal: o.principal,
        },
        "denied" => AuthOutcome::Denied {
            message: o.message,
            www_authenticate: o.www_authenticate,
        },
        "respond" => AuthOutcome::Respond(response_from_js(o)),
        "invalidResponse" => AuthOutcome::InvalidResponse,
        _ => AuthOutcome::Failed { message: o.message },
    }
}
