//! Redis lost and back: errors the caller turns into 503 while it is gone, recovery through
//! the connection manager when it returns, and a Redis that came back empty seen as "every
//! session is gone" while the instance registers again.

mod common;

use common::{connect, RedisServer};
use mcp_proxy_cluster::{Entry, Error, EventLog, Heartbeat, Registry, SessionMeta};
use std::time::{Duration, Instant};

fn meta() -> SessionMeta {
    SessionMeta {
        init: "{}".into(),
        protocol: "2025-11-25".into(),
        principal: String::new(),
    }
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn redis_killed_and_restarted_during_use() {
    let mut server = RedisServer::start();
    let redis = connect(&server, "a").await;
    let heartbeat = Heartbeat::start(&redis).await.unwrap();
    let lease = heartbeat.state();
    let registry = Registry::new(&redis);
    let log = EventLog::start(&redis);
    registry.create("s", &meta()).await.unwrap();
    let writer = log.writer("s", 1, 0);
    let (_, done) = writer.append(vec![Entry::priming(0)]);
    done.await.unwrap();

    server.kill();
    // Each call fails, and fails fast enough to answer 503 (not hang).
    for _ in 0..3 {
        let started = Instant::now();
        let (_, done) = writer.append(vec![Entry::message(0, "\"lost\"")]);
        assert!(matches!(done.await, Err(Error::Unavailable(_))));
        assert!(matches!(
            registry.lookup("s").await,
            Err(Error::Unavailable(_))
        ));
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
    eventually("the lease is reported lost", || {
        let held = lease.borrow().held;
        async move { !held }
    })
    .await;

    server.restart(); // empty: --save "" and no AOF
    eventually("the instance registers again", || {
        let state = *lease.borrow();
        async move { state.held && state.registrations == 2 }
    })
    .await;
    assert_eq!(
        registry.instance_url("a").await.unwrap().as_deref(),
        Some("http://127.0.0.1:1/a")
    );
    // The session died with Redis: its lookup says gone, its writer is refused.
    assert_eq!(registry.lookup("s").await.unwrap(), None);
    let (_, done) = writer.append(vec![Entry::message(0, "\"after\"")]);
    assert_eq!(done.await, Err(Error::Gone));
    // New sessions work, scripts included (Redis forgot them: NOSCRIPT is handled).
    registry.create("t", &meta()).await.unwrap();
    let (ids, done) = log
        .writer("t", 1, 0)
        .append(vec![Entry::priming(0), Entry::message(0, "1")]);
    done.await.unwrap();
    assert_eq!(ids, vec!["0_1", "0_2"]);
    let replay = log.replay_after("t", "0_1").await.unwrap().unwrap();
    assert_eq!(replay.events.len(), 1);
    heartbeat.stop().await.unwrap();
}
