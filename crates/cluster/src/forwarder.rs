//! The internal hop: an instance that receives a request for a session another instance
//! owns sends it, as it came, to the owner's advertise URL and hands back the owner's
//! response with its body streaming (an SSE answer is piped chunk by chunk, never buffered).
//! The request carries `x-mcpn-hop` (signed by `HopKey`), which marks it as forwarded: the
//! forwarder refuses to forward such a request again, so a hop never loops.

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::hop_auth::{HopKey, HopRequest, HOP_HEADER};

/// Default connect timeout of the hop: the owner is on the same network.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default idle time of a pooled keep-alive connection to another instance.
pub const DEFAULT_POOL_IDLE: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForwardError {
    /// The request already came over a hop; the owner answers it or refuses (421).
    AlreadyForwarded,
    /// The advertise URL cannot address a request.
    BadUrl(String),
    /// The owner refused or did not take the connection: it is dying or dead. The caller
    /// waits for its lease to lapse, then claims the session.
    Unreachable(String),
    /// The connection broke after the request was (perhaps) sent.
    Failed(String),
}

impl fmt::Display for ForwardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardError::AlreadyForwarded => f.write_str("request was already forwarded once"),
            ForwardError::BadUrl(u) => write!(f, "bad advertise URL {u}"),
            ForwardError::Unreachable(e) => write!(f, "owner unreachable: {e}"),
            ForwardError::Failed(e) => write!(f, "hop failed: {e}"),
        }
    }
}

impl std::error::Error for ForwardError {}

#[derive(Clone)]
pub struct Forwarder {
    client: Client<HttpConnector, Full<Bytes>>,
    key: Arc<HopKey>,
}

/// Headers that describe one connection, not the request (RFC 9110 §7.6.1); the hop has its
/// own connection. `content-length` is set again from the body.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    HOP_HEADER,
];

impl Forwarder {
    pub fn new(key: Arc<HopKey>) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(DEFAULT_CONNECT_TIMEOUT));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(DEFAULT_POOL_IDLE)
            .build(connector);
        Forwarder { client, key }
    }

    /// Sends the request (`parts` + its read `body`) to the owner at `owner_url` and returns
    /// the owner's response as is, body streaming.
    pub async fn forward(
        &self,
        owner_url: &str,
        parts: &http::request::Parts,
        session_id: &str,
        body: Bytes,
    ) -> Result<Response<Incoming>, ForwardError> {
        if parts.headers.contains_key(HOP_HEADER) {
            return Err(ForwardError::AlreadyForwarded);
        }
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let uri: Uri = format!("{}{path}", owner_url.trim_end_matches('/'))
            .parse()
            .map_err(|_| ForwardError::BadUrl(owner_url.to_string()))?;
        let signature = self.key.sign(&HopRequest {
            method: parts.method.as_str(),
            path,
            session_id,
            body: &body,
        });
        let mut request = Request::builder()
            .method(parts.method.clone())
            .uri(uri)
            .body(Full::new(body))
            .map_err(|e| ForwardError::BadUrl(e.to_string()))?;
        let listed = connection_tokens(&parts.headers);
        let headers = request.headers_mut();
        for (name, value) in &parts.headers {
            if !HOP_BY_HOP.contains(&name.as_str()) && !listed.contains(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        // `Host` stays the client's: the owner's DNS-rebinding check sees what it would
        // have seen. hyper adds one only when it is absent.
        headers.insert(
            HeaderName::from_static(HOP_HEADER),
            HeaderValue::from_str(&signature).map_err(|e| ForwardError::Failed(e.to_string()))?,
        );
        self.client.request(request).await.map_err(|e| {
            if e.is_connect() {
                ForwardError::Unreachable(format!("{e:?}"))
            } else {
                ForwardError::Failed(format!("{e:?}"))
            }
        })
    }
}

/// Header names a `Connection` header lists (they are hop-by-hop too).
fn connection_tokens(headers: &http::HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect()
}
