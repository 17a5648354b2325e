// `npm run bench -- --cli` (also part of the full `npm run bench`): the command line, a stdio
// MCP server served over HTTP. The official everything server (@modelcontextprotocol/server-
// everything, stdio) behind this package's bin and behind mcp-proxy 6.7.19's bin, same flags,
// same load; and the child alone driven directly over stdio, the most any proxy can reach.
// Echo tools/call at 1 and 32 concurrent clients (each client its own 2025 session, one call
// after another); then RSS per idle session of each proxy process.
//
// Each proxy (and its child, which inherits the affinity) runs pinned to one core, the load
// generator (bench/cli-load.mjs) to the other; rounds alternate the order.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const EVERYTHING = join(root, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const RELEASE_BINARY = join(here, ".native", "mcp-proxy-native.node");
const BINS = {
  native: join(root, "bin", "mcp-proxy-native.js"),
  "mcp-proxy-67": join(root, "node_modules", "mcp-proxy-67", "dist", "bin", "mcp-proxy.mjs"),
};
export const CLI_LABEL = { native: "this (native) CLI", "mcp-proxy-67": "mcp-proxy 6.7.19 CLI", child: "child alone (stdio)" };
const IMPLS = ["native", "mcp-proxy-67", "child"];
const SERVER_CPU = 0;
const LOAD_CPU = 1;
const pinning = spawnSync("taskset", ["-V"]).status === 0 && cpus().length >= 2;
const pinned = (cpu, argv) => (pinning ? ["taskset", "-c", String(cpu), ...argv] : argv);

const freePort = () =>
  new Promise((ok, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts a proxy bin in front of the everything server; resolves once /ping answers. */
async function startProxy(impl) {
  const port = await freePort();
  // The preload lets the memory phase ask each proxy process for a full GC (SIGUSR2).
  const argv = pinned(SERVER_CPU, [process.execPath, "--expose-gc", "-r", join(here, "cli-gc.cjs"), BINS[impl], "--port", String(port), "--host", "127.0.0.1", "--", process.execPath, EVERYTHING, "stdio"]);
  // The release addon `npm run bench` builds (bench/.native), when there is one; else native/.
  const env = existsSync(RELEASE_BINARY) ? { ...process.env, MCP_PROXY_NATIVE_BINARY: RELEASE_BINARY } : process.env;
  const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ["ignore", "ignore", "pipe"], env });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise((r) => child.once("exit", r));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${impl} exited at startup:\n${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ping`);
      await res.text();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${port}/mcp`,
    gc: async () => {
      child.kill("SIGUSR2");
      await sleep(500);
    },
    stop: async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function runLoad(args) {
  return new Promise((ok, fail) => {
    const argv = pinned(LOAD_CPU, [process.execPath, join(here, "cli-load.mjs"), ...args]);
    const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop();
      if (code !== 0 || !line) return fail(new Error(`cli-load ${args.join(" ")} failed (${code}):\n${err}`));
      ok(JSON.parse(line));
    });
  });
}

async function throughput(impl, config) {
  const window = ["--clients", config.clients.join(","), "--warmup", String(config.warmup), "--duration", String(config.duration)];
  if (impl === "child") {
    return runLoad(["--target", "stdio", "--child", JSON.stringify(pinned(SERVER_CPU, [process.execPath, EVERYTHING, "stdio"])), ...window]);
  }
  const proxy = await startProxy(impl);
  try {
    return await runLoad(["--target", "http", "--url", proxy.url, "--server-pid", String(proxy.pid), ...window]);
  } finally {
    await proxy.stop();
  }
}

/** RSS per idle session of the proxy process (its child is shared and not counted). */
async function idleSessions(impl, count) {
  const proxy = await startProxy(impl);
  try {
    await runLoad(["--target", "http", "--url", proxy.url, "--task", "sessions", "--count", "20"]);
    await proxy.gc();
    const before = rssKb(proxy.pid);
    await runLoad(["--target", "http", "--url", proxy.url, "--task", "sessions", "--count", String(count)]);
    await proxy.gc();
    const after = rssKb(proxy.pid);
    return { sessions: count, rssBeforeKb: before, rssAfterKb: after, kbPerSession: (after - before) / count };
  } finally {
    await proxy.stop();
  }
}

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : "—");
const fms = (x) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : "—");
const fx = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "—");
const mark = (ok) => (ok ? " ✅" : " ❌");

function report(raw, config) {
  const lines = [
    `The command line: @modelcontextprotocol/server-everything ${raw.everythingVersion} (stdio) behind each bin, echo tools/call, each client its own session calling one call after another. ${config.rounds} rounds (order alternates; medians shown), ${config.warmup} s warm-up, ${config.duration} s measured per client count.`,
    "",
    "| clients | implementation | calls/s | p50 ms | p99 ms | errors | CPU of the proxy process (child alone: of the child) |",
    "|---:|---|---:|---:|---:|---:|---:|",
  ];
  const rows = {};
  for (const clients of config.clients) {
    rows[clients] = {};
    for (const impl of IMPLS) {
      const runs = raw.throughput[impl].map((r) => r.find((x) => x.clients === clients));
      const row = { rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), errors: runs.reduce((a, r) => a + r.errors, 0), cpu: median(runs.map((r) => r.serverCpu)), runs };
      rows[clients][impl] = row;
      lines.push(`| ${clients} | ${CLI_LABEL[impl]} | ${f0(row.rps)} | ${fms(row.p50)} | ${fms(row.p99)} | ${row.errors} | ${Number.isFinite(row.cpu) ? `${f0(row.cpu * 100)} %` : "—"} |`);
    }
  }
  const pair = (clients, a, b, key) => median(rows[clients][a].runs.map((r, i) => r[key] / rows[clients][b].runs[i][key]));
  lines.push("", "| clients | calls/s this/6.7.19 | p99 this/6.7.19 | calls/s this/child alone |", "|---:|---:|---:|---:|");
  for (const clients of config.clients) {
    const target = clients === Math.max(...config.clients);
    const rps = pair(clients, "native", "mcp-proxy-67", "rps");
    const p99 = pair(clients, "native", "mcp-proxy-67", "p99");
    const ceiling = pair(clients, "native", "child", "rps");
    lines.push(`| ${clients} | ${fx(rps)}${target ? mark(rps >= 3) : ""} | ${fx(p99)}${target ? mark(p99 <= 1 / 3) : ""} | ${fx(ceiling)}${target ? mark(ceiling >= 0.7) : ""} |`);
  }
  if (raw.memory) {
    lines.push("", `RSS per idle session (proxy process, after a full GC, ${config.sessions} sessions; the shared child not counted):`, "");
    for (const impl of ["native", "mcp-proxy-67"]) {
      const m = raw.memory[impl];
      lines.push(`- ${CLI_LABEL[impl]}: ${m.kbPerSession.toFixed(1)} KB / session (RSS ${(m.rssBeforeKb / 1024).toFixed(1)} → ${(m.rssAfterKb / 1024).toFixed(1)} MB)${impl === "native" ? mark(m.kbPerSession <= 16) : ""}`);
    }
  }
  lines.push("", `Targets at ${Math.max(...config.clients)} clients: ≥ 3× mcp-proxy 6.7.19's calls/s, ≤ ⅓ of its p99, ≥ 70 % of the child alone; ≤ 16 KB per idle session.`);
  return lines.join("\n");
}

/** Runs the whole `--cli` bench; returns `{ raw, table }`. `impls` limits the implementations. */
export async function runCliBench({ rounds = 3, warmup = 2, duration = 5, clients = [1, 32], sessions = 500, memory = true, log = console.log } = {}) {
  const config = { rounds, warmup, duration, clients, sessions };
  const everythingVersion = JSON.parse(readFileSync(join(dirname(dirname(EVERYTHING)), "package.json"), "utf8")).version;
  const raw = { config, everythingVersion, throughput: Object.fromEntries(IMPLS.map((i) => [i, []])) };
  for (let round = 0; round < rounds; round++) {
    const order = [...IMPLS.slice(round % IMPLS.length), ...IMPLS.slice(0, round % IMPLS.length)];
    for (const impl of order) {
      const result = await throughput(impl, config);
      raw.throughput[impl].push(result);
      log(`cli round ${round + 1} ${CLI_LABEL[impl]}: ${result.map((r) => `${r.clients} clients ${f0(r.rps)} calls/s p99 ${fms(r.p99)} ms errors ${r.errors}`).join("; ")}`);
    }
  }
  if (memory) {
    raw.memory = {};
    for (const impl of ["native", "mcp-proxy-67"]) {
      raw.memory[impl] = await idleSessions(impl, sessions);
      log(`cli memory ${CLI_LABEL[impl]}: ${raw.memory[impl].kbPerSession.toFixed(1)} KB / idle session`);
    }
  }
  return { raw, table: report(raw, config) };
}
