//! The event log against a real redis-server: epoch fencing, exact replay after an id across
//! streams and owners, isolation between sessions, the owner-lost close exactly once, the
//! MAXLEN cap, per-tick batching, and TTLs on every key.

mod common;

use common::{connect, keys_and_ttls, RedisServer};
use mcp_proxy_cluster::{
    Claim, Entry, Error, EventLog, Heartbeat, Notifier, Redis, Registry, SessionMeta,
};
use std::time::Duration;

fn meta() -> SessionMeta {
    SessionMeta {
        init: "{}".into(),
        protocol: "2025-11-25".into(),
        principal: String::new(),
    }
}

async fn commit(
    log: &mcp_proxy_cluster::SessionLog,
    entries: Vec<Entry>,
) -> Result<Vec<String>, Error> {
    let (ids, done) = log.append(entries);
    done.await.map(|_| ids)
}

fn opening(stream: u64, ids: &[&str]) -> Entry {
    let mut e = Entry::priming(stream);
    e.opens = ids.iter().map(|s| s.to_string()).collect();
    e
}

fn answer(stream: u64, id: &str, json: &str) -> Entry {
    let mut e = Entry::message(stream, json);
    e.answers = vec![id.to_string()];
    e
}

async fn replay(log: &EventLog, sid: &str, after: &str) -> Option<Vec<(String, String)>> {
    let replay = log.replay_after(sid, after).await.unwrap()?;
    Some(replay.events.into_iter().map(|e| (e.id, e.json)).collect())
}

fn ids(events: &Option<Vec<(String, String)>>) -> Vec<&str> {
    events
        .as_ref()
        .unwrap()
        .iter()
        .map(|(id, _)| id.as_str())
        .collect()
}

#[tokio::test]
async fn a_stale_owner_cannot_append_after_a_claim() {
    let server = RedisServer::start();
    let a = connect(&server, "a").await;
    let b = connect(&server, "b").await;
    Registry::new(&a).create("s", &meta()).await.unwrap();
    let log_a = EventLog::start(&a).writer("s", 1, 0);
    commit(&log_a, vec![Entry::priming(0), Entry::message(0, "\"a1\"")])
        .await
        .unwrap();

    let Claim::Won(claimed) = Registry::new(&b).claim("s", "a", 1).await.unwrap() else {
        panic!("claim lost")
    };
    assert_eq!((claimed.epoch, claimed.seq), (2, 2));
    let b_log = EventLog::start(&b);
    let log_b = b_log.writer("s", claimed.epoch, claimed.seq);

    assert_eq!(
        commit(&log_a, vec![Entry::message(0, "\"stale\"")]).await,
        Err(Error::Fenced { current_epoch: 2 })
    );
    assert_eq!(
        commit(&log_b, vec![Entry::message(0, "\"b1\"")])
            .await
            .unwrap(),
        vec!["0_3"]
    );
    let got = replay(&b_log, "s", "0_1").await;
    assert_eq!(ids(&got), vec!["0_2", "0_3"]);
    assert!(!format!("{got:?}").contains("stale"));
}

#[tokio::test]
async fn resume_replays_exactly_what_follows_an_id_across_streams_and_owners() {
    let server = RedisServer::start();
    let a = connect(&server, "a").await;
    Registry::new(&a).create("s", &meta()).await.unwrap();
    let a_log = EventLog::start(&a);
    let w = a_log.writer("s", 1, 0);
    let written = commit(
        &w,
        vec![
            Entry::priming(0),
            Entry::priming(1),
            Entry::message(1, "\"r1\""),
            Entry::message(0, "\"g1\""),
            Entry::message(1, "\"r2\""),
        ],
    )
    .await
    .unwrap();
    assert_eq!(written, vec!["0_1", "1_2", "1_3", "0_4", "1_5"]);
    commit(
        &w,
        vec![Entry::message(1, "\"r3\""), Entry::message(0, "\"g2\"")],
    )
    .await
    .unwrap();

    assert_eq!(ids(&replay(&a_log, "s", "1_3").await), vec!["1_5", "1_6"]);
    assert_eq!(
        ids(&replay(&a_log, "s", "1_2").await),
        vec!["1_3", "1_5", "1_6"]
    );
    assert_eq!(ids(&replay(&a_log, "s", "0_1").await), vec!["0_4", "0_7"]);
    assert_eq!(ids(&replay(&a_log, "s", "0_7").await), Vec::<&str>::new());
    let r = replay(&a_log, "s", "1_5").await.unwrap();
    assert_eq!(r, vec![("1_6".to_string(), "\"r3\"".to_string())]);
    // An id naming the wrong stream, an id never written, and garbage are unknown.
    for unknown in ["1_4", "0_3", "1_99", "x", "1_", "_1"] {
        assert_eq!(replay(&a_log, "s", unknown).await, None, "{unknown}");
    }

    // B takes over; a client resuming stream 1 on B gets A's later event and B's, once.
    let b = connect(&server, "b").await;
    let Claim::Won(c) = Registry::new(&b).claim("s", "a", 1).await.unwrap() else {
        panic!()
    };
    let b_log = EventLog::start(&b);
    let wb = b_log.writer("s", c.epoch, c.seq);
    assert_eq!(
        commit(&wb, vec![Entry::message(1, "\"r4\"")])
            .await
            .unwrap(),
        vec!["1_8"]
    );
    assert_eq!(
        ids(&replay(&b_log, "s", "1_3").await),
        vec!["1_5", "1_6", "1_8"]
    );
}

#[tokio::test]
async fn a_resume_with_an_id_of_another_session_gets_nothing_of_it() {
    let server = RedisServer::start();
    let a = connect(&server, "a").await;
    let reg = Registry::new(&a);
    let log = EventLog::start(&a);
    reg.create("x", &meta()).await.unwrap();
    reg.create("y", &meta()).await.unwrap();
    let wx = log.writer("x", 1, 0);
    let wy = log.writer("y", 1, 0);
    let mut x_entries = vec![Entry::priming(1)];
    x_entries.extend((0..5).map(|i| Entry::message(1, format!("\"x-secret-{i}\""))));
    let x_ids = commit(&wx, x_entries).await.unwrap();
    commit(&wy, vec![Entry::priming(1), Entry::message(1, "\"y-own\"")])
        .await
        .unwrap();
    for id in &x_ids {
        let got = log.replay_after("y", id).await.unwrap();
        assert!(!format!("{got:?}").contains("x-secret"), "{id}: {got:?}");
    }
    // The same id in both sessions replays each session's own events only.
    assert_eq!(ids(&replay(&log, "y", "1_1").await), vec!["1_2"]);
    assert_eq!(replay(&log, "y", &x_ids[3]).await, None);
    assert_eq!(replay(&log, "nobody", "1_1").await, None);
}

#[tokio::test]
async fn an_orphaned_request_gets_exactly_one_owner_lost_error() {
    let server = RedisServer::start();
    let a = connect(&server, "a").await;
    let b = connect(&server, "b").await;
    let c = connect(&server, "c").await;
    Registry::new(&a).create("s", &meta()).await.unwrap();
    let wa = EventLog::start(&a).writer("s", 1, 0);
    commit(&wa, vec![opening(1, &["1", "\"two\""]), opening(2, &["3"])])
        .await
        .unwrap();
    commit(
        &wa,
        vec![answer(
            1,
            "\"two\"",
            r#"{"jsonrpc":"2.0","id":"two","result":{}}"#,
        )],
    )
    .await
    .unwrap();

    let Claim::Won(cb) = Registry::new(&b).claim("s", "a", 1).await.unwrap() else {
        panic!()
    };
    let b_log = EventLog::start(&b);
    let wb = b_log.writer("s", cb.epoch, cb.seq);
    let mut orphans = wb.close_orphans().await.unwrap();
    orphans.sort_by(|x, y| x.request_id.cmp(&y.request_id));
    let got: Vec<_> = orphans
        .iter()
        .map(|o| (o.stream, o.request_id.as_str()))
        .collect();
    assert_eq!(got, vec![(1, "1"), (2, "3")]);
    assert!(wb.close_orphans().await.unwrap().is_empty());
    // The old owner's late final response is refused: its record is gone under epoch 2.
    assert_eq!(
        commit(
            &wa,
            vec![answer(1, "1", r#"{"jsonrpc":"2.0","id":1,"result":{}}"#)]
        )
        .await,
        Err(Error::Fenced { current_epoch: 2 })
    );
    // A later claimer finds nothing left to close.
    let Claim::Won(cc) = Registry::new(&c).claim("s", "b", 2).await.unwrap() else {
        panic!()
    };
    let c_log = EventLog::start(&c);
    assert!(c_log
        .writer("s", cc.epoch, cc.seq)
        .close_orphans()
        .await
        .unwrap()
        .is_empty());
    // B's own appends continue after the errors.
    assert_eq!(
        commit(&wb, vec![Entry::message(1, "\"late\"")]).await,
        Err(Error::Fenced { current_epoch: 3 })
    );

    let stream1 = replay(&c_log, "s", "1_1").await.unwrap();
    let errors: Vec<_> = stream1
        .iter()
        .filter(|(_, j)| j.contains("owner-lost"))
        .collect();
    assert_eq!(errors.len(), 1, "{stream1:?}");
    let error: serde_json::Value = serde_json::from_str(&errors[0].1).unwrap();
    assert_eq!(error["id"], 1);
    assert_eq!(error["error"]["code"], -32603);
    assert_eq!(error["error"]["data"]["reason"], "owner-lost");
    assert_eq!(errors[0].0, orphans[0].event_id);
}

#[tokio::test]
async fn the_old_owner_answer_and_the_claimer_error_never_both_land() {
    let server = RedisServer::start();
    let a = connect(&server, "a").await;
    let b = connect(&server, "b").await;
    let (ra, rb) = (Registry::new(&a), Registry::new(&b));
    let (la, lb) = (EventLog::start(&a), EventLog::start(&b));
    let (mut answered, mut errored) = (0, 0);
    for round in 0..30 {
        let sid = format!("s{round}");
        ra.create(&sid, &meta()).await.unwrap();
        let wa = la.writer(&sid, 1, 0);
        commit(&wa, vec![opening(1, &["7"])]).await.unwrap();
        let response = r#"{"jsonrpc":"2.0","id":7,"result":{}}"#;
        let old_owner = commit(&wa, vec![answer(1, "7", response)]);
        let claimer = async {
            let Claim::Won(c) = rb.claim(&sid, "a", 1).await.unwrap() else {
                panic!()
            };
            lb.writer(&sid, c.epoch, c.seq)
                .close_orphans()
                .await
                .unwrap()
        };
        let (old, closed) = tokio::join!(old_owner, claimer);
        let finals: Vec<_> = replay(&lb, &sid, "1_1").await.unwrap();
        assert_eq!(finals.len(), 1, "round {round}: {finals:?}");
        match old {
            Ok(_) => {
                answered += 1;
                assert!(closed.is_empty());
                assert_eq!(finals[0].1, response);
            }
            Err(e) => {
                errored += 1;
                assert_eq!(e, Error::Fenced { current_epoch: 2 });
                assert_eq!(closed.len(), 1);
                assert!(finals[0].1.contains("owner-lost"));
            }
        }
    }
    eprintln!("old owner answered {answered}, claimer closed {errored}");
}

#[tokio::test]
async fn the_log_is_capped_and_an_evicted_id_is_unknown() {
    let server = RedisServer::start();
    let mut cfg = common::config(&server, "a");
    cfg.max_events = 5;
    let a = Redis::connect(cfg).await.unwrap();
    Registry::new(&a).create("s", &meta()).await.unwrap();
    let log = EventLog::start(&a);
    let w = log.writer("s", 1, 0);
    let entries = (0..10).map(|i| Entry::message(0, i.to_string())).collect();
    commit(&w, entries).await.unwrap();
    let mut conn = a.connection();
    let len: usize = redis::cmd("XLEN")
        .arg(a.keys().session("s").events)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(len, 5);
    assert_eq!(replay(&log, "s", "0_5").await, None);
    assert_eq!(
        ids(&replay(&log, "s", "0_6").await),
        vec!["0_7", "0_8", "0_9", "0_10"]
    );
}

#[tokio::test]
async fn appends_queued_together_commit_in_one_pipeline_in_order() {
    let server = RedisServer::start();
    let a = connect(&server, "a").await;
    let reg = Registry::new(&a);
    let log = EventLog::start(&a);
    let mut conn = a.connection();
    let sessions: Vec<String> = (0..4).map(|i| format!("s{i}")).collect();
    let mut writers = Vec::new();
    for sid in &sessions {
        reg.create(sid, &meta()).await.unwrap();
        let w = log.writer(sid, 1, 0);
        commit(&w, vec![Entry::priming(0)]).await.unwrap();
        writers.push(w);
    }
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut conn)
        .await
        .unwrap();
    // 400 appends queued at once, each awaited only afterwards.
    let mut pending = Vec::new();
    for i in 0..100 {
        for w in &writers {
            pending.push(w.append(vec![Entry::message(0, i.to_string())]).1);
        }
    }
    for r in futures_util::future::join_all(pending).await {
        r.unwrap();
    }
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await
        .unwrap();
    let calls: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|l| l.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(calls <= 40, "{calls} scripts for 400 appends");
    for sid in &sessions {
        let got = replay(&log, sid, "0_1").await.unwrap();
        let data: Vec<String> = got.into_iter().map(|(_, j)| j).collect();
        assert_eq!(data, (0..100).map(|i| i.to_string()).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn every_key_has_a_ttl_and_nothing_is_left_after_close_and_expiry() {
    let server = RedisServer::start();
    let mut cfg = common::config(&server, "a");
    cfg.session_ttl = Duration::from_millis(1500);
    cfg.notify_ttl = Duration::from_millis(1500);
    let a = Redis::connect(cfg.clone()).await.unwrap();
    cfg.instance_id = "b".into();
    let b = Redis::connect(cfg).await.unwrap();
    let hb_a = Heartbeat::start(&a).await.unwrap();
    let hb_b = Heartbeat::start(&b).await.unwrap();
    let (ra, rb) = (Registry::new(&a), Registry::new(&b));
    let (la, lb) = (EventLog::start(&a), EventLog::start(&b));
    for sid in ["s1", "s2", "s3"] {
        ra.create(sid, &meta()).await.unwrap();
        let w = la.writer(sid, 1, 0);
        commit(&w, vec![opening(1, &["1"]), Entry::message(0, "\"n\"")])
            .await
            .unwrap();
    }
    let Claim::Won(c) = rb.claim("s2", "a", 1).await.unwrap() else {
        panic!()
    };
    lb.writer("s2", c.epoch, c.seq)
        .close_orphans()
        .await
        .unwrap();
    ra.release("s1", 1).await.unwrap();
    ra.end("s3", 1).await.unwrap();
    Notifier::new(&a).publish("{}").await.unwrap();

    let keys = keys_and_ttls(&a).await;
    assert!(keys.len() >= 7, "{keys:?}");
    for (key, ttl) in &keys {
        assert!(*ttl > 0 && *ttl <= 1500, "{key} has PTTL {ttl}");
    }
    hb_a.stop().await.unwrap();
    hb_b.stop().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let left: Vec<_> = keys_and_ttls(&a)
        .await
        .into_iter()
        .filter(|(_, ttl)| *ttl != -2)
        .collect();
    assert_eq!(left, vec![]);
}
