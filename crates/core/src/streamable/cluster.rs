//! The routes' side of the cluster seam (`owners.rs`): recording a new session as owned
//! here before its first answer leaves, and checking a forwarded request's hop signature
//! once its body is read. Both are no-ops without a cluster. It never forwards: that is
//! `forwarding.rs`, before any route runs.

use http::StatusCode;

use crate::host::{HostEvent, LogLevel};
use crate::http::reply::{self, Reply};
use crate::streamable::owners::{HopToVerify, NewSession};
use crate::streamable::session::Session;
use crate::streamable::shared::Shared;

impl Shared {
    /// Records `session` as owned by this instance. On failure (Redis unavailable) the
    /// session is ended and the client gets 503: a session other instances cannot find would
    /// answer 404 to half of its requests behind a balancer.
    pub(crate) async fn register_owner(
        &self,
        session: &Session,
        initialize: &str,
        protocol: Option<&str>,
        id: Option<&str>,
    ) -> Result<(), Reply> {
        let Some(owners) = &self.owners else {
            return Ok(());
        };
        let recorded = owners
            .created(NewSession {
                id: &session.key,
                initialize,
                protocol: protocol.unwrap_or_default(),
                principal: session.principal.as_deref(),
            })
            .await;
        let Err(detail) = recorded else {
            return Ok(());
        };
        self.host.dispatch(HostEvent::Log {
            level: LogLevel::Error,
            message: format!("[mcp-proxy] cluster: could not record a new session: {detail}"),
        });
        self.end_session(&session.key);
        Err(reply::error(
            StatusCode::SERVICE_UNAVAILABLE,
            -32000,
            "Service Unavailable: the session store is unreachable; retry later",
            id,
        ))
    }

    /// A forwarded request's body, read: the hop must have signed exactly this request.
    pub(crate) fn check_hop(&self, parts: &http::request::Parts, body: &[u8]) -> Result<(), Reply> {
        let Some(owners) = &self.owners else {
            return Ok(());
        };
        let Some(HopToVerify(session)) = parts.extensions.get::<HopToVerify>() else {
            return Ok(());
        };
        owners
            .verify_hop(parts, session, body)
            .map_err(|why| self.hop_refused(&why))
    }

    /// 403 for a request that claims to be forwarded but whose hop does not verify.
    pub(crate) fn hop_refused(&self, why: &str) -> Reply {
        self.host.dispatch(HostEvent::Log {
            level: LogLevel::Error,
            message: format!("[mcp-proxy] cluster: refused a forwarded request: {why}"),
        });
        reply::error(
            StatusCode::FORBIDDEN,
            -32000,
            "Forbidden: the internal hop could not be verified",
            None,
        )
    }
}
