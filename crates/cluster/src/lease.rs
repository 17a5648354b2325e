//! The instance's heartbeat lease: `SET inst:{id} <advertise> NX PX lease` at start, then
//! `SET … XX PX lease` every heartbeat. A missed renewal that finds the key gone (the lease
//! lapsed during a pause, or Redis restarted empty) re-registers and bumps `registrations`:
//! the owner of sessions must then check each (`Registry::verify`), since they may have been
//! claimed (fenced) or lost with Redis (gone).

use redis::AsyncCommands;
use std::time::Instant;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::millis;
use crate::connection::Redis;
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseState {
    /// The last renewal succeeded less than a lease ago.
    pub held: bool,
    /// How many times the instance registered (1 at start; more after a lapse or a Redis
    /// that came back empty).
    pub registrations: u64,
}

pub struct Heartbeat {
    redis: Redis,
    state: watch::Receiver<LeaseState>,
    task: JoinHandle<()>,
}

async fn register(redis: &Redis, only_if: &str) -> redis::RedisResult<bool> {
    let cfg = redis.config();
    let mut conn = redis.conn.clone();
    let set: Option<String> = redis::cmd("SET")
        .arg(redis.keys.instance(&cfg.instance_id))
        .arg(&cfg.advertise)
        .arg(only_if)
        .arg("PX")
        .arg(millis(cfg.lease))
        .query_async(&mut conn)
        .await?;
    Ok(set.is_some())
}

impl Heartbeat {
    /// Registers the instance (refused if a live instance holds the same id) and starts
    /// renewing its lease.
    pub async fn start(redis: &Redis) -> Result<Heartbeat> {
        if !register(redis, "NX").await? {
            return Err(Error::Protocol(format!(
                "instance id {} is held by a live instance",
                redis.instance_id()
            )));
        }
        let initial = LeaseState {
            held: true,
            registrations: 1,
        };
        let (tx, state) = watch::channel(initial);
        let task = tokio::spawn(renew(redis.clone(), tx, initial));
        Ok(Heartbeat {
            redis: redis.clone(),
            state,
            task,
        })
    }

    pub fn state(&self) -> watch::Receiver<LeaseState> {
        self.state.clone()
    }

    /// Stops renewing and removes the lease (graceful `close()`, after releasing sessions).
    pub async fn stop(self) -> Result<()> {
        self.task.abort();
        let mut conn = self.redis.conn.clone();
        let key = self.redis.keys.instance(self.redis.instance_id());
        let _: i64 = conn.del(key).await?;
        Ok(())
    }

    /// Stops renewing without removing the lease, as a killed process would (tests).
    pub fn abandon(self) {
        self.task.abort();
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn renew(redis: Redis, tx: watch::Sender<LeaseState>, mut state: LeaseState) {
    let cfg = redis.config().clone();
    let mut tick = tokio::time::interval(cfg.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut last_renewal = Instant::now();
    loop {
        tick.tick().await;
        let renewed = match register(&redis, "XX").await {
            Ok(true) => true,
            // The key is gone: re-register (NX, so a same-id impostor is not overwritten).
            Ok(false) => match register(&redis, "NX").await {
                Ok(true) => {
                    state.registrations += 1;
                    true
                }
                _ => false,
            },
            Err(_) => false,
        };
        if renewed {
            last_renewal = Instant::now();
        }
        state.held = renewed || last_renewal.elapsed() < cfg.lease;
        tx.send_if_modified(|old| {
            let changed = *old != state;
            *old = state;
            changed
        });
    }
}
