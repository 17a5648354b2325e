//! Building the answers the transport gives: JSON-RPC errors, SSE heads, Response-likes.
//!
//! It never looks at sessions or the host: callers pass in what the answer says.

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, Response, StatusCode};
use std::time::Duration;

use crate::host::ResponseLike;
use crate::http::body::Body;
use crate::http::stream_queue::FrameReceiver;
use crate::jsonrpc;

pub type Reply = Response<Body>;

pub const SESSION_HEADER: &str = "mcp-session-id";

pub fn empty(status: StatusCode) -> Reply {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = status;
    res
}

pub fn text(status: StatusCode, body: &'static str) -> Reply {
    let mut res = Response::new(Body::full(Bytes::from_static(body.as_bytes())));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    res
}

/// `Content-Type` of every JSON answer the layer writes itself (mcp-proxy 6.7 adds the
/// charset too); Response-likes from user code keep theirs.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// `Content-Type` of every SSE stream the layer writes.
pub const SSE_CONTENT_TYPE: &str = "text/event-stream; charset=utf-8";

pub fn json(status: StatusCode, body: String) -> Reply {
    let mut res = Response::new(Body::full(body));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    res
}

/// `{"error":{"code":C,"message":M},"id":ID,"jsonrpc":"2.0"}` with `status`.
pub fn error(status: StatusCode, code: i64, message: &str, id: Option<&str>) -> Reply {
    json(status, jsonrpc::error_body(code, message, id))
}

/// 408 with `Connection: close`: the request did not arrive within `requestTimeout`.
pub fn request_timeout(limit: Option<std::time::Duration>) -> Reply {
    let ms = limit.unwrap_or_default().as_millis();
    let message = format!("Request Timeout: the request was not received within {ms}ms");
    closing(error(StatusCode::REQUEST_TIMEOUT, -32000, &message, None))
}

/// 400 with `Connection: close`: the request body broke off (the client went away or
/// half-closed mid-body, or sent a malformed one), so the connection cannot carry another
/// request. Node answers such a client `400 Bad Request` and closes too.
pub fn unreadable_body() -> Reply {
    closing(error(
        StatusCode::BAD_REQUEST,
        -32000,
        "Bad Request: the request body could not be read",
        None,
    ))
}

/// The connection closes after this answer: the rest of the request is not read.
pub fn closing(mut res: Reply) -> Reply {
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// An SSE stream: `queued` frames, then `live` ones, a keep-alive comment after every
/// `keep_alive` of silence; no caching or proxy buffering (SDK v2's headers).
pub fn sse(
    queued: impl IntoIterator<Item = Bytes>,
    live: Option<FrameReceiver>,
    keep_alive: Duration,
) -> Reply {
    let mut res = Response::new(Body::sse(queued, live, keep_alive));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(SSE_CONTENT_TYPE),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-transform"),
    );
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    res
}

pub fn with_session(mut res: Reply, session_id: Option<&str>) -> Reply {
    if let Some(value) = session_id.and_then(|id| HeaderValue::from_str(id).ok()) {
        res.headers_mut().insert(SESSION_HEADER, value);
    }
    res
}

/// Writes a Response-like object as it is: status, status text, every header line, body.
pub fn response_like(r: &ResponseLike) -> Reply {
    head(
        r.status,
        r.status_text.as_deref(),
        &r.headers,
        Body::full(r.body.clone()),
    )
}

/// A response head written as user code gave it (a Response-like, a Node `res`): status,
/// status text, every header line in order. What cannot be written as given (a status out
/// of range, a CR/LF in a header) makes the whole answer a 500, never a partial head.
pub fn head(
    status: u16,
    status_text: Option<&str>,
    headers: &[(String, String)],
    body: Body,
) -> Reply {
    let invalid = |what| error(StatusCode::INTERNAL_SERVER_ERROR, -32603, what, None);
    let Ok(status) = StatusCode::from_u16(status) else {
        return invalid("Internal error: invalid response status");
    };
    let mut res = Response::new(body);
    *res.status_mut() = status;
    for (name, value) in headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return invalid("Internal error: invalid response header");
        };
        res.headers_mut().append(name, value);
    }
    // A reason phrase is HTAB / SP / VCHAR / obs-text (RFC 9112 §4); anything else is dropped.
    let reason = status_text.filter(|t| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80)
    });
    if let Some(Ok(reason)) =
        reason.map(|t| hyper::ext::ReasonPhrase::try_from(Bytes::copy_from_slice(t.as_bytes())))
    {
        res.extensions_mut().insert(reason);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_repeated_headers_and_order() {
        let r = ResponseLike {
            status: 401,
            status_text: Some("Nope".into()),
            headers: vec![
                ("set-cookie".into(), "a=1".into()),
                (
                    "www-authenticate".into(),
                    r#"Bearer realm="MCP Server", scope="openid""#.into(),
                ),
                ("set-cookie".into(), "b=2".into()),
            ],
            body: "x".into(),
        };
        let res = response_like(&r);
        assert_eq!(res.status(), 401);
        let cookies: Vec<_> = res.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cookies, vec!["a=1", "b=2"]);
        assert_eq!(
            res.headers()["www-authenticate"],
            r#"Bearer realm="MCP Server", scope="openid""#
        );
        assert_eq!(
            res.extensions()
                .get::<hyper::ext::ReasonPhrase>()
                .unwrap()
                .as_bytes(),
            b"Nope"
        );
    }

    #[test]
    fn crlf_in_a_header_is_a_500_not_a_split_header() {
        let r = ResponseLike {
            status: 401,
            headers: vec![("x".into(), "a\r\nInjected: 1".into())],
            ..Default::default()
        };
        assert_eq!(response_like(&r).status(), 500);
    }
}
