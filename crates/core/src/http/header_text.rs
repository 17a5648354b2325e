//! Header values as text the way Node's `http` reads them: one latin-1 character per byte.
//! `é` sent as UTF-8 reads `Ã©` and a lone byte 0xE9 reads `é`, in `req.headers` and
//! `rawHeaders` as behind mcp-proxy, and in the 2026-07-28 ladder's header checks as in the
//! SDK (whose Fetch `Headers` hold the same latin-1 strings). Nothing is lost or replaced.
//!
//! It never rejects or rewrites a value.

use http::HeaderValue;
use std::borrow::Cow;

/// `value` as text: as is when it is visible ASCII (nearly always), else byte by byte.
pub(crate) fn text(value: &HeaderValue) -> Cow<'_, str> {
    match value.to_str() {
        Ok(ascii) => Cow::Borrowed(ascii),
        Err(_) => Cow::Owned(value.as_bytes().iter().copied().map(char::from).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_byte_as_latin1() {
        let utf8 = HeaderValue::from_bytes("é".as_bytes()).unwrap();
        assert_eq!(text(&utf8), "\u{c3}\u{a9}");
        let latin1 = HeaderValue::from_bytes(&[b'g', 0xe9, b'o']).unwrap();
        assert_eq!(text(&latin1), "g\u{e9}o");
        assert!(matches!(
            text(&HeaderValue::from_static("a\tb")),
            Cow::Borrowed("a\tb")
        ));
    }
}
