//! 2026-07-28 `notify.*` across instances (CONTRACT §14): the core's `Notice` as the text the
//! notify stream carries, and the tail that hands every instance's notices (this one's
//! included, so all instances deliver in one order) to the local listen streams. A `Gap` (the
//! tail may have missed notices: trimmed, or Redis restarted) becomes a conservative
//! `list_changed` of each kind; a lost `resources/updated` cannot be rebuilt.

use mcp_proxy_core::modern::Notice;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::error::Result;
use crate::notify::{Notifier, TailEvent};

/// The notice as the notify stream carries it.
pub fn encode(notice: &Notice) -> String {
    match notice {
        Notice::ToolsChanged => json!({ "kind": "toolsChanged" }),
        Notice::PromptsChanged => json!({ "kind": "promptsChanged" }),
        Notice::ResourcesChanged => json!({ "kind": "resourcesChanged" }),
        Notice::ResourceUpdated(uri) => json!({ "kind": "resourceUpdated", "uri": uri }),
    }
    .to_string()
}

/// A notice read back; `None` for text this version does not know (a newer instance).
pub fn decode(data: &str) -> Option<Notice> {
    let value: Value = serde_json::from_str(data).ok()?;
    Some(match value.get("kind")?.as_str()? {
        "toolsChanged" => Notice::ToolsChanged,
        "promptsChanged" => Notice::PromptsChanged,
        "resourcesChanged" => Notice::ResourcesChanged,
        "resourceUpdated" => Notice::ResourceUpdated(value.get("uri")?.as_str()?.to_string()),
        _ => return None,
    })
}

/// Tails the notify stream from now and calls `deliver` for each notice, in the stream's
/// order, until the returned task is aborted.
pub async fn start(
    notifier: &Notifier,
    deliver: impl Fn(&Notice) + Send + 'static,
) -> Result<JoinHandle<()>> {
    let mut tail = notifier.tail().await?;
    Ok(tokio::spawn(async move {
        while let Some(event) = tail.recv().await {
            match event {
                TailEvent::Notice(notice) => {
                    if let Some(notice) = decode(&notice.data) {
                        deliver(&notice);
                    }
                }
                TailEvent::Gap => {
                    deliver(&Notice::ToolsChanged);
                    deliver(&Notice::PromptsChanged);
                    deliver(&Notice::ResourcesChanged);
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_survive_the_stream() {
        for notice in [
            Notice::ToolsChanged,
            Notice::PromptsChanged,
            Notice::ResourcesChanged,
            Notice::ResourceUpdated("file:///a b".into()),
        ] {
            assert_eq!(decode(&encode(&notice)), Some(notice));
        }
        assert_eq!(decode(r#"{"kind":"somethingNew"}"#), None);
        assert_eq!(decode("not json"), None);
    }
}
