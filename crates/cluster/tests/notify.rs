//! The notify fan-out against a real redis-server: every instance's tail yields every notice
//! in one publish order; a counter jump (what a trim past the cursor looks like) and a Redis
//! restart are reported as `Gap`.

mod common;

use common::{connect, RedisServer};
use mcp_proxy_cluster::{Notifier, TailEvent};
use std::time::Duration;
use tokio::sync::mpsc;

async fn next(tail: &mut mpsc::Receiver<TailEvent>) -> TailEvent {
    tokio::time::timeout(Duration::from_secs(10), tail.recv())
        .await
        .expect("no tail event within 10 s")
        .expect("tail ended")
}

fn data(event: TailEvent) -> String {
    match event {
        TailEvent::Notice(n) => format!("{}:{}", n.publisher, n.data),
        TailEvent::Gap => "GAP".into(),
    }
}

#[tokio::test]
async fn every_instance_gets_every_notice_in_one_publish_order() {
    let server = RedisServer::start();
    let (a, b, c) = (
        Notifier::new(&connect(&server, "a").await),
        Notifier::new(&connect(&server, "b").await),
        Notifier::new(&connect(&server, "c").await),
    );
    let mut tails = vec![
        a.tail().await.unwrap(),
        b.tail().await.unwrap(),
        c.tail().await.unwrap(),
    ];
    let publish_a = async {
        for i in 0..50 {
            a.publish(&format!("{i}")).await.unwrap();
        }
    };
    let publish_b = async {
        for i in 0..50 {
            b.publish(&format!("{i}")).await.unwrap();
        }
    };
    tokio::join!(publish_a, publish_b);
    let mut seen = Vec::new();
    for tail in &mut tails {
        let mut got = Vec::new();
        for _ in 0..100 {
            got.push(data(next(tail).await));
        }
        seen.push(got);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
    for publisher in ["a", "b"] {
        let own: Vec<_> = seen[0]
            .iter()
            .filter(|d| d.starts_with(publisher))
            .cloned()
            .collect();
        let expected: Vec<_> = (0..50).map(|i| format!("{publisher}:{i}")).collect();
        assert_eq!(own, expected);
    }
    assert!(!seen[0].contains(&"GAP".to_string()));
}

#[tokio::test]
async fn a_jump_in_the_publish_counter_is_a_gap() {
    let server = RedisServer::start();
    let redis = connect(&server, "a").await;
    let notifier = Notifier::new(&redis);
    let mut tail = notifier.tail().await.unwrap();
    notifier.publish("one").await.unwrap();
    assert_eq!(data(next(&mut tail).await), "a:one");
    // Entries 2..4 trimmed before this tail read them: the next one it sees carries n = 5.
    let mut conn = redis.connection();
    let _: String = redis::cmd("XADD")
        .arg(redis.keys().notify())
        .arg("*")
        .arg("n")
        .arg(5)
        .arg("f")
        .arg("x")
        .arg("d")
        .arg("five")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(next(&mut tail).await, TailEvent::Gap);
    assert_eq!(data(next(&mut tail).await), "x:five");
}

#[tokio::test]
async fn a_redis_restart_is_a_gap_and_the_tail_continues() {
    let mut server = RedisServer::start();
    let notifier = Notifier::new(&connect(&server, "a").await);
    let mut tail = notifier.tail().await.unwrap();
    notifier.publish("before").await.unwrap();
    assert_eq!(data(next(&mut tail).await), "a:before");
    server.restart();
    assert_eq!(next(&mut tail).await, TailEvent::Gap);
    // The publisher's connection manager reconnects; its first command may see the old socket.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while notifier.publish("after").await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "publish never recovered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(data(next(&mut tail).await), "a:after");
}
