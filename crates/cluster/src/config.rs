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
