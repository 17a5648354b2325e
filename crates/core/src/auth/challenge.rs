//! The `WWW-Authenticate` challenge (RFC 6750 §3, RFC 9110 §11.6.1) built from the `oauth`
//! option: the 401 of CONTRACT §5.3 and the 403 `insufficient_scope` of CONTRACT §5.5.
//!
//! Rendering rules:
//! - `Bearer` comes first; parameters follow after one space, separated by `, `; with no
//!   parameters the header is plain `Bearer` (never `Bearer,` or `Bearer ,`).
//! - Every value is a quoted-string: `"` and `\` are escaped with `\`, nothing else is.
//! - A parameter is written only when known: `None` and `""` are skipped by [`Challenge::param_if`].
//! - CR, LF (and every other ASCII control but HTAB, which no header value may carry) are
//!   **rejected, not stripped**: [`Challenge::to_header_value`] fails with
//!   [`ChallengeError::ControlCharacter`] naming the parameter. Stripping would silently send
//!   a value the configuration never said (`"a\r\nb"` becoming `"ab"`); rejecting lets the
//!   config be refused at start ([`OAuthConfig::validate`]) and lets the caller drop the one
//!   bad runtime parameter ([`Challenge::remove`]) and log it.
//!
//! Headers a user callback returns (`wwwAuthenticate`, a Response-like) are written verbatim
//! and never pass through here.

use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::protected_resource::resource_metadata_url;

/// The only scheme this module builds.
pub const BEARER: &str = "Bearer";

/// RFC 6750 §3.1: the access token is missing, expired, revoked or otherwise invalid.
pub const INVALID_TOKEN: &str = "invalid_token";

/// The `oauth` option, as the JS bridge passes it (JSON text of mcp-proxy's `oauth` object).
/// Unknown members are ignored; `null` is the same as absent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct OAuthConfig {
    pub realm: Option<String>,
    /// A space-separated scope list; a JSON array of strings is joined with spaces.
    #[serde(deserialize_with = "scope_list")]
    pub scope: Option<String>,
    pub error: Option<String>,
    #[serde(alias = "errorDescription")]
    pub error_description: Option<String>,
    #[serde(alias = "errorUri")]
    pub error_uri: Option<String>,
    /// RFC 9728 metadata members (`resource`, `authorization_servers`, …), in configured order.
    #[serde(rename = "protectedResource", alias = "protected_resource")]
    pub protected_resource: Option<Map<String, Value>>,
}

fn scope_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scope {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<Scope>::deserialize(d)? {
        None => None,
        Some(Scope::One(s)) => Some(s),
        Some(Scope::Many(v)) => Some(join_scopes(&v)),
    })
}

fn join_scopes(scopes: &[String]) -> String {
    scopes
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl OAuthConfig {
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// `protectedResource.resource`, when it is a non-empty string.
    pub fn resource(&self) -> Option<&str> {
        self.protected_resource
            .as_ref()?
            .get("resource")?
            .as_str()
            .filter(|r| !r.is_empty())
    }

    /// The `resource_metadata` URL (RFC 9728 §3.1 form, see [`resource_metadata_url`]).
    pub fn resource_metadata_url(&self) -> Option<String> {
        resource_metadata_url(self.resource()?)
    }

    /// Fails when a configured value could never be written into the 401 challenge, so
    /// `start()` can refuse the option instead of every 401 losing its header.
    pub fn validate(&self) -> Result<(), ChallengeError> {
        Challenge::unauthorized(self).to_header_value().map(drop)
    }

    /// The rendered 401 challenge (CONTRACT §5.3).
    pub fn unauthorized_header(&self) -> Result<String, ChallengeError> {
        Challenge::unauthorized(self).to_header_value()
    }
}

/// `error.data` of mcp-proxy's scope challenge (`InsufficientScopeError`, mcp-proxy ≥5.12):
/// `{ error: "insufficient_scope", requiredScopes: string[], errorDescription? }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct InsufficientScope {
    pub error: String,
    #[serde(rename = "requiredScopes", default)]
    pub required_scopes: Vec<String>,
    #[serde(rename = "errorDescription", default)]
    pub error_description: Option<String>,
}

impl InsufficientScope {
    pub const ERROR: &'static str = "insufficient_scope";

    /// The scope challenge carried by a JSON-RPC `error.data`, when it is one.
    pub fn from_error_data(data: &Value) -> Option<Self> {
        let parsed = Self::deserialize(data).ok()?;
        (parsed.error == Self::ERROR).then_some(parsed)
    }

    /// `requiredScopes` joined by single spaces (empty entries skipped).
    pub fn scope(&self) -> String {
        join_scopes(&self.required_scopes)
    }
}

/// Why a challenge cannot be written as a header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChallengeError {
    /// The value of `param` holds CR, LF or another control character.
    ControlCharacter { param: String },
    /// `param` (or the scheme) is not an RFC 9110 token.
    InvalidName { param: String },
}

impl fmt::Display for ChallengeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ControlCharacter { param } => write!(
                f,
                "WWW-Authenticate parameter {param:?} contains a control character (CR/LF)"
            ),
            Self::InvalidName { param } => {
                write!(f, "WWW-Authenticate name {param:?} is not a valid token")
            }
        }
    }
}

impl std::error::Error for ChallengeError {}

/// One challenge: a scheme and its `name="value"` parameters, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

impl Default for Challenge {
    fn default() -> Self {
        Self::bearer()
    }
}

impl Challenge {
    pub fn new(scheme: impl Into<String>) -> Self {
        Self {
            scheme: scheme.into(),
            params: Vec::new(),
        }
    }

    pub fn bearer() -> Self {
        Self::new(BEARER)
    }

    /// Appends `name="value"`, even when `value` is empty.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// Appends `name="value"` only when the value is known (`Some` and non-empty).
    pub fn param_if(self, name: &str, value: Option<&str>) -> Self {
        match value.filter(|v| !v.is_empty()) {
            Some(v) => self.param(name, v),
            None => self,
        }
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The value of a parameter; names compare case-insensitively (RFC 9110 §11.2).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Drops every parameter called `name` (e.g. the one [`ChallengeError`] named).
    pub fn remove(&mut self, name: &str) {
        self.params.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// The 401 challenge (CONTRACT §5.3): `realm`, `resource_metadata`, `error`,
    /// `error_description`, `error_uri`, `scope`, each only when configured.
    pub fn unauthorized(config: &OAuthConfig) -> Self {
        Self::bearer()
            .param_if("realm", config.realm.as_deref())
            .param_if(
                "resource_metadata",
                config.resource_metadata_url().as_deref(),
            )
            .param_if("error", config.error.as_deref())
            .param_if("error_description", config.error_description.as_deref())
            .param_if("error_uri", config.error_uri.as_deref())
            .param_if("scope", config.scope.as_deref())
    }

    /// The 401 for a refused request (CONTRACT §5.3, mcp-proxy 6.7): `error="invalid_token"`
    /// and `error_description` = `message` (why the request was refused) take precedence
    /// over the configured `error` and `error_description`; the rest comes from `config`.
    /// Without `oauth` it is `Bearer error="invalid_token", error_description="…"`, so every
    /// 401 carries a challenge (RFC 7235 §3.1).
    pub fn refused(config: Option<&OAuthConfig>, message: &str) -> Self {
        Self::refusal(config, Some(INVALID_TOKEN), Some(message))
    }

    /// The API-key 401 (CONTRACT §5.4, mcp-proxy 6.7): the configured `error` and
    /// `error_description` when set, else `invalid_token` and the API-key message.
    pub fn api_key_refused(config: Option<&OAuthConfig>, message: &str) -> Self {
        let error = config
            .and_then(|c| c.error.as_deref())
            .filter(|e| !e.is_empty());
        let description = config
            .and_then(|c| c.error_description.as_deref())
            .filter(|d| !d.is_empty());
        Self::refusal(
            config,
            Some(error.unwrap_or(INVALID_TOKEN)),
            Some(description.unwrap_or(message)),
        )
    }

    fn refusal(
        config: Option<&OAuthConfig>,
        error: Option<&str>,
        description: Option<&str>,
    ) -> Self {
        Self::bearer()
            .param_if("realm", config.and_then(|c| c.realm.as_deref()))
            .param_if(
                "resource_metadata",
                config
                    .and_then(OAuthConfig::resource_metadata_url)
                    .as_deref(),
            )
            .param_if("error", error)
            .param_if("error_description", description)
            .param_if("error_uri", config.and_then(|c| c.error_uri.as_deref()))
            .param_if("scope", config.and_then(|c| c.scope.as_deref()))
    }

    /// [`Self::to_header_value`], leaving out a parameter that cannot be written (runtime
    /// text with a CR/LF, say) instead of losing the whole header.
    pub fn to_header_value_lenient(&self) -> String {
        let mut challenge = self.clone();
        loop {
            match challenge.to_header_value() {
                Ok(header) => return header,
                Err(ChallengeError::InvalidName { param }) if param == challenge.scheme => {
                    return BEARER.to_string()
                }
                Err(
                    ChallengeError::ControlCharacter { param }
                    | ChallengeError::InvalidName { param },
                ) => challenge.remove(&param),
            }
        }
    }

    /// The 403 challenge (CONTRACT §5.5): `realm`, `error="insufficient_scope"`, `scope`
    /// (the required scopes), `error_description`, `resource_metadata`. The configured
    /// `error`, `error_description`, `error_uri` and `scope` describe the 401 and are not
    /// used here; `config` may be absent (then only the data speaks).
    pub fn insufficient_scope(config: Option<&OAuthConfig>, needed: &InsufficientScope) -> Self {
        let scope = needed.scope();
        Self::bearer()
            .param_if("realm", config.and_then(|c| c.realm.as_deref()))
            .param("error", InsufficientScope::ERROR)
            .param_if("scope", Some(&scope))
            .param_if("error_description", needed.error_description.as_deref())
            .param_if(
                "resource_metadata",
                config
                    .and_then(OAuthConfig::resource_metadata_url)
                    .as_deref(),
            )
    }

    /// `Bearer a="…", b="…"`: see the module docs for the rules.
    pub fn to_header_value(&self) -> Result<String, ChallengeError> {
        if !is_token(&self.scheme) {
            return Err(ChallengeError::InvalidName {
                param: self.scheme.clone(),
            });
        }
        let mut out = self.scheme.clone();
        for (i, (name, value)) in self.params.iter().enumerate() {
            if !is_token(name) {
                return Err(ChallengeError::InvalidName {
                    param: name.clone(),
                });
            }
            let quoted = quote(value).ok_or_else(|| ChallengeError::ControlCharacter {
                param: name.clone(),
            })?;
            out.push_str(if i == 0 { " " } else { ", " });
            out.push_str(name);
            out.push('=');
            out.push_str(&quoted);
        }
        Ok(out)
    }

    /// [`Self::to_header_value`] as an `http` header value.
    pub fn to_http_header_value(&self) -> Result<http::HeaderValue, ChallengeError> {
        let text = self.to_header_value()?;
        // Every byte was checked above; the conversion cannot fail, but never panic.
        http::HeaderValue::from_str(&text).map_err(|_| ChallengeError::ControlCharacter {
            param: self.scheme.clone(),
        })
    }
}

/// A control character no header value may carry: everything below SP but HTAB, and DEL.
fn is_forbidden(c: char) -> bool {
    c.is_ascii_control() && c != '\t'
}

/// `value` as an RFC 9110 quoted-string (`"` and `\` escaped), or `None` when it holds CR,
/// LF or another forbidden control character.
pub fn quote(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if is_forbidden(c) {
            return None;
        }
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

/// RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_tchar)
}

/// Why [`parse_challenge`] refused a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseChallengeError {
    /// What was expected, and the byte offset where it was not found.
    Expected(&'static str, usize),
    UnterminatedQuote(usize),
    DuplicateParam(String),
}

impl fmt::Display for ParseChallengeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Expected(what, at) => write!(f, "expected {what} at byte {at}"),
            Self::UnterminatedQuote(at) => write!(f, "unterminated quoted-string at byte {at}"),
            Self::DuplicateParam(name) => write!(f, "parameter {name:?} occurs twice"),
        }
    }
}

impl std::error::Error for ParseChallengeError {}

/// Parses ONE challenge with auth-params: `scheme [ 1*SP name=value *( OWS "," OWS name=value ) ]`,
/// values being tokens or quoted-strings (quoted-pairs unescaped). Strict on purpose: a
/// stray comma (`Bearer, error="x"`, `Bearer a="b",`), a token68, several challenges in
/// one value, a repeated parameter or a control character are errors.
pub fn parse_challenge(header: &str) -> Result<Challenge, ParseChallengeError> {
    let mut p = Parser { s: header, at: 0 };
    p.ows();
    let scheme = p
        .token()
        .ok_or(ParseChallengeError::Expected("scheme", p.at))?;
    let mut challenge = Challenge::new(scheme);
    if p.done() {
        return Ok(challenge);
    }
    if !p.sp() {
        return Err(ParseChallengeError::Expected("space", p.at));
    }
    p.ows();
    if p.done() {
        return Ok(challenge);
    }
    loop {
        let name = p
            .token()
            .ok_or(ParseChallengeError::Expected("name", p.at))?;
        p.ows();
        if !p.eat('=') {
            return Err(ParseChallengeError::Expected("'='", p.at));
        }
        p.ows();
        let value = if p.peek() == Some('"') {
            p.quoted()?
        } else {
            p.token()
                .ok_or(ParseChallengeError::Expected("value", p.at))?
                .to_string()
        };
        if challenge.get(name).is_some() {
            return Err(ParseChallengeError::DuplicateParam(name.to_string()));
        }
        challenge.params.push((name.to_string(), value));
        p.ows();
        if p.done() {
            return Ok(challenge);
        }
        if !p.eat(',') {
            return Err(ParseChallengeError::Expected("','", p.at));
        }
        p.ows();
    }
}

struct Parser<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<char> {
        self.s[self.at..].chars().next()
    }
    fn done(&self) -> bool {
        self.at == self.s.len()
    }
    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.at += c.len_utf8();
        }
        hit
    }
    fn sp(&mut self) -> bool {
        let start = self.at;
        while self.eat(' ') {}
        self.at > start
    }
    fn ows(&mut self) {
        while self.eat(' ') || self.eat('\t') {}
    }
    fn token(&mut self) -> Option<&'a str> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        (self.at > start).then(|| &self.s[start..self.at])
    }
    fn quoted(&mut self) -> Result<String, ParseChallengeError> {
        let start = self.at;
        self.eat('"');
        let mut out = String::new();
        loop {
            let c = self
                .peek()
                .ok_or(ParseChallengeError::UnterminatedQuote(start))?;
            self.at += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let escaped = self
                        .peek()
                        .filter(|c| !is_forbidden(*c))
                        .ok_or(ParseChallengeError::UnterminatedQuote(start))?;
                    self.at += escaped.len_utf8();
                    out.push(escaped);
                }
                c if is_forbidden(c) => {
                    return Err(ParseChallengeError::Expected("quoted text", self.at - 1))
                }
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(json: &str) -> OAuthConfig {
        OAuthConfig::from_json(json).unwrap()
    }

    const SEED_401: &str = r#"Bearer realm="MCP Server", scope="openid", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource""#;

    #[test]
    fn the_401_has_every_parameter_in_contract_order() {
        let c = config(
            r#"{"scope":"openid","error_uri":"https://e.example/e","error_description":"expired",
                "error":"invalid_token","protectedResource":{"resource":"http://localhost:8080"},
                "realm":"MCP Server"}"#,
        );
        assert_eq!(
            c.unauthorized_header().unwrap(),
            r#"Bearer realm="MCP Server", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource", error="invalid_token", error_description="expired", error_uri="https://e.example/e", scope="openid""#
        );
        let names: Vec<_> = Challenge::unauthorized(&c)
            .params()
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(
            names,
            [
                "realm",
                "resource_metadata",
                "error",
                "error_description",
                "error_uri",
                "scope"
            ]
        );
    }

    #[test]
    fn the_401_from_the_seed_config_carries_the_seed_values() {
        // The seed's exact header comes verbatim from its callback; built from the same
        // config it has the same parameters and values, in CONTRACT §5.3 order.
        let c = config(
            r#"{"realm":"MCP Server","scope":"openid","protectedResource":{"resource":"http://localhost:8080"}}"#,
        );
        let built = parse_challenge(&c.unauthorized_header().unwrap()).unwrap();
        let seed = parse_challenge(SEED_401).unwrap();
        assert_eq!(built.scheme(), seed.scheme());
        let mut a = built.params().to_vec();
        let mut b = seed.params().to_vec();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert_eq!(
            c.unauthorized_header().unwrap(),
            r#"Bearer realm="MCP Server", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource", scope="openid""#
        );
    }

    #[test]
    fn unknown_parameters_are_omitted_and_no_comma_strays() {
        assert_eq!(config("{}").unauthorized_header().unwrap(), "Bearer");
        assert_eq!(
            config(r#"{"realm":"","scope":null,"error":"invalid_token"}"#)
                .unauthorized_header()
                .unwrap(),
            r#"Bearer error="invalid_token""#
        );
        assert_eq!(
            config(r#"{"protectedResource":{"resource":""}}"#)
                .unauthorized_header()
                .unwrap(),
            "Bearer"
        );
        assert_eq!(
            config(r#"{"protectedResource":{"authorization_servers":["x"]}}"#)
                .unauthorized_header()
                .unwrap(),
            "Bearer"
        );
        for header in [
            config(r#"{"scope":"a"}"#).unauthorized_header().unwrap(),
            Challenge::insufficient_scope(None, &InsufficientScope::default())
                .to_header_value()
                .unwrap(),
        ] {
            assert!(header.starts_with("Bearer ") && !header.starts_with("Bearer ,"));
            assert!(!header.contains(",,") && !header.ends_with(','));
        }
    }

    #[test]
    fn quotes_and_backslashes_are_escaped_nothing_else() {
        assert_eq!(quote("plain").unwrap(), r#""plain""#);
        assert_eq!(quote("").unwrap(), r#""""#);
        assert_eq!(quote(r#"a "b" c"#).unwrap(), r#""a \"b\" c""#);
        assert_eq!(quote(r"C:\dir\").unwrap(), r#""C:\\dir\\""#);
        assert_eq!(quote(r#"\""#).unwrap(), r#""\\\"""#);
        assert_eq!(quote("tab\there, é ü ✓").unwrap(), "\"tab\there, é ü ✓\"");
        let c = config(r#"{"realm":"My \"quoted\" \\ realm","scope":"a b"}"#);
        let header = c.unauthorized_header().unwrap();
        assert_eq!(
            header,
            r#"Bearer realm="My \"quoted\" \\ realm", scope="a b""#
        );
        assert!(http::HeaderValue::from_str(&header).is_ok());
    }

    #[test]
    fn cr_lf_and_controls_are_rejected_never_written() {
        for bad in [
            "a\r\nInjected: 1",
            "a\rb",
            "a\nb",
            "nul\0",
            "del\u{7f}",
            "\u{1b}[0m",
        ] {
            assert_eq!(quote(bad), None, "{bad:?}");
            let c = OAuthConfig {
                realm: Some("ok".into()),
                error_description: Some(bad.into()),
                ..OAuthConfig::default()
            };
            let err = c.unauthorized_header().unwrap_err();
            assert_eq!(
                err,
                ChallengeError::ControlCharacter {
                    param: "error_description".into()
                }
            );
            assert!(err.to_string().contains("error_description"));
            assert!(c.validate().is_err());
            // The caller may drop the named parameter and keep the rest.
            let mut challenge = Challenge::unauthorized(&c);
            challenge.remove("error_description");
            assert_eq!(challenge.to_header_value().unwrap(), r#"Bearer realm="ok""#);
        }
        assert!(config(r#"{"realm":"fine"}"#).validate().is_ok());
        let bad_resource = config(r#"{"protectedResource":{"resource":"http://h/\r\nX: y"}}"#);
        assert!(matches!(
            bad_resource.unauthorized_header(),
            Err(ChallengeError::ControlCharacter { param }) if param == "resource_metadata"
        ));
    }

    #[test]
    fn names_must_be_tokens() {
        assert!(matches!(
            Challenge::bearer().param("bad name", "v").to_header_value(),
            Err(ChallengeError::InvalidName { .. })
        ));
        assert!(matches!(
            Challenge::new("Bear er").to_header_value(),
            Err(ChallengeError::InvalidName { .. })
        ));
        assert!(Challenge::bearer()
            .param("", "v")
            .to_http_header_value()
            .is_err());
    }

    #[test]
    fn a_refusal_says_invalid_token_and_why() {
        let seed = config(
            r#"{"realm":"MCP Server","scope":"openid","error":"configured","error_description":"configured too","protectedResource":{"resource":"https://h.example/api/mcp"}}"#,
        );
        assert_eq!(
            Challenge::refused(Some(&seed), "Token expired").to_header_value_lenient(),
            r#"Bearer realm="MCP Server", resource_metadata="https://h.example/.well-known/oauth-protected-resource/api/mcp", error="invalid_token", error_description="Token expired", scope="openid""#
        );
        assert_eq!(
            Challenge::refused(None, "Unauthorized: Authentication failed")
                .to_header_value_lenient(),
            r#"Bearer error="invalid_token", error_description="Unauthorized: Authentication failed""#
        );
    }

    #[test]
    fn the_api_key_refusal_prefers_the_configured_error() {
        let message = "Unauthorized: Invalid or missing API key";
        assert_eq!(
            Challenge::api_key_refused(None, message).to_header_value_lenient(),
            r#"Bearer error="invalid_token", error_description="Unauthorized: Invalid or missing API key""#
        );
        let configured = config(r#"{"error":"invalid_request","error_description":"Use a key"}"#);
        assert_eq!(
            Challenge::api_key_refused(Some(&configured), message).to_header_value_lenient(),
            r#"Bearer error="invalid_request", error_description="Use a key""#
        );
    }

    #[test]
    fn a_refusal_message_with_cr_lf_loses_only_its_description() {
        assert_eq!(
            Challenge::refused(None, "bad\r\nInjected: 1").to_header_value_lenient(),
            r#"Bearer error="invalid_token""#
        );
    }

    #[test]
    fn the_403_has_every_parameter_in_contract_order() {
        let c = config(
            r#"{"realm":"MCP Server","scope":"openid","error":"invalid_token","error_description":"401 text",
                "error_uri":"https://e.example","protectedResource":{"resource":"http://localhost:8080/"}}"#,
        );
        let needed = InsufficientScope::from_error_data(&json!({
            "error": "insufficient_scope",
            "requiredScopes": ["admin", "write"],
            "errorDescription": "Tool \"admin\" needs scope admin"
        }))
        .unwrap();
        let challenge = Challenge::insufficient_scope(Some(&c), &needed);
        assert_eq!(
            challenge.to_header_value().unwrap(),
            r#"Bearer realm="MCP Server", error="insufficient_scope", scope="admin write", error_description="Tool \"admin\" needs scope admin", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource""#
        );
        assert!(challenge.to_http_header_value().is_ok());
    }

    #[test]
    fn the_403_omits_what_is_unknown() {
        let needed = InsufficientScope {
            error: "insufficient_scope".into(),
            required_scopes: vec!["admin".into(), "".into(), " ".into()],
            error_description: None,
        };
        assert_eq!(needed.scope(), "admin");
        assert_eq!(
            Challenge::insufficient_scope(None, &needed)
                .to_header_value()
                .unwrap(),
            r#"Bearer error="insufficient_scope", scope="admin""#
        );
        assert_eq!(
            Challenge::insufficient_scope(Some(&config("{}")), &InsufficientScope::default())
                .to_header_value()
                .unwrap(),
            r#"Bearer error="insufficient_scope""#
        );
    }

    #[test]
    fn scope_challenge_data_is_recognised_only_with_its_error() {
        assert!(InsufficientScope::from_error_data(
            &json!({"error":"other","requiredScopes":["a"]})
        )
        .is_none());
        assert!(InsufficientScope::from_error_data(&json!({"requiredScopes":["a"]})).is_none());
        assert!(InsufficientScope::from_error_data(&json!("insufficient_scope")).is_none());
        assert!(InsufficientScope::from_error_data(
            &json!({"error":"insufficient_scope","requiredScopes":"a"})
        )
        .is_none());
        let bare =
            InsufficientScope::from_error_data(&json!({"error":"insufficient_scope"})).unwrap();
        assert!(bare.required_scopes.is_empty() && bare.error_description.is_none());
    }

    #[test]
    fn config_accepts_mcp_proxy_shapes() {
        let c = config(
            r#"{"realm":"r","scope":["openid"," profile",""],"errorDescription":"d","errorUri":"u",
                "protectedResource":{"resource":"https://mcp.example/mcp","authorization_servers":["https://as"]},
                "somethingElse":1}"#,
        );
        assert_eq!(c.scope.as_deref(), Some("openid profile"));
        assert_eq!(c.error_description.as_deref(), Some("d"));
        assert_eq!(c.error_uri.as_deref(), Some("u"));
        assert_eq!(c.resource(), Some("https://mcp.example/mcp"));
        assert_eq!(
            c.resource_metadata_url().as_deref(),
            Some("https://mcp.example/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(config("{}"), OAuthConfig::default());
        assert!(OAuthConfig::from_json(r#"{"realm":1}"#).is_err());
        assert!(OAuthConfig::from_json("\"text\"").is_err());
    }

    #[test]
    fn built_headers_round_trip_through_the_parser() {
        let c = config(
            r#"{"realm":"a \"q\" \\ b, c=d","scope":"x y","error":"invalid_token","error_description":"é, \"€\"",
                "error_uri":"https://e/?a=1&b=\"2\"","protectedResource":{"resource":"https://h:8443/p/"}}"#,
        );
        for challenge in [
            Challenge::unauthorized(&c),
            Challenge::insufficient_scope(
                Some(&c),
                &InsufficientScope {
                    error: "insufficient_scope".into(),
                    required_scopes: vec!["admin".into(), "a\\b".into()],
                    error_description: Some("needs \"admin\"".into()),
                },
            ),
            Challenge::bearer(),
            Challenge::bearer().param("empty", ""),
        ] {
            let header = challenge.to_header_value().unwrap();
            assert_eq!(parse_challenge(&header).unwrap(), challenge, "{header}");
        }
    }

    #[test]
    fn the_parser_reads_the_seed_header_and_rfc_examples() {
        let seed = parse_challenge(SEED_401).unwrap();
        assert_eq!(seed.scheme(), "Bearer");
        assert_eq!(seed.get("realm"), Some("MCP Server"));
        assert_eq!(seed.get("SCOPE"), Some("openid"));
        assert_eq!(
            seed.get("resource_metadata"),
            Some("http://localhost:8080/.well-known/oauth-protected-resource")
        );
        let names: Vec<_> = seed.params().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["realm", "scope", "resource_metadata"]);
        // The verbatim header survives as-is: no re-rendering needed, but re-rendering it
        // in its own order gives it back byte for byte.
        assert_eq!(seed.to_header_value().unwrap(), SEED_401);

        let rfc = parse_challenge(
            r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#,
        )
        .unwrap();
        assert_eq!(rfc.get("realm"), Some("example"));
        assert_eq!(
            rfc.get("error_description"),
            Some("The access token expired")
        );
        let tokens =
            parse_challenge("Bearer  error=invalid_token ,\terror_description = \"x\"").unwrap();
        assert_eq!(tokens.get("error"), Some("invalid_token"));
        assert_eq!(tokens.get("error_description"), Some("x"));
        assert_eq!(parse_challenge("Bearer").unwrap(), Challenge::bearer());
        assert_eq!(parse_challenge("Bearer ").unwrap(), Challenge::bearer());
    }

    #[test]
    fn the_parser_rejects_malformed_challenges() {
        for bad in [
            "",
            "   ",
            r#"Bearer, error="x""#, // mcp-proxy's malformed form
            r#"Bearer error="x","#,
            r#"Bearer error="x",, scope="y""#,
            r#"Bearer error="x" scope="y""#,
            r#"Bearer error="unterminated"#,
            r#"Bearer error="x\"#,
            r#"Bearer error"#,
            r#"Bearer error=""#,
            r#"Bearer error=,"#,
            "Bearer abc==",                 // token68
            r#"Bearer a="1", a="2""#,       // duplicate
            r#"Bearer a="1", A="2""#,       // duplicate, case-insensitive
            "Bearer a=\"line\r\nX: y\"",    // CR/LF inside a quoted-string
            r#"Bearer a="1", Basic b="2""#, // a second challenge
            r#"="x""#,
        ] {
            assert!(parse_challenge(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(
            parse_challenge(r#"Bearer a="1", a="2""#).unwrap_err(),
            ParseChallengeError::DuplicateParam("a".into())
        );
        assert!(parse_challenge(r#"Bearer error="x"#)
            .unwrap_err()
            .to_string()
            .contains("unterminated"));
    }
}
