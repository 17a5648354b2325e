// One HTTP implementation serving the echo server, in its own (pinned) process.
// argv: --impl native|mcp-proxy|mcp-proxy-67 --mode sse|json|stateless|modern|modern-stateless --port N
// modern: the SDK v2 echo server, 2026-07-28 traffic (default options); modern-stateless: the
// same SDK v2 server in 2025-era stateless mode.
// Talks to the orchestrator over IPC: "ready" once listening; answers {type:"gc"} with memory.
import { parseArgs } from "node:util";
import { createModernServer, createServer } from "./echo-server.mjs";

const { values } = parseArgs({
  options: { impl: { type: "string" }, mode: { type: "string" }, port: { type: "string" }, cluster: { type: "string" } },
});

const modeOptions = {
  sse: { stateless: false, enableJsonResponse: false },
  json: { stateless: false, enableJsonResponse: true },
  stateless: { stateless: true, enableJsonResponse: false },
  modern: {},
  "modern-stateless": { stateless: true, enableJsonResponse: false },
}[values.mode];
if (!modeOptions) throw new Error(`unknown mode ${values.mode}`);

const modules = { native: "../index.mjs", "mcp-proxy": "mcp-proxy-upstream", "mcp-proxy-67": "mcp-proxy-67" };
if (!modules[values.impl]) throw new Error(`unknown impl ${values.impl}`);
const { startHTTPServer } = await import(modules[values.impl]);

// mcp-proxy logs every session's transport lifecycle; the benchmark output stays quiet.
console.log = () => {};

// Same server code, same options for every implementation.
const server = await startHTTPServer({
  port: Number(values.port),
  host: "127.0.0.1",
  createServer: values.mode.startsWith("modern") ? createModernServer : createServer,
  ...modeOptions,
  // bench/cluster.mjs: an instance of a cluster on this Redis (CONTRACT §14).
  ...(values.cluster ? { cluster: { redis: values.cluster } } : {}),
});

process.on("message", (msg) => {
  if (msg?.type === "gc") {
    globalThis.gc?.();
    setTimeout(() => {
      globalThis.gc?.();
      process.send({ type: "gc-done", memory: process.memoryUsage() });
    }, 100);
  } else if (msg?.type === "stop") {
    Promise.resolve(server.close?.()).finally(() => process.exit(0));
  }
});
process.on("disconnect", () => process.exit(0));
process.send?.({ type: "ready", pid: process.pid });
