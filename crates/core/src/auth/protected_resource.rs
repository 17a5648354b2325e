//! RFC 9728 protected resource metadata (CONTRACT §5.6): the document built from
//! `oauth.protectedResource`, the URL a challenge advertises for it, and the request paths
//! that serve it.
//!
//! URL choice (RFC 9728 §3.1): the well-known segment is INSERTED between the host and the
//! path of the resource identifier, so `https://h/mcp` → `https://h/.well-known/oauth-protected-resource/mcp`,
//! and `https://h` or `https://h/` → `https://h/.well-known/oauth-protected-resource`.
//! For a resource without a path (what FastMCP and mcp-proxy users configure) this is
//! byte-identical to mcp-proxy's `<resource>/.well-known/oauth-protected-resource`; for a
//! resource with a path, mcp-proxy's plain append (`https://h/mcp/.well-known/…`) names a
//! URL nobody serves, while the inserted form is the one the MCP TypeScript SDK client
//! probes itself (`buildWellKnownPath`, trailing slash of the path dropped) and the one
//! [`is_metadata_path`] answers.
//!
//! It never serves a request itself: the pipeline does.

use serde_json::{Map, Value};

/// The RFC 9728 well-known path.
pub const WELL_KNOWN_PATH: &str = "/.well-known/oauth-protected-resource";

/// The metadata URL for a resource identifier, `None` for an empty one.
///
/// `scheme://authority[/path][?query]` → `scheme://authority/.well-known/oauth-protected-resource[/path][?query]`,
/// one trailing `/` of the path dropped, a fragment (forbidden in a resource identifier by
/// RFC 9728 §2) dropped. A value that is not an absolute URL falls back to the plain
/// append of CONTRACT §5.3, trailing slashes trimmed.
pub fn resource_metadata_url(resource: &str) -> Option<String> {
    let resource = resource.trim();
    if resource.is_empty() {
        return None;
    }
    let resource = resource.split('#').next().unwrap_or_default();
    let Some(scheme_end) = resource.find("://") else {
        return Some(format!(
            "{}{WELL_KNOWN_PATH}",
            resource.trim_end_matches('/')
        ));
    };
    let after = scheme_end + 3;
    let authority_end = resource[after..]
        .find(['/', '?'])
        .map_or(resource.len(), |i| after + i);
    let (origin, rest) = resource.split_at(authority_end);
    let (path, query) = rest.split_at(rest.find('?').unwrap_or(rest.len()));
    let path = path.strip_suffix('/').unwrap_or(path);
    Some(format!("{origin}{WELL_KNOWN_PATH}{path}{query}"))
}

/// The part of a request path after [`WELL_KNOWN_PATH`]: `Some("")` for the root form,
/// `Some("/mcp")` for the path-suffixed form, `None` when `path` is not a metadata path.
/// A query string and one trailing `/` are ignored (`/.well-known/oauth-protected-resource/`
/// is the root form; `…resourcefoo` is not a metadata path).
pub fn metadata_path_suffix(path: &str) -> Option<&str> {
    let path = path.split('?').next().unwrap_or_default();
    let suffix = path.strip_prefix(WELL_KNOWN_PATH)?;
    let suffix = suffix.strip_suffix('/').unwrap_or(suffix);
    (suffix.is_empty() || suffix.starts_with('/')).then_some(suffix)
}

/// Whether `path` asks for the metadata document: the root form, the form suffixed with the
/// stream endpoint (`/.well-known/oauth-protected-resource/mcp` for `/mcp`), or the form
/// suffixed with the configured resource's own path, so the URL a challenge advertises
/// ([`resource_metadata_url`]) is always answered.
pub fn is_metadata_path(path: &str, stream_endpoint: &str, resource: Option<&str>) -> bool {
    let Some(suffix) = metadata_path_suffix(path) else {
        return false;
    };
    if suffix.is_empty() {
        return true;
    }
    let endpoint = stream_endpoint.strip_suffix('/').unwrap_or(stream_endpoint);
    if !endpoint.is_empty() && suffix == endpoint {
        return true;
    }
    resource
        .and_then(resource_metadata_url)
        .and_then(|url| {
            let start = url.find("://").map_or(0, |i| i + 3);
            let path_start = url[start..].find('/').map(|i| start + i)?;
            metadata_path_suffix(&url[path_start..]).map(str::to_owned)
        })
        .is_some_and(|own| !own.is_empty() && own == suffix)
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// The metadata document: every configured member in configured order (`resource`,
/// `authorization_servers`, `scopes_supported`, … and any other member passed through),
/// empty ones (`null`, `""`, `[]`, `{}`) omitted, `bearer_methods_supported` defaulting to
/// `["header"]` (appended last) when absent or empty.
pub fn metadata_document(protected_resource: &Map<String, Value>) -> Map<String, Value> {
    let mut doc: Map<String, Value> = protected_resource
        .iter()
        .filter(|(_, v)| !is_empty(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    doc.entry("bearer_methods_supported")
        .or_insert_with(|| Value::from(vec!["header"]));
    doc
}

/// [`metadata_document`] as JSON text, the 200 body.
pub fn metadata_json(protected_resource: &Map<String, Value>) -> String {
    Value::Object(metadata_document(protected_resource)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn metadata_url_inserts_the_well_known_segment_after_the_host() {
        let cases = [
            (
                "http://localhost:8080",
                "http://localhost:8080/.well-known/oauth-protected-resource",
            ),
            (
                "http://localhost:8080/",
                "http://localhost:8080/.well-known/oauth-protected-resource",
            ),
            (
                "https://mcp.example/mcp",
                "https://mcp.example/.well-known/oauth-protected-resource/mcp",
            ),
            (
                "https://mcp.example/mcp/",
                "https://mcp.example/.well-known/oauth-protected-resource/mcp",
            ),
            (
                "https://mcp.example:8443/a/b",
                "https://mcp.example:8443/.well-known/oauth-protected-resource/a/b",
            ),
            (
                "https://mcp.example/mcp?tenant=1",
                "https://mcp.example/.well-known/oauth-protected-resource/mcp?tenant=1",
            ),
            (
                "https://mcp.example?tenant=1",
                "https://mcp.example/.well-known/oauth-protected-resource?tenant=1",
            ),
            (
                "https://mcp.example/mcp#frag",
                "https://mcp.example/.well-known/oauth-protected-resource/mcp",
            ),
            (
                "https://user@[::1]:9/x",
                "https://user@[::1]:9/.well-known/oauth-protected-resource/x",
            ),
            // Not an absolute URL: CONTRACT §5.3's plain append.
            (
                "mcp-server",
                "mcp-server/.well-known/oauth-protected-resource",
            ),
            (
                "mcp-server//",
                "mcp-server/.well-known/oauth-protected-resource",
            ),
        ];
        for (resource, url) in cases {
            assert_eq!(
                resource_metadata_url(resource).as_deref(),
                Some(url),
                "{resource}"
            );
        }
        assert_eq!(resource_metadata_url(""), None);
        assert_eq!(resource_metadata_url("  "), None);
    }

    #[test]
    fn metadata_paths_root_and_suffixed() {
        assert_eq!(metadata_path_suffix(WELL_KNOWN_PATH), Some(""));
        assert_eq!(
            metadata_path_suffix("/.well-known/oauth-protected-resource/"),
            Some("")
        );
        assert_eq!(
            metadata_path_suffix("/.well-known/oauth-protected-resource?x=1"),
            Some("")
        );
        assert_eq!(
            metadata_path_suffix("/.well-known/oauth-protected-resource/mcp"),
            Some("/mcp")
        );
        assert_eq!(
            metadata_path_suffix("/.well-known/oauth-protected-resource/mcp/"),
            Some("/mcp")
        );
        assert_eq!(
            metadata_path_suffix("/.well-known/oauth-protected-resourcefoo"),
            None
        );
        assert_eq!(metadata_path_suffix("/mcp"), None);
        assert_eq!(
            metadata_path_suffix("/mcp/.well-known/oauth-protected-resource"),
            None
        );

        let path = "/.well-known/oauth-protected-resource/mcp";
        assert!(is_metadata_path(WELL_KNOWN_PATH, "/mcp", None));
        assert!(is_metadata_path(path, "/mcp", None));
        assert!(is_metadata_path(path, "/mcp/", None));
        assert!(!is_metadata_path(path, "/stream", None));
        assert!(!is_metadata_path(
            "/.well-known/oauth-protected-resource/other",
            "/mcp",
            None
        ));
        assert!(is_metadata_path(
            "/.well-known/oauth-protected-resource/",
            "",
            None
        ));
        assert!(!is_metadata_path("/mcp", "/mcp", Some("http://h/mcp")));
        // The resource's own path is served too, whatever the endpoint.
        assert!(is_metadata_path(
            "/.well-known/oauth-protected-resource/api/v1",
            "/mcp",
            Some("https://h/api/v1/")
        ));
        assert!(!is_metadata_path(
            "/.well-known/oauth-protected-resource/api",
            "/mcp",
            Some("https://h/api/v1")
        ));
        assert!(!is_metadata_path(
            "/.well-known/oauth-protected-resource/x",
            "",
            Some("https://h")
        ));
    }

    #[test]
    fn document_defaults_passes_through_and_omits_empties() {
        let pr = map(json!({
            "resource": "https://mcp.example/mcp",
            "authorization_servers": ["https://as.example"],
            "scopes_supported": [],
            "resource_name": "Demo",
            "jwks_uri": "",
            "resource_documentation": null,
            "extra": {},
            "tls_client_certificate_bound_access_tokens": false,
            "n": 0
        }));
        let doc = metadata_document(&pr);
        assert_eq!(
            Value::Object(doc.clone()),
            json!({
                "resource": "https://mcp.example/mcp",
                "authorization_servers": ["https://as.example"],
                "resource_name": "Demo",
                "tls_client_certificate_bound_access_tokens": false,
                "n": 0,
                "bearer_methods_supported": ["header"]
            })
        );
        let keys: Vec<_> = doc.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "resource",
                "authorization_servers",
                "resource_name",
                "tls_client_certificate_bound_access_tokens",
                "n",
                "bearer_methods_supported"
            ]
        );
        assert_eq!(
            metadata_json(&pr),
            r#"{"resource":"https://mcp.example/mcp","authorization_servers":["https://as.example"],"resource_name":"Demo","tls_client_certificate_bound_access_tokens":false,"n":0,"bearer_methods_supported":["header"]}"#
        );
    }

    #[test]
    fn configured_bearer_methods_are_kept_in_place() {
        let pr = map(json!({
            "bearer_methods_supported": ["header", "body"],
            "resource": "https://r",
            "scopes_supported": ["openid", "admin"]
        }));
        assert_eq!(
            metadata_json(&pr),
            r#"{"bearer_methods_supported":["header","body"],"resource":"https://r","scopes_supported":["openid","admin"]}"#
        );
        let empty = map(json!({"resource": "https://r", "bearer_methods_supported": []}));
        assert_eq!(
            metadata_json(&empty),
            r#"{"resource":"https://r","bearer_methods_supported":["header"]}"#
        );
        assert_eq!(
            metadata_json(&Map::new()),
            r#"{"bearer_methods_supported":["header"]}"#
        );
    }
}
