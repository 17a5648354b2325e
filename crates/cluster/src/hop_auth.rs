//! Authentication of the internal hop between instances: the forwarding instance signs
//! method, path, session id, body digest, timestamp and a nonce with HMAC-SHA256 under the
//! cluster's shared secret (the whole envelope: signing only the session would let a captured
//! hop be replayed with another body). The owner verifies within a clock-skew window, in
//! constant time, and refuses a nonce it has already seen within that window.

use ring::{digest, hmac};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::keys::hex;

/// The header that carries the signature; its presence marks a request as forwarded, and a
/// forwarded request is never forwarded again.
pub const HOP_HEADER: &str = "x-mcpn-hop";
const VERSION: &str = "v1";
/// Most nonces remembered; beyond it new hops are refused until old ones age out.
pub const MAX_REMEMBERED_NONCES: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HopRefusal {
    /// No header, or not `v1 <ts> <nonce> <mac>`.
    Malformed,
    /// The timestamp is outside the skew window (too old: a late replay; or too new).
    Expired,
    /// The MAC does not match: another secret, or a changed request.
    Forged,
    /// This nonce was already accepted within the window.
    Replayed,
}

/// What a hop signs (everything but the headers, which the owner's pipeline checks itself).
pub struct HopRequest<'a> {
    pub method: &'a str,
    /// Path and query as sent by the client.
    pub path: &'a str,
    /// The `Mcp-Session-Id` (or legacy `sessionId`) the hop is for; "" for none.
    pub session_id: &'a str,
    pub body: &'a [u8],
}

impl HopRequest<'_> {
    fn message(&self, timestamp_ms: u64, nonce: &str) -> String {
        let body = hex(digest::digest(&digest::SHA256, self.body).as_ref());
        format!(
            "{VERSION}\n{}\n{}\n{}\n{body}\n{timestamp_ms}\n{nonce}",
            self.method, self.path, self.session_id
        )
    }
}

pub struct HopKey {
    key: hmac::Key,
    skew: Duration,
    seen: Mutex<HashMap<String, u64>>,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl HopKey {
    pub fn new(secret: &[u8], skew: Duration) -> Self {
        HopKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            skew,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The header value for `request`, signed now.
    pub fn sign(&self, request: &HopRequest<'_>) -> String {
        self.sign_at(
            request,
            now_ms(),
            &uuid::Uuid::new_v4().simple().to_string(),
        )
    }

    pub fn sign_at(&self, request: &HopRequest<'_>, timestamp_ms: u64, nonce: &str) -> String {
        let tag = hmac::sign(&self.key, request.message(timestamp_ms, nonce).as_bytes());
        format!("{VERSION} {timestamp_ms} {nonce} {}", hex(tag.as_ref()))
    }

    /// Checks a hop header against the request it came with.
    pub fn verify(&self, header: Option<&str>, request: &HopRequest<'_>) -> Result<(), HopRefusal> {
        self.verify_at(header, request, now_ms())
    }

    pub fn verify_at(
        &self,
        header: Option<&str>,
        request: &HopRequest<'_>,
        now: u64,
    ) -> Result<(), HopRefusal> {
        let mut parts = header.ok_or(HopRefusal::Malformed)?.split(' ');
        let (Some(VERSION), Some(ts), Some(nonce), Some(mac), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(HopRefusal::Malformed);
        };
        let ts: u64 = ts.parse().map_err(|_| HopRefusal::Malformed)?;
        let mac = unhex(mac).ok_or(HopRefusal::Malformed)?;
        if nonce.is_empty() || nonce.len() > 64 {
            return Err(HopRefusal::Malformed);
        }
        let skew = self.skew.as_millis() as u64;
        if ts.abs_diff(now) > skew {
            return Err(HopRefusal::Expired);
        }
        // ring's verify compares in constant time.
        hmac::verify(&self.key, request.message(ts, nonce).as_bytes(), &mac)
            .map_err(|_| HopRefusal::Forged)?;
        self.remember(nonce, ts + skew, now)
    }

    fn remember(&self, nonce: &str, expires: u64, now: u64) -> Result<(), HopRefusal> {
        let mut seen = self.seen.lock().unwrap();
        if seen.len() >= MAX_REMEMBERED_NONCES {
            seen.retain(|_, exp| *exp >= now);
        }
        if seen.len() >= MAX_REMEMBERED_NONCES || seen.contains_key(nonce) {
            return Err(HopRefusal::Replayed);
        }
        seen.insert(nonce.to_string(), expires);
        Ok(())
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
