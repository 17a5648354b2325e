//! Server-Sent Events framing (WHATWG HTML §9.2): what goes on the wire of a stream.
//!
//! Text only: it never queues, stores or sends.

use bytes::Bytes;

/// Sent on idle streams so proxies keep them open and dead peers are noticed; the SDK v2
/// transport's (and so mcp-proxy 6.7's) comment.
pub const KEEP_ALIVE_COMMENT: &[u8] = b": keepalive\n\n";

/// `event: message`, optional `id:`, then one `data:` line per line of the payload.
/// Compact JSON has no line breaks, but a payload that does still frames correctly.
pub fn message_event(id: Option<&str>, data: &str) -> Bytes {
    let mut out = String::with_capacity(data.len() + 48);
    out.push_str("event: message\n");
    if let Some(id) = id {
        push_id(&mut out, id);
    }
    for line in data.split(['\n', '\r']) {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// An event with an id and empty data: gives the client a resumption point before any
/// message exists (MCP 2025-11-25 "priming event"); clients skip it as a message.
pub fn priming_event(id: &str) -> Bytes {
    let mut out = String::with_capacity(id.len() + 16);
    push_id(&mut out, id);
    out.push_str("data: \n\n");
    Bytes::from(out)
}

fn push_id(out: &mut String, id: &str) {
    out.push_str("id: ");
    // An id comes from an event store that may be user code; a line break would end the field.
    out.extend(
        id.chars()
            .filter(|c| *c != '\n' && *c != '\r' && *c != '\0'),
    );
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_a_message() {
        assert_eq!(
            &message_event(Some("3_7"), r#"{"a":1}"#)[..],
            b"event: message\nid: 3_7\ndata: {\"a\":1}\n\n"
        );
        assert_eq!(
            &message_event(None, "x")[..],
            b"event: message\ndata: x\n\n"
        );
    }

    #[test]
    fn splits_multiline_data() {
        assert_eq!(
            &message_event(None, "a\nb")[..],
            b"event: message\ndata: a\ndata: b\n\n"
        );
    }

    #[test]
    fn priming_has_id_and_empty_data() {
        assert_eq!(&priming_event("0_1")[..], b"id: 0_1\ndata: \n\n");
    }

    #[test]
    fn strips_line_breaks_from_ids() {
        assert_eq!(&priming_event("a\r\nb")[..], b"id: ab\ndata: \n\n");
    }
}
