//! CORS response headers (CONTRACT §7). Applied only to requests that carry `Origin`.

use http::{HeaderMap, HeaderValue};

pub const DEFAULT_METHODS: &str = "GET, POST, DELETE, OPTIONS";
pub const DEFAULT_ALLOWED_HEADERS: &str =
    "Content-Type, Authorization, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-Id";
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
        if self.credentials {
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
        assert_eq!(h["access-control-allow-credentials"], "true");
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
