//! What can go wrong talking to the cluster, in terms the HTTP side acts on: `Unavailable`
//! becomes 503, `Gone` becomes 404, `Fenced` means "stop serving this session here".

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Redis could not be reached when the instance started (`startHTTPServer` rejects).
    Unreachable { url: String, detail: String },
    /// Redis was lost at run time or did not answer in time; the caller answers 503 and the
    /// connection manager reconnects in the background.
    Unavailable(String),
    /// The session has no record (never existed, expired, deleted, or Redis restarted empty).
    Gone,
    /// Another instance claimed the session: this writer's epoch is not the current one.
    Fenced { current_epoch: u64 },
    /// An append whose sequence is not above the committed top (a writer bug, never a race
    /// between instances: those are fenced by epoch first).
    OutOfOrder { top: u64 },
    /// Redis answered something this crate did not write (another program shares the prefix).
    Protocol(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unreachable { url, detail } => {
                write!(f, "cannot reach Redis at {url}: {detail}")
            }
            Error::Unavailable(detail) => write!(f, "Redis unavailable: {detail}"),
            Error::Gone => f.write_str("session not found in Redis"),
            Error::Fenced { current_epoch } => {
                write!(
                    f,
                    "session was claimed by another instance (epoch {current_epoch})"
                )
            }
            Error::OutOfOrder { top } => write!(f, "append below the committed top {top}"),
            Error::Protocol(detail) => write!(f, "unexpected Redis reply: {detail}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Self {
        // Every failure to get an answer is "unavailable" to the caller; the connection
        // manager reconnects on its own.
        Error::Unavailable(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Redacts the password of a `redis://user:pass@host` URL for error messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
