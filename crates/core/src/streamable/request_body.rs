//! The body of a request to an MCP endpoint (POST on the stream endpoint, POST /messages),
//! read whole before anything is parsed, within `maxBodySize`, `requestTimeout` and the
//! server-wide `maxBufferedBodyBytes`. It owns the 413/408/503/400 answers for bodies; it
//! never parses the body nor looks at sessions. Bodies of other paths stream to the
//! `onUnhandledRequest` hook instead (`http/hook.rs`) and are never read here.

use http::{header, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::http::body_buffer::BodyBuffer;
use crate::http::body_pace::{self, Pace, Slow};
use crate::http::limits::{BodyHold, RequestDeadline};
use crate::http::reply::{self, Reply};
use crate::streamable::shared::Shared;

impl Shared {
    /// A request body of an MCP endpoint within `maxBodySize`: 413 as soon as the declared
    /// length or the bytes read cross it, 408 when it has not arrived by `requestTimeout` or
    /// falls behind (`bodyIdleTimeout`, `minBodyRate`), 503 when the server-wide
    /// `maxBufferedBodyBytes` is spent, 400 when it breaks off (a client that left sees
    /// nothing of it).
    pub(crate) async fn read_request_body(
        &self,
        parts: &http::request::Parts,
        body: Incoming,
    ) -> Result<Vec<u8>, Reply> {
        let max = self.config.max_body_size;
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let (Some(max), Some(len)) = (max, declared) {
            if len > max as u64 {
                return Err(too_large(max));
            }
        }
        let mut hold = self.limits.hold_body();
        let mut pace = Pace::new(&self.limits);
        let reading = read_body(body, max, declared, &mut hold, &mut pace);
        let read = match RequestDeadline::of(parts) {
            Some(deadline) => tokio::time::timeout_at(deadline.into(), reading)
                .await
                .unwrap_or(Err(BodyError::TimedOut)),
            None => reading.await,
        };
        let body = read.map_err(|e| match e {
            BodyError::TooLarge => too_large(max.unwrap_or_default()),
            BodyError::TimedOut => {
                let limit = self.limits.request_timeout.unwrap_or_default();
                self.limits.report("requestTimeout", || {
                    format!(
                        "[mcp-proxy] request body not received within {}ms (requestTimeout): answered 408",
                        limit.as_millis()
                    )
                });
                reply::request_timeout(self.limits.request_timeout)
            }
            BodyError::OverBudget => {
                self.limits.report("maxBufferedBodyBytes", || {
                    "[mcp-proxy] request bodies being received hold maxBufferedBodyBytes: answered 503"
                        .to_string()
                });
                let mut res = reply::closing(reply::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    -32000,
                    "Service Unavailable: too many request bodies are being received; retry later",
                    None,
                ));
                res.headers_mut()
                    .insert(header::RETRY_AFTER, http::HeaderValue::from_static("1"));
                res
            }
            BodyError::Slow(slow) => body_pace::too_slow(&self.limits, slow),
            BodyError::Broken => reply::unreadable_body(),
        })?;
        self.check_hop(parts, &body)?;
        Ok(body)
    }
}

/// Reads a request body, refusing more than `max` bytes as soon as they are seen, and
/// counting the memory it holds against the server-wide budget (body_buffer.rs).
async fn read_body(
    mut body: Incoming,
    max: Option<usize>,
    declared: Option<u64>,
    hold: &mut BodyHold<'_>,
    pace: &mut Pace,
) -> Result<Vec<u8>, BodyError> {
    let mut buf = BodyBuffer::new(declared);
    loop {
        let frame = match pace.within(body.frame()).await {
            Ok(Some(frame)) => frame.map_err(|_| BodyError::Broken)?,
            Ok(None) => break,
            Err(slow) => return Err(BodyError::Slow(slow)),
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        pace.got(data.len());
        if max.is_some_and(|max| buf.len() + data.len() > max) {
            return Err(BodyError::TooLarge);
        }
        if !buf.push(&data, hold) {
            return Err(BodyError::OverBudget);
        }
    }
    Ok(buf.into_vec())
}

/// 413 with `Connection: close`: the rest of the body is not read.
fn too_large(max: usize) -> Reply {
    let message = format!("Payload Too Large: request body exceeds {max} bytes");
    reply::closing(reply::error(
        StatusCode::PAYLOAD_TOO_LARGE,
        -32600,
        &message,
        None,
    ))
}

#[derive(Debug)]
enum BodyError {
    TooLarge,
    TimedOut,
    /// `maxBufferedBodyBytes` is spent.
    OverBudget,
    /// `bodyIdleTimeout` or `minBodyRate`.
    Slow(Slow),
    /// The client went away or sent a malformed body.
    Broken,
}
