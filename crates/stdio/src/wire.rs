//! JSON-RPC messages as the router handles them: parsed once into borrowed raw parts
//! (`RawValue`), so a result or an error passes through byte for byte and only the id is
//! rewritten; progress tokens and the 2026-07-28 envelope are the only edits of `params`.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// One message, its parts borrowed from the text it was parsed from.
#[derive(Deserialize, Debug)]
pub struct Message<'a> {
    #[serde(borrow, default)]
    pub id: Option<&'a RawValue>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(borrow, default)]
    pub params: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub error: Option<&'a RawValue>,
}

impl<'a> Message<'a> {
    pub fn parse(text: &'a str) -> Option<Message<'a>> {
        serde_json::from_str(text).ok()
    }

    pub fn is_request(&self) -> bool {
        self.method.is_some() && self.id.is_some()
    }

    pub fn is_notification(&self) -> bool {
        self.method.is_some() && self.id.is_none()
    }

    pub fn is_response(&self) -> bool {
        self.method.is_none() && self.id.is_some()
    }

    pub fn id_text(&self) -> Option<&'a str> {
        self.id.map(RawValue::get)
    }
}

/// A request or notification with `params` as given (raw JSON text, or none).
pub fn request(id: Option<&str>, method: &str, params: Option<&str>) -> String {
    let method = Value::String(method.into()).to_string();
    let mut out = String::with_capacity(64 + params.map_or(0, str::len));
    out.push_str("{\"jsonrpc\":\"2.0\",");
    if let Some(id) = id {
        out.push_str("\"id\":");
        out.push_str(id);
        out.push(',');
    }
    out.push_str("\"method\":");
    out.push_str(&method);
    if let Some(params) = params {
        out.push_str(",\"params\":");
        out.push_str(params);
    }
    out.push('}');
    out
}

/// A response carrying `result` or `error` (raw JSON text) under `id`.
pub fn response(id: &str, result: Option<&str>, error: Option<&str>) -> String {
    let (key, body) = match (result, error) {
        (_, Some(error)) => ("error", error),
        (Some(result), None) => ("result", result),
        (None, None) => ("result", "{}"),
    };
    let mut out = String::with_capacity(32 + id.len() + body.len());
    out.push_str("{\"jsonrpc\":\"2.0\",\"id\":");
    out.push_str(id);
    out.push_str(",\"");
    out.push_str(key);
    out.push_str("\":");
    out.push_str(body);
    out.push('}');
    out
}

/// A JSON-RPC error response.
pub fn error(id: &str, code: i64, message: &str) -> String {
    let error = serde_json::json!({ "code": code, "message": message }).to_string();
    response(id, None, Some(&error))
}

/// `notifications/cancelled` for an upstream request.
pub fn cancelled(upstream_id: u64, reason: Option<&str>) -> String {
    let params = match reason {
        Some(reason) => serde_json::json!({ "requestId": upstream_id, "reason": reason }),
        None => serde_json::json!({ "requestId": upstream_id }),
    };
    request(None, "notifications/cancelled", Some(&params.to_string()))
}

/// Where a request's `_meta.progressToken` is, if it has one.
pub fn progress_token(params: Option<&RawValue>) -> Option<String> {
    let params = params?;
    // Most requests carry no token: skip the parse of their params.
    if !params.get().contains("progressToken") {
        return None;
    }
    #[derive(Deserialize)]
    struct Params<'a> {
        #[serde(borrow, rename = "_meta")]
        meta: Option<Meta<'a>>,
    }
    #[derive(Deserialize)]
    struct Meta<'a> {
        #[serde(borrow, rename = "progressToken")]
        token: Option<&'a RawValue>,
    }
    let parsed: Params = serde_json::from_str(params.get()).ok()?;
    parsed.meta?.token.map(|t| t.get().to_string())
}

/// The key prefix of the 2026-07-28 per-request envelope in `_meta`.
pub const ENVELOPE_PREFIX: &str = "io.modelcontextprotocol/";

/// `params` for upstream: the progress token replaced by `token` (when given), the
/// 2026-07-28 envelope keys removed (`strip`), the child's envelope added (`envelope`, for a
/// 2026-07-28 child). `None` when nothing changes.
pub fn upstream_params(
    params: Option<&RawValue>,
    token: Option<u64>,
    strip: bool,
    envelope: Option<&Map<String, Value>>,
) -> Option<String> {
    if token.is_none() && !strip && envelope.is_none() {
        return None;
    }
    let mut value: Map<String, Value> = match params {
        Some(params) => serde_json::from_str(params.get()).ok()?,
        None => Map::new(),
    };
    if envelope.is_some() && !value.contains_key("_meta") {
        value.insert("_meta".into(), Value::Object(Map::new()));
    }
    if let Some(Value::Object(meta)) = value.get_mut("_meta") {
        if strip {
            meta.retain(|key, _| !key.starts_with(ENVELOPE_PREFIX));
        }
        if let Some(token) = token {
            meta.insert("progressToken".into(), Value::from(token));
        }
        for (key, v) in envelope.into_iter().flatten() {
            meta.insert(key.clone(), v.clone());
        }
        if meta.is_empty() {
            value.remove("_meta");
        }
    }
    if params.is_none() && value.is_empty() {
        return None;
    }
    Some(Value::Object(value).to_string())
}

const SUBSCRIPTION_ID_KEY: &str = "io.modelcontextprotocol/subscriptionId";

/// A change notification from a 2026-07-28 child's listen stream as a 2025 client gets it:
/// without the upstream stream's `subscriptionId` (6.7.19 leaks it); other lines as they are.
pub fn without_subscription_id(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains(SUBSCRIPTION_ID_KEY) {
        return line.into();
    }
    let Ok(mut value) = serde_json::from_str::<Map<String, Value>>(line) else {
        return line.into();
    };
    if let Some(Value::Object(params)) = value.get_mut("params") {
        if let Some(Value::Object(meta)) = params.get_mut("_meta") {
            meta.remove(SUBSCRIPTION_ID_KEY);
            if meta.is_empty() {
                params.remove("_meta");
            }
        }
    }
    Value::Object(value).to_string().into()
}

/// A progress notification from upstream with its token restored to the downstream one.
pub fn restore_progress(params: &RawValue, downstream_token: &str) -> Option<String> {
    let mut value: Map<String, Value> = serde_json::from_str(params.get()).ok()?;
    let token: Value = serde_json::from_str(downstream_token).ok()?;
    value.insert("progressToken".into(), token);
    Some(request(
        None,
        "notifications/progress",
        Some(&Value::Object(value).to_string()),
    ))
}

/// The upstream id a `notifications/progress` or `notifications/cancelled` names.
pub fn number_field(params: Option<&RawValue>, field: &str) -> Option<u64> {
    let value: Map<String, Value> = serde_json::from_str(params?.get()).ok()?;
    value.get(field)?.as_u64()
}

/// A string field of `params` (`level`, `uri`).
pub fn string_field(params: Option<&RawValue>, field: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Any {
        #[serde(flatten)]
        fields: Map<String, Value>,
    }
    let any: Any = serde_json::from_str(params?.get()).ok()?;
    any.fields.get(field)?.as_str().map(str::to_string)
}

/// The raw JSON `requestId` of a downstream `notifications/cancelled`.
pub fn cancelled_request_id(params: Option<&RawValue>) -> Option<String> {
    #[derive(Deserialize)]
    struct Params<'a> {
        #[serde(borrow, rename = "requestId")]
        id: Option<&'a RawValue>,
    }
    let parsed: Params = serde_json::from_str(params?.get()).ok()?;
    parsed.id.map(|id| canonical_id(id.get()))
}

/// An id as the key it is looked up by: `1`, `1.0` and ` 1 ` are one id; `"1"` another.
pub fn canonical_id(raw: &str) -> String {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Ok(value) => value.to_string(),
        Err(_) => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.into()).unwrap()
    }

    #[test]
    fn result_passes_byte_for_byte_with_the_id_rewritten() {
        let line = r#"{"result":{"b":1,"a":"\u00e9 \/"},"jsonrpc":"2.0","id":7}"#;
        let m = Message::parse(line).unwrap();
        assert!(m.is_response());
        assert_eq!(
            response("\"down-1\"", m.result.map(RawValue::get), None),
            r#"{"jsonrpc":"2.0","id":"down-1","result":{"b":1,"a":"\u00e9 \/"}}"#
        );
    }

    #[test]
    fn progress_token_is_replaced_and_restored() {
        let params = raw(r#"{"name":"t","_meta":{"progressToken":"down-tok","x":1}}"#);
        assert_eq!(
            progress_token(Some(&params)).as_deref(),
            Some("\"down-tok\"")
        );
        let up = upstream_params(Some(&params), Some(12), false, None).unwrap();
        assert_eq!(up, r#"{"name":"t","_meta":{"progressToken":12,"x":1}}"#);
        let progress = raw(r#"{"progressToken":12,"progress":1,"total":2}"#);
        assert_eq!(number_field(Some(&progress), "progressToken"), Some(12));
        assert_eq!(
            restore_progress(&progress, "\"down-tok\"").unwrap(),
            r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"down-tok","progress":1,"total":2}}"#
        );
    }

    #[test]
    fn no_token_no_rewrite() {
        let params = raw(r#"{"name":"t"}"#);
        assert_eq!(progress_token(Some(&params)), None);
        assert_eq!(upstream_params(Some(&params), None, false, None), None);
    }

    #[test]
    fn envelope_is_stripped() {
        let params = raw(
            r#"{"name":"t","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","custom":1}}"#,
        );
        assert_eq!(
            upstream_params(Some(&params), None, true, None).unwrap(),
            r#"{"name":"t","_meta":{"custom":1}}"#
        );
        let only = raw(r#"{"_meta":{"io.modelcontextprotocol/clientCapabilities":{}}}"#);
        assert_eq!(
            upstream_params(Some(&only), None, true, None).unwrap(),
            "{}"
        );
    }

    #[test]
    fn the_upstream_subscription_id_is_removed() {
        let line = r#"{"jsonrpc":"2.0","method":"notifications/resources/updated","params":{"uri":"u","_meta":{"io.modelcontextprotocol/subscriptionId":3}}}"#;
        assert_eq!(
            without_subscription_id(line),
            r#"{"jsonrpc":"2.0","method":"notifications/resources/updated","params":{"uri":"u"}}"#
        );
        let plain = r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#;
        assert_eq!(without_subscription_id(plain), plain);
    }

    #[test]
    fn envelope_is_added_for_a_2026_child() {
        let mut envelope = Map::new();
        envelope.insert(
            "io.modelcontextprotocol/protocolVersion".into(),
            Value::from("2026-07-28"),
        );
        let params = raw(r#"{"name":"t","_meta":{"progressToken":"x"}}"#);
        assert_eq!(
            upstream_params(Some(&params), Some(3), false, Some(&envelope)).unwrap(),
            r#"{"name":"t","_meta":{"progressToken":3,"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}"#
        );
        assert_eq!(
            upstream_params(None, None, false, Some(&envelope)).unwrap(),
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}"#
        );
    }

    #[test]
    fn ids_compare_as_in_js() {
        assert_eq!(canonical_id("1"), canonical_id("1.0"));
        assert_ne!(canonical_id("1"), canonical_id("\"1\""));
        let cancel = raw(r#"{"requestId":"a","reason":"user-abort"}"#);
        assert_eq!(cancelled_request_id(Some(&cancel)).unwrap(), "\"a\"");
        assert_eq!(
            string_field(Some(&cancel), "reason").as_deref(),
            Some("user-abort")
        );
    }

    #[test]
    fn requests_and_errors_are_built() {
        assert_eq!(
            request(Some("3"), "tools/list", None),
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#
        );
        assert_eq!(
            error("1", -32603, "Connection closed"),
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Connection closed"}}"#
        );
        assert_eq!(
            cancelled(4, Some("Request timed out")),
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4,"reason":"Request timed out"}}"#
        );
    }
}
