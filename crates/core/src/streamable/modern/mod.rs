//! MCP 2026-07-28 on the stream endpoint beside 2025-era traffic (CONTRACT §12, mcp-proxy
//! 6.7's "modern" leg). A POST whose body carries the per-request `_meta` claim (or whose
//! `MCP-Protocol-Version` names a modern revision) is classified here, after the API key,
//! body limit and `authenticate`; the ladder's answers need no JS; each served request is
//! one exchange with the host (`exchange.rs`); listen streams live here (`listen.rs`).
//!
//! It never touches a 2025 session: the 2026-07-28 leg is sessionless.

mod envelope_schema;
mod exchange;
mod ladder;
mod listen;
pub(crate) mod state;

pub use self::listen::Notice;
pub use self::state::{ListenOutcome, ModernWrite};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value;
use std::sync::Arc;

use crate::config::ON_CLOSE_TIMEOUT;
use crate::host::{HostEvent, RequestHead};
use crate::http::body::Body;
use crate::http::header_text;
use crate::http::reply::{self, Reply};
use crate::http::stream_queue;
use crate::jsonrpc;
use crate::streamable::shared::Shared;

use self::ladder::{Route, StandardHeaders, FIRST_MODERN_VERSION, PROTOCOL_VERSION_KEY};
use self::listen::{Filter, Listen};
use self::state::lock;

/// `application/json` as the media type, parameters allowed (the SDK's `isJsonContentType`).
fn is_json(headers: &HeaderMap) -> bool {
    crate::streamable::endpoint::header(headers, "content-type").is_some_and(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/json")
    })
}

/// Cheap pre-check so 2025-era bodies skip the full parse: a claim names its key (unless
/// the JSON escapes it), or the header names a modern revision.
fn might_be_modern(body: &[u8], version_header: Option<&str>) -> bool {
    let key = PROTOCOL_VERSION_KEY.as_bytes();
    version_header.is_some_and(|v| v.trim_matches([' ', '\t']) >= FIRST_MODERN_VERSION)
        || body.windows(key.len()).any(|w| w == key)
        || body.contains(&b'\\')
}

fn rejection(r: &ladder::Rejection) -> Reply {
    reply::json(r.status, r.body())
}

/// A JSON-RPC error the SDK answers with HTTP 200 (listen refusals).
fn in_band_error(code: i64, message: &str, id: &Value) -> Reply {
    let body = serde_json::json!({"jsonrpc":"2.0","error":{"code":code,"message":message},"id":id});
    reply::json(StatusCode::OK, body.to_string())
}

/// A POST the modern leg takes: classified before `authenticate` (which then knows the
/// request is not about any 2025 session), answered after it.
pub(crate) struct Classified {
    value: Value,
    route: Route,
}

impl Classified {
    /// Whether serving it creates a server (`createServer` runs), so that `authenticate`'s
    /// `req` is kept for it; the ladder's own answers and notifications create none.
    pub(crate) fn creates(&self) -> bool {
        matches!(self.route, Route::Serve { .. } | Route::Sdk)
    }
}

impl Shared {
    /// `Some` when the POST is 2026-07-28 traffic (the modern leg answers it), `None` for
    /// 2025-era traffic.
    pub(crate) fn classify_modern(&self, headers: &HeaderMap, body: &[u8]) -> Option<Classified> {
        // As the SDK reads them (latin-1 text), so a header and the body compare the same way.
        let text = |name: &str| headers.get(name).map(header_text::text);
        let (version, method, name) = (
            text("mcp-protocol-version"),
            text("mcp-method"),
            text("mcp-name"),
        );
        let standard = StandardHeaders {
            version: version.as_deref(),
            method: method.as_deref(),
            name: name.as_deref(),
        };
        if !self.config.modern || !is_json(headers) || !might_be_modern(body, standard.version) {
            return None;
        }
        let value: Value = serde_json::from_slice(body).ok()?;
        let route = match jsonrpc::parse_posted(body, self.config.max_batch_size) {
            Ok(_) => ladder::route(standard, &value),
            // Not a message the 2025 path takes; with a claim it is still 2026 traffic,
            // and the SDK words the answer (-32600 for a body its schema refuses).
            Err(_) if ladder::claims(&value) => Route::Sdk,
            Err(_) => return None,
        };
        (route != Route::Legacy).then_some(Classified { value, route })
    }

    /// The modern leg's answer to a POST it classified.
    pub(crate) async fn modern(
        self: &Arc<Self>,
        classified: Classified,
        body: &[u8],
        head: &Arc<RequestHead>,
        auth: &Option<Arc<str>>,
    ) -> Reply {
        let Classified { value, route } = classified;
        let id = value
            .get("id")
            .filter(|id| id.is_string() || id.is_number())
            .map(Value::to_string);
        let text = || String::from_utf8_lossy(body).into_owned();
        match route {
            Route::Reject(r) => rejection(&r),
            Route::Accepted | Route::Legacy => reply::empty(StatusCode::ACCEPTED),
            Route::Serve { method } if method == "subscriptions/listen" => {
                self.listen(&value, head.clone(), text(), auth.clone())
                    .await
            }
            Route::Serve { .. } | Route::Sdk => {
                self.modern_exchange(head.clone(), text(), auth.clone(), id)
                    .await
            }
        }
    }

    async fn listen(
        self: &Arc<Self>,
        message: &Value,
        request: Arc<RequestHead>,
        body: String,
        auth: Option<Arc<str>>,
    ) -> Reply {
        let id = message["id"].clone();
        if self.modern.listen_count() >= self.config.max_listen_streams {
            return in_band_error(-32603, "Subscription limit reached", &id);
        }
        let Some(filter) = Filter::parse(message.get("params")) else {
            return in_band_error(
                -32602,
                "Invalid params: 'notifications' is required and must be a valid SubscriptionFilter",
                &id,
            );
        };
        let token = self.token();
        let ready = self.modern.ready.register(token);
        self.host.dispatch(HostEvent::Listen {
            token,
            request,
            body,
            auth,
            uris: filter.uris.clone().unwrap_or_default(),
        });
        let raw_id = id.to_string();
        let (capabilities, server_info) = match ready.answer(self.config.callback_timeout).await {
            Some(ListenOutcome::Ready {
                capabilities,
                server_info,
            }) => (
                serde_json::from_str(&capabilities).unwrap_or(Value::Null),
                serde_json::from_str(&server_info).unwrap_or(Value::Null),
            ),
            Some(ListenOutcome::Failed(outcome)) => {
                return self
                    .creation_failure(outcome, Some(&raw_id))
                    .unwrap_or_else(|| reply::empty(StatusCode::INTERNAL_SERVER_ERROR))
            }
            None => {
                // A server created later finds nobody waiting (`listenReady` is false)
                // and is released by the host.
                return reply::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    -32603,
                    "Error creating server: timed out",
                    Some(&raw_id),
                );
            }
        };
        let honored = filter.honored(&capabilities);
        let ack = listen::acknowledgement(&id, &honored);
        let (queued, live): (Vec<Bytes>, _) = if honored.is_empty() {
            (vec![ack, listen::closing_result(&id, &server_info)], None)
        } else {
            let (sink, live) = stream_queue::channel(self.config.sse_max_queued_bytes);
            let listen = Listen {
                id,
                filter: honored,
                sink,
                server_info,
            };
            lock(&self.modern.listens).insert(token, listen);
            (vec![ack], Some(live))
        };
        let mut res = reply::sse(queued, live, self.config.sse_keep_alive);
        if let Body::Sse(sse) = res.body_mut() {
            let shared = self.clone();
            sse.on_drop(Box::new(move || {
                lock(&shared.modern.listens).remove(&token);
                shared.host.dispatch(HostEvent::ListenClosed { token });
            }));
        }
        res
    }

    /// `close()`: every listen stream ends with its result; waits for the host to release
    /// their servers.
    pub(crate) async fn close_modern(&self) {
        for waiting in self.modern.close_listens() {
            waiting.answer(ON_CLOSE_TIMEOUT).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_type() {
        let mut h = HeaderMap::new();
        for (ct, ok) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("application/json-seq", false),
            ("text/plain", false),
        ] {
            h.insert("content-type", ct.parse().unwrap());
            assert_eq!(is_json(&h), ok, "{ct}");
        }
    }

    #[test]
    fn pre_check() {
        assert!(!might_be_modern(br#"{"method":"tools/list"}"#, None));
        assert!(!might_be_modern(br#"{}"#, Some("2025-11-25")));
        assert!(might_be_modern(br#"{}"#, Some(" 2026-07-28")));
        assert!(might_be_modern(
            br#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"x"}}"#,
            None
        ));
        assert!(might_be_modern(br#"{"a":"\/"}"#, None));
    }
}
