//! One MCP session: its streams, which stream each in-flight request answers on, and its
//! event store. Pure state: no I/O beyond pushing frames into channels.
//!
//! It never dispatches to the host or touches a socket; routes and the server do.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

use crate::config::DEFAULT_SSE_MAX_QUEUED_BYTES;
use crate::http::sse;
use crate::http::stream_queue::{self, FrameReceiver, FrameSender, PushError, WrittenSignal};
use crate::jsonrpc::request_id;
use crate::jsonrpc::{self, Outgoing};
pub use crate::streamable::event_store::Store;
use crate::streamable::event_store::{StreamId, STANDALONE_STREAM};
pub use crate::streamable::outcomes::{
    Answer, OpenError, PostStream, ResumeError, Resumed, SendError, Sent, Takeover,
};

/// A live SSE connection of a stream; `None` while no client listens.
type Sink = Option<FrameSender>;

struct Stream {
    sink: Sink,
    /// Present until the answer's headers go out.
    takeover: Option<oneshot::Sender<Takeover>>,
    /// Requests of this stream still waiting for their response.
    pending: usize,
    json: Option<JsonCollector>,
}

struct JsonCollector {
    responses: Vec<String>,
    done: Option<oneshot::Sender<Vec<String>>>,
}

struct State {
    streams: HashMap<StreamId, Stream>,
    requests: HashMap<String, StreamId>,
    standalone: Sink,
    /// The standalone stream's receiver while no client has opened it yet: unrelated
    /// messages the server sends before the client's first GET wait here for it (FastMCP
    /// asks for `roots/list` ~100 ms after connect, often before the SDK client's GET).
    unopened: Option<FrameReceiver>,
    /// Unrelated messages may still wait for the first GET (none opened it, none was cut).
    hold_for_first_get: bool,
    store: Option<Store>,
    next_stream: StreamId,
    closed: bool,
    last_active: Instant,
    /// HTTP requests naming the session that are being served (see [`Session::claim`]).
    claims: usize,
    sse_max_queued_bytes: usize,
}

pub struct Session {
    /// The key the host names this session by (the session id when stateful).
    pub key: Arc<str>,
    /// `Mcp-Session-Id`; `None` in stateless mode.
    pub id: Option<String>,
    /// The protocol version the client initialized with.
    pub protocol_version: Option<String>,
    /// A legacy HTTP+SSE session: everything goes on its one SSE stream.
    pub legacy: bool,
    /// What `authenticate` returned for the request that opened the session (JSON text):
    /// legacy posts are authorized by the session id and carry it as theirs.
    pub auth: Option<Arc<str>>,
    /// The principal that created the session (CONTRACT §4.6); requests of another one
    /// are answered as if the session did not exist. `None` = not bound.
    pub principal: Option<Arc<str>>,
    state: Mutex<State>,
}

fn live(sink: &Sink) -> bool {
    sink.as_ref().is_some_and(|s| !s.is_closed())
}

/// A client is reading the standalone stream (not just messages waiting for its first GET).
fn standalone_listening(state: &State) -> bool {
    state.unopened.is_none() && live(&state.standalone)
}

/// Pushes a frame to a listener; a listener that left, or that fell further behind than
/// `sseMaxQueuedBytes`, is dropped (its response breaks off; it can come back with
/// `Last-Event-ID`, the frame being in the event store already).
/// True when this frame cut the stream; with `signal`, the frame's write signal.
fn push(sink: &mut Sink, frame: Bytes, signal: bool) -> (bool, Option<WrittenSignal>) {
    let Some(tx) = sink else {
        return (false, None);
    };
    let pushed = if signal {
        tx.push_written(frame)
    } else {
        tx.push(frame).map(|()| None)
    };
    match pushed {
        Ok(written) => (false, written),
        Err(error) => {
            *sink = None;
            (error == PushError::Cut, None)
        }
    }
}

/// Hands the exchange of `stream` to its POST handler as a takeover, ending the stream:
/// later responses of its requests find nothing and are dropped.
fn take_over(state: &mut State, stream: StreamId, takeover: Takeover) -> bool {
    let Some(tx) = state
        .streams
        .get_mut(&stream)
        .and_then(|s| s.takeover.take())
    else {
        return false;
    };
    if tx.send(takeover).is_err() {
        return false;
    }
    state.streams.remove(&stream);
    state.requests.retain(|_, s| *s != stream);
    true
}

fn channel(state: &State) -> (FrameSender, FrameReceiver) {
    stream_queue::channel(state.sse_max_queued_bytes)
}

/// Frames a message for `stream`, storing it when the session keeps events in memory.
fn frame(store: &mut Option<Store>, stream: StreamId, json: &str, event_id: Option<&str>) -> Bytes {
    match store {
        Some(Store::Memory(store)) => store.store_message(stream, json),
        _ => sse::message_event(event_id, json),
    }
}

/// Makes a new listener the sink of `stream` (the live rest after a replay). `None` when the
/// stream has completed: the replay was all there is.
fn attach(state: &mut State, stream: StreamId) -> Result<Option<FrameReceiver>, ResumeError> {
    state.last_active = Instant::now();
    if state.closed {
        return Ok(None);
    }
    let (tx, rx) = channel(state);
    let sink = if stream == STANDALONE_STREAM {
        if standalone_listening(state) {
            return Err(ResumeError::Conflict);
        }
        state.unopened = None;
        state.hold_for_first_get = false;
        &mut state.standalone
    } else {
        match state.streams.get_mut(&stream) {
            // A stream still read by its own POST's connection has a reader already, unless
            // that client closed its connection: its end of input is held for a grace
            // (half_close.rs), but a client resuming has left it (Node sees it gone at once).
            Some(s) if s.json.is_none() && s.sink.as_ref().is_some_and(|s| !s.reader_left()) => {
                return Err(ResumeError::Conflict)
            }
            Some(s) if s.json.is_none() => &mut s.sink,
            _ => return Ok(None),
        }
    };
    if let Some(old) = sink.replace(tx) {
        old.cut();
    }
    Ok(Some(rx))
}

/// A request being served for a session; see [`Session::claim`].
pub struct Claim(Arc<Session>);

impl Drop for Claim {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.claims -= 1;
        state.last_active = Instant::now();
    }
}

impl Session {
    pub fn new(
        key: Arc<str>,
        id: Option<String>,
        protocol_version: Option<String>,
        store: Option<Store>,
    ) -> Self {
        let stateful = id.is_some();
        Session {
            key,
            id,
            protocol_version,
            legacy: false,
            auth: None,
            principal: None,
            state: Mutex::new(State {
                streams: HashMap::new(),
                requests: HashMap::new(),
                standalone: None,
                unopened: None,
                // Stateless sessions have no GET stream.
                hold_for_first_get: stateful,
                store,
                next_stream: STANDALONE_STREAM + 1,
                closed: false,
                last_active: Instant::now(),
                claims: 0,
                sse_max_queued_bytes: DEFAULT_SSE_MAX_QUEUED_BYTES,
            }),
        }
    }

    /// Bytes a stream of this session may queue for a reader behind before it is cut.
    pub fn with_sse_max_queued_bytes(self, max: usize) -> Self {
        self.state().sse_max_queued_bytes = max;
        self
    }

    /// A legacy HTTP+SSE session, whose messages all go on the standalone stream; `auth`
    /// is what `authenticate` said on `GET /sse`.
    pub fn legacy(key: Arc<str>, auth: Option<Arc<str>>) -> Self {
        Session {
            legacy: true,
            auth,
            ..Session::new(key.clone(), Some(key.to_string()), None, None)
        }
    }

    /// Binds the session to the principal that creates it.
    pub fn bound_to(mut self, principal: Option<Arc<str>>) -> Self {
        self.principal = principal;
        self
    }

    /// Whether a request from `principal` may use this session: an unbound session is
    /// anyone's, a bound one only its creator's.
    pub fn belongs_to(&self, principal: Option<&str>) -> bool {
        self.principal
            .as_deref()
            .is_none_or(|own| Some(own) == principal)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than losing the session, so poisoning is ignored.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True when events go to a user-supplied store through the host.
    pub fn has_external_store(&self) -> bool {
        matches!(self.state().store, Some(Store::External { .. }))
    }

    /// The name of `stream` in a user-supplied store: unique across sessions and servers.
    pub fn external_stream_name(&self, stream: StreamId) -> Option<String> {
        match &self.state().store {
            Some(Store::External { stream_prefix }) => Some(format!("{stream_prefix}-{stream}")),
            _ => None,
        }
    }

    /// The stream of this session a user-supplied store's replay named; `None` for a name
    /// that is not one of this session's (another session's stream must never be replayed
    /// here).
    pub fn external_stream(&self, name: &str) -> Option<StreamId> {
        match &self.state().store {
            Some(Store::External { stream_prefix }) => name
                .strip_prefix(stream_prefix.as_str())?
                .strip_prefix('-')?
                .parse()
                .ok(),
            _ => None,
        }
    }

    pub fn touch(&self) {
        self.state().last_active = Instant::now();
    }

    /// How long the session has been idle at `now`: zero while a request naming it is being
    /// served, a request of it is in flight, or a stream is attached. The sweep (every
    /// `sweep`) stamps a busy session, so the countdown starts when the last of these went
    /// away, within one sweep; that sweep is not counted, so a session is never reaped early.
    pub fn idle_for(&self, now: Instant, sweep: Duration) -> Duration {
        let mut state = self.state();
        let busy = state.claims > 0
            || !state.requests.is_empty()
            || standalone_listening(&state)
            || state.streams.values().any(|s| live(&s.sink));
        if busy {
            state.last_active = now;
            return Duration::ZERO;
        }
        now.saturating_duration_since(state.last_active)
            .saturating_sub(sweep)
    }

    /// Keeps the session from being reaped while a request naming it is served (its body
    /// still arriving, `authenticate` running); the countdown restarts when it is dropped.
    pub fn claim(self: &Arc<Self>) -> Claim {
        let mut state = self.state();
        state.claims += 1;
        state.last_active = Instant::now();
        Claim(self.clone())
    }

    /// Opens the stream that answers a POST's requests. With `priming`, a priming event is
    /// stored now (so it precedes every message of the stream) and returned for writing.
    pub fn open_post_stream<'a>(
        &self,
        request_ids: impl Iterator<Item = &'a str>,
        json_mode: bool,
        priming: bool,
    ) -> Result<PostStream, OpenError> {
        // Owned before the lock: the lock then only covers one map insert per request.
        let request_ids: Vec<String> = request_ids.map(str::to_string).collect();
        let mut state = self.state();
        if state.closed {
            return Err(OpenError::Closed);
        }
        let id = state.next_stream;
        // A second request with an id still in flight would take over the first one's
        // answer and leave that client waiting forever: refuse it instead (the parser
        // already refused ids repeated within one batch; this holds without it too).
        let mut pending = 0;
        for (i, request) in request_ids.iter().enumerate() {
            if state.requests.contains_key(request) {
                for inserted in &request_ids[..i] {
                    state.requests.remove(inserted);
                }
                return Err(OpenError::DuplicateId(request.clone()));
            }
            state.requests.insert(request.clone(), id);
            pending += 1;
        }
        state.last_active = Instant::now();
        state.next_stream += 1;
        let (stream, answer) = if json_mode {
            let (tx, rx) = oneshot::channel();
            let collector = JsonCollector {
                responses: Vec::with_capacity(pending),
                done: Some(tx),
            };
            (
                Stream {
                    sink: None,
                    takeover: None,
                    pending,
                    json: Some(collector),
                },
                Answer::Json(rx),
            )
        } else {
            let (tx, rx) = channel(&state);
            (
                Stream {
                    sink: Some(tx),
                    takeover: None,
                    pending,
                    json: None,
                },
                Answer::Sse(rx),
            )
        };
        let (takeover_tx, takeover) = oneshot::channel();
        let mut stream = stream;
        stream.takeover = Some(takeover_tx);
        state.streams.insert(id, stream);
        let prime = match (&mut state.store, priming && !json_mode) {
            (Some(Store::Memory(store)), true) => Some(store.store_priming(id)),
            _ => None,
        };
        Ok(PostStream {
            id,
            answer,
            prime,
            takeover,
        })
    }

    /// The POST handler is about to write headers: from now on the exchange cannot be
    /// taken over.
    pub fn commit(&self, stream: StreamId) {
        if let Some(s) = self.state().streams.get_mut(&stream) {
            s.takeover = None;
        }
    }

    /// Answers the exchange of `request_id` with `takeover` instead of its JSON-RPC
    /// responses. False when that exchange already wrote its headers or is unknown.
    pub fn take_over(&self, request_id: &str, takeover: Takeover) -> bool {
        let Ok(request_id) = request_id::canonical(request_id) else {
            return false;
        };
        let mut state = self.state();
        let Some(&stream) = state.requests.get(request_id.as_ref()) else {
            return false;
        };
        take_over(&mut state, stream, takeover)
    }

    /// The stream a message would be sent on, without sending it: the host asks this
    /// before storing the event in a user-supplied store.
    pub fn stream_for(&self, json: &str, related: Option<&str>) -> Result<StreamId, SendError> {
        let outgoing = jsonrpc::classify_outgoing(json).map_err(|_| SendError::Invalid)?;
        let related = related.and_then(|r| request_id::canonical(r).ok());
        let state = self.state();
        if state.closed {
            return Err(SendError::Closed);
        }
        let stream = match &outgoing {
            Outgoing::Response { id, .. } => state.requests.get(id),
            Outgoing::Other => related.and_then(|r| state.requests.get(r.as_ref())),
        };
        Ok(stream
            .copied()
            .filter(|id| state.streams.contains_key(id))
            .unwrap_or(STANDALONE_STREAM))
    }

    /// Routes one message the server sends: a response to the stream of its request,
    /// anything else to the stream of `related` (a request id as JSON), or the standalone
    /// stream.
    /// `event_id` is the id a user-supplied store gave the event, if any.
    pub fn send(
        &self,
        json: &str,
        related: Option<&str>,
        event_id: Option<&str>,
    ) -> Result<Sent, SendError> {
        let outgoing = jsonrpc::classify_outgoing(json).map_err(|_| SendError::Invalid)?;
        let related = related.and_then(|r| request_id::canonical(r).ok());
        let mut state = self.state();
        if state.closed {
            return Err(SendError::Closed);
        }
        let state = &mut *state;
        if let Outgoing::Response {
            id,
            insufficient_scope: Some(challenge),
        } = &outgoing
        {
            if let Some(&stream) = state.requests.get(id) {
                let takeover = Takeover::InsufficientScope {
                    challenge: challenge.clone(),
                    json: json.to_string(),
                };
                if take_over(state, stream, takeover) {
                    return Ok(Sent {
                        completed_exchange: true,
                        ..Sent::default()
                    });
                }
            }
        }
        let (stream_id, is_response) = match &outgoing {
            Outgoing::Response { id, .. } => (state.requests.remove(id), true),
            Outgoing::Other => (
                related.and_then(|r| state.requests.get(r.as_ref()).copied()),
                false,
            ),
        };
        let Some(stream_id) = stream_id.filter(|id| state.streams.contains_key(id)) else {
            if is_response && !self.legacy {
                // A response to nothing in flight (already answered, or never asked): drop it.
                return Ok(Sent::default());
            }
            let frame = frame(&mut state.store, STANDALONE_STREAM, json, event_id);
            if state.hold_for_first_get && state.standalone.is_none() {
                let (tx, rx) = channel(state);
                state.standalone = Some(tx);
                state.unopened = Some(rx);
            }
            // Messages held for the first GET have no reader to wait for.
            let signal = !is_response && state.unopened.is_none();
            let (mut cut_stream, written) = push(&mut state.standalone, frame, signal);
            if cut_stream && state.unopened.take().is_some() {
                // More waited than a stream may queue: the first GET starts empty, as it
                // would without holding (the messages are in the event store). No reader
                // was cut.
                state.hold_for_first_get = false;
                cut_stream = false;
            }
            return Ok(Sent {
                cut_stream,
                written,
                ..Sent::default()
            });
        };
        let stream = state.streams.get_mut(&stream_id).expect("checked above");
        let mut sent = Sent::default();
        if let Some(collector) = &mut stream.json {
            // JSON mode carries responses only; related notifications have no place to go.
            if is_response {
                collector.responses.push(json.to_string());
            }
        } else {
            let frame = frame(&mut state.store, stream_id, json, event_id);
            (sent.cut_stream, sent.written) = push(&mut stream.sink, frame, !is_response);
        }
        if !is_response {
            return Ok(sent);
        }
        stream.pending = stream.pending.saturating_sub(1);
        if stream.pending > 0 {
            return Ok(sent);
        }
        let stream = state.streams.remove(&stream_id).expect("present");
        if let Some(mut collector) = stream.json {
            if let Some(done) = collector.done.take() {
                let _ = done.send(collector.responses);
            }
        }
        // Dropping the sink ends the SSE body after its queued frames.
        Ok(Sent {
            completed_exchange: true,
            ..sent
        })
    }

    /// Opens the standalone GET stream; `None` when one is already listening.
    pub fn open_standalone(&self) -> Option<FrameReceiver> {
        let mut state = self.state();
        if state.closed || standalone_listening(&state) {
            return None;
        }
        state.last_active = Instant::now();
        state.hold_for_first_get = false;
        if let Some(rx) = state.unopened.take() {
            if live(&state.standalone) {
                return Some(rx);
            }
        }
        let (tx, rx) = channel(&state);
        state.standalone = Some(tx);
        Some(rx)
    }

    /// `Last-Event-ID` with the in-memory store: the stream's events after that id, then
    /// the live rest of it.
    pub fn resume(&self, last_event_id: &str) -> Result<Resumed, ResumeError> {
        let mut state = self.state();
        let replay = match &state.store {
            Some(Store::Memory(store)) => store.replay_after(last_event_id),
            _ => None,
        }
        .ok_or(ResumeError::UnknownEvent)?;
        let live = attach(&mut state, replay.stream)?;
        Ok(Resumed {
            frames: replay.frames,
            live,
        })
    }

    /// Listens to the live rest of `stream` after a replay done elsewhere (a user store).
    pub fn attach(&self, stream: StreamId) -> Result<Option<FrameReceiver>, ResumeError> {
        attach(&mut self.state(), stream)
    }

    /// Ends every stream. Returns false when the session was already closed.
    pub fn close(&self) -> bool {
        let mut state = self.state();
        if state.closed {
            return false;
        }
        state.closed = true;
        state.streams.clear();
        state.requests.clear();
        state.standalone = None;
        state.unopened = None;
        true
    }

    /// Streams still waiting for responses (for tests and diagnostics).
    pub fn open_streams(&self) -> usize {
        self.state().streams.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::ResponseLike;
    use crate::streamable::event_store::EventStore;

    fn session(store: bool) -> Session {
        Session::new(
            "k".into(),
            Some("k".into()),
            None,
            store.then(|| Store::Memory(Box::new(EventStore::new(100)))),
        )
    }

    fn sse(answer: Answer) -> FrameReceiver {
        match answer {
            Answer::Sse(rx) => rx,
            Answer::Json(_) => panic!("expected SSE"),
        }
    }

    fn drain(rx: &mut FrameReceiver) -> Vec<String> {
        let mut out = vec![];
        while let Some(frame) = rx.try_recv() {
            out.push(String::from_utf8(frame.to_vec()).unwrap());
        }
        out
    }

    #[test]
    fn routes_responses_and_related_messages_to_their_post_stream() {
        let s = session(false);
        let a = s
            .open_post_stream(["1"].into_iter(), false, false)
            .unwrap()
            .answer;
        let b = s
            .open_post_stream(["2"].into_iter(), false, false)
            .unwrap()
            .answer;
        let (mut a, mut b) = (sse(a), sse(b));
        let mut standalone = s.open_standalone().unwrap();
        s.send(
            r#"{"jsonrpc":"2.0","method":"notifications/progress"}"#,
            Some("2"),
            None,
        )
        .unwrap();
        s.send(
            r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#,
            None,
            None,
        )
        .unwrap();
        let done = s
            .send(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#, None, None)
            .unwrap();
        assert!(done.completed_exchange);
        assert_eq!(
            drain(&mut a),
            vec!["event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n"]
        );
        assert!(
            a.try_recv().is_none() && a.is_closed(),
            "stream ends after its last response"
        );
        assert_eq!(drain(&mut b).len(), 1);
        assert!(!b.is_closed());
        assert_eq!(drain(&mut standalone).len(), 1);
        assert_eq!(s.open_streams(), 1);
    }

    #[test]
    fn batch_stream_ends_after_all_responses() {
        let s = session(false);
        let a = s
            .open_post_stream(["1", "\"x\""].into_iter(), false, false)
            .unwrap()
            .answer;
        let mut a = sse(a);
        assert!(
            !s.send(r#"{"jsonrpc":"2.0","id":"x","result":{}}"#, None, None)
                .unwrap()
                .completed_exchange
        );
        assert!(
            s.send(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#, None, None)
                .unwrap()
                .completed_exchange
        );
        assert_eq!(drain(&mut a).len(), 2);
    }

    #[tokio::test]
    async fn json_mode_collects_responses_and_drops_notifications() {
        let s = session(true);
        let PostStream { answer, prime, .. } = s
            .open_post_stream(["1", "2"].into_iter(), true, true)
            .unwrap();
        assert!(prime.is_none(), "JSON answers have no priming event");
        let Answer::Json(rx) = answer else { panic!() };
        s.send(
            r#"{"jsonrpc":"2.0","method":"notifications/progress"}"#,
            Some("1"),
            None,
        )
        .unwrap();
        s.send(r#"{"jsonrpc":"2.0","id":2,"result":{}}"#, None, None)
            .unwrap();
        s.send(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#, None, None)
            .unwrap();
        assert_eq!(rx.await.unwrap().len(), 2);
    }

    #[test]
    fn second_standalone_stream_conflicts() {
        let s = session(false);
        let first = s.open_standalone().unwrap();
        assert!(s.open_standalone().is_none());
        drop(first);
        assert!(
            s.open_standalone().is_some(),
            "a dropped listener frees the slot"
        );
    }

    #[test]
    fn resumes_a_post_stream_with_what_was_missed() {
        let s = session(true);
        let PostStream {
            answer: a, prime, ..
        } = s.open_post_stream(["1"].into_iter(), false, true).unwrap();
        let prime = String::from_utf8(prime.unwrap().to_vec()).unwrap();
        assert_eq!(prime, "id: 1_1\ndata: \n\n");
        drop(a); // the client went away
        s.send(
            r#"{"jsonrpc":"2.0","method":"notifications/progress"}"#,
            Some("1"),
            None,
        )
        .unwrap();
        let resumed = s.resume("1_1").unwrap();
        assert_eq!(resumed.frames.len(), 1);
        let mut live = resumed.live.unwrap();
        s.send(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#, None, None)
            .unwrap();
        let rest = drain(&mut live);
        assert_eq!(
            rest,
            vec!["event: message\nid: 1_3\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n"]
        );
        assert!(live.is_closed());
        // Completed since: replay only, nothing live.
        let again = s.resume("1_1").unwrap();
        assert_eq!(again.frames.len(), 2);
        assert!(again.live.is_none());
        assert_eq!(s.resume("9_9").err(), Some(ResumeError::UnknownEvent));
    }

    #[test]
    fn resuming_a_post_stream_its_post_still_reads_conflicts() {
        let s = session(true);
        let PostStream {
            answer: a, prime, ..
        } = s.open_post_stream(["1"].into_iter(), false, true).unwrap();
        assert!(prime.is_some());
        assert_eq!(s.resume("1_1").err(), Some(ResumeError::Conflict));
        drop(a);
        assert!(s.resume("1_1").is_ok(), "free once its reader left");
    }

    #[test]
    fn unrelated_messages_sent_before_the_first_get_go_out_on_it() {
        let s = session(true);
        s.send(
            r#"{"jsonrpc":"2.0","id":0,"method":"roots/list"}"#,
            None,
            None,
        )
        .unwrap();
        assert!(
            s.idle_for(Instant::now() + Duration::from_secs(60), Duration::ZERO)
                >= Duration::from_secs(60),
            "a message waiting for a GET is no listener: the session stays reapable"
        );
        let mut first = s.open_standalone().expect("nobody listens yet");
        assert!(s.open_standalone().is_none(), "the first GET listens now");
        let frames = drain(&mut first);
        assert_eq!(frames.len(), 1);
        assert!(frames[0].contains("roots/list"));
        drop(first);
        s.send(r#"{"jsonrpc":"2.0","method":"b"}"#, None, None)
            .unwrap();
        let mut second = s.open_standalone().unwrap();
        assert!(
            drain(&mut second).is_empty(),
            "a later GET without Last-Event-ID starts empty (SDK semantics)"
        );
    }

    #[test]
    fn stateless_and_overflowing_sessions_hold_nothing_for_a_get() {
        let stateless = Session::new("k".into(), None, None, None);
        stateless
            .send(r#"{"jsonrpc":"2.0","method":"a"}"#, None, None)
            .unwrap();
        assert!(drain(&mut stateless.open_standalone().unwrap()).is_empty());
        let small = session(false).with_sse_max_queued_bytes(64);
        let big = format!(
            r#"{{"jsonrpc":"2.0","method":"a","params":{{"x":"{}"}}}}"#,
            "x".repeat(100)
        );
        small.send(&big, None, None).unwrap();
        let sent = small
            .send(r#"{"jsonrpc":"2.0","method":"b"}"#, None, None)
            .unwrap();
        assert!(!sent.cut_stream, "over the bound, but no reader was cut");
        assert!(drain(&mut small.open_standalone().unwrap()).is_empty());
    }

    #[test]
    fn unrelated_messages_wait_in_the_store_for_a_standalone_listener() {
        let s = session(true);
        let mut first = s.open_standalone().unwrap();
        s.send(r#"{"jsonrpc":"2.0","method":"a"}"#, None, None)
            .unwrap();
        let id = drain(&mut first)[0]
            .lines()
            .nth(1)
            .unwrap()
            .trim_start_matches("id: ")
            .to_string();
        assert_eq!(s.resume(&id).err(), Some(ResumeError::Conflict));
        drop(first);
        s.send(r#"{"jsonrpc":"2.0","method":"b"}"#, None, None)
            .unwrap();
        let resumed = s.resume(&id).unwrap();
        assert_eq!(resumed.frames.len(), 1);
        assert!(resumed.live.is_some());
    }

    #[test]
    fn a_bound_session_belongs_to_its_principal_only() {
        let unbound = session(false);
        assert!(unbound.belongs_to(None) && unbound.belongs_to(Some("a")));
        let bound = session(false).bound_to(Some("a".into()));
        assert!(bound.belongs_to(Some("a")));
        assert!(!bound.belongs_to(Some("b")) && !bound.belongs_to(None));
    }

    #[test]
    fn closed_session_rejects_everything() {
        let s = session(false);
        let a = s
            .open_post_stream(["1"].into_iter(), false, false)
            .unwrap()
            .answer;
        let a = sse(a);
        assert!(s.close());
        assert!(!s.close());
        assert!(a.is_closed());
        assert_eq!(
            s.send(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#, None, None)
                .err(),
            Some(SendError::Closed)
        );
        assert!(s.open_standalone().is_none());
        assert_eq!(
            s.open_post_stream(std::iter::empty(), false, false).err(),
            Some(OpenError::Closed)
        );
    }

    #[test]
    fn external_stream_names_are_unique_and_only_read_back_by_their_session() {
        let a = Session::new("a".into(), None, None, Some(Store::external()));
        let b = Session::new("b".into(), None, None, Some(Store::external()));
        let name = a.external_stream_name(3).unwrap();
        assert!(!name.contains('_'), "{name}");
        assert_ne!(Some(&name), b.external_stream_name(3).as_ref());
        assert_eq!(a.external_stream(&name), Some(3));
        assert_eq!(b.external_stream(&name), None);
        assert_eq!(a.external_stream("3"), None);
        assert_eq!(session(true).external_stream_name(3), None);
    }

    #[test]
    fn rejects_non_jsonrpc_sends() {
        assert_eq!(
            session(false).send("{}", None, None).err(),
            Some(SendError::Invalid)
        );
    }

    #[test]
    fn refuses_request_ids_already_in_flight() {
        let s = session(false);
        let _first = s.open_post_stream(["1"].into_iter(), false, false).unwrap();
        let again = s.open_post_stream(["1"].into_iter(), false, false);
        assert_eq!(again.err(), Some(OpenError::DuplicateId("1".into())));
        let twice = s.open_post_stream(["2", "2"].into_iter(), false, false);
        assert_eq!(twice.err(), Some(OpenError::DuplicateId("2".into())));
        assert!(
            s.open_post_stream(["2"].into_iter(), false, false).is_ok(),
            "a refused POST leaves none of its ids in flight"
        );
        s.send(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#, None, None)
            .unwrap();
        assert!(
            s.open_post_stream(["1"].into_iter(), false, false).is_ok(),
            "answered ids are free again"
        );
    }

    #[tokio::test]
    async fn a_scope_challenge_takes_over_an_unwritten_exchange() {
        let s = session(true);
        let post = s.open_post_stream(["5"].into_iter(), false, false).unwrap();
        let error = r#"{"jsonrpc":"2.0","id":5,"error":{"code":-32001,"message":"no","data":{"error":"insufficient_scope","requiredScopes":["admin"]}}}"#;
        assert!(s.send(error, None, None).unwrap().completed_exchange);
        let Takeover::InsufficientScope { challenge, json } = post.takeover.await.unwrap() else {
            panic!("expected a scope takeover")
        };
        assert_eq!(challenge.required_scopes, vec!["admin"]);
        assert_eq!(json, error);
        assert_eq!(s.open_streams(), 0);
    }

    #[test]
    fn a_committed_exchange_gets_the_error_as_an_event() {
        let s = session(false);
        let post = s.open_post_stream(["5"].into_iter(), false, false).unwrap();
        s.commit(post.id);
        let mut live = sse(post.answer);
        let error = r#"{"jsonrpc":"2.0","id":5,"error":{"code":-32001,"message":"no","data":{"error":"insufficient_scope","requiredScopes":["admin"]}}}"#;
        s.send(error, None, None).unwrap();
        assert_eq!(drain(&mut live).len(), 1);
        assert!(!s.take_over("5", Takeover::Response(ResponseLike::default())));
    }

    #[tokio::test]
    async fn respond_with_drops_the_later_json_rpc_answer() {
        let s = session(false);
        let post = s
            .open_post_stream(["1", "2"].into_iter(), false, false)
            .unwrap();
        let response = ResponseLike {
            status: 403,
            ..Default::default()
        };
        assert!(s.take_over("2", Takeover::Response(response)));
        assert!(matches!(post.takeover.await.unwrap(), Takeover::Response(r) if r.status == 403));
        let sent = s
            .send(r#"{"jsonrpc":"2.0","id":2,"result":{}}"#, None, None)
            .unwrap();
        assert!(!sent.completed_exchange, "dropped: nothing in flight");
        assert!(
            !s.take_over("1", Takeover::Response(ResponseLike::default())),
            "the exchange is gone"
        );
    }
}
