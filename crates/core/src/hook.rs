//! `onUnhandledRequest(req, res)` (CONTRACT §3 step 5): non-MCP paths go to the host's
//! hook first. The hook writes a response through `Server::hook_*`, or leaves it alone and
//! the request falls through to the rest of the pipeline. That order serves FastMCP 3.x
//! (whose hook answers 404 itself) and 4.x (whose hook leaves unknown paths open).

use bytes::Bytes;
use http::StatusCode;
use std::sync::Arc;
use tokio::sync::mpsc;

use crate::body::Body;
use crate::host::{HostEvent, RequestHead};
use crate::reply::{self, Reply};
use crate::server::Shared;

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
    /// The hook returned without starting a response.
    Pass,
}

pub(crate) type HookSender = mpsc::UnboundedSender<HookWrite>;

pub(crate) enum Hooked {
    Answered(Reply),
    /// Not answered: continue with the pipeline (the body was consumed).
    FellThrough,
}

/// Unregisters a hook's sender unless disarmed (the response is streaming).
struct Registration<'a> {
    shared: &'a Shared,
    token: u64,
    armed: bool,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.shared.forget_hook(self.token);
        }
    }
}

impl Shared {
    /// Runs the hook for a request whose body was already read.
    pub(crate) async fn unhandled(self: &Arc<Self>, head: Arc<RequestHead>, body: Bytes) -> Hooked {
        let token = self.token();
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.register_hook(token, tx);
        let mut registration = Registration {
            shared: self,
            token,
            armed: true,
        };
        self.host.dispatch(HostEvent::Unhandled {
            token,
            request: head,
            body,
        });
        match rx.recv().await {
            Some(HookWrite::Head {
                status,
                status_text,
                headers,
            }) => {
                let (chunks_tx, chunks_rx) = mpsc::unbounded_channel();
                registration.armed = false;
                let shared = self.clone();
                // Forwards the body until `End`, or until the client is gone.
                tokio::spawn(async move {
                    while let Some(write) = rx.recv().await {
                        match write {
                            HookWrite::Chunk(bytes) => {
                                if chunks_tx.send(bytes).is_err() {
                                    break;
                                }
                            }
                            HookWrite::Head { .. } => {}
                            HookWrite::End | HookWrite::Pass => break,
                        }
                    }
                    shared.forget_hook(token);
                });
                let body = Body::stream(chunks_rx);
                Hooked::Answered(reply::head(status, status_text.as_deref(), &headers, body))
            }
            Some(HookWrite::Pass) | None => Hooked::FellThrough,
            Some(HookWrite::Chunk(_)) | Some(HookWrite::End) => Hooked::Answered(reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                -32603,
                "Internal error: response written before its head",
                None,
            )),
        }
    }
}
