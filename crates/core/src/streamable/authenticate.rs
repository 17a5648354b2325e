//! The `authenticate` callback and the API key on the Streamable HTTP routes
//! (CONTRACT §5.1, §5.4): who may talk to a session, decided before any session lookup.
//!
//! It never looks up a session: it runs before any lookup, so an unauthenticated client learns
//! nothing about which sessions exist.

use http::{HeaderValue, StatusCode};
use std::sync::Arc;

use crate::auth::api_key::{api_key_from_headers, api_key_matches, API_KEY_UNAUTHORIZED_MESSAGE};
use crate::auth::challenge::{Challenge, InsufficientScope};
use crate::host::{AuthOutcome, HostEvent, RequestHead};
use crate::http::reply::{self, Reply};
use crate::streamable::shared::Shared;

const AUTH_FAILED: &str = "Unauthorized: Authentication failed";
const AUTH_ERROR: &str = "Unauthorized: Authentication error";

/// Who `authenticate` said the request comes from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Authenticated {
    /// The result as JSON text (for `extra.authInfo`).
    pub(crate) auth: Option<Arc<str>>,
    /// The principal a session it creates is bound to; `None` binds nothing.
    pub(crate) principal: Option<Arc<str>>,
}

impl Shared {
    /// Runs `authenticate(req)` when configured: `Ok` with what it said, or the answer that
    /// refuses the request. `modern`: a 2026-07-28 POST, which concerns no 2025 session.
    /// `creates`: a `CreateServer` of this exchange may follow.
    pub(crate) async fn authenticate(
        &self,
        head: &Arc<RequestHead>,
        id: Option<&str>,
        modern: bool,
        creates: bool,
    ) -> Result<Authenticated, Reply> {
        if !self.config.authenticate {
            return Ok(Authenticated::default());
        }
        let token = self.token();
        let waiting = self.authenticated.register(token);
        self.host.dispatch(HostEvent::Authenticate {
            token,
            request: head.clone(),
            modern,
            creates,
        });
        match waiting.answer(self.config.callback_timeout).await {
            Some(AuthOutcome::Allowed { auth, principal }) => Ok(Authenticated {
                auth: auth.map(Arc::from),
                principal: principal.map(Arc::from),
            }),
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
    /// `oauth` (when configured) with `error="invalid_token"` and `message` as its
    /// description: every 401 carries one (CONTRACT §5.3, RFC 7235 §3.1).
    pub(crate) fn unauthorized(
        &self,
        message: &str,
        www_authenticate: Option<String>,
        id: Option<&str>,
    ) -> Reply {
        let mut res = reply::error(StatusCode::UNAUTHORIZED, -32000, message, id);
        let challenge = www_authenticate
            .and_then(|verbatim| HeaderValue::from_str(&verbatim).ok())
            .or_else(|| {
                let built = Challenge::refused(self.config.oauth.as_ref(), message);
                HeaderValue::from_str(&built.to_header_value_lenient()).ok()
            });
        if let Some(challenge) = challenge {
            res.headers_mut()
                .insert(http::header::WWW_AUTHENTICATE, challenge);
        }
        res
    }

    /// The 403 for a handler's scope challenge: the JSON-RPC error it produced is the body.
    pub(crate) fn insufficient_scope(&self, challenge: &InsufficientScope, json: String) -> Reply {
        let mut res = reply::json(StatusCode::FORBIDDEN, json);
        if let Ok(value) = HeaderValue::from_str(&self.scope_challenge(challenge)) {
            res.headers_mut()
                .insert(http::header::WWW_AUTHENTICATE, value);
        }
        res
    }
}

impl Shared {
    /// The 403 challenge. Handler data with a CR/LF cannot be written: that parameter is
    /// left out, the rest still goes.
    fn scope_challenge(&self, needed: &InsufficientScope) -> String {
        Challenge::insufficient_scope(self.config.oauth.as_ref(), needed).to_header_value_lenient()
    }

    /// `apiKey` (CONTRACT §5.4): `X-API-Key` must match.
    pub(crate) fn check_api_key(&self, headers: &http::HeaderMap) -> Result<(), Reply> {
        let Some(expected) = &self.config.api_key else {
            return Ok(());
        };
        if api_key_matches(api_key_from_headers(headers), expected.as_bytes()) {
            return Ok(());
        }
        let mut res = reply::error(
            StatusCode::UNAUTHORIZED,
            401,
            API_KEY_UNAUTHORIZED_MESSAGE,
            None,
        );
        let challenge =
            Challenge::api_key_refused(self.config.oauth.as_ref(), API_KEY_UNAUTHORIZED_MESSAGE);
        if let Ok(challenge) = HeaderValue::from_str(&challenge.to_header_value_lenient()) {
            res.headers_mut()
                .insert(http::header::WWW_AUTHENTICATE, challenge);
        }
        Err(res)
    }
}
