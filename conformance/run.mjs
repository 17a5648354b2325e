// `npm run test:conformance`: the official MCP conformance suite, server mode, against the
// SDK v2 everything server (conformance/everything-server.mjs) served by this package's
// startHTTPServer (stateful, default options, bound to loopback):
//   - 2026-07-28: @modelcontextprotocol/conformance@0.2.0-alpha.12 `--requirements 2026-07-28`
//     (the frozen set the revision requires; the suite needs Node ≥ 22, which the npm
//     package node@22 provides through npx without touching the machine's Node);
//   - 2025: @modelcontextprotocol/conformance@0.1.16, its default (active) suite.
// Exits non-zero when a suite reports a failed check. `--only 2026` / `--only 2025` runs one.
import { spawn } from "node:child_process";
import { startHTTPServer } from "../index.mjs";
import { createMcpServer, setNotifier } from "./everything-server.mjs";

const SUITES = {
  2026: ["-p", "@modelcontextprotocol/conformance@0.2.0-alpha.12", "--", "conformance", "server", "--requirements", "2026-07-28"],
  2025: ["-p", "@modelcontextprotocol/conformance@0.1.16", "--", "conformance", "server"],
};

const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;

function run(args, url) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn("npx", ["-y", "-p", "node@22", ...args, "--url", url], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.on("close", (code) => resolve({ code, out, seconds: (Date.now() - started) / 1000 }));
  });
}

const server = await startHTTPServer({ port: 0, host: "127.0.0.1", createServer: async () => createMcpServer() });
setNotifier(server.notify);
const url = `http://127.0.0.1:${server.port}/mcp`;
let failed = false;
for (const [name, args] of Object.entries(SUITES)) {
  if (only && only !== name) continue;
  console.log(`\n=== conformance ${name} against ${url} ===`);
  const { code, seconds } = await run(args, url);
  console.log(`=== conformance ${name}: exit ${code} after ${seconds.toFixed(0)} s ===`);
  if (code !== 0) failed = true;
}
await server.close();
process.exit(failed ? 1 : 0);
