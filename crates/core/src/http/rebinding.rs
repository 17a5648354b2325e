//! DNS-rebinding protection (CONTRACT §2 `allowedHosts`/`allowedOrigins`): a page on
//! evil.example that resolves its name to 127.0.0.1 reaches a local server with
//! `Host: evil.example`; refusing foreign `Host` and `Origin` values stops it.
//!
//! It only judges headers: the pipeline answers the 403.

use http::HeaderMap;

/// Names a loopback-bound server answers to unless configured otherwise (any port).
pub const LOOPBACK_NAMES: &[&str] = &["localhost", "127.0.0.1", "[::1]"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebindingPolicy {
    /// `host` or `host:port` entries; `None` = no `Host` check.
    pub allowed_hosts: Option<Vec<String>>,
    /// Exact origins (`scheme://host[:port]`); `None` = an `Origin`'s host must pass the
    /// host check (when there is one).
    pub allowed_origins: Option<Vec<String>>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Host,
    Origin,
}

/// True for the bind addresses FastMCP and friends use for local-only servers.
pub fn is_loopback_bind(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl RebindingPolicy {
    /// The default for a bind address: loopback names when bound to loopback, else no check.
    pub fn for_bind(host: &str) -> Self {
        if is_loopback_bind(host) {
            RebindingPolicy {
                allowed_hosts: Some(LOOPBACK_NAMES.iter().map(|s| s.to_string()).collect()),
                allowed_origins: None,
            }
        } else {
            RebindingPolicy::default()
        }
    }

    fn host_allowed(&self, authority: &str) -> bool {
        let Some(allowed) = &self.allowed_hosts else {
            return true;
        };
        let authority = authority.to_ascii_lowercase();
        let name = strip_port(&authority);
        allowed.iter().any(|entry| {
            let entry = entry.to_ascii_lowercase();
            entry == authority || entry == name
        })
    }

    /// `trusted_origin`: the request's `Origin` is one the `cors` option names explicitly
    /// (CONTRACT §7), which passes the `Origin` check; `Host` is still checked.
    pub fn check(&self, headers: &HeaderMap, trusted_origin: bool) -> Result<(), Refusal> {
        if self.allowed_hosts.is_some() {
            let host = headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok());
            if !host.is_some_and(|h| self.host_allowed(h)) {
                return Err(Refusal::Host);
            }
        }
        let Some(origin) = headers.get(http::header::ORIGIN) else {
            return Ok(());
        };
        if trusted_origin {
            return Ok(());
        }
        let origin = origin.to_str().map_err(|_| Refusal::Origin)?;
        match &self.allowed_origins {
            Some(allowed) => allowed
                .iter()
                .any(|o| o.eq_ignore_ascii_case(origin))
                .then_some(())
                .ok_or(Refusal::Origin),
            None if self.allowed_hosts.is_some() => {
                let authority = origin.split_once("://").map(|(_, rest)| rest);
                authority
                    .filter(|a| self.host_allowed(a))
                    .map(|_| ())
                    .ok_or(Refusal::Origin)
            }
            None => Ok(()),
        }
    }
}

/// `name:port` → `name`; `[v6]:port` → `[v6]`.
fn strip_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority
        .rsplit_once(':')
        .map_or(authority, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert("origin", HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn loopback_bind_allows_loopback_names_on_any_port() {
        let p = RebindingPolicy::for_bind("localhost");
        for host in ["localhost:8080", "127.0.0.1:1", "[::1]:9", "LOCALHOST"] {
            assert_eq!(p.check(&headers(host, None), false), Ok(()), "{host}");
        }
        assert_eq!(
            p.check(&headers("evil.example.com", None), false),
            Err(Refusal::Host)
        );
        assert_eq!(
            p.check(&headers("localhost.evil.com:80", None), false),
            Err(Refusal::Host)
        );
        assert_eq!(p.check(&HeaderMap::new(), false), Err(Refusal::Host));
    }

    #[test]
    fn origin_must_be_local_too() {
        let p = RebindingPolicy::for_bind("127.0.0.1");
        assert_eq!(
            p.check(
                &headers("localhost:1", Some("http://localhost:3000")),
                false
            ),
            Ok(())
        );
        assert_eq!(
            p.check(&headers("localhost:1", Some("http://evil.example")), false),
            Err(Refusal::Origin)
        );
        assert_eq!(
            p.check(&headers("localhost:1", Some("null")), false),
            Err(Refusal::Origin)
        );
    }

    #[test]
    fn wildcard_binds_check_nothing_unless_configured() {
        assert_eq!(
            RebindingPolicy::for_bind("::").check(&headers("anything", Some("http://x")), false),
            Ok(())
        );
        assert!(
            is_loopback_bind("::1") && is_loopback_bind("[::1]") && !is_loopback_bind("0.0.0.0")
        );
        let configured = RebindingPolicy {
            allowed_hosts: Some(vec!["mcp.example.com".into()]),
            allowed_origins: Some(vec!["https://app.example.com".into()]),
        };
        assert_eq!(
            configured.check(&headers("mcp.example.com:443", None), false),
            Ok(())
        );
        assert_eq!(
            configured.check(&headers("other.example.com", None), false),
            Err(Refusal::Host)
        );
        assert_eq!(
            configured.check(
                &headers("mcp.example.com", Some("https://app.example.com")),
                false
            ),
            Ok(())
        );
        assert_eq!(
            configured.check(
                &headers("mcp.example.com", Some("https://evil.example.com")),
                false
            ),
            Err(Refusal::Origin)
        );
    }

    #[test]
    fn a_trusted_origin_passes_but_the_host_is_still_checked() {
        let p = RebindingPolicy::for_bind("127.0.0.1");
        let from_app = headers("localhost:1", Some("https://app.example"));
        assert_eq!(p.check(&from_app, false), Err(Refusal::Origin));
        assert_eq!(p.check(&from_app, true), Ok(()));
        assert_eq!(
            p.check(&headers("evil.example", Some("https://app.example")), true),
            Err(Refusal::Host)
        );
    }

    #[test]
    fn host_entries_with_a_port_match_exactly() {
        let p = RebindingPolicy {
            allowed_hosts: Some(vec!["localhost:8080".into()]),
            allowed_origins: None,
        };
        assert_eq!(p.check(&headers("localhost:8080", None), false), Ok(()));
        assert_eq!(
            p.check(&headers("localhost:9090", None), false),
            Err(Refusal::Host)
        );
    }
}
