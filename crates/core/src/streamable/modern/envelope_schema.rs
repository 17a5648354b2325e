//! The SDK v2's schema for the 2026-07-28 `_meta` envelope (`RequestMetaEnvelopeSchema`:
//! `ClientCapabilities2026Schema`, `ImplementationSchema`, `ProgressTokenSchema`), mirrored
//! so Rust can vouch for an envelope before it answers a header fault: the SDK checks the
//! envelope first, so a request with both faults must get the envelope's -32602, worded by
//! the SDK. The mirror only has to be right in one direction: what it accepts, the SDK
//! accepts; anything it is unsure of goes to the SDK (`Route::Sdk`), which words it.
//! zod objects drop unknown keys, `optional()` allows a key to be absent, never `null`.

use serde_json::{Map, Value};

/// `key` absent, or present and accepted by `ok`.
fn optional(object: &Map<String, Value>, key: &str, ok: impl Fn(&Value) -> bool) -> bool {
    object.get(key).is_none_or(ok)
}

/// An object whose fields `ok` accepts.
fn object(value: &Value, ok: impl Fn(&Map<String, Value>) -> bool) -> bool {
    value.as_object().is_some_and(ok)
}

/// `z.record(z.string(), JSONObjectSchema)`: an object of objects.
fn record_of_objects(value: &Value) -> bool {
    object(value, |m| m.values().all(Value::is_object))
}

/// `ClientCapabilities2026Schema`.
pub(super) fn client_capabilities(value: &Value) -> bool {
    object(value, |c| {
        optional(c, "experimental", record_of_objects)
            && optional(c, "extensions", record_of_objects)
            && optional(c, "sampling", |s| {
                object(s, |s| {
                    optional(s, "context", Value::is_object)
                        && optional(s, "tools", Value::is_object)
                })
            })
            && optional(c, "roots", |r| {
                object(r, |r| optional(r, "listChanged", Value::is_boolean))
            })
            && optional(c, "elicitation", |e| {
                object(e, |e| {
                    optional(e, "form", |f| {
                        object(f, |f| optional(f, "applyDefaults", Value::is_boolean))
                    }) && optional(e, "url", Value::is_object)
                })
            })
    })
}

/// `ImplementationSchema` (the envelope's `clientInfo`).
pub(super) fn implementation(value: &Value) -> bool {
    object(value, |i| {
        i.get("name").is_some_and(Value::is_string)
            && i.get("version").is_some_and(Value::is_string)
            && ["title", "websiteUrl", "description"]
                .iter()
                .all(|key| optional(i, key, Value::is_string))
            && optional(i, "icons", |icons| {
                icons.as_array().is_some_and(|a| a.iter().all(icon))
            })
    })
}

/// `IconSchema`.
fn icon(value: &Value) -> bool {
    object(value, |icon| {
        icon.get("src").is_some_and(Value::is_string)
            && optional(icon, "mimeType", Value::is_string)
            && optional(icon, "sizes", |s| {
                s.as_array().is_some_and(|a| a.iter().all(Value::is_string))
            })
            && optional(icon, "theme", |t| {
                matches!(t.as_str(), Some("light" | "dark"))
            })
    })
}

/// `ProgressTokenSchema` (a string or an integer), where Rust is sure: a number the SDK
/// might read differently (a fraction, `1.0`, beyond 2^53 − 1) counts as not accepted.
pub(super) fn progress_token(value: &Value) -> bool {
    const MAX_SAFE: i64 = (1 << 53) - 1;
    value.is_string()
        || value
            .as_i64()
            .is_some_and(|n| (-MAX_SAFE..=MAX_SAFE).contains(&n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn capabilities() {
        for ok in [
            json!({}),
            json!({"foo": 1, "roots": {"listChanged": true, "x": 1}}),
            json!({"elicitation": {}, "sampling": {"context": {}}, "experimental": {"a": {}}}),
            json!({"elicitation": {"form": {"applyDefaults": false}, "url": {}}}),
        ] {
            assert!(client_capabilities(&ok), "{ok}");
        }
        for bad in [
            json!([]),
            json!("x"),
            json!({"roots": 5}),
            json!({"roots": null}),
            json!({"roots": {"listChanged": "yes"}}),
            json!({"sampling": {"tools": []}}),
            json!({"elicitation": []}),
            json!({"elicitation": {"form": {"applyDefaults": 1}}}),
            json!({"experimental": {"a": 1}}),
            json!({"extensions": {"a": null}}),
        ] {
            assert!(!client_capabilities(&bad), "{bad}");
        }
    }

    #[test]
    fn client_info_and_progress_token() {
        assert!(implementation(
            &json!({"name": "a", "version": "1", "title": "A",
            "icons": [{"src": "x", "sizes": ["16x16"], "theme": "dark"}]})
        ));
        for bad in [
            json!({"name": "a"}),
            json!({"name": "a", "version": "1", "title": 5}),
            json!({"name": "a", "version": "1", "icons": [{}]}),
            json!({"name": "a", "version": "1", "icons": [{"src": "x", "theme": "blue"}]}),
        ] {
            assert!(!implementation(&bad), "{bad}");
        }
        assert!(progress_token(&json!("t")) && progress_token(&json!(7)));
        assert!(!progress_token(&json!(1.5)) && !progress_token(&json!(1.0)));
        assert!(!progress_token(&json!(true)) && !progress_token(&json!(9007199254740992_i64)));
    }
}
