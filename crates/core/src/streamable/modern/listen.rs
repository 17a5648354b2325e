//! `subscriptions/listen` streams (MCP 2026-07-28, basic/patterns/subscriptions): held here,
//! acknowledged with the honored filter, fed by `notify.*` with the listen request's id as
//! `subscriptionId`, ended with the graceful result on `close()`. No JS per event.
//!
//! It never calls the host per event.

use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::http::sse;

const SUBSCRIPTION_ID_KEY: &str = "io.modelcontextprotocol/subscriptionId";
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";

/// A change `notify.*` announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    ToolsChanged,
    PromptsChanged,
    ResourcesChanged,
    ResourceUpdated(String),
}

/// A listen request's `params.notifications` (the spec's `SubscriptionFilter`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    pub tools: bool,
    pub prompts: bool,
    pub resources: bool,
    pub uris: Option<Vec<String>>,
}

impl Filter {
    /// `None` when `notifications` is absent or not a valid filter (the SDK answers -32602).
    pub(crate) fn parse(params: Option<&Value>) -> Option<Filter> {
        let n = params?.get("notifications")?.as_object()?;
        let flag = |key: &str| match n.get(key) {
            None => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => None,
        };
        let uris = match n.get("resourceSubscriptions") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|u| u.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()?,
            ),
            Some(_) => return None,
        };
        Some(Filter {
            tools: flag("toolsListChanged")?,
            prompts: flag("promptsListChanged")?,
            resources: flag("resourcesListChanged")?,
            uris,
        })
    }

    /// What the server can deliver of it, by its declared capabilities.
    pub(crate) fn honored(&self, capabilities: &Value) -> Filter {
        let bit = |cap: &str, key: &str| capabilities[cap][key] == Value::Bool(true);
        Filter {
            tools: self.tools && bit("tools", "listChanged"),
            prompts: self.prompts && bit("prompts", "listChanged"),
            resources: self.resources && bit("resources", "listChanged"),
            uris: self
                .uris
                .clone()
                .filter(|u| !u.is_empty() && bit("resources", "subscribe")),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    fn accepts(&self, notice: &Notice) -> bool {
        match notice {
            Notice::ToolsChanged => self.tools,
            Notice::PromptsChanged => self.prompts,
            Notice::ResourcesChanged => self.resources,
            Notice::ResourceUpdated(uri) => self.uris.as_ref().is_some_and(|u| u.contains(uri)),
        }
    }

    fn to_json(&self) -> Value {
        let mut out = Map::new();
        for (on, key) in [
            (self.tools, "toolsListChanged"),
            (self.prompts, "promptsListChanged"),
            (self.resources, "resourcesListChanged"),
        ] {
            if on {
                out.insert(key.into(), true.into());
            }
        }
        if let Some(uris) = &self.uris {
            out.insert("resourceSubscriptions".into(), json!(uris));
        }
        Value::Object(out)
    }
}

/// One open listen stream.
pub(crate) struct Listen {
    /// The listen request's id: the `subscriptionId`.
    pub id: Value,
    pub filter: Filter,
    pub sink: crate::http::stream_queue::FrameSender,
    pub server_info: Value,
}

fn event(message: Value) -> Bytes {
    sse::message_event(None, &message.to_string())
}

pub(crate) fn acknowledgement(id: &Value, honored: &Filter) -> Bytes {
    event(json!({
        "jsonrpc": "2.0",
        "method": "notifications/subscriptions/acknowledged",
        "params": { "notifications": honored.to_json(), "_meta": { SUBSCRIPTION_ID_KEY: id } },
    }))
}

/// The result that ends a stream the server tears down.
pub(crate) fn closing_result(id: &Value, server_info: &Value) -> Bytes {
    event(json!({
        "jsonrpc": "2.0",
        "id": id,
        "result": {
            "resultType": "complete",
            "_meta": { SUBSCRIPTION_ID_KEY: id, SERVER_INFO_KEY: server_info },
        },
    }))
}

impl Listen {
    /// The frame for `notice` on this stream, when its filter accepts it.
    pub(crate) fn frame(&self, notice: &Notice) -> Option<Bytes> {
        if !self.filter.accepts(notice) {
            return None;
        }
        let meta = json!({ SUBSCRIPTION_ID_KEY: self.id });
        let (method, params) = match notice {
            Notice::ToolsChanged => ("notifications/tools/list_changed", json!({ "_meta": meta })),
            Notice::PromptsChanged => (
                "notifications/prompts/list_changed",
                json!({ "_meta": meta }),
            ),
            Notice::ResourcesChanged => (
                "notifications/resources/list_changed",
                json!({ "_meta": meta }),
            ),
            Notice::ResourceUpdated(uri) => (
                "notifications/resources/updated",
                json!({ "uri": uri, "_meta": meta }),
            ),
        };
        Some(event(
            json!({ "jsonrpc": "2.0", "method": method, "params": params }),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(b: Bytes) -> String {
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[test]
    fn parses_filters() {
        let p =
            json!({"notifications":{"toolsListChanged":true,"resourceSubscriptions":["a://x"]}});
        assert_eq!(
            Filter::parse(Some(&p)),
            Some(Filter {
                tools: true,
                uris: Some(vec!["a://x".into()]),
                ..Filter::default()
            })
        );
        for bad in [
            json!({}),
            json!({"notifications":{"toolsListChanged":"yes"}}),
            json!({"notifications":{"resourceSubscriptions":[1]}}),
            json!({"notifications":[]}),
        ] {
            assert_eq!(Filter::parse(Some(&bad)), None, "{bad}");
        }
        assert_eq!(Filter::parse(None), None);
    }

    #[test]
    fn honors_only_what_the_server_declares() {
        let asked = Filter {
            tools: true,
            prompts: true,
            resources: true,
            uris: Some(vec!["a://x".into()]),
        };
        let caps = json!({"tools":{"listChanged":true},"resources":{"subscribe":true}});
        let honored = asked.honored(&caps);
        assert_eq!(
            honored,
            Filter {
                tools: true,
                uris: Some(vec!["a://x".into()]),
                ..Filter::default()
            }
        );
        assert!(asked.honored(&json!({})).is_empty());
        assert_eq!(
            text(acknowledgement(&json!(7), &honored)),
            "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/subscriptions/acknowledged\",\"params\":{\"notifications\":{\"toolsListChanged\":true,\"resourceSubscriptions\":[\"a://x\"]},\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":7}}}\n\n"
        );
    }

    #[test]
    fn stamps_and_filters_notifications() {
        let (sink, _rx) = crate::http::stream_queue::channel(1);
        let listen = Listen {
            id: json!("L"),
            filter: Filter {
                tools: true,
                uris: Some(vec!["a://x".into()]),
                ..Filter::default()
            },
            sink,
            server_info: json!({"name":"s","version":"1"}),
        };
        assert_eq!(
            text(listen.frame(&Notice::ToolsChanged).unwrap()),
            "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"L\"}}}\n\n"
        );
        assert!(listen.frame(&Notice::PromptsChanged).is_none());
        assert!(listen
            .frame(&Notice::ResourceUpdated("a://y".into()))
            .is_none());
        assert!(text(
            listen
                .frame(&Notice::ResourceUpdated("a://x".into()))
                .unwrap()
        )
        .contains(
            r#""params":{"uri":"a://x","_meta":{"io.modelcontextprotocol/subscriptionId":"L"}}"#
        ));
        assert_eq!(
            text(closing_result(&listen.id, &listen.server_info)),
            "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":\"L\",\"result\":{\"resultType\":\"complete\",\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"L\",\"io.modelcontextprotocol/serverInfo\":{\"name\":\"s\",\"version\":\"1\"}}}}\n\n"
        );
    }
}
