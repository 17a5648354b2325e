//! CORS response headers (CONTRACT §7). Applied only to requests that carry `Origin`.
//!
//! It never refuses a request (that is `rebinding.rs`): it only adds headers.

use http::{HeaderMap, HeaderValue};

pub const DEFAULT_METHODS: &str = "GET, POST, DELETE, OPTIONS";
/// mcp-proxy 6.7's `DEFAULT_ALLOWED_HEADERS`; the last two are MCP 2026-07-28 request headers.
pub const DEFAULT_ALLOWED_HEADERS: &str = "Content-Type, Authorization, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-Id, Mcp-Method, Mcp-Name";
pub const DEFAULT_EXPOSED_HEADERS: &str = "Mcp-Session-Id, WWW-Authenticate";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowOrigin {
    /// `*`
    Any,
    /// Sent as it is.
    Exact(String),
    /// Echo the request's origin when listed.
    List(Vec<String>),
    /// Echo the request's origin when the host's `origin(origin)` function says yes.
    Callback,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsConfig {
    pub enabled: bool,
    pub origin: AllowOrigin,
    pub credentials: bool,
    pub methods: String,
    pub allowed_headers: String,
    pub exposed_headers: String,
    pub max_age: Option<u64>,
}

impl Default for CorsConfig {
    fn default() -> Self {
        CorsConfig {
            enabled: true,
            origin: AllowOrigin::Any,
            credentials: true,
            methods: DEFAULT_METHODS.into(),
            allowed_headers: DEFAULT_ALLOWED_HEADERS.into(),
            exposed_headers: DEFAULT_EXPOSED_HEADERS.into(),
            max_age: None,
        }
    }
}

/// An origin is `scheme://host[:port]`; anything else gets no CORS headers at all.
fn parsable_origin(origin: &str) -> bool {
    if origin == "null" {
        return true;
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && rest.parse::<http::uri::Authority>().is_ok()
}

impl CorsConfig {
    /// The origin CORS applies to: present, parsable, and CORS on.
    pub fn origin_of<'a>(&self, origin: Option<&'a HeaderValue>) -> Option<&'a str> {
        let origin = origin.and_then(|o| o.to_str().ok())?;
        (self.enabled && parsable_origin(origin)).then_some(origin)
    }

    /// Whether the host must be asked about this origin (`origin` is a function).
    pub fn asks_host(&self) -> bool {
        self.origin == AllowOrigin::Callback
    }

    /// Whether the option names this request origin explicitly: the exact string (not `*`),
    /// a member of the list, or one the host's function approved (`verdict`). Such an origin
    /// is trusted by the DNS-rebinding check too: configuring a browser app's origin must
    /// be enough to serve it (CONTRACT §7).
    pub fn names_origin(&self, origin: Option<&HeaderValue>, verdict: bool) -> bool {
        let Some(origin) = self.origin_of(origin) else {
            return false;
        };
        match &self.origin {
            AllowOrigin::Any => false,
            AllowOrigin::Exact(value) => value.eq_ignore_ascii_case(origin),
            AllowOrigin::List(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
            AllowOrigin::Callback => verdict,
        }
    }

    /// Adds the CORS headers for a request with this `Origin` header value. `verdict` is
    /// the host's answer when `origin` is a function. Headers the response already has
    /// (a Response-like set them) are kept.
    pub fn apply(&self, origin: Option<&HeaderValue>, verdict: bool, headers: &mut HeaderMap) {
        let Some(origin) = self.origin_of(origin) else {
            return;
        };
        let allow = match &self.origin {
            AllowOrigin::Any => Some("*"),
            AllowOrigin::Exact(value) => Some(value.as_str()),
            AllowOrigin::List(list) => list.iter().any(|o| o == origin).then_some(origin),
            AllowOrigin::Callback => verdict.then_some(origin),
        };
        // The answer depends on the request's Origin: caches must key on it (mcp-proxy 6.7
        // sends it on every CORS response, the default `*` included).
        vary_on_origin(headers);
        let mut put = |name: &'static str, value: &str| {
            if headers.contains_key(name) {
                return;
            }
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        if let Some(allow) = allow {
            put("access-control-allow-origin", allow);
        }
        // Browsers refuse credentials with `*` anyway (Fetch §3.2.5); mcp-proxy 6.7 omits it.
        if self.credentials && allow != Some("*") {
            put("access-control-allow-credentials", "true");
        }
        put("access-control-allow-methods", &self.methods);
        put("access-control-allow-headers", &self.allowed_headers);
        put("access-control-expose-headers", &self.exposed_headers);
        if let Some(age) = self.max_age {
            put("access-control-max-age", &age.to_string());
        }
    }
}

/// Adds `Origin` to `Vary`, keeping what a Response-like already put there.
fn vary_on_origin(headers: &mut HeaderMap) {
    let varies = headers.get_all(http::header::VARY).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|n| n.trim() == "*" || n.trim().eq_ignore_ascii_case("origin"))
        })
    });
    if !varies {
        headers.append(http::header::VARY, HeaderValue::from_static("Origin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: &CorsConfig, origin: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        config.apply(
            Some(&HeaderValue::from_str(origin).unwrap()),
            false,
            &mut headers,
        );
        headers
    }

    #[test]
    fn defaults_allow_delete_and_expose_challenge() {
        let h = run(&CorsConfig::default(), "http://app.example");
        assert_eq!(h["access-control-allow-origin"], "*");
        assert_eq!(
            h["access-control-allow-methods"],
            "GET, POST, DELETE, OPTIONS"
        );
        assert_eq!(
            h["access-control-expose-headers"],
            "Mcp-Session-Id, WWW-Authenticate"
        );
        assert!(
            h.get("access-control-allow-credentials").is_none(),
            "never with *"
        );
        assert_eq!(h["vary"], "Origin");
        assert_eq!(h["access-control-allow-headers"], DEFAULT_ALLOWED_HEADERS);
        assert!(DEFAULT_ALLOWED_HEADERS.ends_with("Mcp-Method, Mcp-Name"));
    }

    #[test]
    fn an_echoed_origin_carries_credentials() {
        let config = CorsConfig {
            origin: AllowOrigin::List(vec!["http://a.example".into()]),
            ..Default::default()
        };
        let h = run(&config, "http://a.example");
        assert_eq!(h["access-control-allow-credentials"], "true");
        assert_eq!(h["vary"], "Origin");
    }

    #[test]
    fn vary_keeps_what_a_response_set() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::VARY, HeaderValue::from_static("Accept"));
        CorsConfig::default().apply(
            Some(&HeaderValue::from_static("http://a.example")),
            false,
            &mut headers,
        );
        let vary: Vec<_> = headers.get_all("vary").iter().collect();
        assert_eq!(vary, vec!["Accept", "Origin"]);
        let mut already = HeaderMap::new();
        already.insert(
            http::header::VARY,
            HeaderValue::from_static("origin, Accept"),
        );
        CorsConfig::default().apply(
            Some(&HeaderValue::from_static("http://a.example")),
            false,
            &mut already,
        );
        assert_eq!(already.get_all("vary").iter().count(), 1);
    }

    #[test]
    fn names_origin_only_when_configured_explicitly() {
        let origin = HeaderValue::from_static("https://app.example");
        assert!(!CorsConfig::default().names_origin(Some(&origin), true));
        let exact = CorsConfig {
            origin: AllowOrigin::Exact("https://app.example".into()),
            ..Default::default()
        };
        assert!(exact.names_origin(Some(&origin), false));
        assert!(!exact.names_origin(Some(&HeaderValue::from_static("https://b.example")), false));
        let list = CorsConfig {
            origin: AllowOrigin::List(vec!["https://app.example".into()]),
            ..Default::default()
        };
        assert!(list.names_origin(Some(&origin), false));
        let callback = CorsConfig {
            origin: AllowOrigin::Callback,
            ..Default::default()
        };
        assert!(callback.names_origin(Some(&origin), true));
        assert!(!callback.names_origin(Some(&origin), false));
        let off = CorsConfig {
            enabled: false,
            ..exact
        };
        assert!(!off.names_origin(Some(&origin), false));
    }

    #[test]
    fn list_echoes_only_listed_origins() {
        let config = CorsConfig {
            origin: AllowOrigin::List(vec!["http://a.example".into()]),
            ..Default::default()
        };
        assert_eq!(
            run(&config, "http://a.example")["access-control-allow-origin"],
            "http://a.example"
        );
        assert!(run(&config, "http://b.example")
            .get("access-control-allow-origin")
            .is_none());
    }

    #[test]
    fn callback_verdict_decides_the_echo() {
        let config = CorsConfig {
            origin: AllowOrigin::Callback,
            ..Default::default()
        };
        let origin = HeaderValue::from_static("http://a.example");
        let mut yes = HeaderMap::new();
        config.apply(Some(&origin), true, &mut yes);
        assert_eq!(yes["access-control-allow-origin"], "http://a.example");
        let mut no = HeaderMap::new();
        config.apply(Some(&origin), false, &mut no);
        assert!(no.get("access-control-allow-origin").is_none());
    }

    #[test]
    fn keeps_cors_headers_a_response_set() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "access-control-allow-origin",
            HeaderValue::from_static("https://mine.example"),
        );
        CorsConfig::default().apply(
            Some(&HeaderValue::from_static("http://a.example")),
            false,
            &mut headers,
        );
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://mine.example"
        );
        assert_eq!(headers["access-control-allow-methods"], DEFAULT_METHODS);
    }

    #[test]
    fn unparsable_origin_gets_nothing() {
        assert!(run(&CorsConfig::default(), "not a url").is_empty());
        assert!(run(&CorsConfig::default(), "http://").is_empty());
    }

    #[test]
    fn no_origin_or_disabled_gets_nothing() {
        let mut headers = HeaderMap::new();
        CorsConfig::default().apply(None, false, &mut headers);
        assert!(headers.is_empty());
        let off = CorsConfig {
            enabled: false,
            ..Default::default()
        };
        assert!(run(&off, "http://a.example").is_empty());
    }
}
