//! JSON-RPC request ids by value. The JS server sees an id after `JSON.parse` and answers
//! with `JSON.stringify` of it, so `1.0` comes back as `1` and `"\u0041"` as `"A"`: the
//! transport keys every id by that canonical text, so a response always finds its request.
//! Ids whose value does not survive the trip through a JS number are refused.
//!
//! It never keeps ids: callers key their maps with the canonical text.

use std::borrow::Cow;

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// `null`: JSON-RPC reserves it for answers to requests whose id could not be read.
    Null,
    /// A number with a fraction, or beyond JS's safe integers: the JS server would answer
    /// with another id (or none the SDK accepts).
    NotRoundTrip,
    /// Not a string or a number at all.
    Invalid,
}

/// The canonical JSON text of an id given as raw JSON text: what `JSON.stringify` of the
/// parsed value gives (an integer in decimal, a string with JS's escapes).
pub fn canonical(raw: &str) -> Result<Cow<'_, str>, IdError> {
    let raw = raw.trim_matches(|c: char| c.is_ascii_whitespace());
    match raw.as_bytes().first() {
        Some(b'"') if !raw.contains('\\') => Ok(Cow::Borrowed(raw)),
        Some(b'"') => {
            // serde_json escapes exactly what JSON.stringify escapes (`"`, `\`, control
            // characters, `\b\f\n\r\t` in short form, the rest as lower-case `\u00xx`).
            // A lone surrogate cannot be a Rust string: such an id cannot round-trip either.
            let value: String = serde_json::from_str(raw).map_err(|_| IdError::NotRoundTrip)?;
            serde_json::to_string(&value)
                .map(Cow::Owned)
                .map_err(|_| IdError::Invalid)
        }
        Some(b'-' | b'0'..=b'9') => number(raw),
        Some(b'n') if raw == "null" => Err(IdError::Null),
        _ => Err(IdError::Invalid),
    }
}

fn number(raw: &str) -> Result<Cow<'_, str>, IdError> {
    // Plain integers of up to 15 digits are safe and already canonical (JSON has no
    // leading zeros), except `-0`, which JS writes as `0`.
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()) && raw != "-0" {
        return Ok(Cow::Borrowed(raw));
    }
    // Out of f64's range (`1e400`) is `Infinity` in JS: not an integer either.
    let value: f64 = serde_json::from_str(raw).map_err(|_| IdError::NotRoundTrip)?;
    if value.fract() != 0.0 || value.abs() > MAX_SAFE_INTEGER {
        return Err(IdError::NotRoundTrip);
    }
    Ok(Cow::Owned(format!("{}", value as i64)))
}

/// A request id or progress token as the SDK's schema accepts it: a string, or an integer
/// JS holds exactly.
pub fn is_valid(raw: &str) -> bool {
    canonical(raw).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> String {
        canonical(raw).unwrap().into_owned()
    }

    #[test]
    fn numbers_are_keyed_by_value() {
        assert_eq!(ok("1"), "1");
        assert_eq!(ok("1.0"), "1");
        assert_eq!(ok("1e2"), "100");
        assert_eq!(ok("-0"), "0");
        assert_eq!(ok("-17"), "-17");
        assert_eq!(ok("9007199254740991"), "9007199254740991");
        assert_eq!(ok("-9007199254740991"), "-9007199254740991");
    }

    #[test]
    fn strings_are_keyed_as_json_stringify_writes_them() {
        assert_eq!(ok(r#""A""#), r#""A""#);
        assert_eq!(ok(r#""\u0041""#), r#""A""#);
        assert_eq!(ok(r#""\/""#), r#""/""#);
        assert_eq!(ok(r#""\u00e9""#), "\"é\"");
        assert_eq!(ok(r#""\u001F\n""#), r#""\u001f\n""#);
        assert_eq!(ok(r#""a\"b""#), r#""a\"b""#);
    }

    #[test]
    fn refuses_ids_that_cannot_round_trip() {
        assert_eq!(canonical("null"), Err(IdError::Null));
        assert_eq!(canonical("1.5"), Err(IdError::NotRoundTrip));
        assert_eq!(canonical("9007199254740993"), Err(IdError::NotRoundTrip));
        assert_eq!(
            canonical("18446744073709551617"),
            Err(IdError::NotRoundTrip)
        );
        assert_eq!(canonical("1e300"), Err(IdError::NotRoundTrip));
        assert_eq!(canonical(r#""\ud800""#), Err(IdError::NotRoundTrip));
        assert_eq!(canonical("true"), Err(IdError::Invalid));
        assert_eq!(canonical("{}"), Err(IdError::Invalid));
        assert_eq!(canonical("[1]"), Err(IdError::Invalid));
    }
}
