// The load generator, in its own process pinned to another core than the server.
// It opens the MCP session itself (initialize + notifications/initialized), then drives
// tools/call echo with autocannon over keep-alive connections, checking every body.
//
// argv: --url U --mode M --task throughput|sessions|calls [--connections 50,1]
//       [--warmup S] [--duration S] [--count N] [--server-pid P]
// Prints one JSON line with the results.
import { readdirSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import {
  MODERN_HEADERS,
  modernCallBody,
  callBody,
  INITIALIZED_BODY,
  INITIALIZE_BODY,
  PROTOCOL_VERSION,
  isEchoResult,
  messagesOf,
} from "./echo-server.mjs";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    mode: { type: "string" },
    task: { type: "string", default: "throughput" },
    connections: { type: "string", default: "50,1" },
    warmup: { type: "string", default: "2" },
    duration: { type: "string", default: "5" },
    count: { type: "string", default: "1000" },
    "server-pid": { type: "string" },
  },
});

const url = values.url;
// A call not answered within this counts as an error (autocannon then reconnects).
const TIMEOUT_S = 2;
const stateful = values.mode !== "stateless";
const baseHeaders = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

const modern = values.mode === "modern";
const bodyFor = modern ? modernCallBody : callBody;

async function openSession() {
  // 2026-07-28 has no session and no handshake: every request carries its envelope.
  if (modern) return { ...baseHeaders, ...MODERN_HEADERS };
  const init = await fetch(url, { method: "POST", headers: baseHeaders, body: INITIALIZE_BODY });
  const body = await init.text();
  if (init.status !== 200) throw new Error(`initialize answered ${init.status}: ${body}`);
  const result = messagesOf(body).find((m) => m.id === 0)?.result;
  if (!result?.protocolVersion) throw new Error(`initialize gave no result: ${body}`);
  const sessionId = init.headers.get("mcp-session-id") ?? undefined;
  if (stateful && !sessionId) throw new Error("stateful server gave no mcp-session-id");
  const headers = { ...baseHeaders, "mcp-protocol-version": result.protocolVersion ?? PROTOCOL_VERSION };
  if (stateful) headers["mcp-session-id"] = sessionId;
  const note = await fetch(url, { method: "POST", headers, body: INITIALIZED_BODY });
  await note.text();
  if (note.status !== 202) throw new Error(`notifications/initialized answered ${note.status}`);
  return headers;
}

function cpuTicks(pid) {
  if (!pid) return undefined;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (USER_HZ=100)
}

/** CPU ticks per thread group of the server: its JS thread (the one named like the process),
 * tokio's workers, and the rest (V8's workers, libuv's pool). */
function threadTicks(pid) {
  if (!pid) return undefined;
  const groups = { js: 0, tokio: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    groups[tid === String(pid) ? "js" : name.startsWith("tokio") ? "tokio" : "other"] += ticks;
  }
  return groups;
}

/** µs of server CPU per answered call, by thread group (1 tick = 10 ms). */
function perCall(before, after, calls) {
  if (!before || calls === 0) return undefined;
  const us = (key) => Math.round(((after[key] - before[key]) * 10_000) / calls);
  return { js: us("js"), tokio: us("tokio"), other: us("other") };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

let nextId = 1;

/**
 * One autocannon run. Every request gets a fresh JSON-RPC id (ids must be unique among a
 * session's requests in flight) and asks the echo tool for a text naming that id; every
 * response is checked to be a 200 carrying exactly that result. Latencies are taken at full
 * precision from the response events.
 */
function cannon({ headers, connections, duration, amount, record }) {
  return new Promise((resolve, reject) => {
    let latencies = record ? new Float64Array(1 << 20) : undefined;
    let n = 0;
    let wrong = 0;
    let sent = 0;
    const instance = autocannon(
      {
        url,
        connections,
        pipelining: 1,
        ...(amount ? { amount } : { duration }),
        timeout: TIMEOUT_S,
        requests: [
          {
            method: "POST",
            headers,
            setupRequest(req, context) {
              context.id = nextId++;
              sent++;
              req.body = bodyFor(context.id);
              return req;
            },
            onResponse(status, body, context) {
              if (status !== 200 || !isEchoResult(body, context.id)) wrong++;
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const sorted = latencies ? latencies.subarray(0, n).sort() : [];
        resolve({ result, latencies: sorted, wrong, sent });
      },
    );
    if (record) {
      instance.on("response", (_client, _status, _bytes, ms) => {
        if (n === latencies.length) {
          const bigger = new Float64Array(latencies.length * 2);
          bigger.set(latencies);
          latencies = bigger;
        }
        latencies[n++] = ms;
      });
    }
  });
}

/** Failed calls: connection errors, timeouts (counted in errors) and wrong or non-200 answers. */
function errorCount(run) {
  return run.result.errors + run.wrong;
}

async function throughput() {
  const headers = await openSession();
  const out = [];
  for (const connections of values.connections.split(",").map(Number)) {
    await cannon({ headers, connections, duration: Number(values.warmup) });
    const pid = values["server-pid"];
    const serverBefore = cpuTicks(pid);
    const threadsBefore = threadTicks(pid);
    const selfBefore = process.cpuUsage();
    const t0 = performance.now();
    const run = await cannon({ headers, connections, duration: Number(values.duration), record: true });
    const wall = (performance.now() - t0) / 1000;
    const threadsAfter = threadTicks(pid);
    const self = process.cpuUsage(selfBefore);
    const { latencies } = run;
    const ok = latencies.length - run.wrong;
    out.push({
      connections,
      requests: latencies.length,
      ok,
      rps: ok / wall,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      errors: errorCount(run),
      unanswered: run.sent - latencies.length,
      serverCpu: pid ? (cpuTicks(pid) - serverBefore) / 100 / wall : undefined,
      loadCpu: (self.user + self.system) / 1e6 / wall,
      serverCpuUsPerCall: perCall(threadsBefore, threadsAfter, ok),
    });
  }
  return out;
}

async function sessions() {
  const count = Number(values.count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await openSession();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { sessions: count };
}

/** Asks the orchestrator (over IPC) to sample the server, and waits until it has. */
function checkpoint(name) {
  if (!process.send) return Promise.resolve();
  return new Promise((resolve) => {
    process.once("message", resolve);
    process.send({ type: "checkpoint", name });
  });
}

async function calls() {
  const headers = await openSession();
  const warm = await cannon({ headers, connections: 50, amount: Number(values.warmup) });
  await checkpoint("warm");
  const run = await cannon({ headers, connections: 50, amount: Number(values.count) });
  await checkpoint("done");
  return { calls: run.result.requests.total, errors: errorCount(warm) + errorCount(run) };
}

const tasks = { throughput, sessions, calls };
const result = await tasks[values.task]();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.disconnect?.();
