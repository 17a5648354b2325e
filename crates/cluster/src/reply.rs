//! Reading the scripts' array replies (`{status, ...}`) without trusting their shape: a
//! reply this crate did not write is a `Protocol` error, never a panic.

use redis::Value;

use crate::error::{Error, Result};

pub struct Reply(Vec<Value>);

impl Reply {
    pub fn new(value: Value) -> Result<Self> {
        match value {
            Value::Array(items) => Ok(Reply(items)),
            other => Err(Error::Protocol(format!("expected an array, got {other:?}"))),
        }
    }

    pub fn status(&self) -> Result<i64> {
        self.int(0)
    }

    pub fn int(&self, at: usize) -> Result<i64> {
        match self.0.get(at) {
            Some(Value::Int(n)) => Ok(*n),
            Some(Value::BulkString(b)) => std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| Error::Protocol(format!("not a number at {at}"))),
            other => Err(Error::Protocol(format!(
                "expected a number at {at}, got {other:?}"
            ))),
        }
    }

    /// A string element; `None` for a Lua `false` (a missing hash field).
    pub fn text(&self, at: usize) -> Result<Option<String>> {
        match self.0.get(at) {
            Some(Value::BulkString(b)) => String::from_utf8(b.clone())
                .map(Some)
                .map_err(|_| Error::Protocol(format!("not UTF-8 at {at}"))),
            Some(Value::SimpleString(s)) => Ok(Some(s.clone())),
            Some(Value::Int(n)) => Ok(Some(n.to_string())),
            Some(Value::Nil) | None => Ok(None),
            other => Err(Error::Protocol(format!(
                "expected a string at {at}, got {other:?}"
            ))),
        }
    }

    pub fn text_or_empty(&self, at: usize) -> Result<String> {
        Ok(self.text(at)?.unwrap_or_default())
    }

    /// The epoch another instance holds, for `Error::Fenced`.
    pub fn fenced(&self, at: usize) -> Error {
        match self.int(at) {
            Ok(epoch) => Error::Fenced {
                current_epoch: epoch.max(0) as u64,
            },
            Err(e) => e,
        }
    }
}

/// The text of a bulk string field value.
pub fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}
