//! One served 2026-07-28 request: the host runs the SDK's per-request machinery and writes
//! its `Response` back (head, chunks, end). A client that goes away cancels the request:
//! the host hears `ModernCancel` and aborts the handler's signal.
//!
//! It never parses the host's response: it forwards what the host writes.

use http::StatusCode;
use std::sync::Arc;
use tokio::sync::mpsc;

use super::state::ModernWrite;
use crate::host::{HostEvent, RequestHead};
use crate::http::body::Body;
use crate::http::reply::{self, Reply};
use crate::streamable::shared::Shared;

/// While armed, the exchange is in flight: dropping it (the client left, or the stream
/// broke off) forgets the writer and tells the host to cancel.
struct InFlight {
    shared: Arc<Shared>,
    token: u64,
    armed: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.shared.modern.forget_exchange(self.token);
        if self.armed {
            self.shared
                .host
                .dispatch(HostEvent::ModernCancel { token: self.token });
        }
    }
}

fn internal(message: &str) -> Reply {
    reply::error(StatusCode::INTERNAL_SERVER_ERROR, -32603, message, None)
}

impl Shared {
    pub(crate) async fn modern_exchange(
        self: &Arc<Self>,
        request: Arc<RequestHead>,
        body: String,
        auth: Option<Arc<str>>,
        id: Option<String>,
    ) -> Reply {
        let token = self.token();
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.modern.register_exchange(token, tx);
        let mut in_flight = InFlight {
            shared: self.clone(),
            token,
            armed: true,
        };
        self.host.dispatch(HostEvent::Modern {
            token,
            request,
            body,
            auth,
        });
        let (status, status_text, headers) = match rx.recv().await {
            Some(ModernWrite::Head {
                status,
                status_text,
                headers,
            }) => (status, status_text, headers),
            Some(ModernWrite::Whole {
                status,
                headers,
                body,
            }) => {
                in_flight.armed = false;
                return reply::head(status, None, &headers, Body::full(body));
            }
            Some(ModernWrite::Failed(outcome)) => {
                in_flight.armed = false;
                return self
                    .creation_failure(outcome, id.as_deref())
                    .unwrap_or_else(|| internal("Internal error"));
            }
            Some(ModernWrite::Chunk(_) | ModernWrite::End) => {
                return internal("Internal error: response written before its head")
            }
            None => return internal("Internal error: the request was not answered"),
        };
        let (chunks_tx, chunks_rx) = mpsc::unbounded_channel();
        // Forwards the streamed body until its end, or until the client is gone (then the
        // guard's drop cancels the handler).
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    write = rx.recv() => match write {
                        Some(ModernWrite::Chunk(bytes)) => {
                            if chunks_tx.send(bytes).is_err() {
                                break;
                            }
                        }
                        Some(ModernWrite::End) | None => {
                            in_flight.armed = false;
                            break;
                        }
                        Some(_) => {}
                    },
                    _ = chunks_tx.closed() => break,
                }
            }
            drop(in_flight);
        });
        reply::head(
            status,
            status_text.as_deref(),
            &headers,
            Body::stream(chunks_rx),
        )
    }
}
