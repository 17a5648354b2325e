//! The JSON-RPC classifier: whatever a client posts or a server sends, classification never
//! panics, and every id it hands out can be written back into an error body as valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_proxy_core::config::DEFAULT_MAX_BATCH_SIZE;
use mcp_proxy_core::jsonrpc::{classify_outgoing, error_body, parse_posted, Outgoing, ParseError};

fn assert_json(text: &str) {
    if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
        panic!("not JSON ({e}): {text}");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Err(ParseError::InvalidRequest { id: Some(id), .. }) =
        parse_posted(data, DEFAULT_MAX_BATCH_SIZE)
    {
        assert_json(&error_body(-32600, "x", Some(&id)));
    }
    if let Ok(posted) = parse_posted(data, DEFAULT_MAX_BATCH_SIZE) {
        assert!(!posted.messages.is_empty());
        assert!(posted.messages.len() <= DEFAULT_MAX_BATCH_SIZE);
        assert!(posted.batch || posted.messages.len() == 1);
        for id in posted.request_ids() {
            assert_json(&error_body(-32600, "x", Some(id)));
        }
        assert_eq!(posted.has_requests(), posted.first_request_id().is_some());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(Outgoing::Response { id, .. }) = classify_outgoing(text) {
            // The id is canonical JSON text.
            assert_json(&id);
        }
        assert_json(&error_body(-32000, text, None));
    }
});
