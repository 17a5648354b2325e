#!/usr/bin/env node
// `npm run bench [-- --quick]`: this package against mcp-proxy 6.6.0, mcp-proxy 6.7.19 (what
// FastMCP 4.20 depends on) and the in-process ceiling, same echo server (an SDK v1 McpServer, as
// FastMCP builds), same options, same load, alternating over rounds; then FastMCP 4.20's
// `initialize` latency over this package and over mcp-proxy 6.7.19. The
// 2026-07-28 mode ("modern") compares this package's modern leg with mcp-proxy 6.7.19's,
// both serving the same SDK v2 echo server, and with this package's 2025 stateless mode.
//
// Each HTTP server runs in its own process pinned to one core (taskset); the load generator
// (autocannon, bench/load.mjs) runs in another process pinned to the other core. The ceiling
// (bench/ceiling.mjs) runs on the server core. Memory is sampled from /proc/<pid>/status.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { INITIALIZE_BODY, PROTOCOL_VERSION } from "./echo-server.mjs";
import { runCliBench } from "./cli.mjs";

// `--cluster`: the cluster benchmark (bench/cluster.mjs) instead.
if (process.argv.includes("--cluster")) {
  await import("./cluster.mjs");
  process.exit(0);
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const binary = join(here, ".native", "mcp-proxy-native.node");

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    warmup: { type: "string" },
    duration: { type: "string" },
    sessions: { type: "string" },
    calls: { type: "string" },
    modes: { type: "string" },
    "no-build": { type: "boolean", default: false },
    "no-memory": { type: "boolean", default: false },
    write: { type: "boolean" },
    "cpu-prof": { type: "string" },
    "fastmcp-only": { type: "boolean", default: false },
    // The command line (bench/cli.mjs) alone; a full run (no --modes) includes it.
    cli: { type: "boolean", default: false },
  },
});

const config = {
  rounds: Number(opts.rounds ?? 3),
  // Quick mode (a spot check, under 3 minutes on 2 cores) shortens windows and memory runs.
  warmup: Number(opts.warmup ?? (opts.quick ? 0.4 : 2)),
  duration: Number(opts.duration ?? (opts.quick ? 0.8 : 5)),
  sessions: Number(opts.sessions ?? (opts.quick ? 300 : 1000)),
  calls: Number(opts.calls ?? (opts.quick ? 2_000 : 100_000)),
  callsWarmup: opts.quick ? 300 : 2_000,
  modes: (opts.modes ?? "sse,json,stateless,modern").split(","),
  connections: [50, 1],
  // FastMCP initialize latency: sequential initializes per implementation (the first is a warm-up).
  initializes: opts.quick ? 5 : 30,
};
const IMPLS = ["native", "mcp-proxy", "mcp-proxy-67", "ceiling"];
const LABEL = {
  native: "this (native)",
  "mcp-proxy": "mcp-proxy 6.6.0",
  "mcp-proxy-67": "mcp-proxy 6.7.19",
  ceiling: "ceiling (in-process)",
};
// Memory runs (100 000 calls per mode in a full run) stay on this package and 6.6.0: at
// mcp-proxy 6.7.19's req/s they would add about ten minutes; its throughput is measured.
const MEMORY_IMPLS = ["native", "mcp-proxy"];
// In the 2026-07-28 mode the slots are: ours, mcp-proxy 6.7.19's modern leg, our 2025
// stateless mode serving the same SDK v2 server (one server per request, like 2026), and the
// SDK's own handler in process with no HTTP at all (bench/ceiling.mjs --mode modern): what
// both HTTP layers serve 2026 requests through, so the most either can reach on that core.
const MODERN_LABEL = {
  native: "this (native)",
  "mcp-proxy": "mcp-proxy 6.7.19",
  ceiling: "this, 2025 stateless",
  sdk: "SDK handler alone (in-process)",
};
const labelOf = (mode, impl) => (mode === "modern" ? MODERN_LABEL : LABEL)[impl];
/** The slots a mode runs: 6.6.0 has no modern leg, so 2026-07-28 uses the four above. */
const implsOf = (mode) => (mode === "modern" ? ["native", "mcp-proxy", "ceiling", "sdk"] : IMPLS);
const MODE_LABEL = { sse: "stateful SSE", json: "stateful JSON", stateless: "stateless", modern: "2026-07-28" };

// ---------------------------------------------------------------- environment

const haveTaskset = spawnSync("taskset", ["-V"]).status === 0;
const cores = cpus().length;
const pinning = haveTaskset && cores >= 2;
const SERVER_CPU = 0;
const LOAD_CPU = 1;
if (!pinning) console.warn("warning: taskset or a second core missing; processes run unpinned");

function pinned(cpu, args) {
  return pinning ? ["taskset", ["-c", String(cpu), ...args]] : [args[0], args.slice(1)];
}

function sh(cmd) {
  return spawnSync("sh", ["-c", cmd], { encoding: "utf8" }).stdout.trimEnd();
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "target" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (/\.(rs|toml)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** A release build of the addon, separate from native/ (which other work uses as a debug build). */
function ensureReleaseBuild() {
  const sources = Math.max(
    newestMtime(join(root, "src")),
    newestMtime(join(root, "crates")),
    statSync(join(root, "Cargo.toml")).mtimeMs,
    statSync(join(root, "Cargo.lock")).mtimeMs,
  );
  const fresh = existsSync(binary) && statSync(binary).mtimeMs >= sources;
  if (fresh || (opts["no-build"] && existsSync(binary))) return;
  console.log(existsSync(binary) ? "sources changed: rebuilding the release addon" : "building the release addon");
  const build = spawnSync("npx", ["napi", "build", "--release", "--output-dir", "bench/.native"], {
    cwd: root,
    stdio: "inherit",
  });
  if (build.status !== 0 || !existsSync(binary)) throw new Error("release build of the addon failed");
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

// ---------------------------------------------------------------- processes

function onceMessage(child, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (msg) => {
      if (msg?.type === type) {
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(msg);
      }
    };
    const onExit = (code) => reject(new Error(`process exited (${code}) before "${type}"`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

async function startServer(impl, mode, { cpuProf, script = "server.mjs" } = {}) {
  const port = await freePort();
  const nodeArgs = ["--expose-gc"];
  if (cpuProf) nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${cpuProf}`);
  const [cmd, args] = pinned(SERVER_CPU, [
    process.execPath,
    ...nodeArgs,
    join(here, script),
    "--impl",
    impl,
    ...(mode ? ["--mode", mode] : []),
    "--port",
    String(port),
  ]);
  const child = spawn(cmd, args, {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    env: { ...process.env, MCP_PROXY_NATIVE_BINARY: binary },
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  try {
    await onceMessage(child, "ready");
  } catch (err) {
    throw new Error(`${impl} server failed to start: ${err.message}\n${stderr}`);
  }
  return {
    child,
    pid: child.pid,
    url: `http://127.0.0.1:${port}/mcp`,
    async gc() {
      child.send({ type: "gc" });
      return (await onceMessage(child, "gc-done")).memory;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ type: "stop" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a pinned Node child and returns its last stdout line as JSON; `onMessage` answers IPC. */
function runChild(cpu, script, args, onMessage) {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = pinned(cpu, [process.execPath, join(here, script), ...args]);
    const child = spawn(cmd, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe", "ipc"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    if (onMessage) {
      child.on("message", async (msg) => {
        await onMessage(msg);
        child.send({ type: "continue" });
      });
    }
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop();
      if (code !== 0 || !line) return reject(new Error(`${script} ${args.join(" ")} failed (${code}):\n${err}`));
      resolve(JSON.parse(line));
    });
  });
}

function load(server, mode, task, extra) {
  return (onMessage) =>
    runChild(
      LOAD_CPU,
      "load.mjs",
      ["--url", server.url, "--mode", mode, "--task", task, "--server-pid", String(server.pid), ...extra],
      onMessage,
    );
}

// ---------------------------------------------------------------- measurements

async function throughput(impl, mode) {
  const window = ["--warmup", String(config.warmup), "--duration", String(config.duration)];
  if (mode === "modern" && impl === "sdk") {
    return runChild(SERVER_CPU, "ceiling.mjs", ["--mode", "modern", "--concurrency", config.connections.join(","), ...window]);
  }
  if (mode === "modern") {
    const [serverImpl, serverMode, loadMode] = {
      native: ["native", "modern", "modern"],
      "mcp-proxy": ["mcp-proxy-67", "modern", "modern"],
      ceiling: ["native", "modern-stateless", "stateless"],
    }[impl];
    const server = await startServer(serverImpl, serverMode);
    try {
      return await load(server, loadMode, "throughput", ["--connections", config.connections.join(","), ...window])();
    } finally {
      await server.stop();
    }
  }
  if (impl === "ceiling") {
    return runChild(SERVER_CPU, "ceiling.mjs", ["--mode", mode, "--concurrency", config.connections.join(","), ...window]);
  }
  const server = await startServer(impl, mode);
  try {
    return await load(server, mode, "throughput", ["--connections", config.connections.join(","), ...window])();
  } finally {
    await server.stop();
  }
}

/** RSS per idle session: 1000 initialized sessions, RSS delta (after a full GC) / 1000. */
async function idleSessions(impl, mode) {
  const server = await startServer(impl, mode);
  try {
    await load(server, mode, "sessions", ["--count", "20"])();
    await server.gc();
    const before = rssKb(server.pid);
    await load(server, mode, "sessions", ["--count", String(config.sessions)])();
    const heap = await server.gc();
    const after = rssKb(server.pid);
    return { sessions: config.sessions, rssBeforeKb: before, rssAfterKb: after, kbPerSession: (after - before) / config.sessions, heapUsedKb: heap.heapUsed / 1024 };
  } finally {
    await server.stop();
  }
}

/** RSS growth over N tools/call on one session (after a warm-up; both samples after a full GC). */
async function callGrowth(impl, mode) {
  const server = await startServer(impl, mode);
  try {
    const samples = {};
    const result = await load(server, mode, "calls", ["--warmup", String(config.callsWarmup), "--count", String(config.calls)])(async (msg) => {
      await server.gc();
      samples[msg.name] = rssKb(server.pid);
    });
    return {
      calls: result.calls,
      errors: result.errors,
      rssBeforeKb: samples.warm,
      rssAfterKb: samples.done,
      growth: (samples.done - samples.warm) / samples.warm,
    };
  } finally {
    await server.stop();
  }
}

/**
 * FastMCP 4.20 `initialize` latency: a stateful FastMCP server over `impl`, then sequential
 * initialize POSTs (each answer read to its end, the session then DELETEd). mcp-proxy 6.7.19
 * awaits `server.connect()` before delivering the request, and FastMCP's connect polls for the
 * client's capabilities for up to 1 s first; this package delivers it while connect runs.
 */
async function fastmcpInitialize(impl) {
  const server = await startServer(impl, undefined, { script: "fastmcp-server.mjs" });
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  const times = [];
  try {
    for (let i = 0; i <= config.initializes; i++) {
      const started = performance.now();
      const res = await fetch(server.url, { method: "POST", headers, body: INITIALIZE_BODY });
      const body = await res.text();
      const ms = performance.now() - started;
      if (res.status !== 200 || !body.includes('"serverInfo"')) throw new Error(`${impl}: initialize answered ${res.status}: ${body.slice(0, 200)}`);
      if (i > 0) times.push(ms);
      const session = res.headers.get("mcp-session-id");
      if (session) {
        const end = await fetch(server.url, { method: "DELETE", headers: { "mcp-session-id": session, "mcp-protocol-version": PROTOCOL_VERSION } });
        await end.arrayBuffer();
      }
    }
    server.child.send({ type: "stats" });
    const { warnings } = await onceMessage(server.child, "stats-done");
    const sorted = [...times].sort((a, b) => a - b);
    return {
      initializes: times.length,
      medianMs: median(times),
      p90Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))],
      capabilityWarnings: warnings.filter((w) => w.includes("could not infer client capabilities")).length,
    };
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------- statistics and report

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "—");
const fmtMs = (x) => (Number.isFinite(x) ? (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1)) : "—");
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "—");
const mark = (ok) => (ok === undefined ? "" : ok ? " ✅" : " ❌");

function summarize(raw) {
  const rows = {};
  for (const mode of config.modes) {
    rows[mode] = {};
    for (const conns of config.connections) {
      const per = {};
      for (const impl of implsOf(mode)) {
        const runs = raw.throughput[mode][impl].map((r) => r.find((x) => x.connections === conns));
        per[impl] = {
          rps: median(runs.map((r) => r.rps)),
          p50: median(runs.map((r) => r.p50)),
          p99: median(runs.map((r) => r.p99)),
          errors: runs.reduce((a, r) => a + r.errors, 0),
          requests: runs.reduce((a, r) => a + r.requests, 0),
          serverCpu: median(runs.map((r) => r.serverCpu)),
          loadCpu: median(runs.map((r) => r.loadCpu)),
          runs,
        };
      }
      // Ratios are paired per round (neighbours in time), then the median is taken.
      const pair = (a, b, key) =>
        median(per[a].runs.map((r, i) => r[key] / per[b].runs[i][key]));
      rows[mode][conns] = {
        per,
        rpsVsProxy: pair("native", "mcp-proxy", "rps"),
        p99VsProxy: pair("native", "mcp-proxy", "p99"),
        rpsVs67: per["mcp-proxy-67"] ? pair("native", "mcp-proxy-67", "rps") : NaN,
        p99Vs67: per["mcp-proxy-67"] ? pair("native", "mcp-proxy-67", "p99") : NaN,
        rpsVsCeiling: pair("native", "ceiling", "rps"),
        sdkVsProxy: per.sdk ? pair("sdk", "mcp-proxy", "rps") : NaN,
        sdkP99VsProxy: per.sdk ? pair("sdk", "mcp-proxy", "p99") : NaN,
      };
    }
  }
  return rows;
}

/** The FastMCP 4.20 initialize table (lines), or nothing when it was not measured. */
function fastmcpReport(raw) {
  const f = raw.fastmcp;
  if (!f) return [];
  const lines = [
    `FastMCP 4.20 \`initialize\` (stateful, SSE; ${config.initializes} sequential initializes after a warm-up, each answer read to its end):`,
    "",
    "| implementation | median ms | p90 ms | FastMCP \"could not infer client capabilities\" warnings |",
    "|---|---:|---:|---:|",
  ];
  for (const impl of ["native", "mcp-proxy-67"]) {
    const r = f[impl];
    lines.push(`| ${LABEL[impl]} | ${fmtMs(r.medianMs)} | ${fmtMs(r.p90Ms)} | ${r.capabilityWarnings} / ${r.initializes + 1} |`);
  }
  lines.push("", `Ratio 6.7.19 / this (median): ${fmtRatio(f["mcp-proxy-67"].medianMs / f.native.medianMs)}.`, "");
  return lines;
}

function report(raw, rows, meta) {
  const lines = [];
  const out = (s = "") => lines.push(s);
  out(`Rounds: ${config.rounds} (implementations alternate within each round; medians shown). Windows: ${config.warmup} s warm-up, ${config.duration} s measured.`);
  out(`Memory (this package and 6.6.0): RSS of the server process after a full GC; ${config.sessions} idle sessions; ${config.calls} calls on one session (50 connections).`);
  out();
  out("| mode | conns | implementation | req/s | p50 ms | p99 ms | errors | server CPU | load CPU | KB / idle session | RSS over calls |");
  out("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const mode of config.modes) {
    for (const conns of config.connections) {
      for (const impl of implsOf(mode)) {
        const r = rows[mode][conns].per[impl];
        const mem = raw.memory?.[mode]?.[impl];
        const showMem = conns === config.connections[0] && mem;
        const perSession = showMem && mem.sessions ? fmt(mem.sessions.kbPerSession, 1) : "—";
        const growth = showMem && mem.calls
          ? `${fmt(mem.calls.rssBeforeKb / 1024, 1)}→${fmt(mem.calls.rssAfterKb / 1024, 1)} MB (${mem.calls.growth >= 0 ? "+" : ""}${fmt(mem.calls.growth * 100, 1)} %)`
          : "—";
        out(
          `| ${MODE_LABEL[mode]} | ${conns} | ${labelOf(mode, impl)} | ${fmt(r.rps)} | ${fmtMs(r.p50)} | ${fmtMs(r.p99)} | ${r.errors} / ${r.requests} | ${fmt(r.serverCpu * 100)} % | ${(impl === "ceiling" && mode !== "modern") || impl === "sdk" ? "—" : `${fmt(r.loadCpu * 100)} %`} | ${perSession} | ${growth} |`,
        );
      }
    }
  }
  out();
  out("Ratios (this package / other; medians of per-round ratios). Targets from issues 5 and 11 marked ✅/❌. \"mcp-proxy\" is 6.6.0, except for 2026-07-28, where it is 6.7.19's modern leg and \"ceiling\" is this package's 2025 stateless mode (same SDK v2 server).");
  out();
  out("| mode | conns | req/s this/mcp-proxy | p99 this/mcp-proxy | req/s this/6.7.19 | p99 this/6.7.19 | req/s this/ceiling | idle-session memory this/mcp-proxy | RSS growth over calls (this) |");
  out("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const mode of config.modes) {
    for (const conns of config.connections) {
      const r = rows[mode][conns];
      const target = conns === 50;
      const stateful = mode !== "stateless";
      const modern = mode === "modern";
      const mem = raw.memory?.[mode];
      const memRatio = mem?.native?.sessions && mem?.["mcp-proxy"]?.sessions
        ? mem.native.sessions.kbPerSession / mem["mcp-proxy"].sessions.kbPerSession
        : NaN;
      const growth = mem?.native?.calls?.growth;
      const showMem = conns === config.connections[0];
      out(
        `| ${MODE_LABEL[mode]} | ${conns} | ${fmtRatio(r.rpsVsProxy)}${target ? mark(r.rpsVsProxy >= (stateful ? 3 : 1.5)) : ""} | ${fmtRatio(r.p99VsProxy)}${target && stateful ? mark(r.p99VsProxy <= 1 / 3) : ""} | ${fmtRatio(r.rpsVs67)} | ${fmtRatio(r.p99Vs67)} | ${fmtRatio(r.rpsVsCeiling)}${target && stateful && !modern ? mark(r.rpsVsCeiling >= 0.7) : ""} | ${showMem && Number.isFinite(memRatio) ? `${fmtRatio(memRatio)}${mark(memRatio <= 0.25)}` : "—"} | ${showMem && Number.isFinite(growth) ? `${growth >= 0 ? "+" : ""}${fmt(growth * 100, 1)} %${mark(Math.abs(growth) <= 0.1)}` : "—"} |`,
      );
    }
  }
  out();
  if (config.modes.includes("modern")) {
    const r = rows.modern[config.connections[0]];
    out(
      `2026-07-28 at ${config.connections[0]} connections: the SDK's handler alone, in process with no HTTP, reaches ${fmtRatio(r.sdkVsProxy)} mcp-proxy 6.7.19's req/s with ${fmtRatio(r.sdkP99VsProxy)} its p99; this package reaches ${fmtRatio(r.rpsVsProxy)} and ${fmtRatio(r.p99VsProxy)}. Both HTTP layers serve every 2026 request through that handler (CONTRACT §12): the first pair is what an HTTP layer with no cost at all would reach.`,
    );
    out();
  }
  out("Targets: stateful 50 connections ≥ 3× mcp-proxy req/s, ≤ ⅓ of its p99, ≥ 70 % of the ceiling; stateless ≥ 1.5× mcp-proxy; 2026-07-28 ≥ 3× mcp-proxy 6.7.19's req/s, ≤ ⅓ of its p99; idle-session memory ≤ ¼ of mcp-proxy's; RSS within 10 % over the calls.");
  out(`Errors are failed calls / calls made (connection errors, ${2} s timeouts, non-200 or wrong bodies), summed over rounds.`);
  out();
  for (const line of fastmcpReport(raw)) out(line);
  out("Machine:");
  out();
  out("```");
  out(`$ date\n${meta.date}`);
  out(`$ nproc\n${meta.nproc}`);
  out(`$ free -h\n${meta.free}`);
  out(`$ uname -a\n${meta.uname}`);
  out(`CPU: ${meta.cpu}; node ${process.version}; load average at start: ${meta.loadavg}`);
  out("```");
  return lines.join("\n");
}

// ---------------------------------------------------------------- main

async function main() {
  const started = Date.now();
  const meta = {
    date: sh("date"),
    nproc: sh("nproc"),
    free: sh("free -h"),
    uname: sh("uname -a"),
    cpu: cpus()[0]?.model ?? "unknown",
    loadavg: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  };
  ensureReleaseBuild();

  if (opts["cpu-prof"]) {
    // A profile of one implementation's server under the 50-connection load (first mode given).
    const dir = resolve(opts["cpu-prof"]);
    mkdirSync(dir, { recursive: true });
    const mode = config.modes[0];
    const server = await startServer("native", mode, { cpuProf: dir });
    const result = await load(server, mode, "throughput", ["--connections", "50", "--warmup", String(config.warmup), "--duration", String(config.duration)])();
    await server.stop();
    console.log(JSON.stringify(result), `profile written to ${dir}`);
    return;
  }

  const raw = { config, meta, throughput: {}, memory: {} };
  const measureFastmcp = async () => {
    raw.fastmcp = {};
    for (const impl of ["native", "mcp-proxy-67"]) {
      raw.fastmcp[impl] = await fastmcpInitialize(impl);
      const r = raw.fastmcp[impl];
      process.stdout.write(`FastMCP 4.20 initialize over ${LABEL[impl]}: median ${fmtMs(r.medianMs)} ms, p90 ${fmtMs(r.p90Ms)} ms, capability warnings ${r.capabilityWarnings}\n`);
    }
  };
  const cliConfig = { rounds: config.rounds, warmup: opts.quick ? 0.5 : 2, duration: opts.quick ? 1.5 : 5, sessions: opts.quick ? 200 : 500, memory: !opts["no-memory"] };
  if (opts.cli) {
    const cli = await runCliBench(cliConfig);
    console.log(`\n${cli.table}\n\nCommand: ${meta.command}`);
    mkdirSync(join(here, "results"), { recursive: true });
    writeFileSync(join(here, "results", "cli.json"), `${JSON.stringify({ meta, ...cli.raw }, null, 1)}\n`);
    writeFileSync(join(here, "results", "cli.md"), `Command: \`${meta.command}\`\n\n${cli.table}\n`);
    return;
  }
  if (opts["fastmcp-only"]) {
    await measureFastmcp();
    console.log(`\n${fastmcpReport(raw).join("\n")}`);
    return;
  }
  for (const mode of config.modes) {
    raw.throughput[mode] = Object.fromEntries(implsOf(mode).map((i) => [i, []]));
  }
  const total = config.rounds * config.modes.reduce((n, mode) => n + implsOf(mode).length, 0);
  let done = 0;
  for (let round = 0; round < config.rounds; round++) {
    for (const [m, mode] of config.modes.entries()) {
      const impls = implsOf(mode);
      const shift = (round + m) % impls.length;
      const order = [...impls.slice(shift), ...impls.slice(0, shift)];
      for (const impl of order) {
        const result = await throughput(impl, mode);
        raw.throughput[mode][impl].push(result);
        done++;
        const c50 = result.find((r) => r.connections === 50);
        process.stdout.write(
          `[${done}/${total}] round ${round + 1} ${mode} ${labelOf(mode, impl)}: ${fmt(c50.rps)} req/s p99 ${fmtMs(c50.p99)} ms (50 conns), errors ${result.reduce((a, r) => a + r.errors, 0)}\n`,
        );
      }
    }
  }

  const throughputSeconds = ((Date.now() - started) / 1000).toFixed(0);
  await measureFastmcp();
  if (!opts["no-memory"]) {
    // The 2026-07-28 mode has no sessions; its memory is not measured.
    for (const mode of config.modes.filter((m) => m !== "modern")) {
      raw.memory[mode] = {};
      for (const impl of MEMORY_IMPLS) {
        const entry = {};
        if (mode !== "stateless") entry.sessions = await idleSessions(impl, mode);
        entry.calls = await callGrowth(impl, mode);
        raw.memory[mode][impl] = entry;
        process.stdout.write(
          `memory ${mode} ${impl}: ${entry.sessions ? `${fmt(entry.sessions.kbPerSession, 1)} KB/session, ` : ""}RSS ${fmt(entry.calls.rssBeforeKb / 1024, 1)}→${fmt(entry.calls.rssAfterKb / 1024, 1)} MB over ${entry.calls.calls} calls (errors ${entry.calls.errors})\n`,
        );
      }
    }
  }

  if (!opts.modes) raw.cli = await runCliBench(cliConfig);

  const rows = summarize(raw);
  const table = `${report(raw, rows, meta)}${raw.cli ? `\n\n${raw.cli.table}\n` : ""}`;
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\n${table}\n\nCommand: ${meta.command} (${elapsed} s; throughput phase done at ${throughputSeconds} s)`);

  const resultsDir = join(here, "results");
  mkdirSync(resultsDir, { recursive: true });
  const name = opts.quick ? "quick" : "full";
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify({ ...raw, summary: rows, elapsedSeconds: Number(elapsed) }, null, 1)}\n`);
  writeFileSync(join(resultsDir, `${name}.md`), `Command: \`${meta.command}\` (${elapsed} s)\n\n${table}\n`);

  // A full run refreshes the generated part of RESULTS.md; the analysis around it is kept.
  if (opts.write ?? !opts.quick) {
    const path = join(here, "RESULTS.md");
    const begin = "<!-- bench:begin (generated by bench/run.mjs) -->";
    const end = "<!-- bench:end -->";
    const block = `${begin}\nCommand: \`${meta.command}\` (took ${elapsed} s)\n\n${table}\n${end}`;
    const current = existsSync(path) ? readFileSync(path, "utf8") : `# Benchmark results\n\n${begin}\n${end}\n`;
    const next = current.includes(begin)
      ? current.slice(0, current.indexOf(begin)) + block + current.slice(current.indexOf(end) + end.length)
      : `${current}\n${block}\n`;
    writeFileSync(path, next);
    console.log("bench/RESULTS.md updated");
  }
}

await main();
