//! The core's `Host`, in Rust: every event the HTTP side raises (a session created, messages
//! posted, a session closed, a 2026-07-28 request, a listen stream) is handled here, in
//! order, on one task; requests go to the child with their ids rewritten, and what the
//! proxy answers itself (`initialize`, `ping`, `logging/setLevel`, subscriptions) is
//! answered here. No JS runs per message.

use mcp_proxy_core::{
    AuthOutcome, Availability, CreateReason, Host, HostEvent, LogLevel, ResponseLike, Server,
    ServerOutcome,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

use crate::calls::{Call, CallKey, Caller};
use crate::child::{ChildSpec, Exit};
use crate::levels;
use crate::subscriptions::Subscriptions;
use crate::upstream::{Upstream, LATEST_PROTOCOL_VERSION};
use crate::wire::{self, Message};

/// Where log lines go (the console of the process running the proxy).
pub type LogSink = Arc<dyn Fn(LogLevel, String) + Send + Sync>;

/// The 2025-era versions a downstream `initialize` may get (the SDK's, newest first).
const SUPPORTED_VERSIONS: &[&str] = &[
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
    "2024-10-07",
];

/// How long a session's own child gets between SIGTERM and SIGKILL when its session ends
/// (mcp-proxy's `--gracefulShutdownTimeout` default).
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(5);

/// What the data path needs beyond the HTTP `Config`.
#[derive(Clone, Debug)]
pub struct Options {
    pub child: ChildSpec,
    /// `--requestTimeout`: a forwarded call not answered within it gets -32603.
    pub request_timeout: Duration,
    /// `--connectionTimeout`: the child's opening exchange.
    pub connection_timeout: Duration,
    pub debug: bool,
    /// This package's version, for `clientInfo`.
    pub version: String,
    /// `--perSession`: one child per 2025 session.
    pub per_session: bool,
    /// `--maxChildren`: per-session children at once.
    pub max_children: usize,
    /// `--upstreamProtocol`: the era spoken to the shared child.
    pub upstream_protocol: crate::era::UpstreamProtocol,
}

/// Who holds a resource subscription.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Holder {
    Session(Arc<str>),
    Listen(u64),
}

pub(crate) struct SessionState {
    pub level: Option<u8>,
    /// Stateless sessions live for one POST: no GET stream gets notifications.
    pub stateless: bool,
    /// `--perSession`: the session's own child.
    pub child: Option<Arc<Upstream>>,
}

pub struct Router {
    pub(crate) server: OnceLock<Server>,
    pub(crate) shared: OnceLock<Arc<Upstream>>,
    pub(crate) sessions: Mutex<HashMap<Arc<str>, SessionState>>,
    pub(crate) subs: Mutex<Subscriptions<Holder>>,
    pub(crate) options: Options,
    log: LogSink,
    /// The shared child's end, once it ended.
    pub(crate) exit: watch::Sender<Option<Exit>>,
    /// Down once the shared child is gone (`GET /ping` then answers 503).
    pub(crate) availability: Availability,
    /// `close()` began (the shared child's end is then no news).
    pub(crate) closing: AtomicBool,
    /// How long a stopping child gets before SIGKILL (`close(grace)` sets it).
    pub(crate) grace_ms: AtomicU64,
    /// Per-session children being stopped; `close()` waits for them.
    pub(crate) stopping: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `Host` the core talks to: events queue for the router's task (never blocks).
pub(crate) struct RouterHost(pub mpsc::UnboundedSender<HostEvent>);

impl Host for RouterHost {
    fn dispatch(&self, event: HostEvent) {
        let _ = self.0.send(event);
    }
}

impl Router {
    pub fn new(options: Options, log: LogSink, availability: Availability) -> Arc<Router> {
        Arc::new(Router {
            availability,
            server: OnceLock::new(),
            shared: OnceLock::new(),
            sessions: Mutex::new(HashMap::new()),
            subs: Mutex::new(Subscriptions::default()),
            options,
            log,
            exit: watch::channel(None).0,
            closing: AtomicBool::new(false),
            grace_ms: AtomicU64::new(DEFAULT_STOP_GRACE.as_millis() as u64),
            stopping: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn log(&self, level: LogLevel, line: String) {
        (self.log)(level, line);
    }

    pub(crate) fn debug(&self, line: impl FnOnce() -> String) {
        if self.options.debug {
            self.log(LogLevel::Error, line());
        }
    }

    pub(crate) fn server(&self) -> Option<&Server> {
        self.server.get()
    }

    /// The child serving `session`: its own under `--perSession`, else the shared one.
    pub(crate) fn upstream_for(&self, session: &str) -> Option<Arc<Upstream>> {
        let own = lock(&self.sessions)
            .get(session)
            .and_then(|s| s.child.clone());
        own.or_else(|| self.shared.get().cloned())
    }

    /// Handles the core's events in order until the server is gone.
    pub(crate) async fn run(self: Arc<Self>, mut events: mpsc::UnboundedReceiver<HostEvent>) {
        while let Some(event) = events.recv().await {
            self.handle(event).await;
        }
    }

    async fn handle(self: &Arc<Self>, event: HostEvent) {
        let Some(server) = self.server().cloned() else {
            return;
        };
        match event {
            HostEvent::CreateServer {
                token,
                session,
                reason,
                ..
            } => {
                let outcome = self.create(&session, reason);
                if !server.server_ready(token, outcome) {
                    self.forget_session(&session).await;
                }
            }
            HostEvent::Deliver { session, body, .. } => self.deliver(&session, &body).await,
            HostEvent::CloseSession { token, session } => {
                self.forget_session(&session).await;
                server.session_closed(token);
            }
            HostEvent::Modern { token, body, .. } => self.modern(token, &body).await,
            HostEvent::ModernCancel { token } => {
                if let Some(shared) = self.shared.get() {
                    cancel(shared, &CallKey::Modern(token), None).await;
                }
            }
            HostEvent::Listen { token, uris, .. } => self.listen(token, uris).await,
            HostEvent::ListenClosed { token } => {
                self.release(&Holder::Listen(token), self.shared.get())
                    .await;
                server.listen_released(token);
            }
            HostEvent::Log { level, message } => self.log(level, message),
            // Not raised with the command line's configuration; answered so nothing waits.
            HostEvent::Authenticate { token, .. } => {
                server.authenticated(
                    token,
                    AuthOutcome::Allowed {
                        auth: None,
                        principal: None,
                    },
                );
            }
            HostEvent::CheckOrigin { token, .. } => server.origin_checked(token, false),
            HostEvent::Unhandled { token, .. } => {
                server.hook_write(token, mcp_proxy_core::hook::HookWrite::Pass);
            }
            HostEvent::Replay { token, .. } => server.replay_done(token, None),
            HostEvent::HookBody { .. }
            | HostEvent::HookBodyEnd { .. }
            | HostEvent::HookDrain { .. }
            | HostEvent::HookGone { .. } => {}
        }
    }

    fn create(self: &Arc<Self>, session: &Arc<str>, reason: CreateReason) -> ServerOutcome {
        let stateless = reason == CreateReason::Stateless;
        let mut child = None;
        if self.options.per_session && !stateless {
            match self.spawn_session_child(session) {
                Ok(own) => child = Some(own),
                Err(outcome) => return outcome,
            }
        }
        lock(&self.sessions).insert(
            session.clone(),
            SessionState {
                level: None,
                stateless,
                child,
            },
        );
        ServerOutcome::Ready
    }

    fn spawn_session_child(
        self: &Arc<Self>,
        session: &Arc<str>,
    ) -> Result<Arc<Upstream>, ServerOutcome> {
        let running = lock(&self.sessions)
            .values()
            .filter(|s| s.child.is_some())
            .count();
        if running >= self.options.max_children {
            let max = self.options.max_children;
            self.log(
                LogLevel::Error,
                format!("[mcp-proxy] {max} children running (--maxChildren): answered 503 to a new session"),
            );
            return Err(ServerOutcome::Respond(ResponseLike {
                status: 503,
                status_text: None,
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("retry-after".into(), "1".into()),
                ],
                body: wire::error(
                    "null",
                    -32000,
                    "Service Unavailable: too many sessions with their own child (--maxChildren); retry later",
                ),
            }));
        }
        let spawned = Upstream::spawn(
            &self.options.child,
            Some(session.clone()),
            self.options.request_timeout,
        );
        match spawned {
            Ok((upstream, frames)) => {
                tokio::spawn(self.clone().pump(upstream.clone(), frames));
                Ok(upstream)
            }
            Err(e) => {
                self.log(LogLevel::Error, format!("[mcp-proxy] {e}"));
                Err(ServerOutcome::CreateFailed {
                    message: e.to_string(),
                })
            }
        }
    }

    /// A session ended: its calls are cancelled upstream, its subscriptions released, its
    /// own child (if any) stopped.
    async fn forget_session(self: &Arc<Self>, session: &Arc<str>) {
        let state = lock(&self.sessions).remove(session);
        let upstream = state
            .as_ref()
            .and_then(|s| s.child.clone())
            .or_else(|| self.shared.get().cloned());
        let Some(upstream) = upstream else { return };
        for id in upstream.calls.of_session(session) {
            if upstream.calls.take(id).is_some() {
                upstream
                    .notify(wire::cancelled(id, Some("Connection closed")))
                    .await;
            }
        }
        self.release(&Holder::Session(session.clone()), Some(&upstream))
            .await;
        if let Some(own) = state.and_then(|s| s.child) {
            let grace = Duration::from_millis(self.grace_ms.load(Ordering::Relaxed));
            let stop = tokio::spawn(async move {
                own.child.stop(grace).await;
            });
            let mut stopping = lock(&self.stopping);
            stopping.retain(|s| !s.is_finished());
            stopping.push(stop);
        }
    }

    /// Messages a 2025-era session posted (one, or a batch).
    async fn deliver(self: &Arc<Self>, session: &Arc<str>, body: &str) {
        let trimmed = body.trim_start();
        if trimmed.starts_with('[') {
            let Ok(batch) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(trimmed)
            else {
                return;
            };
            for message in batch {
                self.message(session, message.get()).await;
            }
        } else {
            self.message(session, body).await;
        }
    }

    async fn message(self: &Arc<Self>, session: &Arc<str>, text: &str) {
        let Some(message) = Message::parse(text) else {
            return;
        };
        let Some(upstream) = self.upstream_for(session) else {
            return;
        };
        let own_child = upstream.owner.is_some();
        let method = message.method.as_deref().unwrap_or("");
        if message.is_response() {
            // Under --perSession the session answers its child's request (ids pass as they are).
            if own_child {
                upstream.notify(text.to_string()).await;
            }
            return;
        }
        if message.is_notification() {
            match method {
                "notifications/cancelled" => {
                    if let Some(id) = wire::cancelled_request_id(message.params) {
                        let reason = wire::string_field(message.params, "reason");
                        let key = CallKey::Session(session.clone(), id);
                        cancel(&upstream, &key, reason.as_deref()).await;
                    }
                }
                _ if own_child => upstream.notify(text.to_string()).await,
                _ => {}
            }
            return;
        }
        let id = message.id_text().unwrap_or("null");
        if !own_child {
            if let Some(answer) = self.local_answer(session, &message, id, &upstream).await {
                self.answer_session(session, id, &answer);
                return;
            }
        }
        self.forward(session, &message, &upstream).await;
    }

    /// What the proxy answers itself for the shared child; `None` = forward.
    async fn local_answer(
        &self,
        session: &Arc<str>,
        message: &Message<'_>,
        id: &str,
        upstream: &Arc<Upstream>,
    ) -> Option<String> {
        let method = message.method.as_deref()?;
        match method {
            "initialize" => Some(self.initialize_answer(id, message, upstream)),
            "ping" => Some(wire::response(id, Some("{}"), None)),
            "logging/setLevel" => {
                // As the SDK server 6.7.19 builds: no handler unless the child logs.
                let logs = upstream
                    .identity
                    .get()
                    .is_some_and(|i| !i.caps["logging"].is_null());
                if !logs {
                    return Some(wire::error(id, -32601, "Method not found"));
                }
                let level = wire::string_field(message.params, "level");
                match level.as_deref().and_then(levels::rank) {
                    Some(rank) => {
                        if let Some(s) = lock(&self.sessions).get_mut(session) {
                            s.level = Some(rank);
                        }
                        Some(wire::response(id, Some("{}"), None))
                    }
                    None => Some(wire::error(id, -32602, "Invalid params: unknown level")),
                }
            }
            "resources/subscribe" | "resources/unsubscribe" => {
                self.session_subscription(session, message, id, upstream)
                    .await
            }
            _ => None,
        }
    }

    /// The child's identity, and the protocol version negotiated as the SDK does: the
    /// client's when supported, else the latest.
    fn initialize_answer(&self, id: &str, message: &Message<'_>, upstream: &Upstream) -> String {
        let Some(identity) = upstream.identity.get() else {
            return wire::error(id, -32603, "Connection closed");
        };
        let asked = wire::string_field(message.params, "protocolVersion");
        let version = asked
            .as_deref()
            .filter(|v| SUPPORTED_VERSIONS.contains(v))
            .unwrap_or(LATEST_PROTOCOL_VERSION);
        let mut result = format!(
            "{{\"protocolVersion\":\"{version}\",\"capabilities\":{},\"serverInfo\":{}",
            identity.capabilities, identity.server_info
        );
        if let Some(instructions) = &identity.instructions {
            result.push_str(",\"instructions\":");
            result.push_str(&serde_json::Value::String(instructions.clone()).to_string());
        }
        result.push('}');
        wire::response(id, Some(&result), None)
    }

    pub(crate) fn answer_session(&self, session: &str, id: &str, json: &str) {
        if let Some(server) = self.server() {
            let _ = server.send(session, json, Some(id));
        }
    }

    /// A request for the child: id rewritten, progress token replaced.
    async fn forward(self: &Arc<Self>, session: &Arc<str>, message: &Message<'_>, up: &Upstream) {
        let id = message.id_text().unwrap_or("null");
        let method = message.method.as_deref().unwrap_or("");
        let progress = wire::progress_token(message.params);
        let mut call = Call::new(Caller::Session {
            session: session.clone(),
            id: id.to_string(),
        });
        if method == "resources/subscribe" && up.owner.is_none() && !up.is_modern() {
            call.subscribing = wire::string_field(message.params, "uri");
        }
        call.progress = progress;
        let sent = up.send(call, method, message.params, false).await;
        if let Err(call) = sent {
            self.fail(call, -32603, "Connection closed");
        }
    }
}

/// A downstream party gave up on a call: the child hears `notifications/cancelled`.
pub(crate) async fn cancel(upstream: &Upstream, key: &CallKey, reason: Option<&str>) {
    let Some(id) = upstream.calls.find(key) else {
        return;
    };
    if upstream.calls.take(id).is_some() {
        upstream.notify(wire::cancelled(id, reason)).await;
    }
}
