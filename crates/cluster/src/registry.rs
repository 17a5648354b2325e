//! Who owns each 2025 session: its meta (owner, epoch, stored `initialize`), the owner
//! lookup an instance does before serving or forwarding a request, the compare-and-set claim
//! that makes an instance the new owner when the old one died, and the graceful release.

use futures_util::future::{BoxFuture, FutureExt, Shared};
use redis::AsyncCommands;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::config::millis;
use crate::connection::Redis;
use crate::error::{Error, Result};
use crate::reply::Reply;
use crate::scripts;

/// What a session keeps for a restore on another instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionMeta {
    /// The raw body of the client's `initialize` request, replayed to a restored server.
    pub init: String,
    /// The negotiated protocol version.
    pub protocol: String,
    /// `keys::principal_hash` of the principal that initialized (empty: no authentication).
    pub principal: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// This instance owns the session at `epoch`.
    Me { epoch: u64 },
    /// Another instance holds a live lease: forward the request to `url`.
    Live {
        instance: String,
        epoch: u64,
        url: String,
    },
    /// Nobody serves it: the owner's lease lapsed, or it released the session (`instance`
    /// is then ""). Claim it naming `instance`.
    Vacant { instance: String, epoch: u64 },
}

/// A won claim: this instance is the owner at `epoch`; events continue after `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimed {
    pub epoch: u64,
    pub seq: u64,
    pub meta: SessionMeta,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    Won(Claimed),
    /// Someone else owns it now (a live instance, or the winner of a race).
    Lost {
        owner: String,
        epoch: u64,
    },
    Gone,
}

type SharedClaim = Shared<BoxFuture<'static, Result<Claim>>>;

pub struct Registry {
    redis: Redis,
    cache: Mutex<HashMap<String, (Instant, Owner)>>,
    /// One claim in flight per session on this instance; concurrent callers share it.
    claims: Arc<Mutex<HashMap<String, SharedClaim>>>,
}

impl Registry {
    pub fn new(redis: &Redis) -> Self {
        Registry {
            redis: redis.clone(),
            cache: Mutex::new(HashMap::new()),
            claims: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn ttl_ms(&self) -> u64 {
        millis(self.redis.config.session_ttl)
    }

    /// Writes a new session's meta with this instance as owner (epoch 1). Must complete
    /// before the `initialize` answer leaves, else a fast follow-up elsewhere gets 404.
    pub async fn create(&self, session_id: &str, meta: &SessionMeta) -> Result<u64> {
        let keys = self.redis.keys.session(session_id);
        let mut conn = self.redis.conn.clone();
        let created: i64 = scripts::CREATE
            .key(&keys.meta)
            .arg(self.redis.instance_id())
            .arg(&meta.init)
            .arg(&meta.protocol)
            .arg(&meta.principal)
            .arg(self.ttl_ms())
            .invoke_async(&mut conn)
            .await?;
        if created != 1 {
            return Err(Error::Protocol(
                "a session with this id already exists".into(),
            ));
        }
        Ok(1)
    }

    /// The advertise URL of a live instance; `None` when its lease is gone.
    pub async fn instance_url(&self, instance_id: &str) -> Result<Option<String>> {
        let mut conn = self.redis.conn.clone();
        Ok(conn.get(self.redis.keys.instance(instance_id)).await?)
    }

    /// Who serves the session now; `None` when it is gone. Reads Redis every time.
    pub async fn lookup(&self, session_id: &str) -> Result<Option<Owner>> {
        let keys = self.redis.keys.session(session_id);
        let mut conn = self.redis.conn.clone();
        let (owner, epoch): (Option<String>, Option<u64>) = redis::cmd("HMGET")
            .arg(&keys.meta)
            .arg("owner")
            .arg("epoch")
            .query_async(&mut conn)
            .await?;
        let (Some(instance), Some(epoch)) = (owner, epoch) else {
            return Ok(None);
        };
        if instance == self.redis.instance_id() {
            return Ok(Some(Owner::Me { epoch }));
        }
        // The lease lives in another slot than the session, so it is read apart from the
        // meta; the claim's compare-and-set makes a stale read harmless.
        let url = match instance.is_empty() {
            true => None,
            false => self.instance_url(&instance).await?,
        };
        Ok(Some(match url {
            Some(url) => Owner::Live {
                instance,
                epoch,
                url,
            },
            None => Owner::Vacant { instance, epoch },
        }))
    }

    /// `lookup` through a short local cache of live remote owners (a stale entry costs one
    /// refused or failed hop, after which the caller calls `invalidate`).
    pub async fn lookup_cached(&self, session_id: &str) -> Result<Option<Owner>> {
        let ttl = self.redis.config.owner_cache;
        if let Some((at, owner)) = self.cache.lock().unwrap().get(session_id) {
            if at.elapsed() < ttl {
                return Ok(Some(owner.clone()));
            }
        }
        let found = self.lookup(session_id).await?;
        let mut cache = self.cache.lock().unwrap();
        match &found {
            Some(owner @ Owner::Live { .. }) => {
                cache.insert(session_id.to_string(), (Instant::now(), owner.clone()));
            }
            _ => {
                cache.remove(session_id);
            }
        }
        Ok(found)
    }

    pub fn invalidate(&self, session_id: &str) {
        self.cache.lock().unwrap().remove(session_id);
    }

    /// Compare-and-set: this instance becomes the owner if the owner and epoch are still
    /// the ones `lookup` saw vacant (the dead instance, or "" after a release).
    pub async fn claim(&self, session_id: &str, owner: &str, epoch: u64) -> Result<Claim> {
        claim(&self.redis, session_id, owner, epoch).await
    }

    /// Looks the session up and claims it when vacant, single-flighted: concurrent calls
    /// for one session on this instance share one lookup and one claim.
    pub async fn take_over(&self, session_id: &str) -> Result<(Option<Owner>, Option<Claimed>)> {
        let owner = self.lookup(session_id).await?;
        let Some(Owner::Vacant { instance, epoch }) = &owner else {
            return Ok((owner, None));
        };
        let flight = {
            let mut claims = self.claims.lock().unwrap();
            claims
                .entry(session_id.to_string())
                .or_insert_with(|| {
                    let (redis, sid, expected, epoch) = (
                        self.redis.clone(),
                        session_id.to_string(),
                        instance.clone(),
                        *epoch,
                    );
                    let claims = self.claims.clone();
                    async move {
                        let result = claim(&redis, &sid, &expected, epoch).await;
                        claims.lock().unwrap().remove(&sid);
                        result
                    }
                    .boxed()
                    .shared()
                })
                .clone()
        };
        self.invalidate(session_id);
        match flight.await? {
            Claim::Won(claimed) => Ok((
                Some(Owner::Me {
                    epoch: claimed.epoch,
                }),
                Some(claimed),
            )),
            // Lost the race to another instance, or the session ended: look again.
            Claim::Lost { .. } | Claim::Gone => Ok((self.lookup(session_id).await?, None)),
        }
    }

    /// Graceful release for `close()`: the next request anywhere claims at once.
    pub async fn release(&self, session_id: &str, epoch: u64) -> Result<u64> {
        let keys = self.redis.keys.session(session_id);
        let mut conn = self.redis.conn.clone();
        let value = scripts::RELEASE
            .key(&keys.meta)
            .arg(self.redis.instance_id())
            .arg(epoch)
            .invoke_async(&mut conn)
            .await?;
        let reply = Reply::new(value)?;
        match reply.status()? {
            scripts::GONE => Err(Error::Gone),
            scripts::DONE => Ok(reply.int(1)? as u64),
            _ => Err(reply.fenced(2)),
        }
    }

    /// Ends the session for everyone (DELETE, idle reap), if `epoch` is still current.
    pub async fn end(&self, session_id: &str, epoch: u64) -> Result<()> {
        let keys = self.redis.keys.session(session_id);
        let mut conn = self.redis.conn.clone();
        let value = scripts::END
            .key(&keys.meta)
            .key(&keys.events)
            .key(&keys.inflight)
            .arg(epoch)
            .invoke_async(&mut conn)
            .await?;
        self.invalidate(session_id);
        let reply = Reply::new(value)?;
        match reply.status()? {
            scripts::GONE => Err(Error::Gone),
            scripts::DONE => Ok(()),
            _ => Err(reply.fenced(2)),
        }
    }

    /// Renews the TTL of the session's keys (activity without an event).
    pub async fn touch(&self, session_id: &str) -> Result<()> {
        let keys = self.redis.keys.session(session_id);
        let mut conn = self.redis.conn.clone();
        let alive: i64 = scripts::TOUCH
            .key(&keys.meta)
            .key(&keys.events)
            .key(&keys.inflight)
            .arg(self.ttl_ms())
            .invoke_async(&mut conn)
            .await?;
        if alive == 1 {
            Ok(())
        } else {
            Err(Error::Gone)
        }
    }
}

async fn claim(redis: &Redis, session_id: &str, expected: &str, epoch: u64) -> Result<Claim> {
    let keys = redis.keys.session(session_id);
    let mut conn = redis.conn.clone();
    let value = scripts::CLAIM
        .key(&keys.meta)
        .key(&keys.events)
        .key(&keys.inflight)
        .arg(expected)
        .arg(epoch)
        .arg(redis.instance_id())
        .arg(millis(redis.config.session_ttl))
        .invoke_async(&mut conn)
        .await?;
    let reply = Reply::new(value)?;
    Ok(match reply.status()? {
        scripts::GONE => Claim::Gone,
        scripts::FENCED => Claim::Lost {
            owner: reply.text_or_empty(1)?,
            epoch: reply.int(2)? as u64,
        },
        _ => Claim::Won(Claimed {
            epoch: reply.int(1)? as u64,
            seq: reply.int(2)? as u64,
            meta: SessionMeta {
                init: reply.text_or_empty(3)?,
                protocol: reply.text_or_empty(4)?,
                principal: reply.text_or_empty(5)?,
            },
        }),
    })
}
