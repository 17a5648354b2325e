//! The pieces composed the way the core will wire them, over real HTTP: two instances, each a
//! hyper server with a minimal router (serve locally when owner, forward over the signed hop
//! when another instance owns the session, claim and close orphans when the owner is dead).
//! A tool call runs on A while the client talks to B; A is killed mid-call; the client
//! resumes through B and gets A's committed event it missed plus exactly one owner-lost error.

mod common;

use bytes::Bytes;
use common::{config, RedisServer};
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use mcp_proxy_cluster::{ClusterNode, Entry, Owner, SessionLog, HOP_HEADER};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

type Body = BoxBody<Bytes, hyper::Error>;

struct Instance {
    node: ClusterNode,
    logs: Mutex<HashMap<String, SessionLog>>,
}

fn full(status: u16, text: impl Into<Bytes>) -> Response<Body> {
    let body = Full::new(text.into())
        .map_err(|never| match never {})
        .boxed();
    Response::builder().status(status).body(body).unwrap()
}

fn frame(id: &str, json: Option<&str>) -> Bytes {
    match json {
        Some(json) => format!("event: message\nid: {id}\ndata: {json}\n\n").into(),
        None => format!("id: {id}\ndata: \n\n").into(),
    }
}

/// The owner's side: a tool call that reports progress, then runs until the process dies.
async fn call(inst: &Instance, sid: &str) -> Response<Body> {
    let log = inst.logs.lock().unwrap().get(sid).cloned().unwrap();
    let (tx, rx) = mpsc::channel::<Bytes>(8);
    tokio::spawn(async move {
        let mut open = Entry::priming(7);
        open.opens = vec!["7".into()];
        let entries = vec![
            open,
            Entry::message(
                7,
                r#"{"method":"notifications/progress","params":{"progress":1}}"#,
            ),
            Entry::message(
                7,
                r#"{"method":"notifications/progress","params":{"progress":2}}"#,
            ),
        ];
        let kinds: Vec<Option<String>> = entries
            .iter()
            .map(|e| match &e.kind {
                mcp_proxy_cluster::Kind::Message(j) => Some(j.clone()),
                mcp_proxy_cluster::Kind::Priming => None,
            })
            .collect();
        let (ids, committed) = log.append(entries);
        committed.await.unwrap(); // sent only once committed
        for (id, json) in ids.iter().zip(&kinds) {
            let _ = tx.send(frame(id, json.as_deref())).await;
        }
        std::future::pending::<()>().await; // the tool never finishes
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok(Frame::data(b)), rx))
    });
    Response::new(StreamBody::new(stream).boxed())
}

async fn resume(inst: &Instance, sid: &str, last: &str) -> Response<Body> {
    match inst.node.events.replay_after(sid, last).await.unwrap() {
        None => full(404, "unknown event"),
        Some(replay) => {
            let text: Vec<Bytes> = replay
                .events
                .iter()
                .map(|e| frame(&e.id, Some(&e.json)))
                .collect();
            full(200, text.concat())
        }
    }
}

async fn serve_locally(inst: &Instance, req: &http::request::Parts, sid: &str) -> Response<Body> {
    match req.headers.get("last-event-id") {
        Some(last) => resume(inst, sid, last.to_str().unwrap()).await,
        None => call(inst, sid).await,
    }
}

/// The router the core will have: local, forward, or claim.
async fn route(inst: Arc<Instance>, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let sid = parts.headers["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let registry = &inst.node.registry;
    if parts.headers.contains_key(HOP_HEADER) {
        let hop = mcp_proxy_cluster::HopRequest {
            method: parts.method.as_str(),
            path: parts.uri.path_and_query().unwrap().as_str(),
            session_id: &sid,
            body: &body,
        };
        if inst
            .node
            .hop_key
            .verify(parts.headers[HOP_HEADER].to_str().ok(), &hop)
            .is_err()
        {
            return full(401, "bad hop");
        }
        return serve_locally(&inst, &parts, &sid).await;
    }
    loop {
        match registry.lookup_cached(&sid).await.unwrap() {
            None => return full(404, "no session"),
            Some(Owner::Me { .. }) => return serve_locally(&inst, &parts, &sid).await,
            Some(Owner::Live { url, .. }) => {
                match inst
                    .node
                    .forwarder
                    .forward(&url, &parts, &sid, body.clone())
                    .await
                {
                    Ok(answer) => return answer.map(|b| b.boxed()),
                    // The owner is dying: wait for its lease to lapse, then claim.
                    Err(_) => {
                        registry.invalidate(&sid);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            Some(Owner::Vacant { .. }) => {
                if let (_, Some(claimed)) = registry.take_over(&sid).await.unwrap() {
                    let log = inst.node.events.writer(&sid, claimed.epoch, claimed.seq);
                    log.close_orphans().await.unwrap();
                    inst.logs.lock().unwrap().insert(sid.clone(), log);
                }
            }
        }
    }
}

async fn start(server: &RedisServer, id: &str) -> (Arc<Instance>, String, JoinSet<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut cfg = config(server, id);
    cfg.advertise = url.clone();
    let node = ClusterNode::start(cfg, b"shared cluster secret")
        .await
        .unwrap();
    let inst = Arc::new(Instance {
        node,
        logs: Mutex::new(HashMap::new()),
    });
    let mut tasks = JoinSet::new();
    let served = inst.clone();
    tasks.spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let inst = served.clone();
            let service = service_fn(move |req| {
                let inst = inst.clone();
                async move { Ok::<_, hyper::Error>(route(inst, req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(socket), service);
            connections.spawn(async move {
                let _ = conn.await;
            });
        }
    });
    (inst, url, tasks)
}

async fn send(url: &str, sid: &str, last_event_id: Option<&str>) -> Response<Incoming> {
    let stream = tokio::net::TcpStream::connect(url.trim_start_matches("http://"))
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut req = Request::post("/mcp")
        .header("mcp-session-id", sid)
        .header("host", "lb.example");
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id);
    }
    sender
        .send_request(req.body(Full::new(Bytes::from_static(b"{}"))).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_call_on_a_killed_owner_resumes_through_another_instance_with_one_owner_lost_error() {
    let server = RedisServer::start();
    let (a, _a_url, a_tasks) = start(&server, "a").await;
    let (_b, b_url, _b_tasks) = start(&server, "b").await;
    let meta = mcp_proxy_cluster::SessionMeta {
        init: "{}".into(),
        protocol: "2025-11-25".into(),
        principal: String::new(),
    };
    a.node.registry.create("s", &meta).await.unwrap();
    a.logs
        .lock()
        .unwrap()
        .insert("s".into(), a.node.events.writer("s", 1, 0));

    // The client talks to B; the call runs on A behind the hop; frames stream through.
    let mut body = send(&b_url, "s", None).await.into_body();
    let mut seen = String::new();
    while seen.matches("event: message").count() < 2 {
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .unwrap();
        seen.push_str(std::str::from_utf8(&frame.unwrap().unwrap().into_data().unwrap()).unwrap());
    }
    assert!(seen.starts_with("id: 7_1\n"), "{seen}");
    assert!(
        seen.contains("id: 7_2\n") && seen.contains("id: 7_3\n"),
        "{seen}"
    );

    // kill -9 A: its server, connections and lease renewals stop at once.
    drop(a_tasks);
    drop(a);
    // The client lost its stream after the first progress and resumes from it, through B,
    // which waits for A's lease to lapse, claims, closes A's orphan, then replays.
    let resumed = send(&b_url, "s", Some("7_2")).await;
    assert_eq!(resumed.status(), 200);
    let text = String::from_utf8(
        resumed
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .collect();
    assert_eq!(ids, vec!["7_3", "7_4"], "{text}");
    assert!(text.contains(r#""progress":2"#));
    assert_eq!(text.matches("owner-lost").count(), 1, "{text}");
    // A second resume from the same id gives the same, and no second error was written.
    let again = send(&b_url, "s", Some("7_2"))
        .await
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(String::from_utf8(again.to_vec()).unwrap(), text);
}
