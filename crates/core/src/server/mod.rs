//! The top of the core: binds the listeners, accepts connections and serves HTTP/1.1 on
//! them with hyper (through `net/`), reaps idle sessions, shuts down gracefully, and is the
//! host-facing handle, [`Server`], whose methods carry the host's answers in. Each request
//! goes through the routing pipeline (`pipeline.rs`).
//!
//! Nothing in the crate imports this folder (the crate root re-exports [`Server`]); it must
//! never hold protocol logic of its own: that belongs to the routes it calls.

pub mod http2;
pub(crate) mod pipeline;

use futures_util::FutureExt;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::config::{Config, FORCE_CLOSE_GRACE, ON_CLOSE_TIMEOUT, TLS_HANDSHAKE_TIMEOUT};
use crate::host::waiters::Waiters;
use crate::host::{AuthOutcome, Host, ResponseLike, ServerOutcome};
use crate::http::hook::{HookWrite, Hooks};
use crate::http::limits::{ConnectionSlot, Limits, RequestDeadline};
use crate::http::pipe::Written;
use crate::http::reply;
use crate::http::stream_queue::WrittenSignal;
use crate::net::connection::{ConnClock, Timed, Watched};
use crate::net::half_close::{Exchange, HalfClosed};
use crate::net::linger::Lingering;
use crate::net::listen;
use crate::net::peer::Peer;
use crate::net::tls;
use crate::net::written::{SignalWrites, WriteSignals};
use crate::streamable::event_store::Replayed;
use crate::streamable::owners::Owners;
use crate::streamable::session::{SendError, Takeover};
use crate::streamable::session_store::{MemorySessions, SessionStore};
use crate::streamable::shared::{lock, Shared};
use http::StatusCode;

/// A running server. Dropping it does not stop it: only [`Server::shutdown`] does.
#[derive(Clone)]
pub struct Server {
    shared: Arc<Shared>,
    addrs: Vec<SocketAddr>,
    tasks: Arc<Mutex<Option<JoinSet<()>>>>,
}

async fn bind_all(host: &str, port: u16, reuse_port: bool) -> io::Result<Vec<TcpListener>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let candidates: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() && ip.is_ipv6() => {
            // `::` accepts IPv4 too on dual-stack systems; fall back where IPv6 is absent.
            match listen::bind(SocketAddr::new(ip, port), reuse_port).await {
                Ok(listener) => return Ok(vec![listener]),
                Err(_) => vec![SocketAddr::from(([0, 0, 0, 0], port))],
            }
        }
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port)).await?.collect(),
    };
    let mut listeners: Vec<TcpListener> = Vec::new();
    let mut last_error = None;
    for mut addr in candidates {
        // Every address of a name (localhost: 127.0.0.1 and ::1) shares the first one's port.
        if let Some(first) = listeners.first() {
            addr.set_port(first.local_addr()?.port());
        }
        match listen::bind(addr, reuse_port).await {
            Ok(listener) => listeners.push(listener),
            Err(e) => last_error = Some(e),
        }
    }
    if listeners.is_empty() {
        return Err(last_error.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::AddrNotAvailable, "no address to bind")
        }));
    }
    Ok(listeners)
}

/// Serves HTTP/1.1 on one accepted connection (plain or TLS) until it closes.
pub(crate) async fn serve_connection<S>(
    shared: Arc<Shared>,
    stream: S,
    peer: Peer,
    watcher: Watcher,
    _slot: ConnectionSlot,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let clock = ConnClock::new();
    let exchange = Exchange::new();
    let written = WriteSignals::new();
    let stream = Watched::new(Lingering::new(stream), clock.clone(), shared.limits.clone());
    let stream = HalfClosed::new(stream, exchange.clone());
    let stream = SignalWrites::new(stream, written.clone());
    let service = service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
        let shared = shared.clone();
        let clock = clock.clone();
        let exchange = exchange.clone();
        let written = written.clone();
        // Now, not in the future: hyper may read the client's end of input (right behind a
        // small body) before it first polls the future, and that end must already be held.
        exchange.started(&req);
        async move {
            let started = clock.request_started();
            let deadline = shared.limits.request_deadline(started);
            req.extensions_mut().insert(RequestDeadline(deadline));
            let handled = AssertUnwindSafe(shared.handle(req, peer))
                .catch_unwind()
                .await;
            let res = handled.unwrap_or_else(|_| {
                reply::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    -32603,
                    "Internal error",
                    None,
                )
            });
            Ok::<_, Infallible>(res.map(|body| Timed::new(body, clock, exchange, written)))
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        // The head and keep-alive timers are the connection's own (connection.rs): hyper's
        // would close without the 408 and cannot tell a slow head from an idle connection.
        .header_read_timeout(None)
        .max_buf_size(CONNECTION_BUFFER)
        .serve_connection(TokioIo::new(stream), service);
    let _ = watcher.watch(conn).await;
}

/// hyper's read (and write) buffer per connection, at most. hyper's default (~400 KiB) is
/// held by every connection whose body stalls, beside the body itself: 100 stalled bodies
/// held 40 MiB the body budget did not count. A request head must fit in it (else 431):
/// 128 KiB is 8 times Node's 16 KiB limit.
const CONNECTION_BUFFER: usize = 128 * 1024;

/// Over `maxConnections`: 503 written at once, then the connection is closed after the
/// client had a moment to send its request (closing on unread data would reset it, and
/// the client might never see the answer).
async fn refuse_connection<S>(mut stream: S)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = crate::jsonrpc::error_body(
        -32000,
        "Service Unavailable: too many connections; retry later",
        None,
    );
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let answer = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.flush().await?;
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(REFUSAL_LINGER, answer).await;
}

/// How long a refused connection is kept to deliver its 503.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, tls: Option<TlsAcceptor>) {
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut stopping = shared.stopping.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, addr)) = accepted else {
                    // EMFILE and friends: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let slot = shared.limits.connection();
                if slot.is_none() {
                    let limit = shared.config.max_connections;
                    shared.limits.report("maxConnections", || format!(
                        "[mcp-proxy] {limit} connections open (maxConnections): answered 503 and closed a new one"
                    ));
                }
                let watcher = graceful.watcher();
                let shared = shared.clone();
                match (&tls, slot) {
                    (None, Some(slot)) => {
                        let peer = Peer { addr, encrypted: false };
                        connections.spawn(shared.serve_plain(stream, peer, watcher, slot));
                    }
                    (None, None) => {
                        connections.spawn(refuse_connection(stream));
                    }
                    (Some(acceptor), slot) => {
                        let handshake = acceptor.accept(stream);
                        connections.spawn(async move {
                            let Ok(Ok(stream)) = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, handshake).await else {
                                return;
                            };
                            match slot {
                                Some(slot) => {
                                    let peer = Peer { addr, encrypted: true };
                                    shared.serve_tls(stream, peer, watcher, slot).await;
                                }
                                None => refuse_connection(stream).await,
                            }
                        });
                    }
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stopped(&mut stopping) => break,
        }
    }
    drop(listener);
    // The stop was seen as `close()` began: what is still open one grace period after that
    // call is cut (mcp-proxy 6.7), whatever `onClose` callbacks are still running.
    if tokio::time::timeout(FORCE_CLOSE_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        connections.abort_all();
    }
    while connections.join_next().await.is_some() {}
}

/// Resolves once shutdown has begun.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// Sweeps idle sessions every `sessionIdleTimeout / 10` (at most 30 s); not run when it is 0.
async fn reaper(shared: Arc<Shared>) {
    let every = (shared.config.session_idle_timeout / 10)
        .clamp(Duration::from_millis(10), Duration::from_secs(30));
    let mut stopping = shared.stopping.subscribe();
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => shared.reap_idle(every),
            _ = stopped(&mut stopping) => break,
        }
    }
}

impl Server {
    /// Binds and starts serving, with the sessions in this process's memory. Must be called
    /// inside a tokio runtime.
    pub async fn bind(config: Config, host: Arc<dyn Host>) -> io::Result<Server> {
        Self::bind_with_sessions(config, host, Box::new(MemorySessions::default())).await
    }

    /// As [`Server::bind`], keeping sessions in `sessions`: the session-store seam a store
    /// shared by several processes (`crates/cluster`) plugs into.
    pub async fn bind_with_sessions(
        config: Config,
        host: Arc<dyn Host>,
        sessions: Box<dyn SessionStore>,
    ) -> io::Result<Server> {
        Self::bind_with(config, host, sessions, None, None).await
    }

    /// As [`Server::bind`], as one instance of a cluster (CONTRACT §14): `owners` records
    /// the sessions created here and forwards requests for the others to their owners.
    /// `internal`, when given, is a loopback listener other instances reach this one on
    /// (plain HTTP, served like the others), for when the public port is shared.
    pub async fn bind_clustered(
        config: Config,
        host: Arc<dyn Host>,
        owners: Arc<dyn Owners>,
        internal: Option<std::net::TcpListener>,
    ) -> io::Result<Server> {
        let sessions = Box::new(MemorySessions::default());
        Self::bind_with(config, host, sessions, Some(owners), internal).await
    }

    async fn bind_with(
        config: Config,
        host: Arc<dyn Host>,
        sessions: Box<dyn SessionStore>,
        owners: Option<Arc<dyn Owners>>,
        internal: Option<std::net::TcpListener>,
    ) -> io::Result<Server> {
        let internal = match internal {
            Some(listener) => {
                listener.set_nonblocking(true)?;
                Some(TcpListener::from_std(listener)?)
            }
            None => None,
        };
        let tls = match config.tls.any() {
            true => Some(TlsAcceptor::from(
                tls::server_config(&config.tls, config.http2.is_some())
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?,
            )),
            false => None,
        };
        let listeners = bind_all(&config.host, config.port, config.reuse_port).await?;
        let addrs = listeners
            .iter()
            .map(|l| l.local_addr())
            .collect::<io::Result<Vec<_>>>()?;
        let limits = Arc::new(Limits::new(&config, host.clone()));
        let shared = Arc::new(Shared {
            config,
            hooks: Hooks::new(host.clone(), limits.clone()),
            limits,
            host,
            sessions,
            owners,
            created: Waiters::default(),
            closed: Waiters::default(),
            replayed: Waiters::default(),
            authenticated: Waiters::default(),
            origin_verdicts: Waiters::default(),
            claims: Mutex::new(HashMap::new()),
            modern: Default::default(),
            next_token: AtomicU64::new(1),
            stopping: watch::channel(false).0,
        });
        let mut tasks = JoinSet::new();
        for listener in listeners {
            tasks.spawn(accept_loop(shared.clone(), listener, tls.clone()));
        }
        if let Some(listener) = internal {
            tasks.spawn(accept_loop(shared.clone(), listener, None));
        }
        if !shared.config.session_idle_timeout.is_zero() {
            tasks.spawn(reaper(shared.clone()));
        }
        Ok(Server {
            shared,
            addrs,
            tasks: Arc::new(Mutex::new(Some(tasks))),
        })
    }

    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    pub fn port(&self) -> u16 {
        self.addrs[0].port()
    }

    /// The host's answer to `CreateServer`. False when nobody waits any more (the client
    /// left or the wait timed out): the host must then close that server itself.
    pub fn server_ready(&self, token: u64, outcome: ServerOutcome) -> bool {
        self.shared.created.answer(token, outcome)
    }

    /// A message from the server of `session` (JSON text), routed to its stream.
    /// `related` is the raw JSON id of the request it belongs to. For a message that is not a
    /// response, a signal for when it is in the client's socket (`written.rs`).
    pub fn send(
        &self,
        session: &str,
        json: &str,
        related: Option<&str>,
    ) -> Result<Option<WrittenSignal>, SendError> {
        self.shared.send(session, json, related, None)
    }

    /// The stream a message would go on (for a user-supplied store's `storeEvent`).
    pub fn stream_for(
        &self,
        session: &str,
        json: &str,
        related: Option<&str>,
    ) -> Result<String, SendError> {
        let session = self.shared.session(session).ok_or(SendError::Closed)?;
        let stream = session.stream_for(json, related)?;
        Ok(session
            .external_stream_name(stream)
            .unwrap_or_else(|| stream.to_string()))
    }

    /// A message sent with the id a user-supplied store gave it.
    pub fn send_stored(
        &self,
        session: &str,
        json: &str,
        related: Option<&str>,
        event_id: &str,
    ) -> Result<Option<WrittenSignal>, SendError> {
        self.shared.send(session, json, related, Some(event_id))
    }

    /// The end of a replay through a user-supplied store; `None` when it failed.
    pub fn replay_done(&self, token: u64, replayed: Option<Replayed>) {
        self.shared.replayed.answer(token, replayed);
    }

    /// `respondWith(response)` inside the handler of `request_id` (raw JSON id), at the call:
    /// claims that request's HTTP exchange before anything else can answer it, so the
    /// handler's own later result is discarded. `None` when its headers already went out
    /// (or it is not in flight); else the token to give the response to, with
    /// [`Server::answer_claim`], once the host has read it.
    pub fn claim_exchange(&self, session: &str, request_id: &str) -> Option<u64> {
        let session = self.shared.session(session)?;
        let token = self.shared.token();
        let (tx, response) = oneshot::channel();
        lock(&self.shared.claims).insert(token, tx);
        if session.take_over(request_id, Takeover::Claimed { token, response }) {
            Some(token)
        } else {
            self.shared.forget_claim(token);
            None
        }
    }

    /// The response of a claim, read. False when nobody waits for it any more.
    pub fn answer_claim(&self, token: u64, response: ResponseLike) -> bool {
        let waiting = lock(&self.shared.claims).remove(&token);
        waiting.is_some_and(|tx| tx.send(response).is_ok())
    }

    /// A write of an `onUnhandledRequest` hook's `res`: `Gone` when nobody reads it any more
    /// (the client left, or the response already ended), `Full` when the client reads slower
    /// than the hook writes (wait for `HookDrain`).
    pub fn hook_write(&self, token: u64, write: HookWrite) -> Written {
        self.shared.hooks.write(token, write)
    }

    /// The hook's `req` consumed `bytes` of the request body: that much more may be read.
    pub fn hook_body_read(&self, token: u64, bytes: usize) {
        self.shared.hooks.body_read(token, bytes);
    }

    /// The host's answer to `CheckOrigin`.
    pub fn origin_checked(&self, token: u64, allowed: bool) {
        self.shared.origin_verdicts.answer(token, allowed);
    }

    /// The host's answer to `Authenticate`. False when nobody waits any more.
    pub fn authenticated(&self, token: u64, outcome: AuthOutcome) -> bool {
        self.shared.authenticated.answer(token, outcome)
    }

    /// A write of the host's answer to modern exchange `token`. False when nobody reads it
    /// any more (the client left).
    pub fn modern_write(&self, token: u64, write: crate::streamable::modern::ModernWrite) -> bool {
        self.shared.modern.write(token, write)
    }

    /// The host's answer to `Listen`. False when nobody waits any more: the host must
    /// then release that server itself.
    pub fn listen_ready(
        &self,
        token: u64,
        outcome: crate::streamable::modern::ListenOutcome,
    ) -> bool {
        self.shared.modern.listen_ready(token, outcome)
    }

    /// The host released the server of listen stream `token` (`ListenClosed`).
    pub fn listen_released(&self, token: u64) {
        self.shared.modern.listen_released(token);
    }

    /// `notify.*`: feeds every listen stream that asked for this change.
    pub fn notify(&self, notice: &crate::streamable::modern::Notice) {
        self.shared.modern.notify(notice);
    }

    /// Open `subscriptions/listen` streams.
    pub fn listen_count(&self) -> usize {
        self.shared.modern.listen_count()
    }

    /// The server's transport was closed from the JS side.
    pub fn close_session(&self, session: &str) {
        self.shared.end_session(session);
    }

    /// The host finished `onClose` for the `CloseSession` event with this token.
    pub fn session_closed(&self, token: u64) {
        self.shared.closed.answer(token, ());
    }

    pub fn session_count(&self) -> usize {
        self.shared.sessions.len()
    }

    /// Stops without waiting for anything: for an environment that is going away (a Worker
    /// thread ending), where no host callback can run any more.
    pub fn stop_now(&self) {
        self.shared.stopping.send_replace(true);
        let keys = self.shared.session_keys();
        for key in keys {
            self.shared.discard_session(&key);
        }
        self.shared.modern.stop_now();
    }

    /// Stops accepting, ends every session (awaiting each `onClose`), lets in-flight
    /// responses finish until [`FORCE_CLOSE_GRACE`] after the call, then cuts what remains.
    pub async fn shutdown(&self) {
        let Some(mut tasks) = lock(&self.tasks).take() else {
            return;
        };
        self.shared.stopping.send_replace(true);
        let keys = self.shared.session_keys();
        let closing: Vec<_> = keys
            .iter()
            .filter_map(|k| self.shared.end_session(k))
            .collect();
        // The host runs every onClose at once; one grace period covers them all, so ten
        // hanging callbacks cost ON_CLOSE_TIMEOUT, not ten times it.
        let deadline = tokio::time::Instant::now() + ON_CLOSE_TIMEOUT;
        for done in closing {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            done.answer(left).await;
        }
        self.shared.close_modern().await;
        if let Some(owners) = &self.shared.owners {
            owners.close().await;
        }
        while tasks.join_next().await.is_some() {}
        self.shared.created.clear();
        self.shared.closed.clear();
        self.shared.replayed.clear();
        self.shared.authenticated.clear();
        self.shared.origin_verdicts.clear();
        self.shared.hooks.clear();
        lock(&self.shared.claims).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::HostEvent;
    use crate::streamable::session::Session;

    struct Quiet;
    impl Host for Quiet {
        fn dispatch(&self, _: HostEvent) {}
    }

    #[tokio::test]
    async fn serves_the_sessions_of_the_store_it_is_given() {
        let store = MemorySessions::default();
        let session = Session::new("kept".into(), Some("kept".into()), None, None);
        assert!(store.insert_within(Arc::new(session), 1));
        let config = Config {
            host: "127.0.0.1".into(),
            ..Config::default()
        };
        let server = Server::bind_with_sessions(config, Arc::new(Quiet), Box::new(store))
            .await
            .expect("bind");
        assert_eq!(server.session_count(), 1);
        server.stop_now();
    }
}
