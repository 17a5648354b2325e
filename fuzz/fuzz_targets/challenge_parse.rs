//! The `WWW-Authenticate` parser: never panics, and what it accepts renders back to a header
//! that parses to the same challenge (the builder and the parser agree on the grammar).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_proxy_core::auth::challenge::parse_challenge;

fuzz_target!(|header: &str| {
    let Ok(challenge) = parse_challenge(header) else {
        return;
    };
    let rendered = challenge
        .to_header_value()
        .unwrap_or_else(|e| panic!("parsed {header:?} but cannot render it: {e}"));
    assert!(
        http::HeaderValue::from_str(&rendered).is_ok(),
        "{rendered:?}"
    );
    assert_eq!(
        parse_challenge(&rendered).as_ref(),
        Ok(&challenge),
        "{rendered:?}"
    );
});
