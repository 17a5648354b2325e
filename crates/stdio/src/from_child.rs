//! What a child writes, routed: a response goes to the call it answers with the caller's id
//! back in place; a progress goes to its call's stream with the caller's token; change
//! notifications fan out (list changes to every 2025 session and listen stream,
//! `resources/updated` to its subscribers, log messages by each session's level); a request
//! from the shared child gets -32601 (a session's own child's goes to its session). Also the
//! end of a child, and the sweep that times calls out.

use mcp_proxy_core::modern::Notice;
use mcp_proxy_core::LogLevel;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

use crate::calls::{Call, Caller};
use crate::framing::{Frame, MAX_LINE_BYTES};
use crate::levels;
use crate::router::{lock, Holder, Router};
use crate::upstream::Upstream;
use crate::wire::{self, Message};

/// How long stdout is still read after the child's exit (a grandchild may hold it open).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(200);

impl Router {
    /// Routes a child's frames until its stdout ends or it exits, then ends what it served.
    pub(crate) async fn pump(
        self: Arc<Self>,
        upstream: Arc<Upstream>,
        mut frames: mpsc::Receiver<Frame>,
    ) {
        // Once the child exited, what it wrote is read for a moment more, then no longer
        // (a grandchild that keeps the pipe open and writing would otherwise hold it forever).
        let mut drain_until = None;
        loop {
            let frame = match drain_until {
                Some(deadline) => tokio::time::timeout_at(deadline, frames.recv())
                    .await
                    .unwrap_or_default(),
                None => tokio::select! {
                    frame = frames.recv() => frame,
                    _ = upstream.child.wait() => {
                        drain_until = Some(tokio::time::Instant::now() + DRAIN_AFTER_EXIT);
                        continue;
                    }
                },
            };
            let Some(frame) = frame else { break };
            self.frame(&upstream, frame);
        }
        let exit = upstream.child.wait().await;
        self.child_gone(&upstream, exit);
    }

    fn frame(&self, upstream: &Arc<Upstream>, frame: Frame) {
        match frame {
            Frame::Message(line) => self.route_line(upstream, &line),
            Frame::Stripped(prefix) => {
                self.debug(|| format!("[mcp-proxy] stripped non-JSON prefix from output: {prefix}"))
            }
            Frame::Dropped(line) => {
                self.debug(|| format!("[mcp-proxy] ignoring non-JSON output: {line}"))
            }
            Frame::NotUtf8 => self.debug(|| "[mcp-proxy] ignoring a line that is not UTF-8".into()),
            Frame::Oversize(len) => self.log(
                LogLevel::Error,
                format!("[mcp-proxy] dropped a {len}-byte line from the child: over the {MAX_LINE_BYTES}-byte limit"),
            ),
        }
    }

    fn route_line(&self, upstream: &Arc<Upstream>, line: &str) {
        let Some(message) = Message::parse(line) else {
            self.debug(|| {
                format!("[mcp-proxy] ignoring output that is not a JSON-RPC message: {line}")
            });
            return;
        };
        if message.is_response() {
            let call = message
                .id_text()
                .and_then(|id| id.parse::<u64>().ok())
                .and_then(|id| upstream.calls.take(id));
            match call {
                Some(call) => self.answer(upstream, call, line, &message),
                None => self
                    .debug(|| format!("[mcp-proxy] ignoring a response to an unknown id: {line}")),
            }
            return;
        }
        let method = message.method.as_deref().unwrap_or("");
        if let Some(owner) = &upstream.owner {
            // A session's own child: everything it says is for that session.
            if method == "notifications/progress" {
                self.progress(upstream, &message);
            } else if let Some(server) = self.server() {
                let _ = server.send(owner, line, None);
            }
            return;
        }
        if message.is_request() {
            let id = message.id_text().unwrap_or("null");
            let answer = match method {
                "ping" => wire::response(id, Some("{}"), None),
                _ => wire::error(id, -32601, "Method not found"),
            };
            if !upstream.child.try_write(answer) {
                self.debug(|| {
                    "[mcp-proxy] could not answer a request of the child: its stdin is full".into()
                });
            }
            return;
        }
        match method {
            "notifications/progress" => self.progress(upstream, &message),
            "notifications/tools/list_changed" => self.changed(line, Notice::ToolsChanged),
            "notifications/prompts/list_changed" => self.changed(line, Notice::PromptsChanged),
            "notifications/resources/list_changed" => self.changed(line, Notice::ResourcesChanged),
            "notifications/resources/updated" => self.updated(line, &message),
            "notifications/message" => self.log_message(line, &message),
            _ => {
                self.debug(|| format!("[mcp-proxy] dropped a notification of the child: {method}"))
            }
        }
    }

    /// A list change: every stateful 2025 session (held until its GET stream attaches) and
    /// every listen stream that asked for it.
    fn changed(&self, line: &str, notice: Notice) {
        let Some(server) = self.server() else { return };
        let line = wire::without_subscription_id(line);
        for session in self.notified_sessions(|_| true) {
            let _ = server.send(&session, &line, None);
        }
        server.notify(&notice);
    }

    fn updated(&self, line: &str, message: &Message<'_>) {
        let Some(server) = self.server() else { return };
        let Some(uri) = wire::string_field(message.params, "uri") else {
            return;
        };
        let holders = lock(&self.subs).holders(&uri);
        let line = wire::without_subscription_id(line);
        for holder in holders {
            if let Holder::Session(session) = holder {
                let _ = server.send(&session, &line, None);
            }
        }
        server.notify(&Notice::ResourceUpdated(uri));
    }

    fn log_message(&self, line: &str, message: &Message<'_>) {
        let Some(server) = self.server() else { return };
        let rank = wire::string_field(message.params, "level")
            .as_deref()
            .and_then(levels::rank)
            .unwrap_or(0);
        for session in self.notified_sessions(|level| level.is_none_or(|min| rank >= min)) {
            let _ = server.send(&session, line, None);
        }
    }

    /// The stateful sessions whose log level passes `level_ok`.
    fn notified_sessions(&self, level_ok: impl Fn(Option<u8>) -> bool) -> Vec<Arc<str>> {
        lock(&self.sessions)
            .iter()
            .filter(|(_, s)| !s.stateless && level_ok(s.level))
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn progress(&self, upstream: &Upstream, message: &Message<'_>) {
        let Some(params) = message.params else { return };
        let Some(token) = wire::number_field(Some(params), "progressToken") else {
            return;
        };
        let server = self.server().cloned();
        upstream.calls.with(token, |call| {
            let Some(down_token) = call.progress.as_deref() else {
                return;
            };
            let Some(json) = wire::restore_progress(params, down_token) else {
                return;
            };
            match &call.caller {
                Caller::Session { session, id } => {
                    if let Some(server) = &server {
                        if let Ok(written) = server.send(session, &json, Some(id)) {
                            call.last_written = written.or(call.last_written.take());
                        }
                    }
                }
                Caller::Modern { token, .. } => {
                    if let Some(server) = &server {
                        crate::modern::stream_progress(server, *token, &mut call.streaming, &json);
                    }
                }
                Caller::Own(_) => {}
            }
        });
    }

    /// The child's answer to a call, to whoever made it.
    fn answer(&self, upstream: &Upstream, call: Call, line: &str, message: &Message<'_>) {
        let result = message.result.map(|r| r.get());
        let error = message.error.map(|e| e.get());
        if error.is_some() {
            if let (Some(uri), Caller::Session { session, .. }) = (&call.subscribing, &call.caller)
            {
                // The child refused the first subscription: nobody holds it.
                lock(&self.subs).remove(&Holder::Session(session.clone()), uri);
            }
        }
        match call.caller {
            Caller::Own(Some(tx)) => {
                let _ = tx.send(line.to_string());
            }
            Caller::Own(None) => {}
            Caller::Session { session, id } => {
                let json = wire::response(&id, result, error);
                self.send_response(session, id, json, call.last_written);
            }
            Caller::Modern { token, id } => {
                if let Some(server) = self.server() {
                    let info = upstream.identity.get().map(|i| i.server_info.as_str());
                    crate::modern::answer(
                        server,
                        token,
                        &id,
                        result,
                        error,
                        call.streaming,
                        call.cacheable,
                        info,
                    );
                }
            }
        }
    }

    /// A response goes out after the progress sent before it is in the client's socket, and
    /// a moment later (transport.js `_afterNotificationsWritten`: the SDK client drops a
    /// progress it reads in the same chunk as the result).
    fn send_response(
        &self,
        session: Arc<str>,
        id: String,
        json: String,
        last: Option<mcp_proxy_core::stream_queue::WrittenSignal>,
    ) {
        let Some(server) = self.server().cloned() else {
            return;
        };
        match last {
            None => {
                let _ = server.send(&session, &json, Some(&id));
            }
            Some(written) => {
                tokio::spawn(async move {
                    let _ = written.await;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let _ = server.send(&session, &json, Some(&id));
                });
            }
        }
    }

    /// A call that will get no answer from the child.
    pub(crate) fn fail(&self, call: Call, code: i64, message: &str) {
        match call.caller {
            Caller::Own(_) => {}
            Caller::Session { session, id } => {
                let json = wire::error(&id, code, message);
                self.send_response(session, id, json, call.last_written);
            }
            Caller::Modern { token, id } => {
                if let Some(server) = self.server() {
                    let error = serde_json::json!({ "code": code, "message": message }).to_string();
                    crate::modern::answer(
                        server,
                        token,
                        &id,
                        None,
                        Some(&error),
                        call.streaming,
                        false,
                        None,
                    );
                }
            }
        }
    }

    /// A child ended: its calls get -32603 `Connection closed`. The shared child's end is
    /// logged and reported (`childExit`); a session's own child ends its session.
    fn child_gone(&self, upstream: &Upstream, exit: crate::child::Exit) {
        for (_, call) in upstream.calls.drain() {
            self.fail(call, -32603, "Connection closed");
        }
        match &upstream.owner {
            Some(owner) => {
                if let Some(server) = self.server() {
                    server.close_session(owner);
                }
            }
            None => {
                // Before the bind, the start's error says it; during close() it is expected.
                let serving = self.server().is_some();
                if serving && !self.closing.load(std::sync::atomic::Ordering::Relaxed) {
                    self.log(LogLevel::Error, format!("[mcp-proxy] {exit}"));
                }
                self.availability.set_down(true);
                self.exit.send_replace(Some(exit));
            }
        }
    }

    /// Times calls out (`--requestTimeout`): -32603 `Request timed out`, and the child
    /// hears `notifications/cancelled`.
    pub(crate) async fn sweep(self: Arc<Self>) {
        let every = (self.options.request_timeout / 20)
            .clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let mut upstreams: Vec<Arc<Upstream>> = lock(&self.sessions)
                .values()
                .filter_map(|s| s.child.clone())
                .collect();
            upstreams.extend(self.shared.get().cloned());
            let now = Instant::now();
            for upstream in upstreams {
                for (id, call) in upstream.calls.expired(now) {
                    if matches!(call.caller, Caller::Own(_)) {
                        continue;
                    }
                    self.fail(call, -32603, "Request timed out");
                    upstream
                        .notify(wire::cancelled(id, Some("Request timed out")))
                        .await;
                }
            }
        }
    }
}
