//! The bounded in-memory event store of one session: every event sent on any of its
//! streams, kept so a client that lost a stream can resume it with `Last-Event-ID`.
//! Event ids are `<stream>_<seq>`: unique across the session and naming their stream.
//!
//! This is the event-store seam: [`EventLog`] is one session's log, and [`Store::External`]
//! hands storage to the host (an SDK `EventStore`, or `crates/cluster`'s Redis log later). It
//! never sends anything: the session pushes what it stores.

use bytes::Bytes;
use std::collections::VecDeque;

use crate::http::sse;

pub type StreamId = u64;

/// The standalone GET stream of a session.
pub const STANDALONE_STREAM: StreamId = 0;

/// Default `eventStoreMaxEvents`.
pub const DEFAULT_MAX_EVENTS: usize = 1000;
/// Default `eventStoreMaxBytes`: the framed events a session keeps, in bytes. An event
/// larger than this is sent but not kept (it cannot be replayed).
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

struct Stored {
    seq: u64,
    stream: StreamId,
    /// The framed event; `None` for a priming event, which is never replayed.
    frame: Option<Bytes>,
}

pub struct EventStore {
    events: VecDeque<Stored>,
    max_events: usize,
    /// Bytes of the frames kept, and their bound.
    bytes: usize,
    max_bytes: usize,
    next_seq: u64,
}

pub fn event_id(stream: StreamId, seq: u64) -> String {
    format!("{stream}_{seq}")
}

pub fn parse_event_id(id: &str) -> Option<(StreamId, u64)> {
    let (stream, seq) = id.split_once('_')?;
    Some((stream.parse().ok()?, seq.parse().ok()?))
}

/// What a replay found: the stream the id belongs to and its later events, framed.
pub struct Replay {
    pub stream: StreamId,
    pub frames: Vec<Bytes>,
}

/// Where a session keeps the events it sent, for `Last-Event-ID`: the seam for a store
/// shared by several processes (Redis). [`EventStore`], bounded and in memory, is the one
/// in use. Event ids must be unique across the session and name their stream.
pub trait EventLog: Send {
    /// Stores a message sent on `stream`; returns its framed event (with its id).
    fn store_message(&mut self, stream: StreamId, json: &str) -> Bytes;
    /// Stores a priming event (a resumption point that is never replayed); returns it framed.
    fn store_priming(&mut self, stream: StreamId) -> Bytes;
    /// The events of the same stream after `last_event_id`; `None` when the id is unknown.
    fn replay_after(&self, last_event_id: &str) -> Option<Replay>;
}

impl EventLog for EventStore {
    fn store_message(&mut self, stream: StreamId, json: &str) -> Bytes {
        EventStore::store_message(self, stream, json)
    }

    fn store_priming(&mut self, stream: StreamId) -> Bytes {
        EventStore::store_priming(self, stream)
    }

    fn replay_after(&self, last_event_id: &str) -> Option<Replay> {
        EventStore::replay_after(self, last_event_id)
    }
}

impl EventStore {
    pub fn new(max_events: usize) -> Self {
        EventStore {
            events: VecDeque::new(),
            max_events: max_events.max(1),
            bytes: 0,
            max_bytes: DEFAULT_MAX_BYTES,
            next_seq: 1,
        }
    }

    /// Bounds the bytes kept too (`eventStoreMaxBytes`); oldest events go first.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    fn evict_oldest(&mut self) {
        if let Some(old) = self.events.pop_front() {
            self.bytes -= old.frame.as_ref().map_or(0, Bytes::len);
        }
    }

    fn push(&mut self, stream: StreamId, frame: impl FnOnce(&str) -> Bytes, keep: bool) -> Bytes {
        let seq = self.next_seq;
        self.next_seq += 1;
        let id = event_id(stream, seq);
        let bytes = frame(&id);
        if self.events.len() == self.max_events {
            self.evict_oldest();
        }
        let kept = keep.then(|| bytes.clone());
        self.bytes += kept.as_ref().map_or(0, Bytes::len);
        self.events.push_back(Stored {
            seq,
            stream,
            frame: kept,
        });
        // Evicting from the front only keeps the sequence numbers contiguous; an event
        // larger than the whole bound evicts everything, itself included.
        while self.bytes > self.max_bytes {
            self.evict_oldest();
        }
        bytes
    }

    /// Stores a message sent on `stream` and returns its framed event.
    pub fn store_message(&mut self, stream: StreamId, json: &str) -> Bytes {
        self.push(stream, |id| sse::message_event(Some(id), json), true)
    }

    /// Stores a priming event for `stream` and returns it framed.
    pub fn store_priming(&mut self, stream: StreamId) -> Bytes {
        self.push(stream, sse::priming_event, false)
    }

    /// The events of the same stream after `last_event_id`; `None` when the id is not
    /// one of ours or was already evicted (the client cannot know what it missed).
    pub fn replay_after(&self, last_event_id: &str) -> Option<Replay> {
        let (stream, seq) = parse_event_id(last_event_id)?;
        let first_seq = self.events.front()?.seq;
        let at = usize::try_from(seq.checked_sub(first_seq)?).ok()?;
        let found = self.events.get(at)?;
        if found.seq != seq || found.stream != stream {
            return None;
        }
        let frames = self
            .events
            .range(at + 1..)
            .filter(|e| e.stream == stream)
            .filter_map(|e| e.frame.clone())
            .collect();
        Some(Replay { stream, frames })
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Bytes of the events kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// What a user-supplied store replayed: the events after the id, and their stream.
pub struct Replayed {
    /// `(event id, message JSON)` in order.
    pub events: Vec<(String, String)>,
    pub stream: String,
}

/// Where a session's events are kept for resumption.
pub enum Store {
    /// A store in Rust: the bounded in-memory `EventStore`.
    Memory(Box<dyn EventLog>),
    /// A user-supplied SDK `EventStore` in JS: the host stores each event before sending
    /// it and passes its id along; replay goes through the host. One such store is shared
    /// by every session (and maybe by other servers), so the session names its streams
    /// with a random prefix of its own: `<prefix>-<stream>`.
    External { stream_prefix: String },
}

impl Store {
    /// A user-supplied store, with a fresh stream prefix. No `_`: the SDK's example store
    /// reads the stream back from an event id as the part before the first `_`.
    pub fn external() -> Self {
        Store::External {
            stream_prefix: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(b: &Bytes) -> &str {
        std::str::from_utf8(b).unwrap()
    }

    #[test]
    fn replays_only_later_events_of_the_same_stream() {
        let mut store = EventStore::new(10);
        let first = store.store_message(1, "a");
        store.store_message(2, "other");
        store.store_message(1, "b");
        store.store_message(1, "c");
        assert!(text(&first).contains("id: 1_1\n"));
        let replay = store.replay_after("1_1").unwrap();
        assert_eq!(replay.stream, 1);
        let got: Vec<_> = replay.frames.iter().map(text).collect();
        assert_eq!(
            got,
            vec![
                "event: message\nid: 1_3\ndata: b\n\n",
                "event: message\nid: 1_4\ndata: c\n\n"
            ]
        );
    }

    #[test]
    fn evicts_oldest_first() {
        let mut store = EventStore::new(3);
        for i in 0..5 {
            store.store_message(1, &i.to_string());
        }
        assert_eq!(store.len(), 3);
        assert!(
            store.replay_after("1_1").is_none(),
            "evicted id cannot be resumed"
        );
        assert!(store.replay_after("1_2").is_none());
        let replay = store.replay_after("1_3").unwrap();
        assert_eq!(replay.frames.len(), 2);
    }

    #[test]
    fn bounds_bytes_too_oldest_evicted_first() {
        let mut store = EventStore::new(1000).with_max_bytes(1000);
        let payload = "x".repeat(400);
        for _ in 0..5 {
            store.store_message(1, &payload);
        }
        assert!(store.bytes() <= 1000, "{}", store.bytes());
        assert_eq!(store.len(), 2, "each framed event is over 400 bytes");
        assert!(store.replay_after("1_3").is_none(), "evicted");
        assert_eq!(store.replay_after("1_4").unwrap().frames.len(), 1);
        store.store_message(1, &"y".repeat(5000));
        assert!(store.is_empty(), "an event over the bound is not kept");
        assert_eq!(store.bytes(), 0);
        store.store_message(1, "z");
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn priming_is_a_resumption_point_but_not_replayed() {
        let mut store = EventStore::new(10);
        let prime = store.store_priming(4);
        assert_eq!(text(&prime), "id: 4_1\ndata: \n\n");
        store.store_message(4, "x");
        let replay = store.replay_after("4_1").unwrap();
        assert_eq!(replay.frames.len(), 1);
        assert!(store.replay_after("4_0").is_none());
    }

    #[test]
    fn rejects_foreign_ids() {
        let mut store = EventStore::new(10);
        store.store_message(1, "x");
        assert!(store.replay_after("nope").is_none());
        assert!(
            store.replay_after("2_1").is_none(),
            "right seq, wrong stream"
        );
        assert!(store.replay_after("1_99").is_none());
        assert!(EventStore::new(1).replay_after("1_1").is_none());
    }
}
