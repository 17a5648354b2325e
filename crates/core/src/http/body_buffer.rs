//! A request body being received, held in blocks and counted against `maxBufferedBodyBytes`
//! by the memory it holds. A doubling `Vec` holds up to twice what it was sent and leaves its
//! outgrown halves with the allocator: 100 stalled 10 MiB bodies grew RSS by ~2.2× what the
//! budget counted. Blocks of at most [`BODY_BLOCK`] bytes are filled in turn and never moved,
//! so a body holds what it was sent (rounded up to its last block), and freed blocks are
//! the size the next body asks for.

use crate::http::limits::BodyHold;

/// The largest block: small enough that a body's last block wastes little, large enough that
/// a 10 MiB body is 160 allocations.
pub(crate) const BODY_BLOCK: usize = 64 * 1024;
/// The first block of a body of unknown length; later blocks are a quarter of what the body
/// holds (or the frame that arrived, when larger), up to [`BODY_BLOCK`]: a small body stays
/// small, and the last block's unused room is at most a quarter of the body or one frame.
/// (Doubling blocks let an 80 000-byte body sent in 16 KiB HTTP/2 frames hold 128 KiB.)
const FIRST_BLOCK: usize = 4 * 1024;

pub(crate) struct BodyBuffer {
    blocks: Vec<Vec<u8>>,
    len: usize,
    /// The length the head declared, when it did (`Content-Length`; hyper holds it to it).
    declared: Option<usize>,
}

impl BodyBuffer {
    pub(crate) fn new(declared: Option<u64>) -> Self {
        BodyBuffer {
            blocks: Vec::new(),
            len: 0,
            declared: declared.and_then(|d| usize::try_from(d).ok()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends `data`, counting each new block against `hold`; false (the body refused) when
    /// the server-wide budget cannot take one more.
    pub(crate) fn push(&mut self, mut data: &[u8], hold: &mut BodyHold<'_>) -> bool {
        while !data.is_empty() {
            let full = self.blocks.last().is_none_or(|b| b.len() == b.capacity());
            if full {
                let size = self.next_block(data.len());
                if !hold.grow(size) {
                    return false;
                }
                self.blocks.push(Vec::with_capacity(size));
            }
            let Some(block) = self.blocks.last_mut() else {
                return false;
            };
            let n = (block.capacity() - block.len()).min(data.len());
            block.extend_from_slice(&data[..n]);
            self.len += n;
            data = &data[n..];
        }
        true
    }

    /// The size of the next block, for a body with `more` bytes waiting.
    fn next_block(&self, more: usize) -> usize {
        let size = match self.declared {
            // Exactly what is left of the declared length, a block at a time.
            Some(declared) if declared > self.len => declared - self.len,
            _ => (self.len / 4).max(FIRST_BLOCK).max(more),
        };
        size.min(BODY_BLOCK)
    }

    /// The whole body, in one piece.
    pub(crate) fn into_vec(mut self) -> Vec<u8> {
        if self.blocks.len() <= 1 {
            return self.blocks.pop().unwrap_or_default();
        }
        let mut all = Vec::with_capacity(self.len);
        for block in self.blocks {
            all.extend_from_slice(&block);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::host::{Host, HostEvent};
    use crate::http::limits::Limits;
    use std::sync::Arc;

    struct Quiet;
    impl Host for Quiet {
        fn dispatch(&self, _: HostEvent) {}
    }

    fn limits(budget: usize) -> Limits {
        let config = Config {
            max_buffered_body_bytes: Some(budget),
            ..Config::default()
        };
        Limits::new(&config, Arc::new(Quiet))
    }

    fn capacity(b: &BodyBuffer) -> usize {
        b.blocks.iter().map(Vec::capacity).sum()
    }

    #[test]
    fn a_declared_body_holds_exactly_its_length() {
        let l = limits(usize::MAX);
        let mut hold = l.hold_body();
        let mut b = BodyBuffer::new(Some(200_000));
        let chunk = vec![7u8; 30_000];
        for _ in 0..6 {
            assert!(b.push(&chunk, &mut hold));
        }
        assert!(b.push(&chunk[..20_000], &mut hold));
        assert_eq!(b.len(), 200_000);
        assert_eq!(capacity(&b), 200_000);
        let all = b.into_vec();
        assert_eq!(all.len(), 200_000);
        assert!(all.iter().all(|&x| x == 7));
    }

    #[test]
    fn a_body_of_unknown_length_holds_at_most_what_it_was_sent_plus_a_block() {
        let l = limits(usize::MAX);
        let mut hold = l.hold_body();
        let mut b = BodyBuffer::new(None);
        assert!(b.push(b"{}", &mut hold));
        assert_eq!(capacity(&b), FIRST_BLOCK, "a small body stays small");
        let mut sent = 2;
        for i in 0..1000u32 {
            let chunk = vec![(i % 251) as u8; 1000 + (i as usize % 7) * 300];
            assert!(b.push(&chunk, &mut hold));
            sent += chunk.len();
            assert!(
                capacity(&b) <= sent + BODY_BLOCK,
                "{} for {sent}",
                capacity(&b)
            );
        }
        assert_eq!(b.into_vec().len(), sent);
    }

    #[test]
    fn a_body_of_unknown_length_in_frames_holds_little_more_than_it_was_sent() {
        let l = limits(100_000);
        let mut hold = l.hold_body();
        let mut b = BodyBuffer::new(None);
        for _ in 0..5 {
            assert!(
                b.push(&[b' '; 16_000], &mut hold),
                "80 000 bytes fit 100 000"
            );
        }
        assert!(capacity(&b) <= 5 * 16_384, "{}", capacity(&b));
    }

    #[test]
    fn the_budget_counts_blocks_and_refuses_the_one_that_does_not_fit() {
        let l = limits(100_000);
        let mut hold = l.hold_body();
        let mut b = BodyBuffer::new(Some(1_000_000));
        assert!(b.push(&[1u8; 60_000], &mut hold));
        // The first block is 64 KiB; the next one would cross 100 000.
        assert!(b.push(&[1u8; 5_000], &mut hold));
        assert!(!b.push(&[1u8; 1_000], &mut hold));
        let mut other = l.hold_body();
        assert!(!other.grow(100_000 - BODY_BLOCK + 1));
        drop(hold);
        assert!(other.grow(100_000));
    }
}
