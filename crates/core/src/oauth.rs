//! The `oauth` option: RFC 6750 `WWW-Authenticate` challenges (CONTRACT §5.3, §5.5) and the
//! RFC 9728 protected resource metadata document (§5.6).

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::jsonrpc::ScopeChallenge;

pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct OAuthConfig {
    pub realm: Option<String>,
    pub scope: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub error_uri: Option<String>,
    #[serde(rename = "protectedResource")]
    pub protected_resource: Option<Map<String, Value>>,
}

/// A `Bearer` challenge: parameters in the order given, each a quoted string.
#[derive(Debug, Default)]
pub struct Challenge {
    params: Vec<(&'static str, String)>,
}

/// `"value"` with `\` and `"` escaped (RFC 7230 quoted-string). CR, LF and other controls
/// are dropped: a header value must never be able to end the header.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars().filter(|c| !c.is_control()) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl Challenge {
    pub fn param(mut self, name: &'static str, value: Option<&str>) -> Self {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            self.params.push((name, value.to_string()));
        }
        self
    }

    /// `Bearer a="…", b="…"`, or plain `Bearer` with no parameters.
    pub fn header(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{k}={}", quoted(v)))
            .collect();
        if params.is_empty() {
            "Bearer".into()
        } else {
            format!("Bearer {}", params.join(", "))
        }
    }
}

impl OAuthConfig {
    /// `<resource>/.well-known/oauth-protected-resource`, when a resource is configured.
    pub fn resource_metadata_url(&self) -> Option<String> {
        let resource = self
            .protected_resource
            .as_ref()?
            .get("resource")?
            .as_str()?;
        Some(format!("{}{METADATA_PATH}", resource.trim_end_matches('/')))
    }

    /// The 401 challenge (CONTRACT §5.3).
    pub fn unauthorized_challenge(&self) -> String {
        Challenge::default()
            .param("realm", self.realm.as_deref())
            .param("resource_metadata", self.resource_metadata_url().as_deref())
            .param("error", self.error.as_deref())
            .param("error_description", self.error_description.as_deref())
            .param("error_uri", self.error_uri.as_deref())
            .param("scope", self.scope.as_deref())
            .header()
    }

    /// The 403 challenge for a handler's scope challenge (CONTRACT §5.5).
    pub fn insufficient_scope_challenge(&self, needed: &ScopeChallenge) -> String {
        let scope = needed.required_scopes.join(" ");
        Challenge::default()
            .param("realm", self.realm.as_deref())
            .param("error", Some("insufficient_scope"))
            .param("scope", Some(&scope))
            .param("error_description", needed.error_description.as_deref())
            .param("resource_metadata", self.resource_metadata_url().as_deref())
            .header()
    }

    /// Whether `path` is the metadata document: at the root, or suffixed with the
    /// stream endpoint (RFC 9728 §3.1's path-inserted form).
    pub fn is_metadata_path(&self, path: &str, stream_endpoint: Option<&str>) -> bool {
        self.protected_resource.is_some()
            && (path == METADATA_PATH
                || stream_endpoint.is_some_and(|e| path.strip_prefix(METADATA_PATH) == Some(e)))
    }

    /// The metadata document: the configured members, `bearer_methods_supported`
    /// defaulting to `["header"]`, empty members omitted.
    pub fn metadata_document(&self) -> String {
        let mut doc: Map<String, Value> = self
            .protected_resource
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, v)| !is_empty(v))
            .collect();
        doc.entry("bearer_methods_supported")
            .or_insert_with(|| Value::from(vec!["header"]));
        Value::Object(doc).to_string()
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Compares an `X-API-Key` with the configured key in time that depends only on their
/// lengths, never on where they first differ.
pub fn api_key_matches(given: Option<&[u8]>, expected: &[u8]) -> bool {
    let Some(given) = given else {
        return false;
    };
    let mut diff = given.len() ^ expected.len();
    for (i, byte) in expected.iter().enumerate() {
        diff |= usize::from(given.get(i).copied().unwrap_or(0) ^ byte);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> OAuthConfig {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn builds_the_401_challenge_in_order() {
        let c = config(
            r#"{"realm":"MCP Server","scope":"openid","error":"invalid_token","error_description":"expired","error_uri":"https://e.example/e","protectedResource":{"resource":"http://localhost:8080/"}}"#,
        );
        assert_eq!(
            c.unauthorized_challenge(),
            r#"Bearer realm="MCP Server", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource", error="invalid_token", error_description="expired", error_uri="https://e.example/e", scope="openid""#
        );
    }

    #[test]
    fn omits_what_is_not_known_and_never_leads_with_a_comma() {
        assert_eq!(config("{}").unauthorized_challenge(), "Bearer");
        assert_eq!(
            config(r#"{"scope":"a b"}"#).unauthorized_challenge(),
            r#"Bearer scope="a b""#
        );
    }

    #[test]
    fn escapes_quotes_and_backslashes_and_drops_crlf() {
        let c = config(
            r#"{"realm":"a \"quoted\" \\ realm","error_description":"line\r\nInjected: 1"}"#,
        );
        let header = c.unauthorized_challenge();
        assert_eq!(
            header,
            r#"Bearer realm="a \"quoted\" \\ realm", error_description="lineInjected: 1""#
        );
        assert!(!header.contains('\r') && !header.contains('\n'));
        assert!(http::HeaderValue::from_str(&header).is_ok());
    }

    #[test]
    fn builds_the_403_challenge() {
        let c = config(
            r#"{"realm":"MCP Server","protectedResource":{"resource":"http://localhost:8080"}}"#,
        );
        let needed = ScopeChallenge {
            required_scopes: vec!["admin".into(), "write".into()],
            error_description: Some("needs \"admin\"".into()),
        };
        assert_eq!(
            c.insufficient_scope_challenge(&needed),
            r#"Bearer realm="MCP Server", error="insufficient_scope", scope="admin write", error_description="needs \"admin\"", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource""#
        );
    }

    #[test]
    fn metadata_document_defaults_and_omissions() {
        let c = config(
            r#"{"protectedResource":{"resource":"https://mcp.example","authorization_servers":["https://as.example"],"scopes_supported":[],"resource_name":"Demo","jwks_uri":""}}"#,
        );
        let doc: Value = serde_json::from_str(&c.metadata_document()).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({
                "resource": "https://mcp.example",
                "authorization_servers": ["https://as.example"],
                "resource_name": "Demo",
                "bearer_methods_supported": ["header"]
            })
        );
        assert!(c.is_metadata_path("/.well-known/oauth-protected-resource", Some("/mcp")));
        assert!(c.is_metadata_path("/.well-known/oauth-protected-resource/mcp", Some("/mcp")));
        assert!(!c.is_metadata_path("/.well-known/oauth-protected-resource/other", Some("/mcp")));
        assert!(!config("{}").is_metadata_path(METADATA_PATH, Some("/mcp")));
    }

    #[test]
    fn api_key_compare() {
        assert!(api_key_matches(Some(b"secret"), b"secret"));
        assert!(!api_key_matches(Some(b"secreT"), b"secret"));
        assert!(!api_key_matches(Some(b"secret-longer"), b"secret"));
        assert!(!api_key_matches(Some(b"sec"), b"secret"));
        assert!(!api_key_matches(Some(b""), b"secret"));
        assert!(!api_key_matches(None, b"secret"));
    }
}
