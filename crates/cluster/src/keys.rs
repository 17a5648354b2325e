//! The key schema. A session's keys share the hash tag `{sha256(session id)}` so its Lua
//! scripts touch one Cluster slot, and a Redis dump does not reveal live session ids (which
//! are bearer-like: whoever knows one can talk to the session).

use ring::digest;

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// Hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

/// What a session's meta keeps of its principal: a digest, never the token or claims.
pub fn principal_hash(principal: &str) -> String {
    sha256_hex(principal.as_bytes())
}

#[derive(Clone, Debug)]
pub struct Keys {
    prefix: String,
}

/// The three keys of one session (same slot).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionKeys {
    /// Hash {owner, epoch, seq, init, proto, principal}.
    pub meta: String,
    /// Stream of the session's events, ids `0-<seq>`.
    pub events: String,
    /// Hash {"<stream> <request id>" → ""} of requests running on the owner.
    pub inflight: String,
}

impl Keys {
    pub fn new(prefix: impl Into<String>) -> Self {
        Keys {
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn session(&self, session_id: &str) -> SessionKeys {
        let tag = sha256_hex(session_id.as_bytes());
        let p = &self.prefix;
        SessionKeys {
            meta: format!("{p}{{{tag}}}:meta"),
            events: format!("{p}{{{tag}}}:ev"),
            inflight: format!("{p}{{{tag}}}:inflight"),
        }
    }

    /// An instance's lease: its advertise URL, expiring unless renewed.
    pub fn instance(&self, instance_id: &str) -> String {
        format!("{}inst:{{{instance_id}}}", self.prefix)
    }

    /// The notify stream every instance tails (2026-07-28 `notify.*`).
    pub fn notify(&self) -> String {
        format!("{}{{notify}}", self.prefix)
    }

    /// The publish counter beside it (same slot), which lets a tailer see a gap.
    pub fn notify_counter(&self) -> String {
        format!("{}{{notify}}:n", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_keys_hide_the_id_and_share_a_hash_tag() {
        let keys = Keys::new("mcpn:").session("secret-session-id");
        for key in [&keys.meta, &keys.events, &keys.inflight] {
            assert!(!key.contains("secret-session-id"));
            assert!(key.starts_with("mcpn:{"));
        }
        let tag = |k: &str| k[k.find('{').unwrap()..=k.find('}').unwrap()].to_string();
        assert_eq!(tag(&keys.meta), tag(&keys.events));
        assert_eq!(tag(&keys.meta), tag(&keys.inflight));
        assert_eq!(tag(&keys.meta).len(), 66);
    }
}
