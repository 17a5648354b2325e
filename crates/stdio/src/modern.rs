//! 2026-07-28 requests and listen streams on the shared child (CONTRACT §12, §13): the core's
//! ladder has already checked headers and envelope; here `server/discover` is answered from
//! the child's identity, the 2026 methods are forwarded with the envelope removed, and each
//! result gets what the 2026 codec stamps (`resultType`, `ttlMs`/`cacheScope` on lists and
//! reads, `_meta` serverInfo). A progress turns the answer into an SSE stream.

use mcp_proxy_core::bytes::Bytes;
use mcp_proxy_core::modern::{ListenOutcome, ModernWrite};
use mcp_proxy_core::Server;
use serde_json::{Map, Value};
use std::sync::Arc;

use crate::calls::{Call, Caller};
use crate::router::{Holder, Router};
use crate::wire::{self, Message};

/// The version this leg serves.
pub const MODERN_VERSION: &str = "2026-07-28";

/// The requests of the 2026-07-28 registry the child serves (the SDK's, minus the two the
/// proxy answers itself: `server/discover` and `subscriptions/listen`).
const FORWARDED: &[&str] = &[
    "tools/call",
    "tools/list",
    "prompts/get",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "completion/complete",
];

/// Results that carry `ttlMs` and `cacheScope`.
const CACHEABLE: &[&str] = &[
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
];

const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";

fn json_headers() -> Vec<(String, String)> {
    vec![("content-type".into(), "application/json".into())]
}

fn whole(server: &Server, token: u64, status: u16, body: String) {
    let write = ModernWrite::Whole {
        status,
        headers: json_headers(),
        body: Bytes::from(body),
    };
    server.modern_write(token, write);
}

fn sse_frame(json: &str) -> Bytes {
    Bytes::from(format!("event: message\ndata: {json}\n\n"))
}

/// A progress of a modern call: the first one sends the SSE head.
pub(crate) fn stream_progress(server: &Server, token: u64, streaming: &mut bool, json: &str) {
    if !*streaming {
        *streaming = true;
        server.modern_write(
            token,
            ModernWrite::Head {
                status: 200,
                status_text: None,
                headers: vec![
                    ("content-type".into(), "text/event-stream".into()),
                    ("cache-control".into(), "no-cache, no-transform".into()),
                    ("x-accel-buffering".into(), "no".into()),
                ],
            },
        );
    }
    server.modern_write(token, ModernWrite::Chunk(sse_frame(json)));
}

/// A result as the 2026 codec encodes it; the child's text when it cannot be read.
fn stamped(result: &str, cacheable: bool, server_info: Option<&str>) -> String {
    let Ok(mut value) = serde_json::from_str::<Map<String, Value>>(result) else {
        return result.to_string();
    };
    value
        .entry("resultType")
        .or_insert_with(|| Value::from("complete"));
    if cacheable {
        value.entry("ttlMs").or_insert_with(|| Value::from(0));
        value
            .entry("cacheScope")
            .or_insert_with(|| Value::from("private"));
    }
    if let Some(info) = server_info.and_then(|i| serde_json::from_str::<Value>(i).ok()) {
        let meta = value
            .entry("_meta")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(meta) = meta {
            meta.entry(SERVER_INFO_KEY).or_insert(info);
        }
    }
    Value::Object(value).to_string()
}

/// The answer to a modern call: JSON, or the last frame of its SSE stream.
#[allow(clippy::too_many_arguments)]
pub(crate) fn answer(
    server: &Server,
    token: u64,
    id: &str,
    result: Option<&str>,
    error: Option<&str>,
    streaming: bool,
    cacheable: bool,
    server_info: Option<&str>,
) {
    let json = match (result, error) {
        (_, Some(error)) => wire::response(id, None, Some(error)),
        (result, None) => {
            let result = stamped(result.unwrap_or("{}"), cacheable, server_info);
            wire::response(id, Some(&result), None)
        }
    };
    if streaming {
        server.modern_write(token, ModernWrite::Chunk(sse_frame(&json)));
        server.modern_write(token, ModernWrite::End);
    } else {
        whole(server, token, 200, json);
    }
}

impl Router {
    /// One 2026-07-28 request.
    pub(crate) async fn modern(self: &Arc<Self>, token: u64, body: &str) {
        let Some(server) = self.server().cloned() else {
            return;
        };
        let message = Message::parse(body).filter(Message::is_request);
        let Some(message) = message else {
            let error = wire::error("null", -32600, "Invalid Request");
            return whole(&server, token, 400, error);
        };
        let id = message.id_text().unwrap_or("null").to_string();
        let method = message.method.as_deref().unwrap_or("");
        let Some(upstream) = self.shared.get().cloned() else {
            return whole(
                &server,
                token,
                200,
                wire::error(&id, -32603, "Connection closed"),
            );
        };
        if method == "server/discover" {
            let body = match upstream.identity.get() {
                Some(identity) => {
                    let mut result = format!(
                        "{{\"supportedVersions\":[\"{MODERN_VERSION}\"],\"capabilities\":{}",
                        identity.capabilities
                    );
                    if let Some(instructions) = &identity.instructions {
                        result.push_str(",\"instructions\":");
                        result.push_str(&Value::String(instructions.clone()).to_string());
                    }
                    result.push('}');
                    let result = stamped(&result, true, Some(&identity.server_info));
                    wire::response(&id, Some(&result), None)
                }
                None => wire::error(&id, -32603, "Connection closed"),
            };
            return whole(&server, token, 200, body);
        }
        if !FORWARDED.contains(&method) {
            return whole(
                &server,
                token,
                404,
                wire::error(&id, -32601, "Method not found"),
            );
        }
        let mut call = Call::new(Caller::Modern {
            token,
            id: id.clone(),
        });
        call.progress = wire::progress_token(message.params);
        call.cacheable = CACHEABLE.contains(&method);
        let sent = upstream.send(call, method, message.params, true).await;
        if let Err(call) = sent {
            self.fail(call, -32603, "Connection closed");
        }
    }

    /// A `subscriptions/listen` stream: its resource subscriptions are held upstream while
    /// it is open; the core feeds it what `notify` announces.
    pub(crate) async fn listen(self: &Arc<Self>, token: u64, uris: Vec<String>) {
        let Some(server) = self.server().cloned() else {
            return;
        };
        let Some(upstream) = self.shared.get().cloned() else {
            return;
        };
        let Some(identity) = upstream.identity.get() else {
            return;
        };
        if identity.has("resources", "subscribe") {
            self.hold(&Holder::Listen(token), &uris, &upstream).await;
        }
        let outcome = ListenOutcome::Ready {
            capabilities: identity.capabilities.clone(),
            server_info: identity.server_info.clone(),
        };
        if !server.listen_ready(token, outcome) {
            self.release(&Holder::Listen(token), Some(&upstream)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_stamped_as_the_2026_codec_does() {
        let out = stamped(
            r#"{"tools":[]}"#,
            true,
            Some(r#"{"name":"s","version":"1"}"#),
        );
        assert_eq!(
            out,
            r#"{"tools":[],"resultType":"complete","ttlMs":0,"cacheScope":"private","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"s","version":"1"}}}"#
        );
        let call = stamped(r#"{"content":[],"_meta":{"x":1}}"#, false, None);
        assert_eq!(
            call,
            r#"{"content":[],"_meta":{"x":1},"resultType":"complete"}"#
        );
    }
}
