// The `--cli` bench's load generator, in its own process pinned to the other core than the
// proxy (or the child). N clients, each its own MCP session (HTTP) or its own stream of ids
// (stdio), each calling the everything server's `echo` tool one call after another; every
// answer is checked to echo that call's own text, so a misrouted answer counts as an error.
//
// argv: --target http --url U | --target stdio --child JSON-array
//       [--clients 1,32] [--warmup S] [--duration S] [--task throughput|sessions --count N]
//       [--server-pid P]
// Prints one JSON line.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { Client } from "undici";

const { values } = parseArgs({
  options: {
    target: { type: "string" },
    url: { type: "string" },
    child: { type: "string" },
    clients: { type: "string", default: "1,32" },
    warmup: { type: "string", default: "2" },
    duration: { type: "string", default: "5" },
    task: { type: "string", default: "throughput" },
    count: { type: "string", default: "500" },
    "server-pid": { type: "string" },
  },
});

const PROTOCOL_VERSION = "2025-06-18";
const INITIALIZE = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "cli-bench", version: "1" } } };
const INITIALIZED = { jsonrpc: "2.0", method: "notifications/initialized" };
/** A call not answered within this counts as an error. */
const TIMEOUT_MS = 5000;

let nextId = 1;
const echoCall = (id) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { message: `bench call #${id}` } } });
const isEcho = (text, id) => text.includes(`"Echo: bench call #${id}"`) && !text.includes('"error"');

function cpuTicks(pid) {
  if (!pid) return undefined;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

// ------------------------------------------------------------------ HTTP: one session per client

const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

async function post(client, path, headers, body) {
  const res = await client.request({ path, method: "POST", headers, body: JSON.stringify(body), headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

async function openHttpSession() {
  const url = new URL(values.url);
  const client = new Client(url.origin, { pipelining: 1 });
  const init = await post(client, url.pathname, HEADERS, INITIALIZE);
  if (init.status !== 200 || !init.text.includes('"serverInfo"')) throw new Error(`initialize answered ${init.status}: ${init.text.slice(0, 200)}`);
  const headers = { ...HEADERS, "mcp-protocol-version": PROTOCOL_VERSION, "mcp-session-id": init.headers["mcp-session-id"] };
  const note = await post(client, url.pathname, headers, INITIALIZED);
  if (note.status !== 202) throw new Error(`notifications/initialized answered ${note.status}`);
  return {
    call: async (id) => {
      const res = await post(client, url.pathname, headers, echoCall(id));
      return res.status === 200 && isEcho(res.text, id);
    },
    close: () => client.close(),
  };
}

// ------------------------------------------------------------------ stdio: the child alone

async function openStdioChild() {
  const [cmd, ...args] = JSON.parse(values.child);
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
  const waiting = new Map();
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (!line.startsWith("{")) return;
    const message = JSON.parse(line);
    if (message.id === undefined || message.method) return; // notifications and child requests
    const resolve = waiting.get(message.id);
    waiting.delete(message.id);
    resolve?.(line);
  });
  const request = (body) =>
    new Promise((resolve) => {
      waiting.set(body.id, resolve);
      child.stdin.write(`${JSON.stringify(body)}\n`);
    });
  const init = await request(INITIALIZE);
  if (!init.includes('"serverInfo"')) throw new Error(`initialize answered ${init}`);
  child.stdin.write(`${JSON.stringify(INITIALIZED)}\n`);
  const session = {
    pid: child.pid,
    call: async (id) => isEcho(await request(echoCall(id)), id),
    close: () => child.kill(),
  };
  // Every client of the child-alone run shares the one child (as the proxies share theirs).
  return session;
}

// ------------------------------------------------------------------ the load

async function drive(sessions, seconds, record) {
  const latencies = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    sessions.map(async (session) => {
      while (performance.now() < end) {
        const id = nextId++;
        const started = performance.now();
        let ok = false;
        try {
          ok = await session.call(id);
        } catch {
          ok = false;
        }
        if (!ok) errors++;
        else if (record) latencies.push(performance.now() - started);
      }
    }),
  );
  return { latencies, errors };
}

async function throughput() {
  const out = [];
  const child = values.target === "stdio" ? await openStdioChild() : undefined;
  const pid = child?.pid ?? values["server-pid"];
  for (const clients of values.clients.split(",").map(Number)) {
    const sessions = child ? Array.from({ length: clients }, () => child) : await Promise.all(Array.from({ length: clients }, openHttpSession));
    await drive(sessions, Number(values.warmup), false);
    const cpuBefore = cpuTicks(pid);
    const t0 = performance.now();
    const run = await drive(sessions, Number(values.duration), true);
    const wall = (performance.now() - t0) / 1000;
    const sorted = Float64Array.from(run.latencies).sort();
    out.push({
      clients,
      calls: sorted.length,
      rps: sorted.length / wall,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      errors: run.errors,
      serverCpu: pid ? (cpuTicks(pid) - cpuBefore) / 100 / wall : undefined,
    });
    if (!child) await Promise.all(sessions.map((s) => s.close()));
  }
  child?.close();
  return out;
}

/** Opens `count` sessions and keeps them (idle) until told to finish over IPC. */
async function sessions() {
  const opened = [];
  const count = Number(values.count);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        next++;
        const session = await openHttpSession();
        opened.push(session);
      }
    }),
  );
  // Connections closed, sessions kept: what an idle client leaves on the server.
  await Promise.all(opened.map((s) => s.close()));
  return { sessions: opened.length };
}

const tasks = { throughput, sessions };
const result = await tasks[values.task]();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
