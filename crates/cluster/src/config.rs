//! The cluster's settings (CONTRACT §14's `cluster` option) and their named defaults.

use std::time::Duration;

/// Default `leaseMs`: an instance that stops renewing is presumed dead after this long.
pub const DEFAULT_LEASE: Duration = Duration::from_millis(3000);
/// Default heartbeat: the lease is renewed this often (a third of the lease).
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_millis(1000);
/// Default key prefix; every key the cluster writes starts with it.
pub const DEFAULT_KEY_PREFIX: &str = "mcpn:";
/// Default bound of a session's event log (the in-memory store's `eventStoreMaxEvents`).
pub const DEFAULT_MAX_EVENTS: usize = 1000;
/// Default TTL of a session's keys when `sessionIdleTimeout` is zero ("never"): every key
/// must expire, so an idle cluster session lasts a day.
pub const DEFAULT_SESSION_TTL_WITHOUT_IDLE: Duration = Duration::from_secs(24 * 3600);
/// Default lifetime of a cached owner lookup; a stale entry only costs one refused hop.
pub const DEFAULT_OWNER_CACHE: Duration = Duration::from_millis(500);
/// Default time a Redis command may take before the caller gets `Unavailable` (503).
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(1000);
/// Default approximate bound of the notify stream shared by all instances.
pub const DEFAULT_NOTIFY_MAX_LEN: usize = 10_000;
/// Default TTL of the notify stream, renewed by every publish.
pub const DEFAULT_NOTIFY_TTL: Duration = Duration::from_secs(3600);
/// Default clock skew tolerated between instances on the internal hop.
pub const DEFAULT_HOP_SKEW: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// `redis://host:port[/db]` (or `rediss://`).
    pub redis_url: String,
    /// This instance's id; also the value other instances see as a session's owner.
    pub instance_id: String,
    /// Where other instances reach this one for the internal hop (`http://10.0.0.5:8080`).
    pub advertise: String,
    pub lease: Duration,
    pub heartbeat: Duration,
    pub key_prefix: String,
    /// TTL of every key of a session, renewed on each write: `sessionIdleTimeout` + lease.
    pub session_ttl: Duration,
    pub max_events: usize,
    pub owner_cache: Duration,
    pub redis_timeout: Duration,
    pub notify_max_len: usize,
    pub notify_ttl: Duration,
}

impl ClusterConfig {
    /// The defaults, with a random instance id.
    pub fn new(redis_url: impl Into<String>, advertise: impl Into<String>) -> Self {
        ClusterConfig {
            redis_url: redis_url.into(),
            instance_id: uuid::Uuid::new_v4().simple().to_string(),
            advertise: advertise.into(),
            lease: DEFAULT_LEASE,
            heartbeat: DEFAULT_HEARTBEAT,
            key_prefix: DEFAULT_KEY_PREFIX.to_string(),
            session_ttl: session_ttl(Duration::from_secs(30 * 60), DEFAULT_LEASE),
            max_events: DEFAULT_MAX_EVENTS,
            owner_cache: DEFAULT_OWNER_CACHE,
            redis_timeout: DEFAULT_REDIS_TIMEOUT,
            notify_max_len: DEFAULT_NOTIFY_MAX_LEN,
            notify_ttl: DEFAULT_NOTIFY_TTL,
        }
    }
}

/// The TTL of a session's keys for a `sessionIdleTimeout` (zero = never) and a lease.
pub fn session_ttl(idle_timeout: Duration, lease: Duration) -> Duration {
    if idle_timeout.is_zero() {
        DEFAULT_SESSION_TTL_WITHOUT_IDLE + lease
    } else {
        idle_timeout + lease
    }
}

/// Milliseconds for Redis `PX`/`PEXPIRE`, at least 1 (zero would be refused).
pub(crate) fn millis(d: Duration) -> u64 {
    (d.as_millis() as u64).max(1)
}

/// The hop's shared secret. Given: its bytes. Not given: allowed only when `advertise` is a
/// loopback URL (every instance on one machine), where it is derived from the Redis URL all
/// of them share (whoever can reach that Redis could rewrite owners anyway); otherwise the
/// instance refuses to start, since anyone who can reach the advertise address could then
/// forge hops.
pub fn hop_secret(
    secret: Option<&str>,
    advertise: &str,
    redis_url: &str,
) -> std::result::Result<Vec<u8>, String> {
    if let Some(secret) = secret {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "cluster.secret must be at least {MIN_SECRET_BYTES} bytes"
            ));
        }
        return Ok(secret.as_bytes().to_vec());
    }
    if !is_loopback_url(advertise) {
        return Err(format!(
            "cluster.secret is required when cluster.advertise ({advertise}) is not a loopback address: it authenticates the hop between instances"
        ));
    }
    Ok(crate::keys::sha256_hex(format!("mcpn-hop\n{redis_url}").as_bytes()).into_bytes())
}

/// Shortest `cluster.secret` accepted (a 128-bit random value in hex is 32).
pub const MIN_SECRET_BYTES: usize = 16;

/// `http://127.x.y.z:…`, `http://[::1]:…` or `http://localhost:…`.
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_required_unless_every_instance_is_on_loopback() {
        assert!(hop_secret(None, "http://127.0.0.1:4000", "redis://r").is_ok());
        assert!(hop_secret(None, "http://[::1]:4000", "redis://r").is_ok());
        assert!(hop_secret(None, "http://localhost:4000", "redis://r").is_ok());
        let refused = hop_secret(None, "http://10.0.0.5:8080", "redis://r").unwrap_err();
        assert!(refused.contains("cluster.secret is required"), "{refused}");
        assert!(hop_secret(Some("short"), "http://10.0.0.5:8080", "redis://r").is_err());
        let given = hop_secret(Some("0123456789abcdef"), "http://10.0.0.5:8080", "r").unwrap();
        assert_eq!(given, b"0123456789abcdef");
        // Instances on one Redis derive the same secret; another Redis, another secret.
        assert_eq!(
            hop_secret(None, "http://127.0.0.1:1", "redis://a"),
            hop_secret(None, "http://127.0.0.1:2", "redis://a")
        );
        assert_ne!(
            hop_secret(None, "http://127.0.0.1:1", "redis://a"),
            hop_secret(None, "http://127.0.0.1:1", "redis://b")
        );
    }
}
