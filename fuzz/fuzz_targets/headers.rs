//! Header validation on the way in: the DNS-rebinding check (`Host`, `Origin`), CORS on any
//! `Origin`, the API key. Never panics on any bytes, and what goes back out is a valid header.
#![no_main]

use arbitrary::Arbitrary;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use mcp_proxy_core::auth::api_key::{api_key_from_headers, api_key_matches};
use mcp_proxy_core::cors::{AllowOrigin, CorsConfig};
use mcp_proxy_core::jsonrpc::is_supported_version;
use mcp_proxy_core::rebinding::{is_loopback_bind, RebindingPolicy, Refusal};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    bind: &'a str,
    allowed_hosts: Option<Vec<String>>,
    allowed_origins: Option<Vec<String>>,
    host: Vec<&'a [u8]>,
    origin: Vec<&'a [u8]>,
    api_key: Vec<&'a [u8]>,
    expected_key: &'a [u8],
    cors: u8,
    verdict: bool,
}

fuzz_target!(|input: Input<'_>| {
    let mut headers = HeaderMap::new();
    for (name, values) in [
        ("host", &input.host),
        ("origin", &input.origin),
        ("x-api-key", &input.api_key),
    ] {
        for value in values {
            if let Ok(v) = HeaderValue::from_bytes(value) {
                headers.append(name, v);
            }
        }
    }
    let _ = is_loopback_bind(input.bind);
    let _ = RebindingPolicy::for_bind(input.bind).check(&headers, false);
    let policy = RebindingPolicy {
        allowed_hosts: input.allowed_hosts,
        allowed_origins: input.allowed_origins,
    };
    // An origin `cors` names is trusted by the Origin check only: a refused Host stays refused.
    let untrusted = policy.check(&headers, false);
    let trusted = policy.check(&headers, true);
    if untrusted == Err(Refusal::Host) {
        assert_eq!(trusted, Err(Refusal::Host));
    }
    if untrusted.is_ok() {
        assert!(trusted.is_ok());
    }

    let given = api_key_from_headers(&headers);
    let matched = api_key_matches(given, input.expected_key);
    assert_eq!(
        matched,
        !input.expected_key.is_empty() && given == Some(input.expected_key)
    );

    let origin = headers.get("origin").cloned();
    let cors = CorsConfig {
        origin: match input.cors % 4 {
            0 => AllowOrigin::Any,
            1 => AllowOrigin::Exact("https://app.example".into()),
            2 => AllowOrigin::List(vec!["https://app.example".into()]),
            _ => AllowOrigin::Callback,
        },
        ..CorsConfig::default()
    };
    let mut out = HeaderMap::new();
    cors.apply(origin.as_ref(), input.verdict, &mut out);
    if let Some(echoed) = out.get("access-control-allow-origin") {
        // `*`, the configured origin, or the request's own (valid) value.
        assert!(
            echoed == "*" || echoed == "https://app.example" || Some(echoed) == origin.as_ref()
        );
    }
    if let Some(v) = origin.as_ref().and_then(|o| o.to_str().ok()) {
        let _ = is_supported_version(v);
    }
});
