//! JSON-RPC 2.0 as the transport needs it: classify what a client posted and what the
//! server sends, without building a full value tree. Ids are kept as canonical JSON text
//! (`request_id`): `1` and `"1"` differ, `1.0` and `1` do not, as in JS.
//!
//! The folder holds message parsing (`mod.rs`), the SDK's message schema (`message_schema.rs`)
//! and request ids (`request_id.rs`). It never does I/O and never knows sessions or HTTP.

pub(crate) mod message_schema;
pub mod request_id;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::fmt;

use self::request_id::IdError;
use crate::auth::challenge::InsufficientScope;

/// The MCP protocol versions the transport accepts in `MCP-Protocol-Version`
/// (the SDK's `SUPPORTED_PROTOCOL_VERSIONS`, newest first).
pub const SUPPORTED_PROTOCOL_VERSIONS: &[&str] = &[
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
    "2024-10-07",
];

/// The first version whose clients expect a priming event on SSE responses.
pub const PRIMING_PROTOCOL_VERSION: &str = "2025-11-25";

/// The first revision of the modern (sessionless, 2026-07-28) era; versions compare as ISO
/// dates (strings).
pub(crate) const FIRST_MODERN_VERSION: &str = "2026-07-28";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A request; its id as raw JSON text.
    Request {
        id: String,
    },
    Notification,
    Response {
        id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub kind: Kind,
    pub method: Option<String>,
}

impl Incoming {
    pub fn is_initialize(&self) -> bool {
        matches!(self.kind, Kind::Request { .. }) && self.method.as_deref() == Some("initialize")
    }
}

/// A parsed POST body: its messages in order and whether it was a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub messages: Vec<Incoming>,
    pub batch: bool,
    /// `params.protocolVersion` of an `initialize` request, when the body holds one.
    pub initialize_version: Option<String>,
}

impl Posted {
    pub fn request_ids(&self) -> impl Iterator<Item = &str> {
        self.messages.iter().filter_map(|m| match &m.kind {
            Kind::Request { id } => Some(id.as_str()),
            _ => None,
        })
    }

    pub fn has_requests(&self) -> bool {
        self.request_ids().next().is_some()
    }

    pub fn has_initialize(&self) -> bool {
        self.messages.iter().any(Incoming::is_initialize)
    }

    /// The id of the first request, used for error bodies that answer the whole POST.
    pub fn first_request_id(&self) -> Option<&str> {
        self.request_ids().next()
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Not JSON at all.
    InvalidJson,
    /// JSON, but not a JSON-RPC message (as the MCP SDK's schema has it) or a non-empty
    /// batch of them.
    NotJsonRpc,
    /// A JSON-RPC message the server could not answer as sent (an id that does not
    /// round-trip through JS, a repeated id in a batch, a batch over the cap): 400 -32600.
    InvalidRequest {
        message: String,
        /// The canonical id of the request concerned, when it has a usable one.
        id: Option<String>,
    },
}

impl ParseError {
    fn invalid(message: impl Into<String>, id: Option<String>) -> Self {
        ParseError::InvalidRequest {
            message: message.into(),
            id,
        }
    }
}

/// The top-level members of one message. Unknown members are noted, not skipped: the SDK's
/// schema is strict and drops a message that has one.
#[derive(Default)]
struct Probe<'a> {
    jsonrpc: Option<&'a str>,
    id: Option<&'a RawValue>,
    method: Option<String>,
    params: Option<&'a RawValue>,
    result: Option<&'a RawValue>,
    error: Option<&'a RawValue>,
    unknown: bool,
}

impl<'de> Deserialize<'de> for Probe<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = Probe<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON-RPC message object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe<'de>, A::Error> {
                let mut probe = Probe::default();
                // Borrowed keys: an escaped key (`"\u0069d"`) fails the parse instead of
                // being read differently here and in JS. A repeated key keeps the last value,
                // as `JSON.parse` does.
                while let Some(key) = map.next_key::<&'de str>()? {
                    match key {
                        "jsonrpc" => probe.jsonrpc = Some(map.next_value()?),
                        "id" => probe.id = Some(map.next_value()?),
                        "method" => probe.method = Some(map.next_value()?),
                        "params" => probe.params = Some(map.next_value()?),
                        "result" => probe.result = Some(map.next_value()?),
                        "error" => probe.error = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            probe.unknown = true;
                        }
                    }
                }
                Ok(probe)
            }
        }
        deserializer.deserialize_map(Members)
    }
}

#[derive(Deserialize)]
struct InitParams {
    #[serde(rename = "protocolVersion")]
    protocol_version: Option<String>,
}

/// The canonical id of a message, or why it cannot be used.
fn message_id(raw: &RawValue) -> Result<String, ParseError> {
    match request_id::canonical(raw.get()) {
        Ok(id) => Ok(id.into_owned()),
        Err(IdError::Invalid) => Err(ParseError::NotJsonRpc),
        Err(IdError::Null) => Err(ParseError::invalid(
            "Invalid Request: the id must not be null",
            None,
        )),
        Err(IdError::NotRoundTrip) => Err(ParseError::invalid(
            "Invalid Request: the id must be a string or an integer from -(2^53-1) to 2^53-1",
            None,
        )),
    }
}

fn classify(probe: Probe<'_>, init_version: &mut Option<String>) -> Result<Incoming, ParseError> {
    if probe.jsonrpc != Some("2.0") || probe.unknown {
        return Err(ParseError::NotJsonRpc);
    }
    let id = probe.id.map(message_id).transpose()?;
    let kind = match (&probe.method, id, probe.result, probe.error) {
        (Some(_), id, None, None) => {
            if !probe.params.is_none_or(message_schema::valid_params) {
                return Err(ParseError::NotJsonRpc);
            }
            match id {
                Some(id) => Kind::Request { id },
                None => Kind::Notification,
            }
        }
        (None, Some(id), Some(result), None) if probe.params.is_none() => {
            if !message_schema::valid_params(result) {
                return Err(ParseError::NotJsonRpc);
            }
            Kind::Response { id }
        }
        (None, Some(id), None, Some(error)) if probe.params.is_none() => {
            if !message_schema::valid_error(error) {
                return Err(ParseError::NotJsonRpc);
            }
            Kind::Response { id }
        }
        _ => return Err(ParseError::NotJsonRpc),
    };
    if matches!(kind, Kind::Request { .. }) && probe.method.as_deref() == Some("initialize") {
        *init_version = probe
            .params
            .and_then(|p| serde_json::from_str::<InitParams>(p.get()).ok())
            .and_then(|p| p.protocol_version);
    }
    Ok(Incoming {
        kind,
        method: probe.method,
    })
}

/// Parses a POST body into its messages. A batch holds at most `max_batch` messages and
/// never repeats a request id (a second request would take the first one's answer).
pub fn parse_posted(body: &[u8], max_batch: usize) -> Result<Posted, ParseError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let mut initialize_version = None;
    if first == Some(&b'[') {
        let items: Vec<&RawValue> =
            serde_json::from_slice(body).map_err(|_| ParseError::InvalidJson)?;
        if items.is_empty() {
            return Err(ParseError::NotJsonRpc);
        }
        if items.len() > max_batch {
            return Err(ParseError::invalid(
                format!("Invalid Request: a batch may hold at most {max_batch} messages"),
                None,
            ));
        }
        let mut messages = Vec::with_capacity(items.len());
        for item in items {
            let probe: Probe =
                serde_json::from_str(item.get()).map_err(|_| ParseError::NotJsonRpc)?;
            messages.push(classify(probe, &mut initialize_version)?);
        }
        let posted = Posted {
            messages,
            batch: true,
            initialize_version,
        };
        let mut seen = HashSet::with_capacity(posted.messages.len());
        if let Some(repeated) = posted.request_ids().find(|id| !seen.insert(*id)) {
            return Err(ParseError::invalid(
                "Invalid Request: a batch must not repeat a request id",
                Some(repeated.to_string()),
            ));
        }
        return Ok(posted);
    }
    let raw: &RawValue = serde_json::from_slice(body).map_err(|_| ParseError::InvalidJson)?;
    let probe: Probe = serde_json::from_str(raw.get()).map_err(|_| ParseError::NotJsonRpc)?;
    let message = classify(probe, &mut initialize_version)?;
    Ok(Posted {
        messages: vec![message],
        batch: false,
        initialize_version,
    })
}

/// What the transport needs to know of a message the server sends.
#[derive(Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// A response (result or error) to the request with this raw id.
    Response {
        id: String,
        /// Set when the response is an error carrying mcp-proxy's scope challenge.
        insufficient_scope: Option<InsufficientScope>,
    },
    /// A notification or a server→client request.
    Other,
}

#[derive(Deserialize)]
struct OutProbe<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    method: Option<IgnoredAny>,
    result: Option<IgnoredAny>,
    #[serde(borrow)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ErrorProbe<'a> {
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// Reads a scope challenge out of an error object; any other shape is an ordinary error.
fn scope_challenge(error: &RawValue) -> Option<InsufficientScope> {
    let data = serde_json::from_str::<ErrorProbe>(error.get()).ok()?.data?;
    let data: serde_json::Value = serde_json::from_str(data.get()).ok()?;
    InsufficientScope::from_error_data(&data)
}

pub fn classify_outgoing(json: &str) -> Result<Outgoing, ParseError> {
    let probe: OutProbe = serde_json::from_str(json).map_err(|_| ParseError::InvalidJson)?;
    match (probe.method, probe.id) {
        (None, Some(id)) if probe.result.is_some() || probe.error.is_some() => {
            Ok(Outgoing::Response {
                id: request_id::canonical(id.get())
                    .map_err(|_| ParseError::NotJsonRpc)?
                    .into_owned(),
                insufficient_scope: probe.error.and_then(scope_challenge),
            })
        }
        (Some(_), _) => Ok(Outgoing::Other),
        _ => Err(ParseError::NotJsonRpc),
    }
}

/// `{"error":{"code":C,"message":M},"id":ID,"jsonrpc":"2.0"}`, the one error body shape.
/// `id` is raw JSON text (`None` → `null`).
pub fn error_body(code: i64, message: &str, id: Option<&str>) -> String {
    format!(
        r#"{{"error":{{"code":{},"message":{}}},"id":{},"jsonrpc":"2.0"}}"#,
        code,
        serde_json::to_string(message).unwrap_or_else(|_| "\"\"".into()),
        id.unwrap_or("null")
    )
}

pub fn is_supported_version(version: &str) -> bool {
    SUPPORTED_PROTOCOL_VERSIONS.contains(&version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_single_messages() {
        let p = parse_posted(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, 100).unwrap();
        assert_eq!(p.messages[0].kind, Kind::Request { id: "1".into() });
        assert!(!p.batch);
        let p = parse_posted(
            br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            100,
        )
        .unwrap();
        assert_eq!(p.messages[0].kind, Kind::Notification);
        assert!(!p.has_requests());
        let p = parse_posted(br#"{"jsonrpc":"2.0","id":"a","result":{}}"#, 100).unwrap();
        assert_eq!(p.messages[0].kind, Kind::Response { id: "\"a\"".into() });
    }

    #[test]
    fn string_and_number_ids_differ() {
        let a = parse_posted(br#"{"jsonrpc":"2.0","id":"1","method":"x"}"#, 100).unwrap();
        let b = parse_posted(br#"{"jsonrpc":"2.0","id":1,"method":"x"}"#, 100).unwrap();
        assert_ne!(a.messages[0].kind, b.messages[0].kind);
    }

    #[test]
    fn reads_initialize_version() {
        let p = parse_posted(
            br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}"#,
            100,
        )
        .unwrap();
        assert!(p.has_initialize());
        assert_eq!(p.initialize_version.as_deref(), Some("2025-11-25"));
    }

    #[test]
    fn batches_keep_order() {
        let p = parse_posted(
            br#" [{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"},{"jsonrpc":"2.0","id":2,"method":"c"}]"#,
            100,
        )
        .unwrap();
        assert!(p.batch);
        assert_eq!(p.request_ids().collect::<Vec<_>>(), vec!["1", "2"]);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            parse_posted(b"{not json", 100),
            Err(ParseError::InvalidJson)
        );
        assert_eq!(parse_posted(b"", 100), Err(ParseError::InvalidJson));
        assert_eq!(parse_posted(b"[]", 100), Err(ParseError::NotJsonRpc));
        assert_eq!(
            parse_posted(br#"{"foo":1}"#, 100),
            Err(ParseError::NotJsonRpc)
        );
        assert_eq!(
            parse_posted(br#"{"jsonrpc":"1.0","method":"x"}"#, 100),
            Err(ParseError::NotJsonRpc)
        );
        assert_eq!(
            parse_posted(br#"{"jsonrpc":"2.0","id":{},"method":"x"}"#, 100),
            Err(ParseError::NotJsonRpc)
        );
        assert_eq!(parse_posted(br#"[1,2]"#, 100), Err(ParseError::NotJsonRpc));
        assert_eq!(
            parse_posted(br#"{"jsonrpc":"2.0","id":1}"#, 100),
            Err(ParseError::NotJsonRpc)
        );
    }

    fn invalid_request(body: &[u8]) -> (String, Option<String>) {
        match parse_posted(body, 3) {
            Err(ParseError::InvalidRequest { message, id }) => (message, id),
            other => panic!("expected an invalid request, got {other:?}"),
        }
    }

    #[test]
    fn ids_are_canonical() {
        let p = parse_posted(
            br#"[{"jsonrpc":"2.0","id":1.0,"method":"a"},{"jsonrpc":"2.0","id":"\u0041","method":"b"}]"#,
            100,
        )
        .unwrap();
        assert_eq!(p.request_ids().collect::<Vec<_>>(), vec!["1", r#""A""#]);
        assert_eq!(
            classify_outgoing(r#"{"jsonrpc":"2.0","id":"\u0041","result":{}}"#),
            Ok(Outgoing::Response {
                id: r#""A""#.into(),
                insufficient_scope: None
            })
        );
    }

    #[test]
    fn refuses_ids_the_js_server_cannot_answer() {
        for body in [
            br#"{"jsonrpc":"2.0","id":null,"method":"x"}"#.as_slice(),
            br#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#,
            br#"{"jsonrpc":"2.0","id":9007199254740993,"method":"x"}"#,
        ] {
            let (message, id) = invalid_request(body);
            assert!(message.starts_with("Invalid Request: the id"), "{message}");
            assert_eq!(id, None);
        }
    }

    #[test]
    fn refuses_what_the_sdk_schema_drops() {
        for body in [
            br#"{"jsonrpc":"2.0","id":1,"method":"ping","extra":1}"#.as_slice(),
            br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":null}"#,
            br#"{"jsonrpc":"2.0","method":"n","params":{"_meta":{"progressToken":0.5}}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"ping","result":{}}"#,
            br#"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}}"#,
            br#"{"jsonrpc":"2.0","id":1,"result":[]}"#,
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"x"}}"#,
            br#"{"jsonrpc":"2.0","\u0069d":1,"method":"ping"}"#,
        ] {
            assert_eq!(
                parse_posted(body, 100),
                Err(ParseError::NotJsonRpc),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn batches_are_capped_and_never_repeat_an_id() {
        let ping = |id: u32| format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#);
        let batch = |ids: &[u32]| {
            let items: Vec<String> = ids.iter().map(|&i| ping(i)).collect();
            format!("[{}]", items.join(","))
        };
        assert!(parse_posted(batch(&[1, 2, 3]).as_bytes(), 3).is_ok());
        let (message, _) = invalid_request(batch(&[1, 2, 3, 4]).as_bytes());
        assert_eq!(
            message,
            "Invalid Request: a batch may hold at most 3 messages"
        );
        let (message, id) = invalid_request(
            br#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","id":1.0,"method":"b"}]"#,
        );
        assert_eq!(
            (message.as_str(), id.as_deref()),
            (
                "Invalid Request: a batch must not repeat a request id",
                Some("1")
            )
        );
    }

    #[test]
    fn a_large_batch_is_walked_once() {
        // 200k distinct ids: a pairwise duplicate check would take minutes here.
        let items: Vec<String> = (0..200_000)
            .map(|i| format!(r#"{{"jsonrpc":"2.0","id":{i},"method":"ping"}}"#))
            .collect();
        let body = format!("[{}]", items.join(","));
        let posted = parse_posted(body.as_bytes(), usize::MAX).unwrap();
        assert_eq!(posted.request_ids().count(), 200_000);
    }

    #[test]
    fn classifies_outgoing() {
        assert_eq!(
            classify_outgoing(r#"{"jsonrpc":"2.0","id":7,"result":{}}"#),
            Ok(Outgoing::Response {
                id: "7".into(),
                insufficient_scope: None
            })
        );
        assert_eq!(
            classify_outgoing(r#"{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"x"}}"#),
            Ok(Outgoing::Response {
                id: "7".into(),
                insufficient_scope: None
            })
        );
        assert_eq!(
            classify_outgoing(r#"{"jsonrpc":"2.0","id":3,"method":"roots/list"}"#),
            Ok(Outgoing::Other)
        );
        assert_eq!(
            classify_outgoing(r#"{"jsonrpc":"2.0","method":"notifications/progress"}"#),
            Ok(Outgoing::Other)
        );
        assert!(classify_outgoing("nope").is_err());
    }

    #[test]
    fn finds_scope_challenges_in_error_data() {
        let json = r#"{"jsonrpc":"2.0","id":4,"error":{"code":-32001,"message":"no","data":{"error":"insufficient_scope","requiredScopes":["admin","write"],"errorDescription":"needs admin"}}}"#;
        let Ok(Outgoing::Response {
            insufficient_scope: Some(c),
            ..
        }) = classify_outgoing(json)
        else {
            panic!("not recognised")
        };
        assert_eq!(c.required_scopes, vec!["admin", "write"]);
        assert_eq!(c.error_description.as_deref(), Some("needs admin"));
        for other in [
            r#"{"jsonrpc":"2.0","id":4,"error":{"code":1,"message":"x","data":"text"}}"#,
            r#"{"jsonrpc":"2.0","id":4,"error":{"code":1,"message":"x","data":{"error":"other"}}}"#,
            r#"{"jsonrpc":"2.0","id":4,"error":{"code":1,"message":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":4,"result":{"data":{"error":"insufficient_scope"}}}"#,
        ] {
            assert!(
                matches!(
                    classify_outgoing(other),
                    Ok(Outgoing::Response {
                        insufficient_scope: None,
                        ..
                    })
                ),
                "{other}"
            );
        }
    }

    #[test]
    fn error_body_shape() {
        assert_eq!(
            error_body(-32000, "Bad \"x\"", None),
            r#"{"error":{"code":-32000,"message":"Bad \"x\""},"id":null,"jsonrpc":"2.0"}"#
        );
        assert_eq!(
            error_body(-32600, "m", Some("\"a\"")),
            r#"{"error":{"code":-32600,"message":"m"},"id":"a","jsonrpc":"2.0"}"#
        );
    }
}
