//! The child's stdout as JSON-RPC lines (CONTRACT §13): split on `\n` over bytes, so a UTF-8
//! character split across reads survives; text before the first `{` is stripped (Python
//! warnings printed on stdout, mcp-proxy #55); a line without `{` is dropped; a line longer
//! than [`MAX_LINE_BYTES`] is dropped and reported while the child keeps serving.

/// The longest line taken from the child (the SDK `ReadBuffer`'s cap, 10 MiB).
pub const MAX_LINE_BYTES: usize = 10 * 1024 * 1024;

/// What one line of the child's stdout came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A line that may be a JSON-RPC message (starts with `{`).
    Message(String),
    /// Text that stood before the first `{` of a line, removed.
    Stripped(String),
    /// A line without `{`, dropped.
    Dropped(String),
    /// A line longer than the cap, dropped; its length in bytes.
    Oversize(usize),
    /// A line that is not UTF-8, dropped.
    NotUtf8,
}

/// Cuts a byte stream into lines; keeps at most [`MAX_LINE_BYTES`] of a partial line.
pub struct LineFramer {
    partial: Vec<u8>,
    max: usize,
    /// Bytes of an oversize line seen so far, while skipping to its end.
    skipping: Option<usize>,
}

impl Default for LineFramer {
    fn default() -> Self {
        LineFramer::new(MAX_LINE_BYTES)
    }
}

impl LineFramer {
    pub fn new(max: usize) -> Self {
        LineFramer {
            partial: Vec::new(),
            max,
            skipping: None,
        }
    }

    /// Takes the next chunk read from stdout; complete lines go to `out`.
    pub fn push(&mut self, mut chunk: &[u8], out: &mut Vec<Frame>) {
        while !chunk.is_empty() {
            let newline = chunk.iter().position(|&b| b == b'\n');
            let (piece, rest) = match newline {
                Some(at) => (&chunk[..at], Some(&chunk[at + 1..])),
                None => (chunk, None),
            };
            if let Some(seen) = self.skipping.as_mut() {
                *seen += piece.len();
            } else if self.partial.len() + piece.len() > self.max {
                self.skipping = Some(self.partial.len() + piece.len());
                self.partial = Vec::new();
            } else {
                self.partial.extend_from_slice(piece);
            }
            match rest {
                Some(rest) => {
                    match self.skipping.take() {
                        Some(len) => out.push(Frame::Oversize(len)),
                        None => {
                            let line = std::mem::take(&mut self.partial);
                            line_frames(line, out);
                        }
                    }
                    chunk = rest;
                }
                None => break,
            }
        }
    }

    /// Stdout ended: a last line without its `\n` still counts.
    pub fn finish(&mut self, out: &mut Vec<Frame>) {
        if let Some(len) = self.skipping.take() {
            out.push(Frame::Oversize(len));
        } else if !self.partial.is_empty() {
            line_frames(std::mem::take(&mut self.partial), out);
        }
    }
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')
}

fn line_frames(mut line: Vec<u8>, out: &mut Vec<Frame>) {
    while line.last().copied().is_some_and(is_blank) {
        line.pop();
    }
    let start = line
        .iter()
        .position(|&b| !is_blank(b))
        .unwrap_or(line.len());
    if start == line.len() {
        return;
    }
    let Some(brace) = line[start..].iter().position(|&b| b == b'{') else {
        out.push(Frame::Dropped(
            String::from_utf8_lossy(&line[start..]).into(),
        ));
        return;
    };
    let brace = start + brace;
    if brace > start {
        out.push(Frame::Stripped(
            String::from_utf8_lossy(&line[start..brace]).into(),
        ));
    }
    line.drain(..brace);
    match String::from_utf8(line) {
        Ok(text) => out.push(Frame::Message(text)),
        Err(_) => out.push(Frame::NotUtf8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]], max: usize) -> Vec<Frame> {
        let mut framer = LineFramer::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk, &mut out);
        }
        framer.finish(&mut out);
        out
    }

    #[test]
    fn utf8_split_across_reads_survives() {
        let text = "{\"v\":\"é😀\"}\n".as_bytes();
        // Cut inside the two-byte é and inside the four-byte emoji.
        let (a, rest) = text.split_at(8);
        let (b, c) = rest.split_at(3);
        assert_eq!(
            frames(&[a, b, c], MAX_LINE_BYTES),
            vec![Frame::Message("{\"v\":\"é😀\"}".into())]
        );
    }

    #[test]
    fn prefix_is_stripped_and_lines_without_a_brace_are_dropped() {
        let out = frames(
            &[b"warning: x {\"a\":1}\r\nplain text\n\n  \n{\"b\":2}"],
            MAX_LINE_BYTES,
        );
        assert_eq!(
            out,
            vec![
                Frame::Stripped("warning: x ".into()),
                Frame::Message("{\"a\":1}".into()),
                Frame::Dropped("plain text".into()),
                Frame::Message("{\"b\":2}".into()),
            ]
        );
    }

    #[test]
    fn oversize_line_is_dropped_and_the_next_line_is_kept() {
        let big = vec![b'x'; 40];
        let out = frames(&[b"{\"", &big, &big, b"\"}\n{\"ok\":1}\n"], 64);
        assert_eq!(
            out,
            vec![Frame::Oversize(84), Frame::Message("{\"ok\":1}".into())]
        );
    }

    #[test]
    fn a_line_at_the_cap_is_kept() {
        let line = format!("{{\"{}\"}}", "y".repeat(60));
        assert_eq!(line.len(), 64);
        let out = frames(&[line.as_bytes(), b"\n"], 64);
        assert_eq!(out, vec![Frame::Message(line)]);
    }

    #[test]
    fn invalid_utf8_is_dropped() {
        assert_eq!(
            frames(&[b"{\"a\":\"\xff\"}\n"], MAX_LINE_BYTES),
            vec![Frame::NotUtf8]
        );
    }
}
