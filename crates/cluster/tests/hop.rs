//! The internal hop: HMAC signing and its refusals, and the forwarder against a real hyper
//! server on loopback (SSE answer streamed back chunk by chunk, keep-alive reuse, loop guard,
//! an owner that refuses connections).

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use mcp_proxy_cluster::{ForwardError, Forwarder, HopKey, HopRefusal, HopRequest, HOP_HEADER};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const SECRET: &[u8] = b"a cluster secret of at least 32 bytes!!";

fn request<'a>(body: &'a [u8]) -> HopRequest<'a> {
    HopRequest {
        method: "POST",
        path: "/mcp?x=1",
        session_id: "sid-1",
        body,
    }
}

#[test]
fn a_signed_hop_verifies_once_and_any_change_is_refused() {
    let key = HopKey::new(SECRET, Duration::from_secs(10));
    let now = 1_000_000;
    let header = key.sign_at(&request(b"{}"), now, "n1");
    assert_eq!(
        key.verify_at(Some(&header), &request(b"{}"), now + 50),
        Ok(())
    );
    assert_eq!(
        key.verify_at(Some(&header), &request(b"{}"), now + 60),
        Err(HopRefusal::Replayed)
    );

    let h = key.sign_at(&request(b"{}"), now, "n2");
    let changed = [
        HopRequest {
            body: b"{ }",
            ..request(b"")
        },
        HopRequest {
            method: "GET",
            ..request(b"{}")
        },
        HopRequest {
            path: "/mcp",
            ..request(b"{}")
        },
        HopRequest {
            session_id: "sid-2",
            ..request(b"{}")
        },
    ];
    for other in &changed {
        assert_eq!(key.verify_at(Some(&h), other, now), Err(HopRefusal::Forged));
    }
    let forger = HopKey::new(b"another secret", Duration::from_secs(10));
    let forged = forger.sign_at(&request(b"{}"), now, "n3");
    assert_eq!(
        key.verify_at(Some(&forged), &request(b"{}"), now),
        Err(HopRefusal::Forged)
    );
    // A flipped MAC bit is refused too.
    let mut flipped = key.sign_at(&request(b"{}"), now, "n4");
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    assert_eq!(
        key.verify_at(Some(&flipped), &request(b"{}"), now),
        Err(HopRefusal::Forged)
    );
}

#[test]
fn a_hop_outside_the_skew_window_is_refused() {
    let key = HopKey::new(SECRET, Duration::from_secs(10));
    let now = 5_000_000;
    let old = key.sign_at(&request(b"{}"), now - 10_001, "old");
    assert_eq!(
        key.verify_at(Some(&old), &request(b"{}"), now),
        Err(HopRefusal::Expired)
    );
    let future = key.sign_at(&request(b"{}"), now + 10_001, "future");
    assert_eq!(
        key.verify_at(Some(&future), &request(b"{}"), now),
        Err(HopRefusal::Expired)
    );
    let edge = key.sign_at(&request(b"{}"), now - 10_000, "edge");
    assert_eq!(key.verify_at(Some(&edge), &request(b"{}"), now), Ok(()));
}

#[test]
fn a_malformed_hop_header_is_refused() {
    let key = HopKey::new(SECRET, Duration::from_secs(10));
    for bad in [
        None,
        Some(""),
        Some("v1 1 n"),
        Some("v2 1 n ab"),
        Some("v1 x n ab"),
        Some("v1 1 n zz"),
        Some("v1 1 n ab extra"),
    ] {
        assert_eq!(
            key.verify_at(bad, &request(b"{}"), 1),
            Err(HopRefusal::Malformed),
            "{bad:?}"
        );
    }
}

/// What the owner saw of a hop: its verdict, `Host`, and `x-private`.
type Seen = (String, Option<String>, Option<String>);

/// A stand-in owner: verifies the hop and answers SSE with chunks the test releases one by one.
struct Owner {
    url: String,
    chunks: mpsc::UnboundedSender<Bytes>,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn owner(secret: &'static [u8]) -> Owner {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (chunks, rx) = mpsc::unbounded_channel::<Bytes>();
    // Only one streaming answer per owner; other paths answer at once.
    let rx = Arc::new(Mutex::new(Some(rx)));
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let key = Arc::new(HopKey::new(secret, Duration::from_secs(10)));
    let (conns, seen2) = (connections.clone(), seen.clone());
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            conns.fetch_add(1, Ordering::SeqCst);
            let (key, rx, seen) = (key.clone(), rx.clone(), seen2.clone());
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let (key, rx, seen) = (key.clone(), rx.clone(), seen.clone());
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body.collect().await.unwrap().to_bytes();
                    let header = parts.headers.get(HOP_HEADER).and_then(|v| v.to_str().ok());
                    let path = parts.uri.path_and_query().unwrap().as_str();
                    let sid = parts
                        .headers
                        .get("mcp-session-id")
                        .map_or("", |v| v.to_str().unwrap());
                    let verdict = key.verify(
                        header,
                        &HopRequest {
                            method: parts.method.as_str(),
                            path,
                            session_id: sid,
                            body: &body,
                        },
                    );
                    let text = |n: &str| {
                        parts
                            .headers
                            .get(n)
                            .map(|v| v.to_str().unwrap().to_string())
                    };
                    seen.lock().unwrap().push((
                        format!("{verdict:?}"),
                        text("host"),
                        text("x-private"),
                    ));
                    let full = |status: u16, text: &'static str| {
                        hyper::Response::builder().status(status).body(
                            http_body_util::Full::new(Bytes::from_static(text.as_bytes()))
                                .map_err(|e| match e {})
                                .boxed(),
                        )
                    };
                    let response = match verdict {
                        Err(_) => full(401, ""),
                        Ok(()) if parts.uri.path() != "/mcp" => full(200, "ok"),
                        Ok(()) => {
                            let rx = rx.lock().unwrap().take().expect("one stream per owner");
                            let stream = futures_util::stream::unfold(rx, |mut rx| async move {
                                let next = rx.recv().await;
                                next.map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
                            });
                            hyper::Response::builder()
                                .header("content-type", "text/event-stream")
                                .body(StreamBody::new(stream).boxed())
                        }
                    };
                    Ok::<_, Infallible>(response.unwrap())
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(socket), service));
        }
    });
    Owner {
        url,
        chunks,
        connections,
        seen,
    }
}

fn client_request(extra: &[(&str, &str)]) -> http::request::Parts {
    request_to("/mcp?x=1", extra)
}

fn request_to(uri: &str, extra: &[(&str, &str)]) -> http::request::Parts {
    let mut builder = http::Request::builder()
        .method("POST")
        .uri(uri)
        .header("host", "public.example:443")
        .header("mcp-session-id", "sid-1")
        .header("connection", "keep-alive, x-private")
        .header("x-private", "one hop only");
    for (k, v) in extra {
        builder = builder.header(*k, *v);
    }
    builder.body(()).unwrap().into_parts().0
}

#[tokio::test]
async fn the_forwarder_streams_an_sse_answer_back_chunk_by_chunk() {
    let owner = owner(SECRET).await;
    let forwarder = Forwarder::new(Arc::new(HopKey::new(SECRET, Duration::from_secs(10))));
    let parts = client_request(&[]);
    let hop = forwarder.forward(
        &owner.url,
        &parts,
        "sid-1",
        Bytes::from_static(b"{\"jsonrpc\":\"2.0\"}"),
    );
    let response = tokio::time::timeout(Duration::from_secs(5), hop)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    // Each chunk is released only after the previous one arrived: a buffering hop would hang.
    for i in 0..3 {
        let chunk = Bytes::from(format!("event: message\nid: 1_{i}\ndata: {{}}\n\n"));
        owner.chunks.send(chunk.clone()).unwrap();
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("chunk not streamed")
            .unwrap()
            .unwrap();
        assert_eq!(frame.into_data().unwrap(), chunk);
    }
    drop(owner.chunks);
    let end = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .unwrap();
    assert!(end.is_none());
    let seen = owner.seen.lock().unwrap().clone();
    // Verified by the owner; the client's Host kept; a Connection-listed header dropped.
    assert_eq!(
        seen,
        vec![(
            "Ok(())".to_string(),
            Some("public.example:443".to_string()),
            None
        )]
    );
}

#[tokio::test]
async fn hops_reuse_one_keep_alive_connection() {
    let owner = owner(SECRET).await;
    let forwarder = Forwarder::new(Arc::new(HopKey::new(SECRET, Duration::from_secs(10))));
    for _ in 0..3 {
        let parts = request_to("/other", &[]);
        let hop = forwarder.forward(&owner.url, &parts, "sid-1", Bytes::new());
        let response = tokio::time::timeout(Duration::from_secs(5), hop)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, "ok");
    }
    assert_eq!(owner.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_hop_signed_with_another_secret_is_refused_by_the_owner() {
    let owner = owner(SECRET).await;
    let forwarder = Forwarder::new(Arc::new(HopKey::new(
        b"not the cluster secret",
        Duration::from_secs(10),
    )));
    let response = forwarder
        .forward(&owner.url, &client_request(&[]), "sid-1", Bytes::new())
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(owner.seen.lock().unwrap()[0].0, "Err(Forged)");
}

#[tokio::test]
async fn a_forwarded_request_is_never_forwarded_again() {
    let forwarder = Forwarder::new(Arc::new(HopKey::new(SECRET, Duration::from_secs(10))));
    let parts = client_request(&[(HOP_HEADER, "v1 1 n ab")]);
    let err = forwarder
        .forward("http://127.0.0.1:9", &parts, "sid-1", Bytes::new())
        .await
        .unwrap_err();
    assert_eq!(err, ForwardError::AlreadyForwarded);
}

#[tokio::test]
async fn an_owner_that_refuses_connections_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let forwarder = Forwarder::new(Arc::new(HopKey::new(SECRET, Duration::from_secs(10))));
    let err = forwarder
        .forward(
            &format!("http://127.0.0.1:{port}"),
            &client_request(&[]),
            "sid-1",
            Bytes::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ForwardError::Unreachable(_)), "{err:?}");
}
