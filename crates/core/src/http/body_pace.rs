//! The pace a request body must keep (`bodyIdleTimeout`, `minBodyRate`). MCP request bodies
//! are JSON-RPC messages that arrive in milliseconds; a client that stops sending, or sends a
//! byte now and then, is broken or hostile, and until `requestTimeout` (300 s) it would hold a
//! connection and a share of `maxBufferedBodyBytes`. So a body must not go quiet for
//! `bodyIdleTimeout`, and once it has taken longer than that it must have arrived at
//! `minBodyRate` on average; else 408. Time the server itself stops reading (a hook that has
//! not consumed its window) is not the client's and does not count.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

use crate::config::DEFAULT_BODY_IDLE_TIMEOUT;
use crate::http::limits::Limits;
use crate::http::reply::{self, Reply};

/// How a body fell behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slow {
    /// No byte for `bodyIdleTimeout`.
    Idle,
    /// Slower than `minBodyRate` on average, past the first `bodyIdleTimeout`.
    Rate,
}

/// The clock of one body being read.
pub(crate) struct Pace {
    idle: Option<Duration>,
    /// How long a body may take before its average rate counts.
    grace: Duration,
    /// Bytes per second; 0 = no minimum.
    min_rate: u64,
    start: Instant,
    /// Time the server did not read (not counted against the client).
    paused: Duration,
    /// The last byte (or the end of a pause).
    last: Instant,
    received: u64,
}

impl Pace {
    pub(crate) fn new(limits: &Limits) -> Self {
        let now = Instant::now();
        Pace {
            idle: limits.body_idle_timeout,
            grace: limits
                .body_idle_timeout
                .unwrap_or(DEFAULT_BODY_IDLE_TIMEOUT),
            min_rate: limits.min_body_rate,
            start: now,
            paused: Duration::ZERO,
            last: now,
            received: 0,
        }
    }

    /// `n` bytes of the body arrived.
    pub(crate) fn got(&mut self, n: usize) {
        if n > 0 {
            self.received = self.received.saturating_add(n as u64);
            self.last = Instant::now();
        }
    }

    /// The server did not read from `since` until now: that time is not the client's.
    pub(crate) fn paused_since(&mut self, since: Instant) {
        let now = Instant::now();
        self.paused += now.saturating_duration_since(since);
        self.last = self.last.max(now);
    }

    /// When the next bytes must have come by, and what the body is if they do not.
    pub(crate) fn deadline(&self) -> Option<(Instant, Slow)> {
        // A timeout too large to add is no limit.
        let idle = self
            .idle
            .and_then(|t| self.last.checked_add(t))
            .map(|at| (at, Slow::Idle));
        let rate = (self.min_rate > 0)
            .then(|| {
                let earned = Duration::from_secs_f64(self.received as f64 / self.min_rate as f64);
                self.start
                    .checked_add(self.paused)?
                    .checked_add(self.grace.max(earned))
            })
            .flatten()
            .map(|at| (at, Slow::Rate));
        match (idle, rate) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// `next` (the body's next frame), unless the body falls behind first.
    pub(crate) async fn within<F: Future>(&self, next: F) -> Result<F::Output, Slow> {
        match self.deadline() {
            Some((at, slow)) => tokio::time::timeout_at(at, next).await.map_err(|_| slow),
            None => Ok(next.await),
        }
    }
}

/// The 408 for a body that fell behind, logged (at most once a second per kind; the
/// connection closes with the answer, so once per connection).
pub(crate) fn too_slow(limits: &Limits, slow: Slow) -> Reply {
    let message = match slow {
        Slow::Idle => format!(
            "Request Timeout: no byte of the request body arrived for {}ms",
            limits.body_idle_timeout.unwrap_or_default().as_millis()
        ),
        Slow::Rate => format!(
            "Request Timeout: the request body arrived slower than {} bytes/s",
            limits.min_body_rate
        ),
    };
    report(limits, slow);
    reply::closing(reply::error(
        http::StatusCode::REQUEST_TIMEOUT,
        -32000,
        &message,
        None,
    ))
}

/// Logs a body that fell behind.
pub(crate) fn report(limits: &Limits, slow: Slow) {
    match slow {
        Slow::Idle => {
            let ms = limits.body_idle_timeout.unwrap_or_default().as_millis();
            limits.report("bodyIdleTimeout", || {
                format!("[mcp-proxy] no byte of a request body for {ms}ms (bodyIdleTimeout): answered 408 and closed the connection")
            })
        }
        Slow::Rate => {
            let rate = limits.min_body_rate;
            limits.report("minBodyRate", || {
                format!("[mcp-proxy] a request body arrived slower than {rate} bytes/s (minBodyRate): answered 408 and closed the connection")
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::host::{Host, HostEvent};
    use std::sync::Arc;

    struct Quiet;
    impl Host for Quiet {
        fn dispatch(&self, _: HostEvent) {}
    }

    fn pace(idle: Option<Duration>, min_rate: u64) -> Pace {
        let config = Config {
            body_idle_timeout: idle,
            min_body_rate: min_rate,
            ..Config::default()
        };
        Pace::new(&Limits::new(&config, Arc::new(Quiet)))
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    /// `p` as if it had been reading for `secs`, its last byte `quiet` seconds ago.
    fn aged(mut p: Pace, secs: u64, quiet: u64) -> Pace {
        let now = Instant::now();
        p.start = now - S(secs);
        p.last = now - S(quiet);
        p
    }

    #[tokio::test]
    async fn a_quiet_body_is_idle_after_the_idle_timeout() {
        let p = pace(Some(S(10)), 0);
        let (at, slow) = p.deadline().unwrap();
        assert_eq!(slow, Slow::Idle);
        assert_eq!(at - p.start, S(10));
        let p = pace(Some(Duration::from_millis(20)), 0);
        let never = std::future::pending::<()>();
        assert_eq!(p.within(never).await, Err(Slow::Idle));
        assert_eq!(p.within(async { 5 }).await, Ok(5));
    }

    #[test]
    fn each_byte_restarts_the_idle_clock() {
        let rt = runtime();
        rt.block_on(async {
            let mut p = aged(pace(Some(S(10)), 0), 9, 9);
            p.got(1);
            let (at, _) = p.deadline().unwrap();
            near(at - p.start, S(19));
        });
    }

    #[test]
    fn a_trickle_falls_below_the_rate_once_past_the_grace() {
        runtime().block_on(async {
            // 9 bytes in 9 s: never idle, but they earn only ~9 ms at 1 KiB/s.
            let mut p = aged(pace(Some(S(10)), 1024), 9, 0);
            p.got(9);
            let (at, slow) = p.deadline().unwrap();
            assert_eq!(slow, Slow::Rate);
            near(at - p.start, S(10));
            // A fast body earns its time: 100 KiB at 1 KiB/s = 100 s; then idle is first.
            p.got(100 * 1024);
            let (_, slow) = p.deadline().unwrap();
            assert_eq!(slow, Slow::Idle);
            let p = aged(p, 150, 0);
            let (at, slow) = p.deadline().unwrap();
            assert_eq!(slow, Slow::Rate);
            assert!(at - p.start > S(100) && at - p.start < S(101));
        });
    }

    #[test]
    fn time_the_server_did_not_read_is_not_counted() {
        runtime().block_on(async {
            let mut p = aged(pace(Some(S(10)), 1024), 30, 30);
            p.paused_since(Instant::now() - S(30));
            let (at, slow) = p.deadline().unwrap();
            assert_eq!(slow, Slow::Rate);
            near(at - p.start, S(40));
            assert!(
                p.last >= p.start + S(30),
                "idle counts from the end of the pause"
            );
        });
    }

    /// Equal but for the time the test itself took.
    fn near(got: Duration, expected: Duration) {
        let off = got.abs_diff(expected);
        assert!(
            off < Duration::from_millis(200),
            "{got:?}, not {expected:?}"
        );
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn no_bounds_no_deadline() {
        runtime().block_on(async {
            assert!(pace(None, 0).deadline().is_none());
            assert!(pace(Some(Duration::MAX), 0).deadline().is_none());
        });
    }
}
