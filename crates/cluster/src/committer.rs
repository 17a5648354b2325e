//! The commit loop of an instance's event log: appends queued by any session are sent to
//! Redis in one pipeline per tick, one fenced `APPEND` script per session with all of that
//! session's queued entries. A tick starts as soon as the previous pipeline's answer is in,
//! so under load batches grow and throughput holds; idle, an append costs one round trip.

use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};
use crate::keys::SessionKeys;
use crate::reply::Reply;
use crate::scripts;

/// What the `APPEND` script needs for one entry, already encoded.
#[derive(Debug)]
pub(crate) struct Encoded {
    pub seq: u64,
    pub stream: u64,
    pub kind: &'static str,
    pub data: String,
    /// ('+' or '-', field) pairs.
    pub ops: Vec<(&'static str, String)>,
}

pub(crate) struct Job {
    pub keys: SessionKeys,
    pub epoch: u64,
    pub entries: Vec<Encoded>,
    pub done: oneshot::Sender<Result<()>>,
}

pub(crate) struct Limits {
    pub max_len: usize,
    pub ttl_ms: u64,
}

/// Most jobs one tick takes; the rest wait for the next.
const MAX_JOBS_PER_TICK: usize = 512;

pub(crate) async fn run(
    mut conn: ConnectionManager,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    limits: Limits,
) {
    while let Some(first) = jobs.recv().await {
        let mut tick = vec![first];
        while tick.len() < MAX_JOBS_PER_TICK {
            match jobs.try_recv() {
                Ok(job) => tick.push(job),
                Err(_) => break,
            }
        }
        commit(&mut conn, tick, &limits).await;
    }
}

/// Groups a tick's jobs by (session, epoch), keeping each session's order.
fn group(tick: Vec<Job>) -> Vec<Vec<Job>> {
    let mut groups: Vec<Vec<Job>> = Vec::new();
    for job in tick {
        match groups
            .iter_mut()
            .find(|g| g[0].keys == job.keys && g[0].epoch == job.epoch)
        {
            Some(g) => g.push(job),
            None => groups.push(vec![job]),
        }
    }
    groups
}

async fn commit(conn: &mut ConnectionManager, tick: Vec<Job>, limits: &Limits) {
    let groups = group(tick);
    let mut pipe = redis::pipe();
    let invocations: Vec<_> = groups.iter().map(|g| invocation(g, limits)).collect();
    for inv in &invocations {
        pipe.invoke_script(inv);
    }
    let mut answer = pipe.query_async::<Vec<redis::Value>>(conn).await;
    if let Err(e) = &answer {
        // A Redis that restarted has forgotten the script: load it and send the tick again
        // (nothing of it ran, since every command of the pipeline failed the same way).
        if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript)
            && scripts::APPEND
                .prepare_invoke()
                .load_async(conn)
                .await
                .is_ok()
        {
            answer = pipe.query_async::<Vec<redis::Value>>(conn).await;
        }
    }
    match answer {
        Ok(replies) => {
            for (group, value) in groups.into_iter().zip(replies) {
                let result = Reply::new(value).and_then(|r| outcome(&r));
                for job in group {
                    let _ = job.done.send(result.clone());
                }
            }
        }
        Err(e) => {
            let error = Error::from(e);
            for job in groups.into_iter().flatten() {
                let _ = job.done.send(Err(error.clone()));
            }
        }
    }
}

fn outcome(reply: &Reply) -> Result<()> {
    match reply.status()? {
        scripts::DONE => Ok(()),
        scripts::GONE => Err(Error::Gone),
        scripts::FENCED => Err(reply.fenced(1)),
        scripts::OUT_OF_ORDER => Err(Error::OutOfOrder {
            top: reply.int(1)? as u64,
        }),
        other => Err(Error::Protocol(format!("append status {other}"))),
    }
}

fn invocation<'a>(group: &[Job], limits: &Limits) -> redis::ScriptInvocation<'a> {
    let first = &group[0];
    let mut inv = scripts::APPEND.prepare_invoke();
    inv.key(&first.keys.meta)
        .key(&first.keys.events)
        .key(&first.keys.inflight)
        .arg(first.epoch)
        .arg(limits.max_len)
        .arg(limits.ttl_ms)
        .arg(group.iter().map(|j| j.entries.len()).sum::<usize>());
    for entry in group.iter().flat_map(|j| &j.entries) {
        inv.arg(entry.seq)
            .arg(entry.stream)
            .arg(entry.kind)
            .arg(&entry.data)
            .arg(entry.ops.len());
        for (op, field) in &entry.ops {
            inv.arg(*op).arg(field);
        }
    }
    inv
}
