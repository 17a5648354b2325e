//! The shapes the MCP SDK's `JSONRPCMessageSchema` requires beyond the envelope. The SDK
//! silently drops a message that fails it (its `Protocol` only reports it to `onerror`),
//! so a request the transport let through would never be answered: refusing it here is
//! what the SDK's own HTTP transport does (400 -32700, "Invalid JSON-RPC message").
//!
//! It checks shapes only; it never answers (the POST route does).

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::jsonrpc::request_id;

/// A member that is present, even as `null` (which a plain `Option` would read as absent,
/// while the SDK's optional fields refuse it).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

fn is_object(raw: &RawValue) -> bool {
    raw.get().starts_with('{')
}

/// `params._meta` of a request or notification, `result._meta` of a response.
#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(
        rename = "progressToken",
        borrow,
        default,
        deserialize_with = "present"
    )]
    progress_token: Option<&'a RawValue>,
    #[serde(
        rename = "io.modelcontextprotocol/related-task",
        borrow,
        default,
        deserialize_with = "present"
    )]
    related_task: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RelatedTask<'a> {
    #[serde(rename = "taskId", borrow)]
    task_id: &'a RawValue,
}

#[derive(Deserialize)]
struct WithMeta<'a> {
    #[serde(rename = "_meta", borrow, default, deserialize_with = "present")]
    meta: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ErrorObject<'a> {
    #[serde(borrow)]
    code: &'a RawValue,
    #[serde(borrow)]
    message: &'a RawValue,
}

fn valid_meta(meta: &RawValue) -> bool {
    if !is_object(meta) {
        return false;
    }
    let Ok(meta) = serde_json::from_str::<Meta>(meta.get()) else {
        return false;
    };
    let token_ok = meta
        .progress_token
        .is_none_or(|t| request_id::is_valid(t.get()));
    let task_ok = meta.related_task.is_none_or(|t| {
        is_object(t)
            && serde_json::from_str::<RelatedTask>(t.get())
                .is_ok_and(|t| t.task_id.get().starts_with('"'))
    });
    token_ok && task_ok
}

/// An object whose `_meta`, when present, has the SDK's shape (`params` of a request or
/// notification, `result` of a response).
pub fn valid_params(raw: &RawValue) -> bool {
    is_object(raw)
        && serde_json::from_str::<WithMeta>(raw.get()).is_ok_and(|p| p.meta.is_none_or(valid_meta))
}

/// `{ code: integer, message: string, data?: any }`.
pub fn valid_error(raw: &RawValue) -> bool {
    is_object(raw)
        && serde_json::from_str::<ErrorObject>(raw.get()).is_ok_and(|e| {
            e.message.get().starts_with('"')
                && !e.code.get().starts_with('"')
                && request_id::is_valid(e.code.get())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> &RawValue {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn params_must_be_an_object_with_a_well_formed_meta() {
        for good in [
            "{}",
            r#"{"name":"x","arguments":{}}"#,
            r#"{"_meta":{"progressToken":1,"other":true}}"#,
            r#"{"_meta":{"progressToken":"t"}}"#,
            r#"{"_meta":{"io.modelcontextprotocol/related-task":{"taskId":"a"}}}"#,
        ] {
            assert!(valid_params(raw(good)), "{good}");
        }
        for bad in [
            "[1,2]",
            "null",
            "1",
            r#""x""#,
            r#"{"_meta":null}"#,
            r#"{"_meta":[]}"#,
            r#"{"_meta":{"progressToken":1.5}}"#,
            r#"{"_meta":{"progressToken":{}}}"#,
            r#"{"_meta":{"progressToken":null}}"#,
            r#"{"_meta":{"io.modelcontextprotocol/related-task":{"taskId":1}}}"#,
            r#"{"_meta":{"io.modelcontextprotocol/related-task":"a"}}"#,
        ] {
            assert!(!valid_params(raw(bad)), "{bad}");
        }
    }

    #[test]
    fn errors_have_an_integer_code_and_a_string_message() {
        assert!(valid_error(raw(r#"{"code":-1,"message":"m","data":[]}"#)));
        assert!(!valid_error(raw(r#"{"code":"1","message":"m"}"#)));
        assert!(!valid_error(raw(r#"{"code":1.5,"message":"m"}"#)));
        assert!(!valid_error(raw(r#"{"code":1}"#)));
        assert!(!valid_error(raw(r#"{"code":1,"message":2}"#)));
        assert!(!valid_error(raw("[]")));
    }
}
