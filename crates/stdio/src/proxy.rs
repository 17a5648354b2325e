//! The running command-line proxy: the shared child spawned and initialized, then the HTTP
//! side bound with the router as its host; `close` stops accepting, ends the sessions and
//! stops every child (stdin closed, SIGTERM, SIGKILL after the grace).

use mcp_proxy_core::{Config, Server};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::child::Exit;
use crate::router::{lock, LogSink, Options, Router, RouterHost};
use crate::upstream::Upstream;

/// How long a child that failed its opening exchange gets to end before SIGKILL.
const FAILED_START_GRACE: Duration = Duration::from_secs(1);

pub struct StdioProxy {
    server: Server,
    router: Arc<Router>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

fn listen_error(e: &std::io::Error, host: &str, port: u16) -> String {
    if e.kind() == std::io::ErrorKind::InvalidInput {
        return e.to_string();
    }
    let code = match e.kind() {
        std::io::ErrorKind::AddrInUse => "EADDRINUSE",
        std::io::ErrorKind::PermissionDenied => "EACCES",
        std::io::ErrorKind::AddrNotAvailable => "EADDRNOTAVAIL",
        _ => "ELISTEN",
    };
    format!("listen {code}: {e} {host}:{port}")
}

impl StdioProxy {
    /// Spawns the child, runs its opening exchange within `connection_timeout`, then binds.
    /// The error says what failed (the spawn naming the command, the exchange, the bind).
    pub async fn start(
        config: Config,
        options: Options,
        log: LogSink,
    ) -> Result<StdioProxy, String> {
        let router = Router::new(options, log, config.availability.clone());
        let (upstream, frames) =
            Upstream::spawn(&router.options.child, None, router.options.request_timeout)
                .map_err(|e| e.to_string())?;
        let _ = router.shared.set(upstream.clone());
        let pump = tokio::spawn(router.clone().pump(upstream.clone(), frames));
        let options = &router.options;
        let opened = upstream
            .open(
                options.upstream_protocol,
                &options.version,
                options.connection_timeout,
            )
            .await;
        if let Err(e) = opened {
            router.closing.store(true, Ordering::Relaxed);
            // A child that ended by itself says how (`sh -c` with a missing command: 127).
            let ended = upstream.child.exited();
            upstream.child.stop(FAILED_START_GRACE).await;
            return Err(match ended {
                Some(exit) => format!("{e} ({exit})"),
                None => e,
            });
        }
        let (host_name, port) = (config.host.clone(), config.port);
        let (events_tx, events) = mpsc::unbounded_channel();
        let server = match Server::bind(config, Arc::new(RouterHost(events_tx))).await {
            Ok(server) => server,
            Err(e) => {
                router.closing.store(true, Ordering::Relaxed);
                upstream.child.stop(FAILED_START_GRACE).await;
                return Err(listen_error(&e, &host_name, port));
            }
        };
        let _ = router.server.set(server.clone());
        let tasks = vec![
            pump,
            tokio::spawn(router.clone().run(events)),
            tokio::spawn(router.clone().sweep()),
        ];
        Ok(StdioProxy {
            server,
            router,
            tasks: Mutex::new(tasks),
        })
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The shared child's process id.
    pub fn child_pid(&self) -> Option<u32> {
        self.router.shared.get().and_then(|u| u.child.pid)
    }

    /// Resolves when the shared child ended on its own; `None` when `close` ended it.
    pub async fn child_exit(&self) -> Option<Exit> {
        let mut exit = self.router.exit.subscribe();
        let ended = exit.wait_for(Option::is_some).await.ok()?.clone();
        if self.router.closing.load(Ordering::Relaxed) {
            return None;
        }
        ended
    }

    /// For an environment going away (a Worker thread ending, the process exiting) where
    /// nothing can be awaited: the server stops at once and every child gets stdin closed
    /// and SIGTERM (SIGKILL follows after `grace` while the runtime still runs).
    pub fn stop_now(&self, grace: Duration, runtime: &tokio::runtime::Handle) {
        self.router.closing.store(true, Ordering::Relaxed);
        self.server.stop_now();
        let mut children: Vec<Arc<Upstream>> = lock(&self.router.sessions)
            .drain()
            .filter_map(|(_, s)| s.child)
            .collect();
        children.extend(self.router.shared.get().cloned());
        for upstream in children {
            upstream.child.terminate_now();
            runtime.spawn(async move {
                upstream.child.stop(grace).await;
            });
        }
    }

    /// Stops accepting, ends every session, then stops every child: stdin closed, SIGTERM,
    /// SIGKILL after `grace`.
    pub async fn close(&self, grace: Duration) {
        self.router.closing.store(true, Ordering::Relaxed);
        self.router
            .grace_ms
            .store(grace.as_millis() as u64, Ordering::Relaxed);
        self.server.shutdown().await;
        // Sessions the shutdown did not reach (their onClose wait timed out) still hold theirs.
        let mut children: Vec<Arc<Upstream>> = lock(&self.router.sessions)
            .drain()
            .filter_map(|(_, s)| s.child)
            .collect();
        children.extend(self.router.shared.get().cloned());
        // In parallel: N stubborn children cost one grace, not N.
        let mut stops: Vec<_> = children
            .into_iter()
            .map(|u| {
                tokio::spawn(async move {
                    u.child.stop(grace).await;
                })
            })
            .collect();
        stops.extend(lock(&self.router.stopping).drain(..));
        for stop in stops {
            let _ = stop.await;
        }
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
    }
}
