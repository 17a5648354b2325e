// FastMCP 4.20 (the fastmcp4 alias), stateful httpStream, in its own (pinned) process, over the
// implementation named by --impl: its `import "mcp-proxy"` is pointed at that module.
// argv: --impl native|mcp-proxy-67 --port N. IPC: "ready" once listening; {type:"stats"} is
// answered with the FastMCP warnings seen; {type:"stop"} stops it.
import { register } from "node:module";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { impl: { type: "string" }, port: { type: "string" } } });
const targets = { native: new URL("../index.mjs", import.meta.url).href, "mcp-proxy-67": "mcp-proxy-67" };
if (!targets[values.impl]) throw new Error(`unknown impl ${values.impl}`);
register("./mcp-proxy-hook.mjs", import.meta.url, { data: { target: targets[values.impl] } });

const { FastMCP } = await import("fastmcp4");
const { z } = await import("zod");

console.log = () => {};
const warnings = [];
const server = new FastMCP({
  name: "bench-fastmcp",
  version: "1.0.0",
  logger: { debug() {}, info() {}, log() {}, error() {}, warn: (...args) => warnings.push(args.map(String).join(" ")) },
});
server.addTool({
  name: "echo",
  description: "Echoes its text",
  parameters: z.object({ text: z.string() }),
  execute: async ({ text }) => text,
});
await server.start({ transportType: "httpStream", httpStream: { port: Number(values.port), host: "127.0.0.1" } });

process.on("message", (msg) => {
  if (msg?.type === "stats") process.send({ type: "stats-done", warnings });
  else if (msg?.type === "stop") Promise.resolve(server.stop()).finally(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));
process.send?.({ type: "ready", pid: process.pid });
