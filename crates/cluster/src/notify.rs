//! 2026-07-28 fan-out: `notify.*` on any instance reaches every instance's listen streams.
//! A publish is one `XADD` to the shared notify stream (with a counter, in one script); each
//! instance tails it on its own blocking connection and gets the notices in the one order
//! Redis gave them (a local publish comes back through the tail too, so all instances see the
//! same order). When the tail cannot prove it saw everything (the counter jumped: trimmed past
//! its cursor; or the stream went back: Redis restarted) it yields `Gap`, and the instance
//! sends a conservative `list_changed` to the streams that opted in.

use redis::aio::MultiplexedConnection;
use redis::streams::{StreamRangeReply, StreamReadReply};
use redis::AsyncConnectionConfig;
use std::time::Duration;
use tokio::sync::mpsc;

use crate::config::millis;
use crate::connection::Redis;
use crate::error::Result;
use crate::reply::value_text;
use crate::scripts;

/// How long one `XREAD` blocks before it is sent again.
pub const TAIL_BLOCK: Duration = Duration::from_secs(2);
/// Notices one read takes at most.
const TAIL_BATCH: usize = 512;
/// Notices the tail holds for a slow instance before it stops reading.
pub const TAIL_BUFFER: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The notify stream's entry id.
    pub id: String,
    /// The instance that published it.
    pub publisher: String,
    /// What was published (the core's notice, JSON).
    pub data: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TailEvent {
    Notice(Notice),
    /// Some notices may have been missed.
    Gap,
}

#[derive(Clone)]
pub struct Notifier {
    redis: Redis,
}

impl Notifier {
    pub fn new(redis: &Redis) -> Self {
        Notifier {
            redis: redis.clone(),
        }
    }

    /// Publishes `data` to every instance; returns its entry id.
    pub async fn publish(&self, data: &str) -> Result<String> {
        let keys = &self.redis.keys;
        let cfg = self.redis.config();
        let mut conn = self.redis.conn.clone();
        Ok(scripts::PUBLISH
            .key(keys.notify())
            .key(keys.notify_counter())
            .arg(&cfg.instance_id)
            .arg(data)
            .arg(cfg.notify_max_len)
            .arg(millis(cfg.notify_ttl))
            .invoke_async(&mut conn)
            .await?)
    }

    /// Starts tailing from now: notices published after this returns are all yielded. The
    /// tail ends when the receiver is dropped.
    pub async fn tail(&self) -> Result<mpsc::Receiver<TailEvent>> {
        let mut conn = tail_connection(&self.redis).await?;
        let (cursor, expect) = top(&self.redis, &mut conn).await?;
        let (tx, rx) = mpsc::channel(TAIL_BUFFER);
        let tail = Tail {
            redis: self.redis.clone(),
            tx,
            cursor: cursor.unwrap_or((0, 0)),
            expect,
        };
        tokio::spawn(tail.run(conn));
        Ok(rx)
    }
}

/// A connection of its own: `XREAD BLOCK` would stall every command multiplexed behind it.
async fn tail_connection(redis: &Redis) -> redis::RedisResult<MultiplexedConnection> {
    let timeout = redis.config.redis_timeout;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(TAIL_BLOCK + timeout));
    redis
        .client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

type EntryId = (u64, u64);

fn parse_id(id: &str) -> Option<EntryId> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

fn counter(entry: &redis::streams::StreamId) -> Option<u64> {
    entry.map.get("n").and_then(value_text)?.parse().ok()
}

/// The newest entry's id and the counter value expected next.
async fn top(
    redis: &Redis,
    conn: &mut MultiplexedConnection,
) -> redis::RedisResult<(Option<EntryId>, Option<u64>)> {
    let reply: StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(redis.keys.notify())
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await?;
    Ok(match reply.ids.first() {
        Some(entry) => (parse_id(&entry.id), counter(entry).map(|n| n + 1)),
        None => (None, None),
    })
}

struct Tail {
    redis: Redis,
    tx: mpsc::Sender<TailEvent>,
    cursor: EntryId,
    expect: Option<u64>,
}

impl Tail {
    async fn run(mut self, conn: MultiplexedConnection) {
        let mut conn = Some(conn);
        loop {
            let mut current = match conn.take() {
                Some(c) => c,
                None => match self.reconnect().await {
                    Some(c) => c,
                    None => return,
                },
            };
            let mut cmd = redis::cmd("XREAD");
            cmd.arg("COUNT")
                .arg(TAIL_BATCH)
                .arg("BLOCK")
                .arg(millis(TAIL_BLOCK))
                .arg("STREAMS")
                .arg(self.redis.keys.notify())
                .arg(format!("{}-{}", self.cursor.0, self.cursor.1));
            let read = cmd.query_async::<Option<StreamReadReply>>(&mut current);
            let reply = tokio::select! {
                reply = read => reply,
                _ = self.tx.closed() => return,
            };
            match reply {
                Ok(reply) => {
                    let entries = reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids);
                    for entry in entries {
                        if !self.deliver(entry).await {
                            return;
                        }
                    }
                    conn = Some(current);
                }
                Err(_) => conn = None,
            }
        }
    }

    /// Yields one entry (after a `Gap` if its counter is not the next); false when the
    /// instance stopped listening.
    async fn deliver(&mut self, entry: redis::streams::StreamId) -> bool {
        let n = counter(&entry);
        if let Some(id) = parse_id(&entry.id) {
            self.cursor = id;
        }
        if self.expect.is_some() && n != self.expect && self.tx.send(TailEvent::Gap).await.is_err()
        {
            return false;
        }
        self.expect = n.map(|n| n + 1);
        let notice = Notice {
            publisher: entry.map.get("f").and_then(value_text).unwrap_or_default(),
            data: entry.map.get("d").and_then(value_text).unwrap_or_default(),
            id: entry.id,
        };
        self.tx.send(TailEvent::Notice(notice)).await.is_ok()
    }

    /// Connects again (retrying while the instance listens) and checks the stream did not go
    /// back: a stream whose newest entry is older than the cursor (or that is gone) was
    /// recreated, so everything in it is new and what was before may be lost.
    async fn reconnect(&mut self) -> Option<MultiplexedConnection> {
        let mut delay = Duration::from_millis(50);
        loop {
            if self.tx.is_closed() {
                return None;
            }
            if let Ok(mut conn) = tail_connection(&self.redis).await {
                if let Ok((newest, _)) = top(&self.redis, &mut conn).await {
                    if newest.is_none_or(|id| id < self.cursor) {
                        if self.cursor != (0, 0) && self.tx.send(TailEvent::Gap).await.is_err() {
                            return None;
                        }
                        self.cursor = (0, 0);
                        self.expect = None;
                    }
                    return Some(conn);
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }
}
