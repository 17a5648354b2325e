//! JSON-RPC 2.0 as the transport needs it: classify what a client posted and what the
//! server sends, without building a full value tree. Ids are kept as their raw JSON text
//! (`1` and `"1"` are different ids), which is also how JS names them across the boundary.

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;

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
    /// JSON, but not a JSON-RPC message or a non-empty batch of them.
    NotJsonRpc,
}

#[derive(Deserialize)]
struct Probe<'a> {
    jsonrpc: Option<&'a str>,
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    method: Option<String>,
    params: Option<InitParams>,
    result: Option<IgnoredAny>,
    error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct InitParams {
    #[serde(rename = "protocolVersion")]
    protocol_version: Option<String>,
}

fn valid_id(id: &RawValue) -> bool {
    let text = id.get();
    text.starts_with('"') || text.starts_with('-') || text.as_bytes()[0].is_ascii_digit()
}

fn classify(probe: Probe<'_>, init_version: &mut Option<String>) -> Result<Incoming, ParseError> {
    if probe.jsonrpc != Some("2.0") {
        return Err(ParseError::NotJsonRpc);
    }
    let id = match probe.id {
        Some(id) if !valid_id(id) => return Err(ParseError::NotJsonRpc),
        other => other.map(|id| id.get().to_string()),
    };
    let kind = match (&probe.method, id) {
        (Some(_), Some(id)) => Kind::Request { id },
        (Some(_), None) => Kind::Notification,
        (None, Some(id)) if probe.result.is_some() || probe.error.is_some() => {
            Kind::Response { id }
        }
        _ => return Err(ParseError::NotJsonRpc),
    };
    if matches!(kind, Kind::Request { .. }) && probe.method.as_deref() == Some("initialize") {
        *init_version = probe.params.and_then(|p| p.protocol_version);
    }
    Ok(Incoming {
        kind,
        method: probe.method,
    })
}

/// Parses a POST body into its messages.
pub fn parse_posted(body: &[u8]) -> Result<Posted, ParseError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let mut initialize_version = None;
    if first == Some(&b'[') {
        let items: Vec<&RawValue> =
            serde_json::from_slice(body).map_err(|_| ParseError::InvalidJson)?;
        if items.is_empty() {
            return Err(ParseError::NotJsonRpc);
        }
        let mut messages = Vec::with_capacity(items.len());
        for item in items {
            let probe: Probe =
                serde_json::from_str(item.get()).map_err(|_| ParseError::NotJsonRpc)?;
            messages.push(classify(probe, &mut initialize_version)?);
        }
        return Ok(Posted {
            messages,
            batch: true,
            initialize_version,
        });
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
                id: id.get().to_string(),
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
        let p = parse_posted(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).unwrap();
        assert_eq!(p.messages[0].kind, Kind::Request { id: "1".into() });
        assert!(!p.batch);
        let p = parse_posted(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert_eq!(p.messages[0].kind, Kind::Notification);
        assert!(!p.has_requests());
        let p = parse_posted(br#"{"jsonrpc":"2.0","id":"a","result":{}}"#).unwrap();
        assert_eq!(p.messages[0].kind, Kind::Response { id: "\"a\"".into() });
    }

    #[test]
    fn string_and_number_ids_differ() {
        let a = parse_posted(br#"{"jsonrpc":"2.0","id":"1","method":"x"}"#).unwrap();
        let b = parse_posted(br#"{"jsonrpc":"2.0","id":1,"method":"x"}"#).unwrap();
        assert_ne!(a.messages[0].kind, b.messages[0].kind);
    }

    #[test]
    fn reads_initialize_version() {
        let p = parse_posted(
            br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}"#,
        )
        .unwrap();
        assert!(p.has_initialize());
        assert_eq!(p.initialize_version.as_deref(), Some("2025-11-25"));
    }

    #[test]
    fn batches_keep_order() {
        let p = parse_posted(
            br#" [{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"},{"jsonrpc":"2.0","id":2,"method":"c"}]"#,
        )
        .unwrap();
        assert!(p.batch);
        assert_eq!(p.request_ids().collect::<Vec<_>>(), vec!["1", "2"]);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(parse_posted(b"{not json"), Err(ParseError::InvalidJson));
        assert_eq!(parse_posted(b""), Err(ParseError::InvalidJson));
        assert_eq!(parse_posted(b"[]"), Err(ParseError::NotJsonRpc));
        assert_eq!(parse_posted(br#"{"foo":1}"#), Err(ParseError::NotJsonRpc));
        assert_eq!(
            parse_posted(br#"{"jsonrpc":"1.0","method":"x"}"#),
            Err(ParseError::NotJsonRpc)
        );
        assert_eq!(
            parse_posted(br#"{"jsonrpc":"2.0","id":{},"method":"x"}"#),
            Err(ParseError::NotJsonRpc)
        );
        assert_eq!(parse_posted(br#"[1,2]"#), Err(ParseError::NotJsonRpc));
        assert_eq!(
            parse_posted(br#"{"jsonrpc":"2.0","id":1}"#),
            Err(ParseError::NotJsonRpc)
        );
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
