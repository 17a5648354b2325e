//! The registry against a real redis-server: lease expiry, the claim race, single-flight,
//! release, and a Redis that is not there at start.

mod common;

use common::{config, connect, RedisServer};
use mcp_proxy_cluster::{Claim, Error, Heartbeat, Redis, Registry, SessionMeta};
use std::time::Duration;

fn meta() -> SessionMeta {
    SessionMeta {
        init: r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}"#.into(),
        protocol: "2025-11-25".into(),
        principal: mcp_proxy_cluster::keys::principal_hash("alice"),
    }
}

#[tokio::test]
async fn lease_expires_after_the_heartbeat_stops() {
    let server = RedisServer::start();
    // A lease of 12 heartbeats, so a loaded machine does not lapse it by a late tick.
    let mut cfg = config(&server, "a");
    cfg.lease = Duration::from_millis(1200);
    cfg.heartbeat = Duration::from_millis(100);
    let a = Redis::connect(cfg).await.unwrap();
    let b = Registry::new(&connect(&server, "b").await);
    let heartbeat = Heartbeat::start(&a).await.unwrap();
    Registry::new(&a).create("s1", &meta()).await.unwrap();
    // Renewed past two leases while the heartbeat runs.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        b.instance_url("a").await.unwrap().as_deref(),
        Some("http://127.0.0.1:1/a")
    );
    let owner = b.lookup("s1").await.unwrap().unwrap();
    assert!(
        matches!(owner, mcp_proxy_cluster::Owner::Live { ref instance, .. } if instance == "a")
    );
    heartbeat.abandon(); // as if killed: the key is not removed, it lapses
    tokio::time::sleep(Duration::from_millis(1400)).await;
    assert_eq!(b.instance_url("a").await.unwrap(), None);
    assert_eq!(
        b.lookup("s1").await.unwrap(),
        Some(mcp_proxy_cluster::Owner::Vacant {
            instance: "a".into(),
            epoch: 1
        })
    );
}

#[tokio::test]
async fn a_second_instance_with_a_live_id_is_refused() {
    let server = RedisServer::start();
    let _a = Heartbeat::start(&connect(&server, "a").await)
        .await
        .unwrap();
    let again = Heartbeat::start(&connect(&server, "a").await).await;
    assert!(matches!(again, Err(Error::Protocol(_))));
}

#[tokio::test]
async fn two_claimers_racing_one_session_exactly_one_wins() {
    let server = RedisServer::start();
    let dead = Registry::new(&connect(&server, "dead").await);
    for round in 0..20 {
        let sid = format!("s{round}");
        dead.create(&sid, &meta()).await.unwrap();
        let b = Registry::new(&connect(&server, "b").await);
        let c = Registry::new(&connect(&server, "c").await);
        let (rb, rc) = tokio::join!(b.claim(&sid, "dead", 1), c.claim(&sid, "dead", 1));
        let won: Vec<_> = [rb.unwrap(), rc.unwrap()]
            .into_iter()
            .filter_map(|c| match c {
                Claim::Won(w) => Some(w),
                Claim::Lost { owner, epoch } => {
                    assert!(owner == "b" || owner == "c");
                    assert_eq!(epoch, 2);
                    None
                }
                Claim::Gone => panic!("gone"),
            })
            .collect();
        assert_eq!(won.len(), 1, "round {round}");
        assert_eq!(won[0].epoch, 2);
        assert_eq!(won[0].meta, meta());
    }
}

#[tokio::test]
async fn concurrent_take_overs_on_one_instance_share_one_claim() {
    let server = RedisServer::start();
    Registry::new(&connect(&server, "dead").await)
        .create("s", &meta())
        .await
        .unwrap();
    let redis = connect(&server, "b").await;
    let b = Registry::new(&redis);
    let mut conn = redis.connection();
    // Count the claim scripts Redis runs (the script is loaded first, so one call = one run).
    let _: String = mcp_proxy_cluster::scripts::CLAIM
        .prepare_invoke()
        .load_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut conn)
        .await
        .unwrap();
    let results = futures_util::future::join_all((0..16).map(|_| b.take_over("s"))).await;
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await
        .unwrap();
    let evalsha = info
        .lines()
        .find(|l| l.starts_with("cmdstat_evalsha:"))
        .expect("no EVALSHA ran");
    assert!(evalsha.starts_with("cmdstat_evalsha:calls=1,"), "{evalsha}");
    // Every caller sees this instance as the owner; the epoch moved once.
    for r in &results {
        assert_eq!(
            r.as_ref().unwrap().0,
            Some(mcp_proxy_cluster::Owner::Me { epoch: 2 })
        );
    }
    assert_eq!(
        b.lookup("s").await.unwrap(),
        Some(mcp_proxy_cluster::Owner::Me { epoch: 2 })
    );
}

#[tokio::test]
async fn a_released_session_is_claimed_at_once_and_fences_the_releaser() {
    let server = RedisServer::start();
    let a = Registry::new(&connect(&server, "a").await);
    let _hb = Heartbeat::start(&connect(&server, "a").await)
        .await
        .unwrap();
    a.create("s", &meta()).await.unwrap();
    assert_eq!(a.release("s", 1).await.unwrap(), 2);
    let b = Registry::new(&connect(&server, "b").await);
    // No lease to wait for: the owner is "".
    assert_eq!(
        b.lookup("s").await.unwrap(),
        Some(mcp_proxy_cluster::Owner::Vacant {
            instance: String::new(),
            epoch: 2
        })
    );
    let (owner, claimed) = b.take_over("s").await.unwrap();
    assert_eq!(owner, Some(mcp_proxy_cluster::Owner::Me { epoch: 3 }));
    assert_eq!(claimed.unwrap().epoch, 3);
    assert_eq!(
        a.release("s", 1).await,
        Err(Error::Fenced { current_epoch: 3 })
    );
    assert_eq!(a.end("s", 1).await, Err(Error::Fenced { current_epoch: 3 }));
    b.end("s", 3).await.unwrap();
    assert_eq!(b.lookup("s").await.unwrap(), None);
    assert_eq!(b.touch("s").await, Err(Error::Gone));
}

#[tokio::test]
async fn an_unreachable_redis_at_start_is_a_clear_error() {
    let server = RedisServer::start();
    let mut cfg = config(&server, "a");
    cfg.redis_url = format!("redis://:hunter2@127.0.0.1:{}/", server.port);
    drop(server);
    let started = std::time::Instant::now();
    let Err(err) = Redis::connect(cfg).await else {
        panic!("connected to nothing")
    };
    let text = err.to_string();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert!(
        text.starts_with("cannot reach Redis at redis://***@127.0.0.1:"),
        "{text}"
    );
    assert!(!text.contains("hunter2"));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn closing_a_node_releases_its_sessions_and_its_lease() {
    let server = RedisServer::start();
    let node = mcp_proxy_cluster::ClusterNode::start(config(&server, "a"), b"secret")
        .await
        .unwrap();
    node.registry.create("s1", &meta()).await.unwrap();
    node.registry.create("s2", &meta()).await.unwrap();
    let b = Registry::new(&connect(&server, "b").await);
    let Claim::Won(_) = b.claim("s2", "a", 1).await.unwrap() else {
        panic!()
    };
    // s2 was taken over meanwhile: skipped, not an error.
    node.close(&[("s1".into(), 1), ("s2".into(), 1)])
        .await
        .unwrap();
    assert_eq!(b.instance_url("a").await.unwrap(), None);
    assert_eq!(
        b.lookup("s1").await.unwrap(),
        Some(mcp_proxy_cluster::Owner::Vacant {
            instance: String::new(),
            epoch: 2
        })
    );
}

#[tokio::test]
async fn a_cached_owner_is_served_until_invalidated_or_stale() {
    let server = RedisServer::start();
    let a = connect(&server, "a").await;
    let _hb = Heartbeat::start(&a).await.unwrap();
    Registry::new(&a).create("s", &meta()).await.unwrap();
    let b = Registry::new(&connect(&server, "b").await);
    let d = Registry::new(&connect(&server, "d").await);
    let live = b.lookup_cached("s").await.unwrap().unwrap();
    assert!(matches!(live, mcp_proxy_cluster::Owner::Live { ref instance, .. } if instance == "a"));
    assert_eq!(d.lookup_cached("s").await.unwrap().unwrap(), live);
    // Another instance takes the session over; b still has the cached owner (one refused hop).
    let Claim::Won(_) = Registry::new(&connect(&server, "c").await)
        .claim("s", "a", 1)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(b.lookup_cached("s").await.unwrap().unwrap(), live);
    b.invalidate("s");
    let fresh = mcp_proxy_cluster::Owner::Vacant {
        instance: "c".into(),
        epoch: 2,
    };
    assert_eq!(b.lookup_cached("s").await.unwrap(), Some(fresh.clone()));
    // A cached entry also goes stale by itself (500 ms by default).
    assert_eq!(d.lookup_cached("s").await.unwrap().unwrap(), live);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(d.lookup_cached("s").await.unwrap(), Some(fresh));
}

#[tokio::test]
async fn a_claim_naming_an_old_epoch_loses_even_if_the_owner_id_matches() {
    let server = RedisServer::start();
    let a = Registry::new(&connect(&server, "a").await);
    a.create("s", &meta()).await.unwrap();
    let x = Registry::new(&connect(&server, "x").await);
    let seen = x.lookup("s").await.unwrap().unwrap();
    assert_eq!(
        seen,
        mcp_proxy_cluster::Owner::Vacant {
            instance: "a".into(),
            epoch: 1
        }
    );
    // "a" comes back under the same id and takes its session again before x acts (ABA).
    let Claim::Won(again) = a.claim("s", "a", 1).await.unwrap() else {
        panic!()
    };
    assert_eq!(again.epoch, 2);
    assert_eq!(
        x.claim("s", "a", 1).await.unwrap(),
        Claim::Lost {
            owner: "a".into(),
            epoch: 2
        }
    );
}
