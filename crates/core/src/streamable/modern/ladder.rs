//! Which era a POST belongs to, and the answers the SDK v2 handler gives before any server
//! exists (`classifyInboundRequest`, the supported-revision gate and
//! `validateStandardRequestHeaders` of `@modelcontextprotocol/server` 2.4.0), in its order
//! and with its codes and messages, so a 2026 client sees what mcp-proxy 6.7 would say.
//!
//! Rust answers only where it knows the SDK's exact words. A malformed envelope whose
//! problem is a type deep in the SDK's zod schema (a non-string version, a bad `logLevel`,
//! a `clientInfo` without `version`...) is handed to the SDK as it is ([`Route::Sdk`]): the
//! SDK rejects it there, before the server factory runs.
//!
//! It never calls the host: its answers are the ones that need no server.

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::envelope_schema;

pub(crate) const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
pub(crate) const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";
pub(crate) use crate::jsonrpc::FIRST_MODERN_VERSION;
/// The modern revisions served (the SDK's `SUPPORTED_MODERN_PROTOCOL_VERSIONS`).
pub(crate) const SUPPORTED_MODERN_VERSIONS: &[&str] = &["2026-07-28"];
const LOG_LEVELS: &[&str] = &[
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];
/// Methods 2026-07-28 removed (and client-side methods a server never serves): the SDK
/// answers them 404 -32601 once a server exists; no server is needed to know that.
const REMOVED_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
    "sampling/createMessage",
    "elicitation/create",
    "roots/list",
];
pub(crate) const HEADER_MISMATCH: i64 = -32020;
pub(crate) const UNSUPPORTED_VERSION: i64 = -32022;

/// The three SEP-2243 standard request headers, as sent.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct StandardHeaders<'a> {
    pub version: Option<&'a str>,
    pub method: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// A JSON-RPC error answer of the ladder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rejection {
    pub status: StatusCode,
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
    /// The request's id (a string or a number), `null` otherwise.
    pub id: Value,
}

impl Rejection {
    /// The SDK's error body: `{"jsonrpc":"2.0","error":{code,message,data?},"id":…}`; its
    /// method-not-found answer puts `id` before `error`, as the SDK's protocol layer does.
    pub(crate) fn body(&self) -> String {
        let mut error = Map::new();
        error.insert("code".into(), self.code.into());
        error.insert("message".into(), self.message.clone().into());
        if let Some(data) = &self.data {
            error.insert("data".into(), data.clone());
        }
        let mut body = Map::new();
        body.insert("jsonrpc".into(), "2.0".into());
        if self.status == StatusCode::NOT_FOUND {
            body.insert("id".into(), self.id.clone());
            body.insert("error".into(), error.into());
        } else {
            body.insert("error".into(), error.into());
            body.insert("id".into(), self.id.clone());
        }
        Value::Object(body).to_string()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Route {
    /// 2025-era traffic: the session machinery answers it.
    Legacy,
    /// Modern, but only the SDK knows the exact answer: hand it over untouched.
    Sdk,
    Reject(Rejection),
    /// A modern notification: 202, nothing to serve.
    Accepted,
    /// A modern request that passed the ladder.
    Serve {
        method: String,
    },
}

fn is_modern(version: &str) -> bool {
    version >= FIRST_MODERN_VERSION
}

/// RFC 9110 optional whitespace (SP / HTAB) around a field value.
fn strip_ows(value: &str) -> &str {
    value.trim_matches([' ', '\t'])
}

fn meta_of(params: Option<&Value>) -> Option<&Map<String, Value>> {
    params?.as_object()?.get("_meta")?.as_object()
}

fn has_claim(params: Option<&Value>) -> bool {
    meta_of(params).is_some_and(|m| m.contains_key(PROTOCOL_VERSION_KEY))
}

/// What Rust can tell of an envelope behind a claim.
enum Envelope<'a> {
    /// The required keys are there with the right types: the claimed version.
    Valid(&'a str),
    /// `clientCapabilities` is absent (the first issue the SDK reports).
    MissingCapabilities,
    /// Some other problem, worded by the SDK's schema.
    Unsure,
}

fn envelope(meta: &Map<String, Value>) -> Envelope<'_> {
    if !meta.contains_key(CLIENT_CAPABILITIES_KEY) {
        return Envelope::MissingCapabilities;
    }
    let Some(version) = meta.get(PROTOCOL_VERSION_KEY).and_then(Value::as_str) else {
        return Envelope::Unsure;
    };
    let client_info_ok = meta
        .get(CLIENT_INFO_KEY)
        .is_none_or(envelope_schema::implementation);
    let log_level_ok = meta
        .get(LOG_LEVEL_KEY)
        .is_none_or(|l| l.as_str().is_some_and(|l| LOG_LEVELS.contains(&l)));
    let progress_ok = meta
        .get("progressToken")
        .is_none_or(envelope_schema::progress_token);
    let capabilities_ok = meta
        .get(CLIENT_CAPABILITIES_KEY)
        .is_some_and(envelope_schema::client_capabilities);
    if client_info_ok && log_level_ok && progress_ok && capabilities_ok {
        Envelope::Valid(version)
    } else {
        Envelope::Unsure
    }
}

fn reject(code: i64, message: String, data: Option<Value>, id: &Value) -> Route {
    Route::Reject(Rejection {
        status: if code == -32601 {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        },
        code,
        message,
        data,
        id: id.clone(),
    })
}

fn mismatch(header: &str, body: String, id: &Value) -> Route {
    reject(
        HEADER_MISMATCH,
        format!("Bad Request: the request headers and body disagree: {body}"),
        Some(json!({ "mismatch": { "header": header, "body": body } })),
        id,
    )
}

fn unsupported(requested: &str, id: &Value) -> Route {
    reject(
        UNSUPPORTED_VERSION,
        format!("Unsupported protocol version: {requested}"),
        Some(json!({ "supported": SUPPORTED_MODERN_VERSIONS, "requested": requested })),
        id,
    )
}

/// The id the SDK echoes: a request's string or number id, else `null`.
fn echoable_id(message: &Map<String, Value>) -> Value {
    match message.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) if message.contains_key("method") => {
            id.clone()
        }
        _ => Value::Null,
    }
}

/// The body is, or holds, a message carrying the 2026-07-28 claim.
pub(crate) fn claims(body: &Value) -> bool {
    let claimed = |m: &Value| has_claim(m.as_object().and_then(|o| o.get("params")));
    match body {
        Value::Array(items) => items.iter().any(claimed),
        other => claimed(other),
    }
}

/// Routes one parsed POST body (already known to be JSON-RPC) given its headers.
pub(crate) fn route(headers: StandardHeaders<'_>, body: &Value) -> Route {
    let headers = StandardHeaders {
        version: headers.version.map(strip_ows),
        method: headers.method.map(strip_ows),
        name: headers.name.map(strip_ows),
    };
    match body {
        Value::Array(items) => {
            let claimed = items
                .iter()
                .any(|item| has_claim(item.as_object().and_then(|o| o.get("params"))));
            if claimed {
                return reject(
                    -32600,
                    "Bad Request: JSON-RPC batches may not contain requests for protocol revision 2026-07-28 or later".into(),
                    None,
                    &Value::Null,
                );
            }
            Route::Legacy
        }
        Value::Object(message) => {
            let Some(method) = message.get("method").and_then(Value::as_str) else {
                return Route::Legacy; // a posted response
            };
            let params = message.get("params");
            if params.is_some_and(|p| !p.is_object()) {
                // Not a JSON-RPC message by the SDK's schema; the 2025 path answers it.
                return Route::Legacy;
            }
            match message.get("id") {
                Some(Value::String(_) | Value::Number(_)) => {
                    request(headers, message, method, params)
                }
                None => notification(headers, method, params),
                Some(_) => Route::Legacy,
            }
        }
        _ => Route::Legacy,
    }
}

fn request(
    headers: StandardHeaders<'_>,
    message: &Map<String, Value>,
    method: &str,
    params: Option<&Value>,
) -> Route {
    let id = echoable_id(message);
    let header_modern = headers.version.is_some_and(is_modern);
    let meta = meta_of(params);
    let claim = meta.filter(|m| m.contains_key(PROTOCOL_VERSION_KEY));
    if method == "initialize" {
        let valid_modern_claim =
            claim.is_some_and(|m| matches!(envelope(m), Envelope::Valid(v) if is_modern(v)));
        if !valid_modern_claim {
            if claim.is_some_and(|m| matches!(envelope(m), Envelope::Unsure)) {
                return Route::Sdk;
            }
            if header_modern {
                return mismatch(
                    headers.version.unwrap_or_default(),
                    "an initialize request (legacy handshake) was sent with a modern MCP-Protocol-Version header".into(),
                    &id,
                );
            }
            return Route::Legacy;
        }
    }
    let Some(meta) = claim else {
        if !header_modern {
            return Route::Legacy;
        }
        let missing: Vec<&str> = match meta {
            None => vec!["_meta"],
            Some(m) => {
                let absent: Vec<&str> = [PROTOCOL_VERSION_KEY, CLIENT_CAPABILITIES_KEY]
                    .into_iter()
                    .filter(|k| !m.contains_key(*k))
                    .collect();
                if absent.is_empty() {
                    vec![PROTOCOL_VERSION_KEY]
                } else {
                    absent
                }
            }
        };
        let version = headers.version.unwrap_or_default();
        return reject(
            -32602,
            format!(
                "Invalid params: the MCP-Protocol-Version header names protocol revision {version}, but the request is missing the required per-request envelope key(s): {}",
                missing.join(", ")
            ),
            Some(json!({ "envelope": { "missing": missing } })),
            &id,
        );
    };
    let claimed = match envelope(meta) {
        Envelope::Valid(v) => v,
        Envelope::MissingCapabilities => {
            return reject(
                -32602,
                format!("Invalid _meta envelope for protocol revision 2026-07-28: {CLIENT_CAPABILITIES_KEY}: missing"),
                Some(json!({ "envelope": { "key": CLIENT_CAPABILITIES_KEY, "problem": "missing" } })),
                &id,
            )
        }
        Envelope::Unsure => return Route::Sdk,
    };
    if let Some(header) = headers.version.filter(|h| *h != claimed) {
        return mismatch(
            header,
            format!("the body envelope names protocol version {claimed} but the MCP-Protocol-Version header names {header}"),
            &id,
        );
    }
    if let Some(header) = headers.method.filter(|h| *h != method) {
        return mismatch(
            header,
            format!("the body names method {method} but the Mcp-Method header names {header}"),
            &id,
        );
    }
    // serveModern: the supported-revision gate, then the standard-header presence rung.
    if !SUPPORTED_MODERN_VERSIONS.contains(&claimed) {
        return unsupported(claimed, &id);
    }
    if headers.version.is_none() {
        return mismatch(
            "(missing)",
            format!("the body envelope names protocol version {claimed} but the required MCP-Protocol-Version header is absent"),
            &id,
        );
    }
    if headers.method.is_none() {
        return mismatch(
            "(missing)",
            format!("the body names method {method} but the required Mcp-Method header is absent"),
            &id,
        );
    }
    if let Some(field) = name_source(method) {
        let body_value = params.and_then(|p| p.get(field)).and_then(Value::as_str);
        match headers.name {
            None => {
                if let Some(value) = body_value {
                    return mismatch(
                        "(missing)",
                        format!("the body carries params.{field}=\"{value}\" but the required Mcp-Name header is absent"),
                        &id,
                    );
                }
            }
            Some(header) => match decode_param_value(header) {
                None => {
                    return mismatch(
                        header,
                        "the Mcp-Name header carries an invalid Base64 sentinel value".into(),
                        &id,
                    )
                }
                Some(decoded) => {
                    if let Some(value) = body_value.filter(|v| *v != decoded) {
                        return mismatch(
                            header,
                            format!("the body carries params.{field}=\"{value}\" but the Mcp-Name header names \"{decoded}\""),
                            &id,
                        );
                    }
                }
            },
        }
    }
    if REMOVED_METHODS.contains(&method) {
        return reject(-32601, "Method not found".into(), None, &id);
    }
    Route::Serve {
        method: method.to_string(),
    }
}

fn notification(headers: StandardHeaders<'_>, method: &str, params: Option<&Value>) -> Route {
    let header_modern = headers.version.is_some_and(is_modern);
    let claimed = if has_claim(params) {
        let meta = meta_of(params).expect("claim implies _meta");
        let Some(claimed) = meta.get(PROTOCOL_VERSION_KEY).and_then(Value::as_str) else {
            return Route::Sdk; // the schema's wording for a non-string version
        };
        if let Some(header) = headers.version.filter(|h| *h != claimed) {
            return mismatch(
                header,
                format!("the notification envelope names protocol version {claimed} but the MCP-Protocol-Version header names {header}"),
                &Value::Null,
            );
        }
        claimed
    } else if header_modern {
        headers.version.unwrap_or_default()
    } else {
        return Route::Legacy;
    };
    if is_modern(claimed) {
        if let Some(header) = headers.method.filter(|h| *h != method) {
            return mismatch(
                header,
                format!("the notification body names method {method} but the Mcp-Method header names {header}"),
                &Value::Null,
            );
        }
    }
    if !SUPPORTED_MODERN_VERSIONS.contains(&claimed) {
        return unsupported(claimed, &Value::Null);
    }
    Route::Accepted
}

/// The body field `Mcp-Name` mirrors (the SDK's `MCP_NAME_HEADER_SOURCE`).
fn name_source(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        "tasks/get" | "tasks/update" | "tasks/cancel" => Some("taskId"),
        _ => None,
    }
}

/// An `Mcp-Name` / `Mcp-Param-*` value: plain, or `=?base64?…?=` carrying canonical Base64 of
/// UTF-8. `None` for a sentinel whose payload is not both.
pub(crate) fn decode_param_value(value: &str) -> Option<String> {
    const PREFIX: &str = "=?base64?";
    const SUFFIX: &str = "?=";
    if !(value.starts_with(PREFIX) && value.ends_with(SUFFIX)) {
        return Some(value.to_string());
    }
    // As the SDK's `slice(9, -2)`: overlapping markers leave an empty payload.
    let payload = value
        .get(PREFIX.len()..value.len() - SUFFIX.len())
        .unwrap_or("");
    let bytes = decode_base64_canonical(payload)?;
    String::from_utf8(bytes).ok()
}

/// RFC 4648 Base64 with padding as the SDK's `BASE64_CANONICAL` accepts it (groups of four,
/// `=` only at the end); like `atob`, bits the padding leaves over are ignored.
fn decode_base64_canonical(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some((c - b'A') as u32),
            b'a'..=b'z' => Some((c - b'a' + 26) as u32),
            b'0'..=b'9' => Some((c - b'0' + 52) as u32),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let last = i == bytes.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Value {
        json!({ PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {} })
    }

    const H: StandardHeaders<'static> = StandardHeaders {
        version: Some("2026-07-28"),
        method: Some("tools/list"),
        name: None,
    };

    fn list(meta: Value) -> Value {
        json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":meta}})
    }

    fn rejected(route: Route) -> (u16, String) {
        match route {
            Route::Reject(r) => (r.status.as_u16(), r.body()),
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    // Expected bodies are the SDK 2.4.0 handler's, captured with a probe (see notes/modern.md).
    #[test]
    fn serves_a_valid_request_and_strips_ows() {
        assert_eq!(
            route(H, &list(env())),
            Route::Serve {
                method: "tools/list".into()
            }
        );
        let ows = StandardHeaders {
            version: Some(" 2026-07-28 "),
            method: Some("\ttools/list "),
            name: None,
        };
        assert!(matches!(route(ows, &list(env())), Route::Serve { .. }));
    }

    #[test]
    fn legacy_traffic_stays_legacy() {
        let none = StandardHeaders::default();
        let old = StandardHeaders {
            version: Some("2025-06-18"),
            ..none
        };
        for body in [
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}),
            json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}),
            json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
            json!({"jsonrpc":"2.0","id":1,"result":{}}),
            json!([{"jsonrpc":"2.0","id":1,"method":"tools/list"}]),
        ] {
            assert_eq!(route(none, &body), Route::Legacy, "{body}");
            assert_eq!(route(old, &body), Route::Legacy, "{body}");
        }
    }

    #[test]
    fn envelope_problems() {
        let no_caps = list(json!({ PROTOCOL_VERSION_KEY: "2026-07-28" }));
        assert_eq!(
            rejected(route(H, &no_caps)),
            (400, r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid _meta envelope for protocol revision 2026-07-28: io.modelcontextprotocol/clientCapabilities: missing","data":{"envelope":{"key":"io.modelcontextprotocol/clientCapabilities","problem":"missing"}}},"id":1}"#.into())
        );
        for unsure in [
            json!({ PROTOCOL_VERSION_KEY: 5, CLIENT_CAPABILITIES_KEY: {} }),
            json!({ PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: "x" }),
            json!({ PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {}, CLIENT_INFO_KEY: {"name":"a"} }),
            json!({ PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {}, LOG_LEVEL_KEY: "loud" }),
            json!({ PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {}, "progressToken": true }),
        ] {
            assert_eq!(route(H, &list(unsure.clone())), Route::Sdk, "{unsure}");
        }
    }

    #[test]
    fn header_and_body_disagreements() {
        let old = StandardHeaders {
            version: Some("2025-06-18"),
            ..H
        };
        assert_eq!(
            rejected(route(old, &list(env()))).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32020,"message":"Bad Request: the request headers and body disagree: the body envelope names protocol version 2026-07-28 but the MCP-Protocol-Version header names 2025-06-18","data":{"mismatch":{"header":"2025-06-18","body":"the body envelope names protocol version 2026-07-28 but the MCP-Protocol-Version header names 2025-06-18"}}},"id":1}"#
        );
        let call = StandardHeaders {
            method: Some("tools/call"),
            ..H
        };
        assert_eq!(
            rejected(route(call, &list(env()))).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32020,"message":"Bad Request: the request headers and body disagree: the body names method tools/list but the Mcp-Method header names tools/call","data":{"mismatch":{"header":"tools/call","body":"the body names method tools/list but the Mcp-Method header names tools/call"}}},"id":1}"#
        );
        let no_version = StandardHeaders { version: None, ..H };
        assert_eq!(
            rejected(route(no_version, &list(env()))).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32020,"message":"Bad Request: the request headers and body disagree: the body envelope names protocol version 2026-07-28 but the required MCP-Protocol-Version header is absent","data":{"mismatch":{"header":"(missing)","body":"the body envelope names protocol version 2026-07-28 but the required MCP-Protocol-Version header is absent"}}},"id":1}"#
        );
        let no_method = StandardHeaders { method: None, ..H };
        assert_eq!(
            rejected(route(no_method, &list(env()))).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32020,"message":"Bad Request: the request headers and body disagree: the body names method tools/list but the required Mcp-Method header is absent","data":{"mismatch":{"header":"(missing)","body":"the body names method tools/list but the required Mcp-Method header is absent"}}},"id":1}"#
        );
    }

    #[test]
    fn mcp_name() {
        let call = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{},"_meta":env()}});
        let with = |name| StandardHeaders {
            version: Some("2026-07-28"),
            method: Some("tools/call"),
            name,
        };
        assert_eq!(
            rejected(route(with(None), &call)).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32020,"message":"Bad Request: the request headers and body disagree: the body carries params.name=\"echo\" but the required Mcp-Name header is absent","data":{"mismatch":{"header":"(missing)","body":"the body carries params.name=\"echo\" but the required Mcp-Name header is absent"}}},"id":1}"#
        );
        assert_eq!(
            rejected(route(with(Some("=?base64?!!?=")), &call)).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32020,"message":"Bad Request: the request headers and body disagree: the Mcp-Name header carries an invalid Base64 sentinel value","data":{"mismatch":{"header":"=?base64?!!?=","body":"the Mcp-Name header carries an invalid Base64 sentinel value"}}},"id":1}"#
        );
        assert_eq!(
            rejected(route(with(Some("other")), &call)).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32020,"message":"Bad Request: the request headers and body disagree: the body carries params.name=\"echo\" but the Mcp-Name header names \"other\"","data":{"mismatch":{"header":"other","body":"the body carries params.name=\"echo\" but the Mcp-Name header names \"other\""}}},"id":1}"#
        );
        assert!(matches!(
            route(with(Some("=?base64?ZWNobw==?=")), &call),
            Route::Serve { .. }
        ));
        assert!(matches!(
            route(with(Some("echo")), &call),
            Route::Serve { .. }
        ));
    }

    #[test]
    fn versions() {
        let v = |version: &str| {
            let headers = StandardHeaders {
                version: Some(version),
                ..H
            };
            let meta = json!({ PROTOCOL_VERSION_KEY: version, CLIENT_CAPABILITIES_KEY: {} });
            let body =
                json!({"jsonrpc":"2.0","id":"a","method":"tools/list","params":{"_meta":meta}});
            rejected(route(headers, &body))
        };
        assert_eq!(v("2027-01-01"), (400, r#"{"jsonrpc":"2.0","error":{"code":-32022,"message":"Unsupported protocol version: 2027-01-01","data":{"supported":["2026-07-28"],"requested":"2027-01-01"}},"id":"a"}"#.into()));
        assert_eq!(
            v("2025-06-18").1,
            r#"{"jsonrpc":"2.0","error":{"code":-32022,"message":"Unsupported protocol version: 2025-06-18","data":{"supported":["2026-07-28"],"requested":"2025-06-18"}},"id":"a"}"#
        );
    }

    #[test]
    fn modern_header_without_a_claim() {
        let body = |meta: Option<Value>| match meta {
            None => json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}),
            Some(m) => list(m),
        };
        assert_eq!(
            rejected(route(H, &body(None))).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params: the MCP-Protocol-Version header names protocol revision 2026-07-28, but the request is missing the required per-request envelope key(s): _meta","data":{"envelope":{"missing":["_meta"]}}},"id":1}"#
        );
        assert_eq!(
            rejected(route(
                H,
                &body(Some(json!({ CLIENT_CAPABILITIES_KEY: {} })))
            ))
            .1,
            r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params: the MCP-Protocol-Version header names protocol revision 2026-07-28, but the request is missing the required per-request envelope key(s): io.modelcontextprotocol/protocolVersion","data":{"envelope":{"missing":["io.modelcontextprotocol/protocolVersion"]}}},"id":1}"#
        );
        assert_eq!(
            rejected(route(H, &body(Some(json!({"x":1}))))).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params: the MCP-Protocol-Version header names protocol revision 2026-07-28, but the request is missing the required per-request envelope key(s): io.modelcontextprotocol/protocolVersion, io.modelcontextprotocol/clientCapabilities","data":{"envelope":{"missing":["io.modelcontextprotocol/protocolVersion","io.modelcontextprotocol/clientCapabilities"]}}},"id":1}"#
        );
    }

    #[test]
    fn initialize_removed_methods_and_batches() {
        let init = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}});
        assert_eq!(
            rejected(route(H, &init)).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32020,"message":"Bad Request: the request headers and body disagree: an initialize request (legacy handshake) was sent with a modern MCP-Protocol-Version header","data":{"mismatch":{"header":"2026-07-28","body":"an initialize request (legacy handshake) was sent with a modern MCP-Protocol-Version header"}}},"id":1}"#
        );
        for method in ["initialize", "ping", "logging/setLevel"] {
            let headers = StandardHeaders {
                method: Some(method),
                ..H
            };
            let body = json!({"jsonrpc":"2.0","id":1,"method":method,"params":{"_meta":env()}});
            assert_eq!(
                rejected(route(headers, &body)),
                (
                    404,
                    r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#
                        .into()
                )
            );
        }
        let batch =
            json!([{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":env()}}]);
        assert_eq!(
            rejected(route(H, &batch)).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Bad Request: JSON-RPC batches may not contain requests for protocol revision 2026-07-28 or later"},"id":null}"#
        );
    }

    #[test]
    fn notifications() {
        let none = StandardHeaders::default();
        let note = |meta: Value| json!({"jsonrpc":"2.0","method":"notifications/foo","params":{"_meta":meta}});
        assert_eq!(route(none, &note(env())), Route::Accepted);
        let old = json!({ PROTOCOL_VERSION_KEY: "2025-06-18", CLIENT_CAPABILITIES_KEY: {} });
        assert_eq!(
            rejected(route(none, &note(old))).1,
            r#"{"jsonrpc":"2.0","error":{"code":-32022,"message":"Unsupported protocol version: 2025-06-18","data":{"supported":["2026-07-28"],"requested":"2025-06-18"}},"id":null}"#
        );
        let numeric = json!({ PROTOCOL_VERSION_KEY: 1 });
        assert_eq!(route(none, &note(numeric)), Route::Sdk);
    }

    #[test]
    fn base64_sentinels() {
        assert_eq!(decode_param_value("plain").as_deref(), Some("plain"));
        assert_eq!(decode_param_value("=?base64?w6k=?=").as_deref(), Some("é"));
        assert_eq!(decode_param_value("=?base64?w6l=?=").as_deref(), Some("é"));
        assert_eq!(decode_param_value("=?base64?/w==?="), None, "not UTF-8");
        assert_eq!(decode_param_value("=?base64?abc?="), None, "unpadded");
        assert_eq!(decode_param_value("=?base64??=").as_deref(), Some(""));
        assert_eq!(decode_param_value("=?base64?=").as_deref(), Some(""));
        assert_eq!(decode_param_value("=?base64?a=b=?="), None);
    }
}
