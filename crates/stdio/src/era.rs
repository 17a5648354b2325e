//! Which MCP era the proxy speaks to its child (`--upstreamProtocol`, mcp-proxy 6.7.19 §3.1):
//! `legacy` runs `initialize`; `auto` probes with `server/discover` and falls back to
//! `initialize` on any error or timeout; `modern` requires the child to offer 2026-07-28.
//! Toward a 2026-07-28 child every request carries the per-request envelope, and change
//! notifications come on one upstream `subscriptions/listen` stream, replaced when the set
//! of subscribed URIs changes.

use serde_json::{json, Map, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::calls::{Call, Caller};
use crate::upstream::{Identity, OwnError, Upstream};
use crate::wire;

/// The 2026-07-28 revision.
pub const MODERN_VERSION: &str = "2026-07-28";

/// `--upstreamProtocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpstreamProtocol {
    #[default]
    Legacy,
    Auto,
    Modern,
}

impl UpstreamProtocol {
    /// As mcp-proxy reads it: anything but `auto` and `modern` is legacy.
    pub fn parse(text: &str) -> UpstreamProtocol {
        match text {
            "auto" => UpstreamProtocol::Auto,
            "modern" => UpstreamProtocol::Modern,
            _ => UpstreamProtocol::Legacy,
        }
    }
}

/// The per-request `_meta` a 2026-07-28 request carries.
pub fn envelope(version: &str) -> Map<String, Value> {
    let mut meta = Map::new();
    meta.insert(
        "io.modelcontextprotocol/protocolVersion".into(),
        Value::from(MODERN_VERSION),
    );
    meta.insert(
        "io.modelcontextprotocol/clientInfo".into(),
        json!({ "name": "mcp-proxy-native", "version": version }),
    );
    meta.insert(
        "io.modelcontextprotocol/clientCapabilities".into(),
        json!({}),
    );
    meta
}

/// A `server/discover` result offering 2026-07-28, as the proxy's identity of the child.
fn discovered(result: &str) -> Option<Identity> {
    let value: Value = serde_json::from_str(result).ok()?;
    let offers = value["supportedVersions"]
        .as_array()?
        .iter()
        .any(|v| v == MODERN_VERSION);
    if !offers {
        return None;
    }
    let caps = value.get("capabilities").cloned().unwrap_or(json!({}));
    let info = value["_meta"]["io.modelcontextprotocol/serverInfo"].clone();
    let info = if info.is_object() {
        info
    } else {
        json!({ "name": "unknown", "version": "unknown" })
    };
    Some(Identity {
        server_info: info.to_string(),
        capabilities: caps.to_string(),
        instructions: value["instructions"].as_str().map(str::to_string),
        caps,
    })
}

impl Upstream {
    /// The opening exchange in the era `protocol` asks for.
    pub async fn open(
        &self,
        protocol: UpstreamProtocol,
        version: &str,
        timeout: Duration,
    ) -> Result<(), String> {
        if protocol == UpstreamProtocol::Legacy {
            return self.initialize(version, timeout).await;
        }
        let params = json!({ "_meta": envelope(version) }).to_string();
        let probe = self
            .own_request("server/discover", Some(&params), timeout)
            .await;
        let identity = match &probe {
            Ok(result) => discovered(result),
            Err(OwnError::Closed) => {
                return Err(
                    "Version negotiation failed: the connection closed during the server/discover probe"
                        .into(),
                )
            }
            Err(_) => None,
        };
        match identity {
            Some(identity) => {
                let _ = self.identity.set(identity);
                self.modern.store(true, Ordering::Relaxed);
                *self.version.lock().unwrap_or_else(|e| e.into_inner()) = version.to_string();
                self.open_listen(Vec::new()).await;
                Ok(())
            }
            None if protocol == UpstreamProtocol::Modern => Err(format!(
                "Version negotiation failed: the child did not offer the pinned protocol version {MODERN_VERSION} via server/discover ({})",
                match probe {
                    Ok(_) => "not in supportedVersions".to_string(),
                    Err(e) => e.to_string(),
                }
            )),
            None => self.initialize(version, timeout).await,
        }
    }

    pub fn is_modern(&self) -> bool {
        self.modern.load(Ordering::Relaxed)
    }

    /// The envelope for requests to a 2026-07-28 child; `None` toward a 2025 one.
    pub fn request_envelope(&self) -> Option<Map<String, Value>> {
        self.is_modern()
            .then(|| envelope(&self.version.lock().unwrap_or_else(|e| e.into_inner())))
    }

    /// Opens the upstream listen stream for what the child can announce and `uris`; the one
    /// it replaces is cancelled after (so no change is missed in between).
    pub async fn open_listen(&self, uris: Vec<String>) {
        let Some(identity) = self.identity.get() else {
            return;
        };
        let filter = json!({
            "toolsListChanged": identity.has("tools", "listChanged"),
            "promptsListChanged": identity.has("prompts", "listChanged"),
            "resourcesListChanged": identity.has("resources", "listChanged"),
            "resourceSubscriptions": uris,
        });
        let envelope = self.request_envelope().unwrap_or_default();
        let params = json!({ "notifications": filter, "_meta": envelope }).to_string();
        let id = self.calls.open(Call::new(Caller::Own(None)));
        let line = wire::request(Some(&id.to_string()), "subscriptions/listen", Some(&params));
        if !self.child.write(line).await {
            self.calls.take(id);
            return;
        }
        let old = self
            .listen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(id);
        if let Some(old) = old {
            if self.calls.take(old).is_some() {
                self.notify(wire::cancelled(old, None)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discover_result_offering_2026_is_an_identity() {
        let id = discovered(
            r#"{"supportedVersions":["2026-07-28"],"capabilities":{"tools":{"listChanged":true}},"instructions":"i","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"m","version":"2"}}}"#,
        )
        .unwrap();
        assert_eq!(id.server_info, r#"{"name":"m","version":"2"}"#);
        assert!(id.has("tools", "listChanged"));
        assert_eq!(id.instructions.as_deref(), Some("i"));
        assert!(discovered(r#"{"supportedVersions":["2025-11-25"]}"#).is_none());
        assert!(discovered(r#"{}"#).is_none());
    }

    #[test]
    fn protocols_parse_as_mcp_proxy_reads_them() {
        assert_eq!(UpstreamProtocol::parse("auto"), UpstreamProtocol::Auto);
        assert_eq!(UpstreamProtocol::parse("modern"), UpstreamProtocol::Modern);
        assert_eq!(UpstreamProtocol::parse("other"), UpstreamProtocol::Legacy);
    }
}
