//! The shared Redis connection of an instance: a `ConnectionManager` (multiplexed, reconnects
//! on its own after a loss) plus the key schema and settings every part of the crate uses.
//! Connecting fails with a clear `Unreachable` error when Redis is not there at start.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::Arc;
use std::time::Duration;

use crate::config::ClusterConfig;
use crate::error::{redact_url, Error, Result};
use crate::keys::Keys;

#[derive(Clone)]
pub struct Redis {
    pub(crate) conn: ConnectionManager,
    pub(crate) client: redis::Client,
    pub(crate) keys: Keys,
    pub(crate) config: Arc<ClusterConfig>,
}

impl Redis {
    /// Connects and checks Redis answers (`PING`) within a few `redis_timeout`s.
    pub async fn connect(config: ClusterConfig) -> Result<Redis> {
        let url = redact_url(&config.redis_url);
        let unreachable = |detail: String| Error::Unreachable {
            url: url.clone(),
            detail,
        };
        let client = redis::Client::open(config.redis_url.as_str())
            .map_err(|e| unreachable(e.to_string()))?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.redis_timeout))
            .set_response_timeout(Some(config.redis_timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(250));
        let budget = config.redis_timeout * 3;
        let connecting = async {
            let mut conn =
                ConnectionManager::new_with_config(client.clone(), manager_config).await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await?;
            Ok::<_, redis::RedisError>(conn)
        };
        let conn = match tokio::time::timeout(budget, connecting).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(unreachable(e.to_string())),
            Err(_) => return Err(unreachable(format!("no answer within {budget:?}"))),
        };
        Ok(Redis {
            conn,
            client,
            keys: Keys::new(config.key_prefix.clone()),
            config: Arc::new(config),
        })
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    pub fn instance_id(&self) -> &str {
        &self.config.instance_id
    }

    /// A clone of the multiplexed connection (cheap; for callers and tests).
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }
}
