//! SSE framing: whatever the payload and event id, a framed event read back by the WHATWG
//! event-stream parser is exactly one `message` event whose data is the payload (line breaks
//! normalised) and whose id is the id without the characters that would end or void it.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mcp_proxy_core::sse::{message_event, priming_event, KEEP_ALIVE_COMMENT};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    id: Option<&'a str>,
    data: &'a str,
}

#[derive(Debug, Default, PartialEq)]
struct Event {
    event: String,
    data: String,
    id: Option<String>,
}

/// WHATWG HTML §9.2.6, for a complete stream: dispatched events in order.
fn parse(stream: &str) -> Vec<Event> {
    let mut events = Vec::new();
    let mut current = Event::default();
    let mut data_lines: Option<String> = None;
    let normalised = stream.replace("\r\n", "\n").replace('\r', "\n");
    for line in normalised.split_inclusive('\n') {
        let Some(line) = line.strip_suffix('\n') else {
            break; // an unterminated last line is never dispatched
        };
        if line.is_empty() {
            if let Some(data) = data_lines.take() {
                current.data = data.strip_suffix('\n').unwrap_or(&data).to_string();
                if current.event.is_empty() {
                    current.event = "message".into();
                }
                events.push(std::mem::take(&mut current));
            } else {
                current.event.clear();
            }
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => current.event = value.to_string(),
            "data" => {
                let d = data_lines.get_or_insert_with(String::new);
                d.push_str(value);
                d.push('\n');
            }
            "id" if !value.contains('\0') => current.id = Some(value.to_string()),
            _ => {}
        }
    }
    events
}

fuzz_target!(|input: Input<'_>| {
    let framed = message_event(input.id, input.data);
    let text = std::str::from_utf8(&framed).expect("frames are UTF-8");
    let events = parse(text);
    assert_eq!(events.len(), 1, "{text:?}");
    let clean_id = |id: &str| id.replace(['\r', '\n', '\0'], "");
    let expected = Event {
        event: "message".into(),
        data: input.data.replace(['\r', '\n'], "\n"),
        id: input.id.map(clean_id),
    };
    assert_eq!(events[0], expected, "{text:?}");

    // A priming event carries an id and no message (its data is empty).
    let id = input.id.unwrap_or(input.data);
    let priming = priming_event(id);
    let events = parse(std::str::from_utf8(&priming).unwrap());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data, "");
    assert_eq!(events[0].id.as_deref(), Some(clean_id(id).as_str()));

    // Keep-alive comments dispatch nothing, wherever they fall between events.
    let mut joined = framed.to_vec();
    joined.extend_from_slice(KEEP_ALIVE_COMMENT);
    joined.extend_from_slice(&framed);
    assert_eq!(parse(std::str::from_utf8(&joined).unwrap()).len(), 2);
});
