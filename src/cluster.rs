//! The `cluster` option (CONTRACT §14) into a running `ClusterNode`: its settings from the
//! JS values and the core's `Config`, the loopback listener other instances reach this one
//! on when no `advertise` URL is given, and Redis reached before the server binds (so an
//! unreachable Redis rejects `startHTTPServer`), and the notify fan-out's ends. Conversions
//! and wiring only: the logic is in `crates/cluster`.

use mcp_proxy_cluster::config::{hop_secret, DEFAULT_LEASE};
use mcp_proxy_cluster::{fanout, session_ttl, ClusterConfig, ClusterNode, ClusterOwners};
use mcp_proxy_core::modern::Notice;
use mcp_proxy_core::{Config, Host, HostEvent, LogLevel, Server};
use napi::bindgen_prelude::*;
use std::sync::Arc;
use std::time::Duration;

use crate::host::JsHost;
use crate::options::NativeCluster;
use mcp_proxy_core::owners::Owners;

/// A started cluster membership and, without `advertise`, the listener it advertises.
struct Joined {
    owners: Arc<ClusterOwners>,
    internal: Option<std::net::TcpListener>,
}

/// Joins the cluster (Redis first: an unreachable one rejects before anything is bound),
/// binds the server as one of its instances and starts the notify fan-out.
pub async fn start(
    cluster: NativeCluster,
    config: Config,
    host: Arc<JsHost>,
) -> Result<(Server, Link)> {
    let (host_name, port) = (config.host.clone(), config.port);
    let joined = join(cluster, &config).await?;
    let owners = joined.owners.clone();
    let bound = Server::bind_clustered(config, host.clone(), owners, joined.internal).await;
    let server = match bound {
        Ok(server) => server,
        Err(e) => {
            // Leave the cluster again: the lease goes now instead of expiring.
            joined.owners.close().await;
            return Err(crate::listen_error(e, &host_name, port));
        }
    };
    match Link::start(joined.owners, &server, host).await {
        Ok(link) => Ok((server, link)),
        Err(e) => {
            server.shutdown().await;
            Err(e)
        }
    }
}

async fn join(cluster: NativeCluster, config: &Config) -> Result<Joined> {
    let (advertise, internal) = match cluster.advertise {
        Some(url) => (url, None),
        None => {
            // Several instances may share the public port (reusePort): each needs an
            // address of its own for the hop.
            let listener = std::net::TcpListener::bind("127.0.0.1:0")
                .map_err(|e| Error::from_reason(format!("cluster: internal listener: {e}")))?;
            let port = listener.local_addr()?.port();
            (format!("http://127.0.0.1:{port}"), Some(listener))
        }
    };
    let secret = hop_secret(cluster.secret.as_deref(), &advertise, &cluster.redis)
        .map_err(|e| Error::new(Status::InvalidArg, e))?;
    let mut settings = ClusterConfig::new(cluster.redis, advertise);
    if let Some(id) = cluster.instance_id {
        settings.instance_id = id;
    }
    let lease = cluster
        .lease_ms
        .map_or(DEFAULT_LEASE, |ms| Duration::from_millis(ms as u64));
    settings.lease = lease;
    // Renewed three times per lease, as the defaults (1 s of 3 s).
    settings.heartbeat = lease / 3;
    settings.session_ttl = session_ttl(config.session_idle_timeout, lease);
    let node = ClusterNode::start(settings, &secret)
        .await
        .map_err(|e| Error::from_reason(format!("cluster: {e}")))?;
    Ok(Joined {
        owners: ClusterOwners::new(node),
        internal,
    })
}

/// A running server's cluster side beyond the core's seam: the 2026-07-28 notify fan-out.
pub struct Link {
    tail: tokio::task::JoinHandle<()>,
    /// One publisher per instance, so its notices enter the stream in the order they were made.
    publish: tokio::sync::mpsc::UnboundedSender<Notice>,
}

impl Link {
    /// Starts tailing the notify stream into `server`'s listen streams.
    async fn start(
        owners: Arc<ClusterOwners>,
        server: &Server,
        host: Arc<dyn Host>,
    ) -> Result<Link> {
        let local = server.clone();
        let tail = fanout::start(&owners.node().notifier, move |notice| local.notify(notice))
            .await
            .map_err(|e| Error::from_reason(format!("cluster: {e}")))?;
        let (publish, queue) = tokio::sync::mpsc::unbounded_channel();
        spawn(publisher(owners, server.clone(), host, queue));
        Ok(Link { tail, publish })
    }

    /// `notify.*`: published to every instance, this one included (through the tail, so
    /// every instance delivers in the same order).
    pub fn publish(&self, notice: Notice) {
        let _ = self.publish.send(notice);
    }

    pub fn stop(&self) {
        self.tail.abort();
    }
}

/// Publishes this instance's notices one after another. When Redis cannot take one, this
/// instance's listen streams still get it, and the log says the others did not.
async fn publisher(
    owners: Arc<ClusterOwners>,
    server: Server,
    host: Arc<dyn Host>,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<Notice>,
) {
    while let Some(notice) = queue.recv().await {
        let published = owners
            .node()
            .notifier
            .publish(&fanout::encode(&notice))
            .await;
        if let Err(e) = published {
            server.notify(&notice);
            host.dispatch(HostEvent::Log {
                level: LogLevel::Error,
                message: format!(
                    "[mcp-proxy] cluster: notify reached this instance's listen streams only: {e}"
                ),
            });
        }
    }
}
