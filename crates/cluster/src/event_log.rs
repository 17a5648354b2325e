//! A session's event log in Redis: one Stream per session, entries `0-<seq>` holding the
//! stream, the kind, the writer's epoch and the JSON-RPC message. Ids are the core's
//! `<stream>_<seq>` (event_store.rs): `seq` is unique across the session's streams, so the id
//! is unique in the session and names its stream. Only the owner appends (fenced by epoch);
//! it allocates `seq` itself, so the id is known before the commit and the frame can be
//! built at once, while its bytes wait for the commit (`Commit`) before they are sent.

use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

use crate::committer::{self, Encoded, Job, Limits};
use crate::config::millis;
use crate::connection::Redis;
use crate::error::{Error, Result};
use crate::keys::SessionKeys;
use crate::reply::value_text;

pub type StreamId = u64;

/// The core's event id format.
pub fn event_id(stream: StreamId, seq: u64) -> String {
    format!("{stream}_{seq}")
}

pub fn parse_event_id(id: &str) -> Option<(StreamId, u64)> {
    let (stream, seq) = id.split_once('_')?;
    Some((stream.parse().ok()?, seq.parse().ok()?))
}

/// The in-flight field of request `request_id` (its JSON text) on `stream`.
pub fn inflight_field(stream: StreamId, request_id: &str) -> String {
    format!("{stream} {request_id}")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A resumption point, never replayed (the core's priming event).
    Priming,
    /// A JSON-RPC message (its JSON text).
    Message(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub stream: StreamId,
    pub kind: Kind,
    /// Requests (JSON ids) this entry starts running on `stream`: the POST's priming event.
    pub opens: Vec<String>,
    /// Requests this entry answers: a final response.
    pub answers: Vec<String>,
}

impl Entry {
    pub fn message(stream: StreamId, json: impl Into<String>) -> Self {
        Entry {
            stream,
            kind: Kind::Message(json.into()),
            opens: Vec::new(),
            answers: Vec::new(),
        }
    }

    pub fn priming(stream: StreamId) -> Self {
        Entry {
            stream,
            kind: Kind::Priming,
            opens: Vec::new(),
            answers: Vec::new(),
        }
    }

    fn encode(&self, seq: u64) -> Encoded {
        let (kind, data) = match &self.kind {
            Kind::Priming => ("p", String::new()),
            Kind::Message(json) => ("m", json.clone()),
        };
        let field = |id: &String| inflight_field(self.stream, id);
        let ops = (self.opens.iter().map(|id| ("+", field(id))))
            .chain(self.answers.iter().map(|id| ("-", field(id))))
            .collect();
        Encoded {
            seq,
            stream: self.stream,
            kind,
            data,
            ops,
        }
    }
}

/// A replayed message: its event id and JSON (the caller frames it as SSE).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub json: String,
}

/// What a replay found: the stream the id belongs to and its later messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    pub stream: StreamId,
    pub events: Vec<Event>,
}

/// The instance-wide log: the commit loop, and reads.
#[derive(Clone)]
pub struct EventLog {
    redis: Redis,
    jobs: mpsc::UnboundedSender<Job>,
}

impl EventLog {
    /// Starts the commit loop (it ends when every `EventLog` and `SessionLog` is dropped).
    pub fn start(redis: &Redis) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        let limits = Limits {
            max_len: redis.config.max_events,
            ttl_ms: millis(redis.config.session_ttl),
        };
        tokio::spawn(committer::run(redis.conn.clone(), queue, limits));
        EventLog {
            redis: redis.clone(),
            jobs,
        }
    }

    /// The writer of a session this instance owns at `epoch`, continuing after `seq` (the
    /// meta's `seq`: 0 for a new session, `Claimed::seq` after a claim).
    pub fn writer(&self, session_id: &str, epoch: u64, seq: u64) -> SessionLog {
        SessionLog {
            log: self.clone(),
            keys: self.redis.keys.session(session_id),
            epoch,
            next_seq: Arc::new(Mutex::new(seq + 1)),
        }
    }

    pub(crate) fn redis(&self) -> &Redis {
        &self.redis
    }

    /// The messages of the same stream after `last_event_id`, in order; `None` when the id
    /// is not an event of this session's log (never written here, trimmed, or expired): the
    /// client cannot know what it missed. Reads the session's own key only, so an id from
    /// another session never yields that session's events.
    pub async fn replay_after(
        &self,
        session_id: &str,
        last_event_id: &str,
    ) -> Result<Option<Replay>> {
        let Some((stream, seq)) = parse_event_id(last_event_id) else {
            return Ok(None);
        };
        let keys = self.redis.keys.session(session_id);
        let mut conn = self.redis.conn.clone();
        // One XRANGE from the id itself (inclusive): atomic, and bounded by the log's MAXLEN.
        let entries: Vec<(String, Vec<(String, redis::Value)>)> = redis::cmd("XRANGE")
            .arg(&keys.events)
            .arg(format!("0-{seq}"))
            .arg("+")
            .query_async::<redis::streams::StreamRangeReply>(&mut conn)
            .await?
            .ids
            .into_iter()
            .map(|e| (e.id, e.map.into_iter().collect()))
            .collect();
        let mut entries = entries.into_iter();
        let Some((first_id, first)) = entries.next() else {
            return Ok(None);
        };
        let stream_of = |fields: &[(String, redis::Value)]| -> Option<StreamId> {
            field(fields, "s")?.parse().ok()
        };
        if first_id != format!("0-{seq}") || stream_of(&first) != Some(stream) {
            return Ok(None);
        }
        let mut events = Vec::new();
        for (id, fields) in entries {
            if stream_of(&fields) != Some(stream) || field(&fields, "k").as_deref() != Some("m") {
                continue;
            }
            let entry_seq = id
                .strip_prefix("0-")
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| Error::Protocol(format!("event entry id {id}")))?;
            events.push(Event {
                id: event_id(stream, entry_seq),
                json: field(&fields, "d").unwrap_or_default(),
            });
        }
        Ok(Some(Replay { stream, events }))
    }
}

fn field(fields: &[(String, redis::Value)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| value_text(v))
}

/// The writer of one owned session's log.
#[derive(Clone)]
pub struct SessionLog {
    log: EventLog,
    pub(crate) keys: SessionKeys,
    pub(crate) epoch: u64,
    pub(crate) next_seq: Arc<Mutex<u64>>,
}

impl SessionLog {
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub(crate) fn log(&self) -> &EventLog {
        &self.log
    }

    /// Allocates the entries' ids at once (in call order) and queues them for the next
    /// tick. The returned future resolves when they are committed: only then may their
    /// frames be sent. `Fenced` means another instance owns the session now; `Gone` that it
    /// ended; `Unavailable` that Redis did not answer (the frames were not sent: 503/close).
    pub fn append(&self, entries: Vec<Entry>) -> (Vec<String>, impl Future<Output = Result<()>>) {
        let (done, committed) = oneshot::channel();
        let ids = {
            // Allocating and queueing under one lock keeps the queue in `seq` order.
            let mut next = self.next_seq.lock().unwrap();
            let encoded: Vec<Encoded> = entries
                .iter()
                .enumerate()
                .map(|(i, e)| e.encode(*next + i as u64))
                .collect();
            *next += entries.len() as u64;
            let ids = encoded.iter().map(|e| event_id(e.stream, e.seq)).collect();
            let job = Job {
                keys: self.keys.clone(),
                epoch: self.epoch,
                entries: encoded,
                done,
            };
            if let Err(mpsc::error::SendError(job)) = self.log.jobs.send(job) {
                let _ = job
                    .done
                    .send(Err(Error::Unavailable("commit loop stopped".into())));
            }
            ids
        };
        let commit = async move {
            committed
                .await
                .unwrap_or_else(|_| Err(Error::Unavailable("commit loop stopped".into())))
        };
        (ids, commit)
    }
}
