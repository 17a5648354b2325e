//! After a claim, the new owner closes the requests the dead owner left running: each gets
//! exactly one JSON-RPC error (-32603, `data.reason: "owner-lost"`) appended to its stream,
//! so a client that resumes that stream reads a final answer instead of waiting forever.
//! The error and the removal of the in-flight record are one fenced script (CLOSE_ORPHAN),
//! and the old owner's final response needs the same record removed under its own, now old,
//! epoch: of the two, exactly one lands.

use redis::AsyncCommands;

use crate::config::millis;
use crate::error::{Error, Result};
use crate::event_log::{event_id, SessionLog, StreamId};
use crate::reply::Reply;
use crate::scripts;

/// The JSON-RPC error code of a request lost with its owner (internal error).
pub const OWNER_LOST_CODE: i64 = -32603;

/// One request closed with the owner-lost error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Orphan {
    pub stream: StreamId,
    /// The request id, JSON text.
    pub request_id: String,
    /// The event id of the error.
    pub event_id: String,
}

/// The error a lost request gets (its id is JSON text as stored).
pub fn owner_lost_error(request_id: &str) -> String {
    let id: serde_json::Value = serde_json::from_str(request_id).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": OWNER_LOST_CODE,
            "message": "The instance running this request stopped before it answered",
            "data": { "reason": "owner-lost", "retryable": true },
        },
    })
    .to_string()
}

impl SessionLog {
    /// Closes every request left in flight by a previous owner. Call it right after a claim,
    /// before this writer's first `append` (both take sequence numbers).
    pub async fn close_orphans(&self) -> Result<Vec<Orphan>> {
        let redis = self.log().redis().clone();
        let mut conn = redis.conn.clone();
        let fields: Vec<String> = conn.hkeys(&self.keys.inflight).await?;
        let mut closed = Vec::new();
        for field in fields {
            let Some((stream, request_id)) = field
                .split_once(' ')
                .and_then(|(s, id)| Some((s.parse::<StreamId>().ok()?, id.to_string())))
            else {
                continue;
            };
            let value = scripts::CLOSE_ORPHAN
                .key(&self.keys.meta)
                .key(&self.keys.events)
                .key(&self.keys.inflight)
                .arg(self.epoch)
                .arg(&field)
                .arg(stream)
                .arg(owner_lost_error(&request_id))
                .arg(redis.config.max_events)
                .arg(millis(redis.config.session_ttl))
                .invoke_async(&mut conn)
                .await?;
            let reply = Reply::new(value)?;
            match reply.status()? {
                scripts::DONE => {
                    let seq = reply.int(1)? as u64;
                    let mut next = self.next_seq.lock().unwrap();
                    *next = (*next).max(seq + 1);
                    closed.push(Orphan {
                        stream,
                        request_id,
                        event_id: event_id(stream, seq),
                    });
                }
                scripts::NOT_IN_FLIGHT => {}
                scripts::GONE => return Err(Error::Gone),
                _ => return Err(reply.fenced(1)),
            }
        }
        Ok(closed)
    }
}
