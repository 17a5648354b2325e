//! The command line's native entry: `startStdio(options, log)` starts a stdio child served
//! over HTTP by `mcp-proxy-stdio`; JS only parses flags and prints. The log function is the
//! one JS call left, for log lines (never per message).

use mcp_proxy_core::LogLevel;
use mcp_proxy_stdio::{ChildSpec, Options, StdioProxy, UpstreamProtocol};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::options::{config_from_js, NativeOptions};

/// One log line for JS: `level` is `info` or `error`.
#[napi(object)]
pub struct JsLogLine {
    pub level: String,
    pub line: String,
}

pub type LogFn = ThreadsafeFunction<JsLogLine, Unknown<'static>, JsLogLine, Status, false>;

#[napi(object)]
pub struct NativeStdioOptions {
    pub command: String,
    pub args: Vec<String>,
    pub shell: bool,
    /// The child's whole environment.
    pub env: HashMap<String, String>,
    /// The HTTP side, as `startHTTPServer`'s options normalise it.
    pub http: NativeOptions,
    /// `--requestTimeout` for calls forwarded to the child.
    pub request_timeout_ms: f64,
    pub connection_timeout_ms: f64,
    pub debug: bool,
    pub version: String,
    pub per_session: bool,
    pub max_children: u32,
    /// `legacy` | `auto` | `modern`.
    pub upstream_protocol: Option<String>,
}

/// How the shared child ended.
#[napi(object)]
pub struct JsChildExit {
    pub code: Option<i32>,
    pub signal: Option<String>,
}

fn millis(ms: f64, what: &str) -> Result<Duration> {
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(Error::new(
            Status::InvalidArg,
            format!("{what} must be a number of milliseconds"),
        ));
    }
    Ok(Duration::from_millis(ms as u64))
}

#[napi]
pub struct NativeStdioProxy {
    proxy: Arc<StdioProxy>,
    log: Arc<Mutex<Option<LogFn>>>,
    runtime: tokio::runtime::Handle,
}

/// How long children get between SIGTERM and SIGKILL when the environment goes away.
const ENVIRONMENT_GONE_GRACE: Duration = Duration::from_secs(5);

/// Spawns the child, initializes it, binds; rejects naming what failed.
#[napi]
pub async fn start_stdio(options: NativeStdioOptions, log: LogFn) -> Result<NativeStdioProxy> {
    let config = config_from_js(options.http)?;
    let request_timeout = match millis(options.request_timeout_ms, "requestTimeout")? {
        // mcp-proxy: 0 falls back to the SDK's default request timeout.
        d if d.is_zero() => Duration::from_secs(60),
        d => d,
    };
    let opts = Options {
        child: ChildSpec {
            command: options.command,
            args: options.args,
            shell: options.shell,
            env: options.env.into_iter().collect(),
        },
        request_timeout,
        connection_timeout: millis(options.connection_timeout_ms, "connectionTimeout")?,
        debug: options.debug,
        version: options.version,
        per_session: options.per_session,
        max_children: options.max_children.max(1) as usize,
        upstream_protocol: UpstreamProtocol::parse(
            options.upstream_protocol.as_deref().unwrap_or("legacy"),
        ),
    };
    let log = Arc::new(Mutex::new(Some(log)));
    let sink = {
        let log = log.clone();
        Arc::new(move |level: LogLevel, line: String| {
            let guard = log.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(f) = guard.as_ref() {
                let level = match level {
                    LogLevel::Info => "info",
                    LogLevel::Error => "error",
                };
                let line = JsLogLine {
                    level: level.into(),
                    line,
                };
                f.call(line, ThreadsafeFunctionCallMode::NonBlocking);
            }
        })
    };
    match StdioProxy::start(config, opts, sink).await {
        Ok(proxy) => Ok(NativeStdioProxy {
            proxy: Arc::new(proxy),
            log,
            runtime: tokio::runtime::Handle::current(),
        }),
        Err(message) => {
            log.lock().unwrap_or_else(|e| e.into_inner()).take();
            Err(Error::from_reason(message))
        }
    }
}

#[napi]
impl NativeStdioProxy {
    #[napi(getter)]
    pub fn port(&self) -> u32 {
        self.proxy.port() as u32
    }

    /// The shared child's process id.
    #[napi(getter)]
    pub fn child_pid(&self) -> Option<u32> {
        self.proxy.child_pid()
    }

    /// Resolves when the shared child ended on its own; null when `close` ended it.
    #[napi]
    pub async fn child_exit(&self) -> Result<Option<JsChildExit>> {
        Ok(self.proxy.child_exit().await.map(|e| JsChildExit {
            code: e.code,
            signal: e.signal,
        }))
    }

    #[napi(getter)]
    pub fn session_count(&self) -> u32 {
        self.proxy.server().session_count() as u32
    }

    /// Stops the proxy and its children if the environment goes away first (a Worker thread
    /// ending, the process exiting without `close`), so no child outlives the proxy.
    #[napi]
    pub fn stop_with_environment(&self, env: Env) -> Result<()> {
        let (proxy, log, runtime) = (self.proxy.clone(), self.log.clone(), self.runtime.clone());
        env.add_env_cleanup_hook((proxy, log, runtime), |(proxy, log, runtime)| {
            log.lock().unwrap_or_else(|e| e.into_inner()).take();
            proxy.stop_now(ENVIRONMENT_GONE_GRACE, &runtime);
        })?;
        Ok(())
    }

    /// Stops accepting, ends the sessions, stops every child (stdin closed, SIGTERM, SIGKILL
    /// after `grace_ms`); afterwards nothing of it holds the Node event loop.
    #[napi]
    pub async fn close(&self, grace_ms: f64) -> Result<()> {
        let grace = millis(grace_ms, "grace")?;
        self.proxy.close(grace).await;
        self.log.lock().unwrap_or_else(|e| e.into_inner()).take();
        Ok(())
    }
}
