//! The `WWW-Authenticate` builder: from any scheme and parameters (and any `oauth` option
//! text), a rendered header is a valid header value with no CR/LF, and parses back to the
//! same challenge; what cannot be rendered is refused, never written.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mcp_proxy_core::auth::challenge::{parse_challenge, Challenge, InsufficientScope, OAuthConfig};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    scheme: &'a str,
    params: Vec<(&'a str, &'a str)>,
    oauth_json: &'a str,
    scopes: Vec<String>,
    description: Option<String>,
}

fn check(challenge: &Challenge) {
    let Ok(header) = challenge.to_header_value() else {
        return;
    };
    assert!(!header.contains(['\r', '\n']), "{header:?}");
    assert!(http::HeaderValue::from_str(&header).is_ok(), "{header:?}");
    assert!(challenge.to_http_header_value().is_ok());
    let names_unique = challenge.params().iter().enumerate().all(|(i, (a, _))| {
        challenge.params()[..i]
            .iter()
            .all(|(b, _)| !a.eq_ignore_ascii_case(b))
    });
    if names_unique {
        assert_eq!(
            parse_challenge(&header).as_ref(),
            Ok(challenge),
            "{header:?}"
        );
    }
}

fuzz_target!(|input: Input<'_>| {
    let mut challenge = Challenge::new(input.scheme);
    for (name, value) in &input.params {
        challenge = challenge.param(*name, *value);
    }
    check(&challenge);

    let needed = InsufficientScope {
        error: InsufficientScope::ERROR.into(),
        required_scopes: input.scopes,
        error_description: input.description,
    };
    check(&Challenge::insufficient_scope(None, &needed));
    if let Ok(config) = OAuthConfig::from_json(input.oauth_json) {
        if config.validate().is_ok() {
            let header = config
                .unauthorized_header()
                .expect("validated config renders");
            assert!(http::HeaderValue::from_str(&header).is_ok(), "{header:?}");
        }
        check(&Challenge::unauthorized(&config));
        check(&Challenge::insufficient_scope(Some(&config), &needed));
    }
});
