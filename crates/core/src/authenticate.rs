//! The `authenticate` callback and the API key on the Streamable HTTP routes
//! (CONTRACT §5.1, §5.4): who may talk to a session, decided before any session lookup.

use http::{HeaderValue, StatusCode};
use std::sync::Arc;

use crate::host::{AuthOutcome, HostEvent, RequestHead};
use crate::jsonrpc::ScopeChallenge;
use crate::reply::{self, Reply};
use crate::server::Shared;

const AUTH_FAILED: &str = "Unauthorized: Authentication failed";
const AUTH_ERROR: &str = "Unauthorized: Authentication error";

impl Shared {
    /// Runs `authenticate(req)` when configured: `Ok` with the result as JSON text (for
    /// `extra.authInfo`), or the answer that refuses the request.
    pub(crate) async fn authenticate(
        &self,
        head: &Arc<RequestHead>,
        id: Option<&str>,
    ) -> Result<Option<Arc<str>>, Reply> {
        if !self.config.authenticate {
            return Ok(None);
        }
        let token = self.token();
        let waiting = self.authenticated.register(token);
        self.host.dispatch(HostEvent::Authenticate {
            token,
            request: head.clone(),
        });
        match waiting.answer(self.config.callback_timeout).await {
            Some(AuthOutcome::Allowed { auth }) => Ok(auth.map(Arc::from)),
            Some(AuthOutcome::Denied {
                message,
                www_authenticate,
            }) => Err(self.unauthorized(
                message
                    .as_deref()
                    .filter(|m| !m.is_empty())
                    .unwrap_or(AUTH_FAILED),
                www_authenticate,
                id,
            )),
            Some(AuthOutcome::Failed { message }) => Err(self.unauthorized(
                message
                    .as_deref()
                    .filter(|m| !m.is_empty())
                    .unwrap_or(AUTH_ERROR),
                None,
                id,
            )),
            Some(AuthOutcome::Respond(response)) => Err(reply::response_like(&response)),
            Some(AuthOutcome::InvalidResponse) => Err(reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                -32603,
                "Internal error: the Response thrown by authenticate could not be read",
                id,
            )),
            None => Err(reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                -32603,
                "Internal error: authenticate did not answer in time",
                id,
            )),
        }
    }

    /// 401 with a JSON-RPC body; the challenge is the callback's verbatim, else built from
    /// `oauth`, else absent.
    pub(crate) fn unauthorized(
        &self,
        message: &str,
        www_authenticate: Option<String>,
        id: Option<&str>,
    ) -> Reply {
        let mut res = reply::error(StatusCode::UNAUTHORIZED, -32000, message, id);
        let challenge = match www_authenticate {
            Some(verbatim) => HeaderValue::from_str(&verbatim).ok(),
            None => self
                .challenge()
                .and_then(|c| HeaderValue::from_str(&c).ok()),
        };
        if let Some(challenge) = challenge {
            res.headers_mut()
                .insert(http::header::WWW_AUTHENTICATE, challenge);
        }
        res
    }

    /// The 403 for a handler's scope challenge: the JSON-RPC error it produced is the body.
    pub(crate) fn insufficient_scope(&self, challenge: &ScopeChallenge, json: String) -> Reply {
        let mut res = reply::json(StatusCode::FORBIDDEN, json);
        if let Ok(value) = HeaderValue::from_str(&self.scope_challenge(challenge)) {
            res.headers_mut()
                .insert(http::header::WWW_AUTHENTICATE, value);
        }
        res
    }
}

// PLACEHOLDER until the challenge grammar (auth::challenge) lands: no oauth config yet.
impl Shared {
    fn challenge(&self) -> Option<String> {
        None
    }

    fn scope_challenge(&self, challenge: &ScopeChallenge) -> String {
        format!(
            "Bearer error=\"insufficient_scope\", scope=\"{}\"",
            challenge.required_scopes.join(" ")
        )
    }
}
