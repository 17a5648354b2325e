//! One child as an MCP server: its process, the calls in flight to it, who it belongs to
//! (the shared child, or one 2025 session's under `--perSession`), and what its opening
//! exchange said (`serverInfo`, `capabilities`, `instructions`).

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

use crate::calls::{Call, Caller, Calls};
use crate::child::{self, ChildProcess, ChildSpec};
use crate::framing::Frame;
use crate::wire;

/// The 2025-era protocol version the proxy asks the child for (the SDK's latest).
pub const LATEST_PROTOCOL_VERSION: &str = "2025-11-25";

/// What the child's `initialize` result said, kept as the child wrote it.
#[derive(Debug)]
pub struct Identity {
    pub server_info: String,
    pub capabilities: String,
    pub instructions: Option<String>,
    /// The capabilities parsed, for the flags the proxy reads.
    pub caps: Value,
}

impl Identity {
    pub fn parse(result: &str) -> Option<Identity> {
        #[derive(Deserialize)]
        struct Init<'a> {
            #[serde(borrow, rename = "serverInfo")]
            server_info: &'a RawValue,
            #[serde(borrow)]
            capabilities: &'a RawValue,
            #[serde(default)]
            instructions: Option<String>,
        }
        let init: Init = serde_json::from_str(result).ok()?;
        Some(Identity {
            server_info: init.server_info.get().to_string(),
            capabilities: init.capabilities.get().to_string(),
            instructions: init.instructions,
            caps: serde_json::from_str(init.capabilities.get()).ok()?,
        })
    }

    /// `capabilities.<cap>.<flag> == true`.
    pub fn has(&self, cap: &str, flag: &str) -> bool {
        self.caps[cap][flag] == Value::Bool(true)
    }
}

/// Why one of the proxy's own requests got no result.
#[derive(Debug)]
pub enum OwnError {
    /// The child answered with a JSON-RPC error (its text).
    Refused(String),
    TimedOut,
    Closed,
}

impl std::fmt::Display for OwnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OwnError::Refused(error) => write!(f, "the child answered with an error: {error}"),
            OwnError::TimedOut => write!(f, "Request timed out"),
            OwnError::Closed => write!(f, "Connection closed"),
        }
    }
}

pub struct Upstream {
    pub child: ChildProcess,
    pub calls: Calls,
    /// `--perSession`: the session this child serves (`None`: the shared child).
    pub owner: Option<Arc<str>>,
    pub identity: OnceLock<Identity>,
    /// `--requestTimeout` for forwarded calls.
    pub timeout: Duration,
    /// The child speaks 2026-07-28 (`era.rs`).
    pub modern: AtomicBool,
    /// This package's version, for the 2026-07-28 envelope's `clientInfo`.
    pub version: Mutex<String>,
    /// The upstream `subscriptions/listen` request in flight (2026-07-28 child).
    pub listen: Mutex<Option<u64>>,
}

impl Upstream {
    /// Spawns the child; its frames are for the router's pump.
    pub fn spawn(
        spec: &ChildSpec,
        owner: Option<Arc<str>>,
        timeout: Duration,
    ) -> std::io::Result<(Arc<Upstream>, tokio::sync::mpsc::Receiver<Frame>)> {
        let (child, frames) = child::spawn(spec)?;
        let upstream = Arc::new(Upstream {
            child,
            calls: Calls::new(0),
            owner,
            identity: OnceLock::new(),
            timeout,
            modern: AtomicBool::new(false),
            version: Mutex::new(String::new()),
            listen: Mutex::new(None),
        });
        Ok((upstream, frames))
    }

    /// Sends a downstream request for `call`: its progress token replaced by the upstream id
    /// (when it has one), the 2026-07-28 envelope removed (`strip`) or added (a 2026 child).
    /// `Err` gives the call back when the child no longer takes input.
    pub async fn send(
        &self,
        mut call: Call,
        method: &str,
        params: Option<&RawValue>,
        strip: bool,
    ) -> Result<u64, Call> {
        call.deadline = Some(Instant::now() + self.timeout);
        let replace = call.progress.is_some();
        let id = self.calls.open(call);
        let envelope = self.request_envelope();
        let built = wire::upstream_params(params, replace.then_some(id), strip, envelope.as_ref());
        let line = wire::request(
            Some(&id.to_string()),
            method,
            built.as_deref().or(params.map(RawValue::get)),
        );
        if self.child.exited().is_none() && self.child.write(line).await {
            Ok(id)
        } else {
            self.calls.take(id).map_or(Ok(id), Err)
        }
    }

    /// A request of the proxy's own; resolves with the result's raw JSON.
    pub async fn own_request(
        &self,
        method: &str,
        params: Option<&str>,
        timeout: Duration,
    ) -> Result<String, OwnError> {
        let (tx, rx) = oneshot::channel();
        let call = Call::new(Caller::Own(Some(tx)));
        let id = self.calls.open(call);
        let line = wire::request(Some(&id.to_string()), method, params);
        if !self.child.write(line).await {
            self.calls.take(id);
            return Err(OwnError::Closed);
        }
        let answer = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(line)) => line,
            Ok(Err(_)) => return Err(OwnError::Closed),
            Err(_) => {
                self.calls.take(id);
                return Err(OwnError::TimedOut);
            }
        };
        let message = wire::Message::parse(&answer).ok_or(OwnError::Closed)?;
        match (message.result, message.error) {
            (_, Some(error)) => Err(OwnError::Refused(error.get().to_string())),
            (Some(result), None) => Ok(result.get().to_string()),
            (None, None) => Ok("{}".into()),
        }
    }

    /// A request whose answer nobody waits for (subscriptions on behalf of holders).
    pub async fn fire(&self, method: &str, params: Option<&str>) {
        let mut call = Call::new(Caller::Own(None));
        // Forgotten after the timeout like any call (the sweep drops it), never kept forever.
        call.deadline = Some(Instant::now() + self.timeout);
        let id = self.calls.open(call);
        let line = wire::request(Some(&id.to_string()), method, params);
        if !self.child.write(line).await {
            self.calls.take(id);
        }
    }

    /// A notification to the child (a line as given).
    pub async fn notify(&self, line: String) {
        let _ = self.child.write(line).await;
    }

    /// The opening exchange: `initialize` as the proxy (`clientInfo`
    /// `mcp-proxy-native/<version>`), then `notifications/initialized`.
    pub async fn initialize(&self, version: &str, timeout: Duration) -> Result<(), String> {
        let params = serde_json::json!({
            "protocolVersion": LATEST_PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": { "name": "mcp-proxy-native", "version": version },
        })
        .to_string();
        let result = self
            .own_request("initialize", Some(&params), timeout)
            .await
            .map_err(|e| format!("MCP error during initialize: {e}"))?;
        let identity = Identity::parse(&result).ok_or_else(|| {
            "MCP error during initialize: the child's result has no serverInfo or capabilities"
                .to_string()
        })?;
        let _ = self.identity.set(identity);
        self.notify(wire::request(None, "notifications/initialized", None))
            .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_keeps_the_childs_text() {
        let id = Identity::parse(
            r#"{"protocolVersion":"2025-11-25","capabilities":{"tools":{"listChanged":true},"resources":{"subscribe":true}},"serverInfo":{"name":"s","version":"1","title":"T"},"instructions":"hi"}"#,
        )
        .unwrap();
        assert_eq!(id.server_info, r#"{"name":"s","version":"1","title":"T"}"#);
        assert!(id.has("tools", "listChanged"));
        assert!(id.has("resources", "subscribe"));
        assert!(!id.has("prompts", "listChanged"));
        assert_eq!(id.instructions.as_deref(), Some("hi"));
        assert!(Identity::parse(r#"{"capabilities":{}}"#).is_none());
    }
}
