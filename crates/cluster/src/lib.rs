//! Several mcp-proxy-native instances on one Redis (CONTRACT §14, design in
//! `reference/scale-out.md` §3 and this crate's README): the instance lease, the registry of
//! session owners with an epoch-fenced claim, the per-session event log written before
//! events are sent, the notify fan-out for 2026-07-28, and the authenticated internal hop
//! that forwards a request to its session's owner. Only `owners` (the core's `Owners` seam)
//! and `fanout` (notify) know the core; nothing here knows napi.

pub mod committer;
pub mod config;
pub mod connection;
pub mod error;
pub mod event_log;
pub mod fanout;
pub mod forwarder;
pub mod hop_auth;
pub mod keys;
pub mod lease;
pub mod node;
pub mod notify;
pub mod orphans;
pub mod owners;
pub mod registry;
pub mod reply;
pub mod scripts;

pub use config::{session_ttl, ClusterConfig};
pub use connection::Redis;
pub use error::{Error, Result};
pub use event_log::{Entry, Event, EventLog, Kind, Replay, SessionLog};
pub use forwarder::{ForwardError, Forwarder};
pub use hop_auth::{HopKey, HopRefusal, HopRequest, HOP_HEADER};
pub use lease::{Heartbeat, LeaseState};
pub use node::ClusterNode;
pub use notify::{Notice, Notifier, TailEvent};
pub use orphans::{owner_lost_error, Orphan};
pub use owners::ClusterOwners;
pub use registry::{Claim, Claimed, Owner, Registry, SessionMeta};
