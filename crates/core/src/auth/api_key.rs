//! The `apiKey` option (CONTRACT §5.4): the `X-API-Key` check and its 401 answer.
//!
//! It never sees sessions; the pipeline and `authenticate` decide when to check.

use subtle::ConstantTimeEq;

/// The request header that carries the key (header names compare case-insensitively).
pub const API_KEY_HEADER: &str = "x-api-key";

/// The 401 message for a missing or wrong key.
pub const API_KEY_UNAUTHORIZED_MESSAGE: &str = "Unauthorized: Invalid or missing API key";

/// The exact 401 body of CONTRACT §5.4 (mcp-proxy's bytes: member order included).
pub const API_KEY_UNAUTHORIZED_BODY: &str = r#"{"error":{"code":401,"message":"Unauthorized: Invalid or missing API key"},"id":null,"jsonrpc":"2.0"}"#;

/// The `X-API-Key` value to check: `None` when absent or sent more than once (Node joins
/// repeated headers as `a, b`, which mcp-proxy then never matched; refusing them is the same).
pub fn api_key_from_headers(headers: &http::HeaderMap) -> Option<&[u8]> {
    let mut values = headers.get_all(API_KEY_HEADER).iter();
    let first = values.next()?;
    values.next().is_none().then(|| first.as_bytes())
}

/// Whether `given` is the configured key, in constant time.
///
/// The work is one constant-time byte comparison per byte of `expected`, whatever `given`
/// holds: a shorter `given` is compared as if zero-padded, a longer one is never read past
/// `expected.len()`, and the length check is folded into the same `subtle::Choice` instead
/// of returning early. So the time depends only on the configured key's length, and the
/// answer reveals nothing about where the keys first differ.
///
/// An empty configured key never matches: `apiKey: ""` means "no API key" (mcp-proxy's
/// falsy check), and the caller must not install the check for it.
pub fn api_key_matches(given: Option<&[u8]>, expected: &[u8]) -> bool {
    let Some(given) = given else {
        return false;
    };
    if expected.is_empty() {
        return false;
    }
    let mut equal = (given.len() as u64).ct_eq(&(expected.len() as u64));
    for (i, want) in expected.iter().enumerate() {
        let got = given.get(i).copied().unwrap_or(0);
        equal &= got.ct_eq(want);
    }
    equal.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};

    #[test]
    fn matches_only_the_exact_key() {
        assert!(api_key_matches(Some(b"secret"), b"secret"));
        assert!(api_key_matches(
            Some("clé-✓".as_bytes()),
            "clé-✓".as_bytes()
        ));
        for wrong in [
            &b"secreT"[..],
            b"Secret",
            b"secret ",
            b" secret",
            b"secret-longer",
            b"sec",
            b"secre",
            b"secret\0",
            b"",
            b"\0\0\0\0\0\0",
        ] {
            assert!(!api_key_matches(Some(wrong), b"secret"), "{wrong:?}");
        }
        assert!(!api_key_matches(None, b"secret"));
    }

    #[test]
    fn a_zero_padded_prefix_is_not_the_key() {
        // The padding byte used for a short key must not make a prefix match.
        assert!(!api_key_matches(Some(b"ab"), b"ab\0"));
        assert!(!api_key_matches(Some(b"ab\0"), b"ab"));
    }

    #[test]
    fn an_empty_configured_key_never_matches() {
        assert!(!api_key_matches(Some(b""), b""));
        assert!(!api_key_matches(None, b""));
    }

    #[test]
    fn the_key_comes_from_exactly_one_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(api_key_from_headers(&headers), None);
        headers.insert("X-API-Key", HeaderValue::from_static("secret"));
        assert_eq!(api_key_from_headers(&headers), Some(&b"secret"[..]));
        headers.append("x-api-key", HeaderValue::from_static("other"));
        assert_eq!(api_key_from_headers(&headers), None);
    }

    #[test]
    fn the_401_body_is_exact() {
        assert_eq!(
            API_KEY_UNAUTHORIZED_BODY,
            r#"{"error":{"code":401,"message":"Unauthorized: Invalid or missing API key"},"id":null,"jsonrpc":"2.0"}"#
        );
        let v: serde_json::Value = serde_json::from_str(API_KEY_UNAUTHORIZED_BODY).unwrap();
        assert_eq!(v["error"]["message"], API_KEY_UNAUTHORIZED_MESSAGE);
        assert_eq!(v["error"]["code"], 401);
        assert!(v["id"].is_null());
    }
}
