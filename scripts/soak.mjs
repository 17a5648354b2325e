#!/usr/bin/env node
// `npm run soak -- [seconds] [concurrency]` (default 300 s, 32 workers): thousands of sessions
// against one server in a child process, with random client disconnects followed by
// resumption (GET + Last-Event-ID), slow readers, bodies cut off mid-way, sessions deleted or
// abandoned to the idle reaper. Checks that every message a tool sent was delivered exactly
// once (live or replayed), that onClose ran exactly once per server, and that the server's
// RSS levels off; prints the figures. Not part of `npm test` (it runs for minutes).
import { fork } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";

const IDLE_MS = 3000;

// ---------------------------------------------------------------------------------------
// The server: a real SDK McpServer per session, counting createServer and onClose per server.
async function serve() {
  // The idle reaper logs each session it closes (mcp-proxy 6.7's line): count, do not print.
  let reaped = 0;
  const log = console.log;
  console.log = (...args) => {
    if (String(args[0]).startsWith("[mcp-proxy] closing session")) reaped++;
    else log(...args);
  };
  const { startHTTPServer } = await import("../index.mjs");
  const { McpServer } = await import("@modelcontextprotocol/sdk/server/mcp.js");
  const { z } = await import("zod");
  // onClose calls per server, by a number the server is known by: the harness must not keep
  // servers alive itself, or the heap figures would measure it.
  const ids = new WeakMap();
  const closes = [];
  let created = 0;
  const rss = [];
  const started = Date.now();
  // After a full GC, so the JS heap figure is what is live, not what awaits collection.
  const sample = () => {
    globalThis.gc?.();
    const { rss: now, heapUsed } = process.memoryUsage();
    rss.push([Math.round((Date.now() - started) / 1000), now, heapUsed]);
  };
  sample();
  const sampler = setInterval(sample, 2000);

  const running = await startHTTPServer({
    port: 0,
    host: "127.0.0.1",
    sessionIdleTimeout: IDLE_MS,
    createServer: async () => {
      const mcp = new McpServer({ name: "soak", version: "1" });
      mcp.registerTool(
        "emit",
        { inputSchema: { count: z.number().int(), delayMs: z.number().int() } },
        async ({ count, delayMs }, extra) => {
          for (let i = 1; i <= count; i++) {
            await extra.sendNotification({
              method: "notifications/progress",
              params: { progressToken: extra._meta?.progressToken ?? 0, progress: i, total: count },
            });
            if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
          }
          return { content: [{ type: "text", text: `done ${count}` }] };
        },
      );
      ids.set(mcp.server, created++);
      closes.push(0);
      return mcp.server;
    },
    onClose: async (server) => {
      closes[ids.get(server)]++;
    },
  });
  const counts = () => {
    let once = 0;
    let never = 0;
    let more = 0;
    for (const n of closes) {
      if (n === 1) once++;
      else if (n === 0) never++;
      else more++;
    }
    return { created, reaped, onCloseOnce: once, onCloseNever: never, onCloseTwiceOrMore: more };
  };
  process.on("message", async (msg) => {
    if (msg === "stats") process.send({ stats: counts(), rss });
    if (msg === "close") {
      await running.close();
      clearInterval(sampler);
      sample();
      process.send({ closed: counts(), rss });
    }
  });
  process.send({ port: running.port });
}

// ---------------------------------------------------------------------------------------
// The load.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pick = (n) => Math.floor(Math.random() * n);
const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const VERSION = "2025-11-25";

/** SSE events of a fetch body; `onChunk` runs between reads (slow readers sleep there). */
async function* sseEvents(body, onChunk) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = { id: undefined, data: [] };
        for (const line of block.split("\n")) {
          if (line.startsWith("id: ")) event.id = line.slice(4);
          else if (line.startsWith("data: ")) event.data.push(line.slice(6));
        }
        if (event.id !== undefined || event.data.length) yield { id: event.id, data: event.data.join("\n") };
      }
      if (onChunk) await onChunk();
    }
  } finally {
    reader.releaseLock();
  }
}

const totals = {
  sessions: 0,
  calls: 0,
  normal: 0,
  slowReaders: 0,
  disconnects: 0,
  resumed: 0,
  resumeRetries: 0,
  abortedBodies: 0,
  deleted: 0,
  abandoned: 0,
  reapedWhileIdle: 0,
  messagesExpected: 0,
  messagesDelivered: 0,
  duplicates: 0,
  lost: 0,
  errors: 0,
};
const problems = [];

function note(problem) {
  totals.errors++;
  if (problems.length < 20) problems.push(problem);
}

async function initialize(url) {
  const res = await fetch(url, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: "soak", version: "1" } },
    }),
  });
  const sessionId = res.headers.get("mcp-session-id");
  await res.arrayBuffer();
  if (res.status !== 200 || !sessionId) throw new Error(`initialize answered ${res.status}`);
  const headers = { ...HEADERS, "mcp-session-id": sessionId, "mcp-protocol-version": VERSION };
  const ok = await fetch(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) });
  await ok.arrayBuffer();
  return headers;
}

/** Records what one event carried; returns true when it was the call's result. */
function record(event, id, seen) {
  if (!event.data) return false;
  const message = JSON.parse(event.data);
  if (message.method === "notifications/progress") {
    const p = message.params.progress;
    seen.set(p, (seen.get(p) ?? 0) + 1);
    return false;
  }
  if (message.id === id) {
    seen.set("result", (seen.get("result") ?? 0) + 1);
    return true;
  }
  return false;
}

/** One tools/call, read normally, slowly, or cut off and resumed. */
/**
 * A 404 for a session this client left alone for the idle timeout is the reaper doing its
 * job (a loaded machine can stall a client that long); any other 404 is a fault.
 */
function gone(session, what, status, text) {
  if (status === 404 && Date.now() - session.lastDone >= IDLE_MS) {
    totals.reapedWhileIdle++;
    return true;
  }
  note(`${what} answered ${status}: ${text}`);
  return true;
}

async function call(url, session, id) {
  const { headers } = session;
  const count = 5 + pick(20);
  const mode = ["normal", "slow", "disconnect"][pick(3)];
  const controller = new AbortController();
  const res = await fetch(url, {
    method: "POST",
    headers,
    signal: controller.signal,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "emit", arguments: { count, delayMs: pick(3) }, _meta: { progressToken: id } },
    }),
  });
  if (res.status !== 200) return gone(session, "tools/call", res.status, await res.text());
  totals.calls++;
  totals.messagesExpected += count + 1;
  const seen = new Map();
  let lastId;
  let done = false;
  const cutAfter = mode === "disconnect" ? 1 + pick(count) : Infinity;
  let events = 0;
  const onChunk = mode === "slow" ? () => sleep(5 + pick(20)) : undefined;
  try {
    for await (const event of sseEvents(res.body, onChunk)) {
      if (event.id !== undefined) lastId = event.id;
      done = record(event, id, seen) || done;
      if (++events >= cutAfter && !done) {
        controller.abort();
        break;
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") throw error;
  }
  totals[mode === "slow" ? "slowReaders" : mode === "disconnect" ? "disconnects" : "normal"]++;
  if (!done) {
    if (lastId === undefined) {
      note(`call ${id}: cut before any event id`);
      return;
    }
    // The client lost the stream: resume it from the last event id it saw. Until the server
    // has noticed the cut, the stream still counts as read (409); clients retry with a
    // backoff, as the SDK's transport does.
    let resumed;
    for (let attempt = 0; ; attempt++) {
      resumed = await fetch(url, { headers: { ...headers, accept: "text/event-stream", "last-event-id": lastId } });
      if (resumed.status !== 409 || attempt === 6) break;
      totals.resumeRetries++;
      await resumed.arrayBuffer();
      await sleep(50 * 2 ** attempt);
    }
    if (resumed.status !== 200) {
      note(`resume of ${lastId} answered ${resumed.status}: ${await resumed.text()}`);
    } else {
      totals.resumed++;
      for await (const event of sseEvents(resumed.body)) {
        if (record(event, id, seen)) break;
      }
    }
  }
  for (const key of [...Array.from({ length: count }, (_, i) => i + 1), "result"]) {
    const n = seen.get(key) ?? 0;
    if (n === 0) totals.lost++;
    if (n > 1) totals.duplicates += n - 1;
    totals.messagesDelivered += Math.min(n, 1);
  }
  session.lastDone = Date.now();
  return false;
}

/** A POST whose body stops half-way and whose client then goes away. */
async function abortedBody(port, headers) {
  const socket = net.connect({ port, host: "127.0.0.1" });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  const lines = Object.entries({ ...headers, host: "127.0.0.1", "content-length": "4000" })
    .map(([k, v]) => `${k}: ${v}`)
    .join("\r\n");
  socket.write(`POST /mcp HTTP/1.1\r\n${lines}\r\n\r\n{"jsonrpc":"2.0","id":1,"method":"tools/ca`);
  await sleep(pick(50));
  socket.destroy();
  totals.abortedBodies++;
}

async function worker(url, port, until) {
  let nextId = 1;
  while (Date.now() < until) {
    try {
      const session = { headers: await initialize(url), lastDone: Date.now() };
      totals.sessions++;
      const calls = 1 + pick(4);
      let ended = false;
      for (let i = 0; i < calls && !ended && Date.now() < until; i++) {
        if (pick(8) === 0) {
          await abortedBody(port, session.headers);
          session.lastDone = Date.now();
        }
        ended = await call(url, session, nextId++);
      }
      if (ended) continue;
      if (pick(10) < 6) {
        const res = await fetch(url, { method: "DELETE", headers: session.headers });
        const text = await res.text();
        if (res.status !== 200) gone(session, "DELETE", res.status, text);
        totals.deleted++;
      } else {
        totals.abandoned++; // the idle reaper ends it
      }
    } catch (error) {
      note(String(error?.stack ?? error));
    }
  }
}

function mib(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function drive(seconds, concurrency) {
  if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(concurrency) || concurrency < 1) {
    console.error("usage: npm run soak -- [seconds] [concurrency]");
    process.exit(2);
  }
  const child = fork(fileURLToPath(import.meta.url), ["--serve"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: ["--expose-gc"],
  });
  process.on("exit", () => child.kill());
  const next = (key) => new Promise((resolve) => child.on("message", (m) => m[key] !== undefined && resolve(m)));
  const { port } = await next("port");
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  console.log(`soak: ${seconds} s, ${concurrency} workers, server pid ${child.pid} on port ${port}`);
  const started = Date.now();
  const until = started + seconds * 1000;
  const progress = setInterval(() => {
    console.log(
      `  ${Math.round((Date.now() - started) / 1000)} s: ${totals.sessions} sessions, ${totals.calls} calls, ` +
        `${totals.resumed} resumed, ${totals.lost} lost, ${totals.duplicates} duplicates, ${totals.errors} errors`,
    );
  }, 30_000);
  await Promise.all(Array.from({ length: concurrency }, () => worker(url, port, until)));
  clearInterval(progress);
  // Abandoned sessions are reaped after the idle timeout (checked every IDLE_MS / 4).
  await sleep(IDLE_MS * 2);
  const before = await (child.send("stats"), next("stats"));
  child.send("close");
  const after = await next("closed");
  child.kill();

  const rss = after.rss;
  const quarter = (q) => {
    const from = Math.floor((rss.length * q) / 4);
    const part = rss.slice(from, Math.max(from + 1, Math.floor((rss.length * (q + 1)) / 4)));
    return Math.max(...part.map(([, v]) => v));
  };
  const q2 = quarter(1);
  const q4 = quarter(3);
  const plateau = q4 <= q2 * 1.1;
  const elapsed = (Date.now() - started) / 1000;

  console.log(`\nsoak results (${seconds} s of load, ${concurrency} workers, ${elapsed.toFixed(0)} s in all)`);
  console.log(
    `  sessions: ${totals.sessions} (${totals.deleted} deleted, ${totals.abandoned} left to the idle reaper; ` +
      `the server logged ${after.closed.reaped} idle closes)`,
  );
  console.log(
    `  tools/call: ${totals.calls} (${totals.normal} read normally, ${totals.slowReaders} slow readers, ` +
      `${totals.disconnects} cut off by the client, ${totals.resumed} of them resumed with Last-Event-ID, ` +
      `${totals.resumeRetries} resumptions retried after a 409)`,
  );
  console.log(`  aborted request bodies: ${totals.abortedBodies}`);
  console.log(`  sessions the reaper ended while their client stalled past the idle timeout (expected): ${totals.reapedWhileIdle}`);
  console.log(
    `  messages: ${totals.messagesExpected} sent, ${totals.messagesDelivered} delivered, ` +
      `${totals.lost} lost, ${totals.duplicates} duplicated`,
  );
  console.log(
    `  servers: ${after.closed.created} created; before close(): ${before.stats.onCloseOnce} closed once, ` +
      `${before.stats.onCloseNever} still open; after close(): onClose once ${after.closed.onCloseOnce}, ` +
      `never ${after.closed.onCloseNever}, twice or more ${after.closed.onCloseTwiceOrMore}`,
  );
  console.log(
    `  server RSS: start ${mib(rss[0][1])}, max of 2nd quarter ${mib(q2)}, max of last quarter ${mib(q4)}, ` +
      `peak ${mib(Math.max(...rss.map(([, v]) => v)))}, end ${mib(rss.at(-1)[1])} → ${plateau ? "levels off" : "STILL GROWING"}`,
  );
  console.log(
    `  server JS heap after GC: start ${mib(rss[0][2])}, end of load ${mib(before.rss.at(-1)[2])}, after close() ${mib(rss.at(-1)[2])}`,
  );
  console.log(`  RSS samples (s: MiB): ${rss.filter((_, i) => i % Math.ceil(rss.length / 12) === 0).map(([t, v]) => `${t}: ${(v / 1048576).toFixed(0)}`).join(", ")}`);
  console.log(`  errors: ${totals.errors}`);
  for (const p of problems) console.log(`    ${p.split("\n")[0]}`);

  const ok =
    totals.lost === 0 &&
    totals.duplicates === 0 &&
    totals.errors === 0 &&
    after.closed.onCloseOnce === after.closed.created &&
    plateau;
  console.log(ok ? "\nsoak: PASS" : "\nsoak: FAIL");
  process.exit(ok ? 0 : 1);
}

if (process.argv[2] === "--serve") {
  await serve();
} else {
  await drive(Number(process.argv[2] ?? 300), Number(process.argv[3] ?? 32));
}
