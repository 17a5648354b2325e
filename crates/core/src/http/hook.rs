//! `onUnhandledRequest(req, res)` (CONTRACT §3 step 5, §6): non-MCP paths go to the host's
//! hook first, as soon as their head arrived. The body follows to the host chunk by chunk
//! as the client sends it, at most a window ahead of what the hook consumed (so a hook
//! that does not read stops the socket being read), and with no size limit: such routes
//! (FastMCP 4's OAuth proxy) limit and time their own bodies. The hook writes a response
//! through [`Hooks::write`], or leaves it alone and the request falls through to the rest
//! of the pipeline. That order serves FastMCP 3.x (whose hook answers 404 itself) and 4.x
//! (whose hook leaves unknown paths open).
//!
//! It never reads a body for an MCP endpoint (those go to `streamable/request_body.rs`) and
//! never applies `maxBodySize`.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

use crate::config::{HOOK_BODY_WINDOW, HOOK_RESPONSE_WINDOW};
use crate::host::{BodyEnd, Host, HostEvent, RequestHead};
use crate::http::body::Body;
use crate::http::body_pace::{self, Pace, Slow};
use crate::http::limits::Limits;
use crate::http::pipe::{self, PipeReader, PipeWriter, Written};
use crate::http::reply::{self, Reply};

/// What the hook did with its `res`, in order.
#[derive(Debug)]
pub enum HookWrite {
    /// `writeHead` (or the first write): status, status text, every header line.
    Head {
        status: u16,
        status_text: Option<String>,
        headers: Vec<(String, String)>,
    },
    Chunk(Bytes),
    End,
    /// `res.destroy()` before `end()`: the client sees the response break off (a 500 head
    /// first when none was written), never a complete one.
    Cut,
    /// The hook returned without starting a response.
    Pass,
}

pub(crate) enum Hooked {
    /// Boxed: a `Reply` is large and this is the rare outcome.
    Answered(Box<Reply>),
    /// Not answered: continue with the pipeline.
    FellThrough,
}

enum Decision {
    Head {
        status: u16,
        status_text: Option<String>,
        headers: Vec<(String, String)>,
        body: PipeReader,
    },
    Pass,
}

/// One hook exchange; gone from the registry once nothing of it is left.
#[derive(Default)]
struct Exchange {
    /// Until the head or a pass: where the hook's decision goes.
    decision: Option<oneshot::Sender<Decision>>,
    /// After the head, until `End`: the response body.
    writer: Option<PipeWriter>,
    /// While the request body is read: consumption reports for the reader.
    credits: Option<mpsc::UnboundedSender<usize>>,
}

impl Exchange {
    fn is_over(&self) -> bool {
        self.decision.is_none() && self.writer.is_none() && self.credits.is_none()
    }
}

/// The running hook exchanges, by token.
pub(crate) struct Hooks {
    host: Arc<dyn Host>,
    limits: Arc<Limits>,
    exchanges: Mutex<HashMap<u64, Exchange>>,
    me: Weak<Hooks>,
}

impl Hooks {
    pub(crate) fn new(host: Arc<dyn Host>, limits: Arc<Limits>) -> Arc<Self> {
        Arc::new_cyclic(|me| Hooks {
            host,
            limits,
            exchanges: Mutex::new(HashMap::new()),
            me: me.clone(),
        })
    }

    fn exchanges(&self) -> MutexGuard<'_, HashMap<u64, Exchange>> {
        self.exchanges.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies `f` to exchange `token`, forgetting it when nothing of it is left.
    fn with<R>(&self, token: u64, f: impl FnOnce(&mut Exchange) -> R) -> Option<R> {
        let mut exchanges = self.exchanges();
        let exchange = exchanges.get_mut(&token)?;
        let result = f(exchange);
        if exchange.is_over() {
            exchanges.remove(&token);
        }
        Some(result)
    }

    pub(crate) fn clear(&self) {
        self.exchanges().clear();
    }

    /// A write of hook `token`'s `res`.
    pub(crate) fn write(&self, token: u64, write: HookWrite) -> Written {
        match write {
            HookWrite::Head {
                status,
                status_text,
                headers,
            } => {
                let (writer, body) = self.response_pipe(token);
                let head = Decision::Head {
                    status,
                    status_text,
                    headers,
                    body,
                };
                // A decision nobody takes is dropped only after the lock is released: its
                // pipe's `on_gone` takes the lock too.
                let refused = self.with(token, |x| match x.decision.take() {
                    Some(decision) => match decision.send(head) {
                        Ok(()) => {
                            x.writer = Some(writer);
                            None
                        }
                        Err(head) => Some(head),
                    },
                    None => Some(head),
                });
                match refused {
                    Some(None) => Written::Open,
                    Some(Some(_)) | None => Written::Gone,
                }
            }
            HookWrite::Chunk(chunk) => self
                .with(token, |x| x.writer.as_ref().map(|w| w.write(chunk)))
                .flatten()
                .unwrap_or(Written::Gone),
            HookWrite::End => self
                .with(token, |x| {
                    x.writer.take().map(|w| {
                        w.end();
                        Written::Open
                    })
                })
                .flatten()
                .unwrap_or(Written::Gone),
            HookWrite::Cut => {
                let started = self
                    .with(token, |x| {
                        x.writer.take().map(|w| {
                            w.cut();
                            Written::Open
                        })
                    })
                    .flatten();
                match started {
                    Some(written) => written,
                    None => {
                        let headers = Vec::new();
                        let written = self.write(
                            token,
                            HookWrite::Head {
                                status: 500,
                                status_text: None,
                                headers,
                            },
                        );
                        if written != Written::Gone {
                            self.write(token, HookWrite::Cut);
                        }
                        written
                    }
                }
            }
            HookWrite::Pass => self
                .with(token, |x| {
                    // The rest of the pipeline does not read the body: stop reading it.
                    x.credits = None;
                    x.decision.take().map(|d| {
                        let _ = d.send(Decision::Pass);
                        Written::Open
                    })
                })
                .flatten()
                .unwrap_or(Written::Gone),
        }
    }

    /// The hook consumed `bytes` of its request body.
    pub(crate) fn body_read(&self, token: u64, bytes: usize) {
        self.with(token, |x| {
            if let Some(credits) = &x.credits {
                let _ = credits.send(bytes);
            }
        });
    }

    fn response_pipe(&self, token: u64) -> (PipeWriter, PipeReader) {
        let host = self.host.clone();
        let on_drain = Box::new(move || host.dispatch(HostEvent::HookDrain { token }));
        let (host, me) = (self.host.clone(), self.me.clone());
        let on_gone = Box::new(move |complete: bool| {
            if !complete {
                host.dispatch(HostEvent::HookGone { token });
            }
            // The response is over: whatever of the body is still unread is not wanted
            // (Node discards it too); the connection closes instead of reading it.
            if let Some(hooks) = me.upgrade() {
                hooks.with(token, |x| {
                    x.writer = None;
                    x.credits = None;
                });
            }
        });
        pipe::pipe(HOOK_RESPONSE_WINDOW, on_drain, on_gone)
    }
}

/// Runs the hook for a request whose head just arrived; `deadline` is when its body must
/// have arrived (`requestTimeout`).
pub(crate) async fn run(
    hooks: &Arc<Hooks>,
    token: u64,
    request: Arc<RequestHead>,
    body: Incoming,
    deadline: Option<Instant>,
) -> Hooked {
    let (decision, decided) = oneshot::channel();
    let (credits, credited) = mpsc::unbounded_channel();
    hooks.exchanges().insert(
        token,
        Exchange {
            decision: Some(decision),
            writer: None,
            credits: Some(credits),
        },
    );
    hooks.host.dispatch(HostEvent::Unhandled { token, request });
    let (body_cut, on_body_cut) = oneshot::channel();
    tokio::spawn(forward_body(
        hooks.clone(),
        token,
        body,
        credited,
        deadline,
        body_cut,
    ));
    // A body that broke off ends the exchange (the host's `res` closes with it), even when a
    // head arrived at the same moment: the server answers 408 or 400 itself.
    tokio::select! {
        biased;
        Ok(answer) = on_body_cut => {
            // A head written from now on finds nobody waiting.
            hooks.with(token, |x| x.decision = None);
            Hooked::Answered(answer)
        }
        decided = decided => match decided {
            Ok(Decision::Head { status, status_text, headers, body }) => Hooked::Answered(Box::new(
                reply::head(status, status_text.as_deref(), &headers, Body::piped(body)),
            )),
            Ok(Decision::Pass) | Err(_) => Hooked::FellThrough,
        },
    }
}

/// Hands the request body to the host as it arrives, a window ahead of its consumption.
/// A body that breaks off (timed out, fell behind, or the client went away) sends the
/// server's answer to `body_cut`.
async fn forward_body(
    hooks: Arc<Hooks>,
    token: u64,
    body: Incoming,
    credits: mpsc::UnboundedReceiver<usize>,
    deadline: Option<Instant>,
    body_cut: oneshot::Sender<Box<Reply>>,
) {
    let reading = read_into_host(&hooks, token, body, credits);
    let end = match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline.into(), reading)
            .await
            .unwrap_or(Some(Ok(BodyEnd::TimedOut))),
        None => reading.await,
    };
    if let Some(end) = end {
        let (end, answer) = match end {
            Ok(BodyEnd::Complete) => (BodyEnd::Complete, None),
            Ok(BodyEnd::Aborted) => (BodyEnd::Aborted, Some(reply::unreadable_body())),
            Ok(BodyEnd::TimedOut) => {
                let limit = hooks.limits.request_timeout.unwrap_or_default();
                hooks.limits.report("requestTimeout", || {
                    format!(
                        "[mcp-proxy] request body not received within {}ms (requestTimeout): answered 408",
                        limit.as_millis()
                    )
                });
                let answer = reply::request_timeout(hooks.limits.request_timeout);
                (BodyEnd::TimedOut, Some(answer))
            }
            Err(slow) => (
                BodyEnd::TimedOut,
                Some(body_pace::too_slow(&hooks.limits, slow)),
            ),
        };
        hooks.host.dispatch(HostEvent::HookBodyEnd { token, end });
        // The host closed its `res` on hearing of the cut and writes no more. Before the
        // head: the server answers. After it: the response is cut, never left looking whole
        // (nor left open, holding the connection, for an end that will not come).
        if let Some(answer) = answer {
            if body_cut.send(Box::new(answer)).is_err() {
                hooks.with(token, |x| {
                    x.decision = None;
                    if let Some(writer) = x.writer.take() {
                        writer.cut();
                    }
                });
            }
        }
    }
    hooks.with(token, |x| x.credits = None);
}

/// `None` when the exchange stopped wanting the body before it ended; `Err` when the client
/// fell behind (`bodyIdleTimeout`, `minBodyRate`; time waiting for the hook to consume its
/// window is not the client's).
async fn read_into_host(
    hooks: &Hooks,
    token: u64,
    mut body: Incoming,
    mut credits: mpsc::UnboundedReceiver<usize>,
) -> Option<Result<BodyEnd, Slow>> {
    let host = &*hooks.host;
    let mut pace = Pace::new(&hooks.limits);
    let mut unconsumed = 0usize;
    loop {
        if unconsumed >= HOOK_BODY_WINDOW {
            let since = tokio::time::Instant::now();
            while unconsumed >= HOOK_BODY_WINDOW {
                unconsumed = unconsumed.saturating_sub(credits.recv().await?);
            }
            pace.paused_since(since);
        }
        let deadline = pace.deadline();
        tokio::select! {
            frame = body.frame() => match frame {
                None => return Some(Ok(BodyEnd::Complete)),
                Some(Err(_)) => return Some(Ok(BodyEnd::Aborted)),
                Some(Ok(frame)) => {
                    if let Ok(chunk) = frame.into_data() {
                        if !chunk.is_empty() {
                            pace.got(chunk.len());
                            unconsumed += chunk.len();
                            host.dispatch(HostEvent::HookBody { token, chunk });
                        }
                    }
                }
            },
            credit = credits.recv() => unconsumed = unconsumed.saturating_sub(credit?),
            slow = fell_behind(deadline) => return Some(Err(slow)),
        }
    }
}

/// Resolves when the body's `deadline` passes (never without one).
async fn fell_behind(deadline: Option<(tokio::time::Instant, Slow)>) -> Slow {
    match deadline {
        Some((at, slow)) => {
            tokio::time::sleep_until(at).await;
            slow
        }
        None => std::future::pending().await,
    }
}
