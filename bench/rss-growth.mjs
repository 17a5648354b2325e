// Is RSS growth over many calls a leak? Serves this package (stateful JSON) pinned to core 0,
// drives N tools/call on one session from core 1, and prints RSS after a full GC before and
// after, plus RSS every 5 s. `--semi MB` caps V8's young generation (--max-semi-space-size):
// growth that disappears with it is V8 sizing its heap to the load, not memory held by the
// HTTP layer.
//
//   node bench/rss-growth.mjs [--calls 400000] [--semi 1]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { calls: { type: "string", default: "400000" }, semi: { type: "string" } } });
const here = dirname(fileURLToPath(import.meta.url));
const port = 40000 + Math.floor(Math.random() * 10000);
const v8 = values.semi ? [`--max-semi-space-size=${values.semi}`] : [];

const server = spawn(
  "taskset",
  ["-c", "0", process.execPath, "--expose-gc", ...v8, join(here, "server.mjs"), "--impl", "native", "--mode", "json", "--port", String(port)],
  {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    env: { ...process.env, MCP_PROXY_NATIVE_BINARY: join(here, ".native", "mcp-proxy-native.node") },
  },
);
await new Promise((resolve) => server.on("message", (m) => m?.type === "ready" && resolve()));
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"))[1]) / 1024;
const gc = () =>
  new Promise((resolve) => {
    server.once("message", resolve);
    server.send({ type: "gc" });
  });

const load = spawn(
  "taskset",
  ["-c", "1", process.execPath, join(here, "load.mjs"), "--url", `http://127.0.0.1:${port}/mcp`, "--mode", "json", "--task", "calls", "--warmup", "2000", "--count", values.calls],
  { stdio: ["ignore", "ignore", "inherit", "ipc"] },
);
load.on("message", async (m) => {
  await gc();
  console.log(`${m.name}: RSS after GC ${rssMb().toFixed(1)} MB`);
  load.send("go");
});
const ticker = setInterval(() => console.log(`  RSS ${rssMb().toFixed(1)} MB`), 5000);
await new Promise((resolve) => load.on("exit", resolve));
clearInterval(ticker);
server.kill();
