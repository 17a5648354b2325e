//! `Last-Event-ID`: any text a client sends is either refused or names an event of the
//! session's store; a replay returns only later events of that same stream, in order.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mcp_proxy_core::event_store::{event_id, parse_event_id, EventStore};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    max_events: u8,
    /// Each: stream (small, so streams repeat) and whether it is a priming event.
    sends: Vec<(u8, bool)>,
    last_event_id: &'a str,
    /// An index into what was sent, to also resume from a real id.
    pick: u16,
}

/// The ids framed in SSE bytes, in order.
fn ids(frames: &[mcp_proxy_core::bytes::Bytes]) -> Vec<String> {
    frames
        .iter()
        .flat_map(|f| {
            std::str::from_utf8(f)
                .unwrap()
                .lines()
                .filter_map(|l| l.strip_prefix("id: ").map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect()
}

fuzz_target!(|input: Input<'_>| {
    if let Some((stream, seq)) = parse_event_id(input.last_event_id) {
        assert_eq!(parse_event_id(&event_id(stream, seq)), Some((stream, seq)));
    }
    let mut store = EventStore::new(usize::from(input.max_events));
    let mut sent = Vec::new();
    for (stream, priming) in input.sends.iter().take(4096) {
        let stream = u64::from(*stream % 4);
        let frame = if *priming {
            store.store_priming(stream)
        } else {
            store.store_message(stream, "{}")
        };
        sent.push((stream, ids(&[frame])[0].clone()));
    }
    assert!(store.len() <= usize::from(input.max_events).max(1));
    let mut candidates = vec![input.last_event_id.to_string()];
    if !sent.is_empty() {
        candidates.push(sent[usize::from(input.pick) % sent.len()].1.clone());
    }
    for last in candidates {
        let Some(replay) = store.replay_after(&last) else {
            continue;
        };
        let (stream, seq) = parse_event_id(&last).expect("a replayed id parses");
        assert_eq!(replay.stream, stream);
        let mut previous = seq;
        for id in ids(&replay.frames) {
            let (s, q) = parse_event_id(&id).expect("stored ids parse");
            assert_eq!(s, stream, "replay crosses streams");
            assert!(q > previous, "replay out of order");
            previous = q;
        }
    }
});
