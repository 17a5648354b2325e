//! The Lua scripts: every write to a session's keys goes through one, so each check and the
//! write it guards are one atomic step on the Redis server. All keys of a script share the
//! session's hash tag (one Cluster slot). Status codes, not Redis errors, report refusals,
//! because a script that errors halfway keeps its earlier writes (Redis does not roll back):
//! every script validates everything before its first write.
//!
//! Shared status codes (first element of the reply): 0 = the session is gone, 1 = fenced
//! (the epoch is not the caller's; the reply carries the current one), 2 = done.

use redis::Script;
use std::sync::LazyLock;

pub const GONE: i64 = 0;
pub const FENCED: i64 = 1;
pub const DONE: i64 = 2;
/// An append whose first sequence is not above the committed top.
pub const OUT_OF_ORDER: i64 = 3;
/// The in-flight record is not there (already answered, or already closed by a claimer).
pub const NOT_IN_FLIGHT: i64 = 4;

/// Creates a session's meta at `initialize` (owner = caller, epoch 1, seq 0).
/// KEYS: meta. ARGV: owner, init, proto, principal, ttl_ms. Reply: 1 created, 0 existed.
pub static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'epoch', 1, 'seq', 0,
  'init', ARGV[2], 'proto', ARGV[3], 'principal', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
",
    )
});

/// Compare-and-set on (owner, epoch): only a caller that names the owner and epoch it saw
/// vacant wins (the epoch makes it immune to ABA: an owner that came back under the same id
/// and claimed again has moved the epoch), and the epoch moves on, which fences every write
/// of the previous owner.
/// KEYS: meta, events, inflight. ARGV: expected owner, expected epoch, new owner, ttl_ms.
/// Reply: {0} gone | {1, owner, epoch} someone else owns it | {2, epoch, seq, init, proto, principal}.
pub static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local m = redis.call('HMGET', KEYS[1], 'owner', 'epoch')
if not m[2] then return {0} end
if m[1] ~= ARGV[1] or m[2] ~= ARGV[2] then return {1, m[1], m[2]} end
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[3])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
local r = redis.call('HMGET', KEYS[1], 'seq', 'init', 'proto', 'principal')
return {2, epoch, r[1], r[2], r[3], r[4]}
",
    )
});

/// Graceful release (`close()`): owner = '' and epoch + 1, so the next request anywhere
/// claims at once (no lease to wait for) and this instance can no longer write.
/// KEYS: meta. ARGV: owner, epoch. Reply: {0} | {1, owner, epoch} | {2, new epoch}.
pub static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local m = redis.call('HMGET', KEYS[1], 'owner', 'epoch')
if not m[2] then return {0} end
if m[1] ~= ARGV[1] or m[2] ~= ARGV[2] then return {1, m[1], m[2]} end
redis.call('HSET', KEYS[1], 'owner', '')
return {2, redis.call('HINCRBY', KEYS[1], 'epoch', 1)}
",
    )
});

/// Ends a session (DELETE, idle reap) for the owner of the current epoch.
/// KEYS: meta, events, inflight. ARGV: epoch. Reply: {0} | {1, owner, epoch} | {2}.
pub static END: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local m = redis.call('HMGET', KEYS[1], 'owner', 'epoch')
if not m[2] then return {0} end
if m[2] ~= ARGV[1] then return {1, m[1], m[2]} end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return {2}
",
    )
});

/// Renews the TTL of a session's keys (a request that wrote no event).
/// KEYS: meta, events, inflight. ARGV: ttl_ms. Reply: 1, or 0 when the session is gone.
pub static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return 1
",
    )
});

/// The epoch-fenced append of a batch of events, with the in-flight records they open
/// (a request's priming event) and close (its final response) in the same step.
/// KEYS: meta, events, inflight. ARGV: epoch, maxlen, ttl_ms, entry count, then per entry:
/// seq, stream, kind ('p' priming / 'm' message), data, op count, then op count x (op, field)
/// with op '+' (open) or '-' (close).
/// Reply: {0} | {1, epoch} | {3, top} | {2}.
pub static APPEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local m = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if not m[1] then return {0} end
if m[1] ~= ARGV[1] then return {1, m[1]} end
local top = tonumber(m[2])
local n = tonumber(ARGV[4])
local at = 5
local prev = top
for i = 1, n do
  local seq = tonumber(ARGV[at])
  if seq <= prev then return {3, top} end
  prev = seq
  at = at + 5 + 2 * tonumber(ARGV[at + 4])
end
at = 5
for i = 1, n do
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], '0-' .. ARGV[at],
    's', ARGV[at + 1], 'k', ARGV[at + 2], 'e', ARGV[1], 'd', ARGV[at + 3])
  local ops = tonumber(ARGV[at + 4])
  for j = 0, ops - 1 do
    local op, field = ARGV[at + 5 + 2 * j], ARGV[at + 6 + 2 * j]
    if op == '+' then redis.call('HSET', KEYS[3], field, '') else redis.call('HDEL', KEYS[3], field) end
  end
  at = at + 5 + 2 * ops
end
redis.call('HSET', KEYS[1], 'seq', prev)
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return {2}
",
    )
});

/// A claimer closes one request the dead owner left running: appends its error and removes
/// its in-flight record in one fenced step, so the record is answered exactly once (the old
/// owner's final response needs the same record removed under an epoch that is now old).
/// KEYS: meta, events, inflight. ARGV: epoch, field, stream, data, maxlen, ttl_ms.
/// Reply: {0} | {1, epoch} | {4} | {2, seq}.
pub static CLOSE_ORPHAN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local m = redis.call('HMGET', KEYS[1], 'epoch')
if not m[1] then return {0} end
if m[1] ~= ARGV[1] then return {1, m[1]} end
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then return {4} end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[5], '0-' .. seq,
  's', ARGV[3], 'k', 'm', 'e', ARGV[1], 'd', ARGV[4])
redis.call('HDEL', KEYS[3], ARGV[2])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[6]) end
return {2, seq}
",
    )
});

/// Publishes a notice for every instance: counter and stream in one step, so each entry
/// carries the counter value and a tailer that sees a jump knows it missed some.
/// KEYS: notify stream, counter. ARGV: publisher, data, maxlen, ttl_ms. Reply: the entry id.
pub static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = redis.call('INCR', KEYS[2])
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'n', n, 'f', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return id
",
    )
});
