#!/usr/bin/env node
// `npm run bench:h2 [-- --duration 5 --rounds 2]`: this package's HTTP/2 against its HTTP/1.1,
// in one run, same server process (the SDK v1 echo server, stateless mode, tools/call echo):
//   h2c, 1 connection × 100 concurrent streams
//   h2c, 50 connections × 1 stream each
//   HTTP/1.1, 50 connections (keep-alive, no pipelining)
// The load generator is h2load (Debian's `nghttp2-client`; installed here with apt-get when it is
// missing and we are root), so both protocols meet the same client. The server is pinned to one
// core and h2load to the other (taskset), rows alternate over rounds; req/s is h2load's own
// figure, p99 is computed from its per-request log.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { callBody, PROTOCOL_VERSION } from "./echo-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: { duration: { type: "string" }, rounds: { type: "string" }, warmup: { type: "string" } },
});
const duration = Number(opts.duration ?? 5);
const rounds = Number(opts.rounds ?? 2);
const warmup = Number(opts.warmup ?? 1);

function haveH2load() {
  return spawnSync("h2load", ["--version"]).status === 0;
}
if (!haveH2load()) {
  if (process.getuid?.() === 0 && spawnSync("apt-get", ["--version"]).status === 0) {
    console.error("h2load missing: apt-get install -y nghttp2-client");
    spawnSync("apt-get", ["install", "-y", "nghttp2-client"], { stdio: "inherit" });
  }
  if (!haveH2load()) {
    console.error("bench:h2 needs h2load (Debian/Ubuntu: apt-get install nghttp2-client)");
    process.exit(1);
  }
}

const pinning = cpus().length >= 2 && spawnSync("taskset", ["-V"]).status === 0;
const pinned = (cpu, cmd, args) => (pinning ? ["taskset", ["-c", String(cpu), cmd, ...args]] : [cmd, args]);

const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

const port = await freePort();
const [cmd, args] = pinned(0, process.execPath, [join(here, "server.mjs"), "--impl", "native", "--mode", "stateless", "--port", String(port)]);
const server = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
await new Promise((ok, fail) => {
  server.on("message", (m) => m?.type === "ready" && ok());
  server.on("exit", (code) => fail(new Error(`server exited with ${code}`)));
});

const dir = mkdtempSync(join(tmpdir(), "bench-h2-"));
const body = join(dir, "call.json");
writeFileSync(body, callBody(1));
const ROWS = [
  { name: "h2c, 1 connection × 100 streams", flags: ["-c", "1", "-m", "100"] },
  { name: "h2c, 50 connections × 1 stream", flags: ["-c", "50", "-m", "1"] },
  { name: "HTTP/1.1, 50 connections", flags: ["--h1", "-c", "50", "-m", "1"] },
];

function run(row, round) {
  const log = join(dir, `${round}-${ROWS.indexOf(row)}.log`);
  const [c, a] = pinned(1, "h2load", [
    ...row.flags,
    "-t", "1",
    "-D", String(duration),
    `--warm-up-time=${warmup}`,
    "-d", body,
    "-H", "content-type: application/json",
    "-H", "accept: application/json, text/event-stream",
    "-H", `mcp-protocol-version: ${PROTOCOL_VERSION}`,
    `--log-file=${log}`,
    `http://127.0.0.1:${port}/mcp`,
  ]);
  const out = spawnSync(c, a, { encoding: "utf8" });
  const reqs = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out.stdout)?.[1]);
  const lines = readFileSync(log, "utf8").trim().split("\n").map((l) => l.split("\t"));
  const times = lines.map((l) => Number(l[2])).sort((x, y) => x - y);
  const failed = lines.filter((l) => l[1] !== "200").length;
  if (!Number.isFinite(reqs)) console.error(out.stdout, out.stderr);
  return { reqs, p99: times[Math.floor(times.length * 0.99)] / 1000, p50: times[Math.floor(times.length / 2)] / 1000, failed, n: times.length };
}

const results = new Map(ROWS.map((r) => [r, []]));
for (let round = 0; round < rounds; round++) {
  for (const row of ROWS) results.get(row).push(run(row, round));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results.get(ROWS[2]).map((r) => r.reqs));
console.log(`\nHTTP/2 vs HTTP/1.1, stateless tools/call echo, h2load, ${rounds} rounds × ${duration} s (medians)${pinning ? "" : " (unpinned)"}\n`);
console.log("| load | req/s | vs HTTP/1.1 × 50 | p50 ms | p99 ms | non-200 |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const row of ROWS) {
  const rs = results.get(row);
  const reqs = median(rs.map((r) => r.reqs));
  console.log(
    `| ${row.name} | ${reqs.toFixed(0)} | ${(reqs / base).toFixed(2)} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ${median(rs.map((r) => r.p99)).toFixed(2)} | ${rs.reduce((s, r) => s + r.failed, 0)} |`,
  );
}
server.send({ type: "stop" });
await new Promise((ok) => server.once("exit", ok));
rmSync(dir, { recursive: true, force: true });
