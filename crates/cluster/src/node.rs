//! One instance's membership of the cluster, as the core will hold it: the connection, the
//! heartbeat lease, the registry, the event log's commit loop, the notifier and the hop
//! (forwarder + key). `start` is what `startHTTPServer({ cluster })` awaits (it rejects with
//! `Error::Unreachable` when Redis is not there); `close` is `close()`'s part: release every
//! owned session for immediate takeover, then drop the lease.

use std::sync::Arc;

use crate::config::{ClusterConfig, DEFAULT_HOP_SKEW};
use crate::connection::Redis;
use crate::error::{Error, Result};
use crate::event_log::EventLog;
use crate::forwarder::Forwarder;
use crate::hop_auth::HopKey;
use crate::lease::Heartbeat;
use crate::notify::Notifier;
use crate::registry::Registry;

pub struct ClusterNode {
    pub redis: Redis,
    pub registry: Registry,
    pub events: EventLog,
    pub notifier: Notifier,
    pub hop_key: Arc<HopKey>,
    pub forwarder: Forwarder,
    /// Taken by `close`.
    heartbeat: std::sync::Mutex<Option<Heartbeat>>,
}

impl ClusterNode {
    /// Connects, registers the instance and starts its lease and commit loop. `secret` is
    /// the hop's shared secret (the same on every instance).
    pub async fn start(config: ClusterConfig, secret: &[u8]) -> Result<ClusterNode> {
        let redis = Redis::connect(config).await?;
        let heartbeat = Heartbeat::start(&redis).await?;
        let hop_key = Arc::new(HopKey::new(secret, DEFAULT_HOP_SKEW));
        Ok(ClusterNode {
            registry: Registry::new(&redis),
            events: EventLog::start(&redis),
            notifier: Notifier::new(&redis),
            forwarder: Forwarder::new(hop_key.clone()),
            hop_key,
            heartbeat: std::sync::Mutex::new(Some(heartbeat)),
            redis,
        })
    }

    /// The lease's state; `None` once closed.
    pub fn lease(&self) -> Option<tokio::sync::watch::Receiver<crate::lease::LeaseState>> {
        self.heartbeat
            .lock()
            .unwrap()
            .as_ref()
            .map(Heartbeat::state)
    }

    /// Releases each owned `(session id, epoch)` and removes the lease. A session already
    /// claimed elsewhere (fenced) or gone is skipped; Redis being unavailable is returned
    /// after trying every session (their keys still expire on their own).
    pub async fn close(&self, owned: &[(String, u64)]) -> Result<()> {
        let mut unavailable = None;
        for (session_id, epoch) in owned {
            match self.registry.release(session_id, *epoch).await {
                Ok(_) | Err(Error::Fenced { .. }) | Err(Error::Gone) => {}
                Err(e) => unavailable = Some(e),
            }
        }
        let heartbeat = self.heartbeat.lock().unwrap().take();
        if let Some(heartbeat) = heartbeat {
            heartbeat.stop().await?;
        }
        unavailable.map_or(Ok(()), Err)
    }
}
