// `npm run bench -- --cluster`: this package as a cluster (CONTRACT §14) against itself alone.
// Three instances on one redis-server behind nginx (round-robin, no affinity), against one
// instance (with the cluster option) and one without it, reached directly. Same echo server,
// same load (bench/load.mjs: one stateful SSE session, tools/call at 50 and 1 connections),
// alternating over rounds. Redis commands per call come from Redis's own counter
// (INFO stats total_commands_processed) over each measured window; the three leases' heartbeats
// (one command per instance per second) are in it.
//
// On a 2-core machine the three instances, nginx, Redis and the load share the cores: read the
// ratios, not the absolute numbers.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import net, { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    cluster: { type: "boolean" },
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    warmup: { type: "string" },
    duration: { type: "string" },
    "no-build": { type: "boolean" },
  },
  strict: false,
});
const rounds = Number(opts.rounds ?? (opts.quick ? 1 : 3));
const warmup = String(opts.warmup ?? (opts.quick ? 0.5 : 2));
const duration = String(opts.duration ?? (opts.quick ? 2 : 5));

async function freePort() {
  const probe = createNetServer();
  await new Promise((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}

async function waitPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

const children = [];
function track(child) {
  children.push(child);
  return child;
}
async function stopAll() {
  for (const child of children.splice(0).reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}
process.on("exit", () => children.forEach((c) => c.kill("SIGKILL")));

async function startRedis() {
  const port = await freePort();
  track(spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" }));
  await waitPort(port);
  return port;
}

async function startInstance(redisPort) {
  const port = await freePort();
  const args = [join(here, "server.mjs"), "--impl", "native", "--mode", "sse", "--port", String(port)];
  if (redisPort) args.push("--cluster", `redis://127.0.0.1:${redisPort}`);
  const child = track(spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit", "ipc"] }));
  await new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`instance exited (${code})`)));
  });
  return port;
}

async function startNginx(upstreams) {
  const dir = mkdtempSync(join(tmpdir(), "mcpn-bench-nginx-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "nginx.conf"),
    `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
  upstream mcp { ${upstreams.map((p) => `server 127.0.0.1:${p};`).join(" ")} keepalive 64; }
  server { listen 127.0.0.1:${port};
    location / { proxy_pass http://mcp; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $http_host;
      proxy_buffering off; proxy_request_buffering off; proxy_read_timeout 3600s; } }
}`,
  );
  track(spawn("nginx", ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: "ignore" }));
  await waitPort(port);
  return { port, dir };
}

function redisCommands(port) {
  const info = execFileSync("redis-cli", ["-p", String(port), "info", "stats"], { encoding: "utf8" });
  return Number(/total_commands_processed:(\d+)/.exec(info)[1]);
}

function load(url, redisPort) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(here, "load.mjs"), "--url", url, "--mode", "sse", "--task", "throughput", "--connections", "50,1", "--warmup", warmup, "--duration", duration],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const before = redisPort ? redisCommands(redisPort) : 0;
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`load exited ${code}`));
      const rows = JSON.parse(out.trim().split("\n").at(-1));
      const commands = redisPort ? redisCommands(redisPort) - before : 0;
      const requests = rows.reduce((n, r) => n + r.requests, 0);
      resolve(rows.map((r) => ({ ...r, redisPerCall: redisPort ? commands / requests : 0 })));
    });
    child.once("error", reject);
  });
}

const redisPort = await startRedis();
const alone = await startInstance(undefined);
const single = await startInstance(redisPort);
const three = [await startInstance(redisPort), await startInstance(redisPort), await startInstance(redisPort)];
const nginx = await startNginx(three);
const setups = {
  "1 instance, no cluster (direct)": [`http://127.0.0.1:${alone}/mcp`, undefined],
  "1 instance, cluster (direct)": [`http://127.0.0.1:${single}/mcp`, redisPort],
  "3 instances, cluster, nginx round-robin": [`http://127.0.0.1:${nginx.port}/mcp`, redisPort],
};
const results = {};
try {
  for (let round = 0; round < rounds; round++) {
    for (const [name, [url, redis]] of Object.entries(setups)) {
      const rows = await load(url, redis);
      for (const row of rows) (results[`${name}|${row.connections}`] ??= []).push(row);
    }
  }
} finally {
  await stopAll();
  rmSync(nginx.dir, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\nCluster benchmark: stateful SSE tools/call, ${rounds} round(s) of ${duration} s (median)\n`);
console.log("| setup | connections | req/s | p99 ms | errors | Redis commands per call |");
console.log("|---|---|---|---|---|---|");
for (const [key, rows] of Object.entries(results)) {
  const [name, connections] = key.split("|");
  console.log(
    `| ${name} | ${connections} | ${median(rows.map((r) => r.rps)).toFixed(0)} | ${median(rows.map((r) => r.p99)).toFixed(1)} | ${rows.reduce((n, r) => n + r.errors, 0)} | ${median(rows.map((r) => r.redisPerCall)).toFixed(2)} |`,
  );
}
