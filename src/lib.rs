//! napi exports of mcp-proxy-native. Everything protocol-shaped lives in `mcp-proxy-core`;
//! this crate only converts between JS values and core types.

mod cluster;
mod events;
mod host;
mod http2_options;
mod options;
pub mod stdio;

use mcp_proxy_core::bytes::Bytes;
use mcp_proxy_core::hook::HookWrite;
use mcp_proxy_core::modern::{ListenOutcome, ModernWrite, Notice};
use mcp_proxy_core::pipe::Written;
use mcp_proxy_core::{Replayed, Server};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// mimalloc for the addon's own allocations: malloc was a visible share of the Rust threads'
/// time in the profile, and an A/B on `npm run bench` gave ~30 % more req/s (bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use events::{auth_from_js, outcome_from_js, response_from_js, JsOutcome};
use host::{Dispatch, JsHost};
use options::{config_from_js, NativeOptions};

/// `[name, value, name, value, …]` as pairs.
fn pairs(flat: Vec<String>) -> Vec<(String, String)> {
    flat.chunks_exact(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect()
}

/// A running server. The JS wrapper keeps it; garbage collection never stops it.
#[napi]
pub struct NativeServer {
    server: Server,
    host: Arc<JsHost>,
    /// `cluster`: the notify fan-out (the rest is behind the core's seam).
    cluster: Option<cluster::Link>,
}

/// Binds and starts serving; rejects with the OS error when the address cannot be bound,
/// and (with `cluster`) with the cluster's error when Redis cannot be reached.
#[napi]
pub async fn start(mut options: NativeOptions, dispatch: Dispatch) -> Result<NativeServer> {
    let cluster = options.cluster.take();
    let config = config_from_js(options)?;
    let (host_name, port) = (config.host.clone(), config.port);
    let host = Arc::new(JsHost::new(dispatch));
    let started = match cluster {
        None => Server::bind(config, host.clone())
            .await
            .map(|server| (server, None))
            .map_err(|e| listen_error(e, &host_name, port)),
        Some(cluster) => cluster::start(cluster, config, host.clone())
            .await
            .map(|(server, link)| (server, Some(link))),
    };
    match started {
        Ok((server, cluster)) => Ok(NativeServer {
            server,
            host,
            cluster,
        }),
        Err(e) => {
            host.release();
            Err(e)
        }
    }
}

/// A bind that failed, as Node words it (`listen EADDRINUSE: …`); TLS files name the file.
fn listen_error(e: std::io::Error, host_name: &str, port: u16) -> Error {
    if e.kind() == std::io::ErrorKind::InvalidInput {
        return Error::from_reason(e.to_string());
    }
    let code = match e.kind() {
        std::io::ErrorKind::AddrInUse => "EADDRINUSE",
        std::io::ErrorKind::PermissionDenied => "EACCES",
        std::io::ErrorKind::AddrNotAvailable => "EADDRNOTAVAIL",
        _ => "ELISTEN",
    };
    Error::from_reason(format!("listen {code}: {e} {host_name}:{port}"))
}

#[napi]
impl NativeServer {
    #[napi(getter)]
    pub fn port(&self) -> u32 {
        self.server.port() as u32
    }

    /// The answer to a `createServer` event. False when nobody waits for it any more.
    #[napi]
    pub fn server_ready(&self, token: i64, outcome: JsOutcome) -> bool {
        self.server
            .server_ready(token as u64, outcome_from_js(outcome))
    }

    /// A message from a session's MCP server; `related` is the JSON text of a request id.
    /// False when the session has ended or the message is not JSON-RPC.
    #[napi]
    pub fn send(&self, session: String, json: String, related: Option<String>) -> bool {
        self.server
            .send(&session, &json, related.as_deref())
            .is_ok()
    }

    /// The stream a message would go on, for a user-supplied store's `storeEvent`;
    /// null when the session has ended or the message is not JSON-RPC.
    #[napi]
    pub fn stream_for(
        &self,
        session: String,
        json: String,
        related: Option<String>,
    ) -> Option<String> {
        self.server
            .stream_for(&session, &json, related.as_deref())
            .ok()
    }

    /// `send` for a message that is not a response (a notification, a server request),
    /// queued at the call like `send`, with a promise that resolves once its event is in the
    /// client's socket or will not be waited for (no reader, a full socket, a stream cut):
    /// core `written.rs`. `event_id` is the id a user-supplied store gave it.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn send_written<'env>(
        &self,
        env: &'env Env,
        session: String,
        json: String,
        related: Option<String>,
        event_id: Option<String>,
    ) -> Result<PromiseRaw<'env, bool>> {
        // Queued now, on the JS thread: a response sent after it must come after it.
        let sent = match &event_id {
            Some(event_id) => {
                self.server
                    .send_stored(&session, &json, related.as_deref(), event_id)
            }
            None => self.server.send(&session, &json, related.as_deref()),
        };
        env.spawn_future(async move {
            match sent {
                Ok(Some(written)) => {
                    let _ = written.await;
                    Ok(true)
                }
                Ok(None) => Ok(true),
                Err(_) => Ok(false),
            }
        })
    }

    /// `send`, with the id a user-supplied store gave the event.
    #[napi]
    pub fn send_stored(
        &self,
        session: String,
        json: String,
        related: Option<String>,
        event_id: String,
    ) -> bool {
        self.server
            .send_stored(&session, &json, related.as_deref(), &event_id)
            .is_ok()
    }

    /// The end of a replay for the `replay` event `token`: the stream id
    /// `replayEventsAfter` returned (null when it failed) and the events it replayed as
    /// `[eventId, messageJson, eventId, messageJson, …]`.
    #[napi]
    pub fn replay_done(&self, token: i64, stream: Option<String>, events: Vec<String>) {
        let replayed = stream.map(|stream| Replayed {
            stream,
            events: events
                .chunks_exact(2)
                .map(|pair| (pair[0].clone(), pair[1].clone()))
                .collect(),
        });
        self.server.replay_done(token as u64, replayed);
    }

    /// The head of the SDK's `Response` for modern exchange `token`: status, status text,
    /// every header line as `[name, value, …]`. False when the client is gone.
    #[napi]
    pub fn modern_head(
        &self,
        token: i64,
        status: u32,
        status_text: Option<String>,
        headers: Vec<String>,
    ) -> bool {
        let write = ModernWrite::Head {
            status: status.min(u16::MAX as u32) as u16,
            status_text,
            headers: pairs(headers),
        };
        self.server.modern_write(token as u64, write)
    }

    /// A body chunk of modern exchange `token`. False when the client is gone.
    #[napi]
    pub fn modern_chunk(&self, token: i64, chunk: Buffer) -> bool {
        let chunk = Bytes::copy_from_slice(&chunk);
        self.server
            .modern_write(token as u64, ModernWrite::Chunk(chunk))
    }

    /// The end of modern exchange `token`'s body.
    #[napi]
    pub fn modern_end(&self, token: i64) {
        self.server.modern_write(token as u64, ModernWrite::End);
    }

    /// A whole answer (status, header lines, body) to modern exchange `token` in one call.
    #[napi]
    pub fn modern_respond(
        &self,
        token: i64,
        status: u32,
        headers: Vec<String>,
        body: String,
    ) -> bool {
        let write = ModernWrite::Whole {
            status: status.min(u16::MAX as u32) as u16,
            headers: pairs(headers),
            body: Bytes::from(body),
        };
        self.server.modern_write(token as u64, write)
    }

    /// `createServer` / `onConnect` failed for modern exchange `token`.
    #[napi]
    pub fn modern_failed(&self, token: i64, outcome: JsOutcome) -> bool {
        let write = ModernWrite::Failed(outcome_from_js(outcome));
        self.server.modern_write(token as u64, write)
    }

    /// The server of listen stream `token`: its capabilities and serverInfo as JSON text,
    /// or (with `outcome`) why there is none. False when nobody waits any more.
    #[napi]
    pub fn listen_ready(
        &self,
        token: i64,
        capabilities: Option<String>,
        server_info: Option<String>,
        outcome: Option<JsOutcome>,
    ) -> bool {
        let outcome = match outcome {
            Some(o) => ListenOutcome::Failed(outcome_from_js(o)),
            None => ListenOutcome::Ready {
                capabilities: capabilities.unwrap_or_else(|| "{}".into()),
                server_info: server_info.unwrap_or_else(|| "null".into()),
            },
        };
        self.server.listen_ready(token as u64, outcome)
    }

    /// The server of listen stream `token` was released (`listenClosed` handled).
    #[napi]
    pub fn listen_released(&self, token: i64) {
        self.server.listen_released(token as u64);
    }

    /// `notify.*`: `toolsChanged` | `promptsChanged` | `resourcesChanged` |
    /// `resourceUpdated` (with `uri`).
    #[napi]
    pub fn notify(&self, kind: String, uri: Option<String>) {
        let notice = match (kind.as_str(), uri) {
            ("toolsChanged", _) => Notice::ToolsChanged,
            ("promptsChanged", _) => Notice::PromptsChanged,
            ("resourcesChanged", _) => Notice::ResourcesChanged,
            ("resourceUpdated", Some(uri)) => Notice::ResourceUpdated(uri),
            _ => return,
        };
        match &self.cluster {
            None => self.server.notify(&notice),
            Some(link) => link.publish(notice),
        }
    }

    /// Open `subscriptions/listen` streams.
    #[napi(getter)]
    pub fn listen_count(&self) -> u32 {
        self.server.listen_count() as u32
    }

    /// The session's transport was closed from JS.
    #[napi]
    pub fn close_session(&self, session: String) {
        self.server.close_session(&session);
    }

    /// The answer to an `authenticate` event. False when nobody waits for it any more.
    #[napi]
    pub fn authenticated(&self, token: i64, outcome: JsOutcome) -> bool {
        self.server
            .authenticated(token as u64, auth_from_js(outcome))
    }

    /// `respondWith(response)` inside the handler of request `request_id` (JSON text of
    /// its id), at the call: claims that HTTP exchange. Null when it already started; else
    /// the token for `answerClaim` once the response is read.
    #[napi]
    pub fn claim_exchange(&self, session: String, request_id: String) -> Option<i64> {
        self.server
            .claim_exchange(&session, &request_id)
            .map(|token| token as i64)
    }

    /// The response of a `claimExchange`, read. False when nobody waits for it any more.
    #[napi]
    pub fn answer_claim(&self, token: i64, response: JsOutcome) -> bool {
        self.server
            .answer_claim(token as u64, response_from_js(response))
    }

    /// `onUnhandledRequest`'s `res` sent its head: status, status text, every header line
    /// as `[name, value, …]`. False when the client is gone.
    #[napi]
    pub fn hook_head(
        &self,
        token: i64,
        status: u32,
        status_text: Option<String>,
        headers: Vec<String>,
    ) -> bool {
        let headers = headers
            .chunks_exact(2)
            .map(|pair| (pair[0].clone(), pair[1].clone()))
            .collect();
        let head = HookWrite::Head {
            status: status.min(u16::MAX as u32) as u16,
            status_text,
            headers,
        };
        self.server.hook_write(token as u64, head) != Written::Gone
    }

    /// A body chunk of `onUnhandledRequest`'s `res`: 0 when the client is gone, 1 when there
    /// is room for more, 2 when the client reads slower than the hook writes (a `drain`
    /// event follows once it caught up).
    #[napi]
    pub fn hook_write(&self, token: i64, chunk: Buffer) -> u32 {
        let chunk = Bytes::copy_from_slice(&chunk);
        match self
            .server
            .hook_write(token as u64, HookWrite::Chunk(chunk))
        {
            Written::Gone => 0,
            Written::Open => 1,
            Written::Full => 2,
        }
    }

    /// `onUnhandledRequest`'s `req` consumed `bytes` of the request body.
    #[napi]
    pub fn hook_body_read(&self, token: i64, bytes: u32) {
        self.server.hook_body_read(token as u64, bytes as usize);
    }

    /// `res.end()` of `onUnhandledRequest`.
    #[napi]
    pub fn hook_end(&self, token: i64) {
        self.server.hook_write(token as u64, HookWrite::End);
    }

    /// `onUnhandledRequest`'s `res` was destroyed before it ended: the response breaks off.
    #[napi]
    pub fn hook_cut(&self, token: i64) {
        self.server.hook_write(token as u64, HookWrite::Cut);
    }

    /// `onUnhandledRequest` returned without answering: the request falls through.
    #[napi]
    pub fn hook_pass(&self, token: i64) {
        self.server.hook_write(token as u64, HookWrite::Pass);
    }

    /// The CORS `origin` function's verdict for the `origin` event `token`.
    #[napi]
    pub fn origin_checked(&self, token: i64, allowed: bool) {
        self.server.origin_checked(token as u64, allowed);
    }

    /// `onClose` finished for the `close` event with this token.
    #[napi]
    pub fn session_closed(&self, token: i64) {
        self.server.session_closed(token as u64);
    }

    #[napi(getter)]
    pub fn session_count(&self) -> u32 {
        self.server.session_count() as u32
    }

    /// Stops the server if its environment goes away first (a Worker thread ending), so the
    /// server never outlives the JS that answers for it.
    #[napi]
    pub fn stop_with_environment(&self, env: Env) -> Result<()> {
        let (server, host) = (self.server.clone(), self.host.clone());
        env.add_env_cleanup_hook((server, host), |(server, host)| {
            host.release();
            server.stop_now();
        })?;
        Ok(())
    }

    /// Stops the server; afterwards nothing of it holds the Node event loop.
    #[napi]
    pub async fn close(&self) -> Result<()> {
        self.server.shutdown().await;
        if let Some(link) = &self.cluster {
            link.stop();
        }
        self.host.release();
        Ok(())
    }
}
