#!/usr/bin/env node
// The README's "use it as mcp-proxy" instructions, followed as a new user would:
// a fresh directory, this repo `npm pack`ed (the tarball ships native/, so installing it builds
// nothing), a package.json with FastMCP and `mcp-proxy` aliased to the package, a tiny FastMCP
// server written as FastMCP's README shows (nothing changed for us), and an SDK client calling a
// tool. The package is not published yet, so `npm:mcp-proxy-native@<range>` is replaced by the
// local tarball (`file:<tarball>`), which npm treats the same way.
//
//   node scripts/alias-smoke.mjs [--form readme|recommended] [--tarball <path>] [--fastmcp <version>] [--keep]
//
// --form readme       (default) applies the JSON snippet the README gives for aliasing, verbatim
//                     but for the tarball substitution.
// --form recommended  applies the form this script recommends: the dependency alias PLUS an
//                     `overrides` entry, so FastMCP's own `mcp-proxy` dependency resolves to it too.
//
// Exit codes: 0 = FastMCP ran on this package and the client called a tool; 1 = failed (the
// reason is printed); 77 = the npm registry is unreachable (callers may skip).
// The last stdout line is `ALIAS-SMOKE <json summary>`.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i !== -1 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const form = arg("form", "readme");
const keep = argv.includes("--keep");
const started = Date.now();
const summary = { form, ok: false };

function log(...args) {
  console.log("[alias-smoke]", ...args);
}

function finish(code, reason) {
  summary.ms = Date.now() - started;
  if (reason) summary.reason = reason;
  if (code === 1) console.error(`[alias-smoke] FAILED: ${reason}`);
  console.log(`ALIAS-SMOKE ${JSON.stringify(summary)}`);
  process.exit(code);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: opts.timeout ?? 120_000, ...opts });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
}

/** The JSON code block(s) of the README that alias mcp-proxy, merged into one object. */
function readmeAliasSnippet() {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```jsonc?\n([\s\S]*?)```/g)].map((m) => m[1]);
  const aliasing = blocks.filter((b) => /"mcp-proxy"\s*:/.test(b));
  if (aliasing.length === 0) finish(1, "README.md has no ```json block with a \"mcp-proxy\" entry");
  const merged = {};
  for (const b of aliasing) {
    let parsed;
    try {
      parsed = JSON.parse(b);
    } catch (e) {
      finish(1, `README.md alias snippet is not valid JSON: ${e.message}\n${b}`);
    }
    for (const [k, v] of Object.entries(parsed)) merged[k] = { ...(merged[k] ?? {}), ...v };
  }
  return merged;
}

/** Replaces every `npm:mcp-proxy-native@<range>` (unpublished) with the tarball. */
function substituteTarball(value, tarballSpec) {
  if (typeof value === "string") return value.replace(/^npm:mcp-proxy-native@.*$/, tarballSpec);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteTarball(v, tarballSpec)]));
  }
  return value;
}

async function freePort() {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// 0. The registry must be reachable (a new user installs FastMCP from it).
const ping = run("npm", ["ping"], { timeout: 20_000 });
if (ping.status !== 0) {
  summary.skipped = "npm registry unreachable";
  console.log(ping.stderr.trim());
  finish(77);
}

// 1. A fresh directory and the packed package.
const tmp = mkdtempSync(path.join(os.tmpdir(), "mcp-proxy-alias-"));
summary.dir = tmp;
let server;
process.on("exit", () => {
  if (server && server.exitCode === null) server.kill("SIGKILL");
  if (!keep) rmSync(tmp, { recursive: true, force: true });
});

let tarball = arg("tarball");
if (!tarball) {
  log("npm pack", root);
  const packed = run("npm", ["pack", "--json", "--pack-destination", tmp], { cwd: root });
  if (packed.status !== 0) finish(1, `npm pack failed:\n${packed.stderr}`);
  tarball = path.join(tmp, JSON.parse(packed.stdout)[0].filename);
}
tarball = path.resolve(tarball);
if (!existsSync(tarball)) finish(1, `no tarball at ${tarball}`);
const tarballSpec = `file:${tarball}`;

// 2. package.json as the README (or the recommended form) says.
const fastmcpVersion =
  arg("fastmcp") ??
  (() => {
    try {
      return JSON.parse(readFileSync(path.join(root, "node_modules", "fastmcp4", "package.json"), "utf8")).version;
    } catch {
      return "^4";
    }
  })();
let alias;
if (form === "readme") alias = substituteTarball(readmeAliasSnippet(), tarballSpec);
else if (form === "recommended") alias = { dependencies: { "mcp-proxy": tarballSpec }, overrides: { "mcp-proxy": "$mcp-proxy" } };
else finish(1, `unknown --form ${form}`);
summary.alias = alias;

const app = path.join(tmp, "app");
mkdirSync(app);
const pkg = {
  name: "fastmcp-alias-smoke",
  version: "1.0.0",
  private: true,
  type: "module",
  ...alias,
  dependencies: { fastmcp: fastmcpVersion, zod: "^4", ...(alias.dependencies ?? {}) },
};
writeFileSync(path.join(app, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
log("package.json:", JSON.stringify(pkg));

// 3. npm install.
const install = run("npm", ["install", "--no-audit", "--no-fund"], { cwd: app, timeout: 150_000 });
if (install.status !== 0) finish(1, `npm install failed (${install.error?.message ?? install.status}):\n${install.stderr}`);

// 4. Which mcp-proxy does FastMCP load?
const fastmcpEntry = path.join(app, "node_modules", "fastmcp", "dist", "FastMCP.js");
let resolved;
try {
  resolved = createRequire(fastmcpEntry).resolve("mcp-proxy");
} catch (e) {
  finish(1, `FastMCP cannot resolve mcp-proxy: ${e.message}`);
}
let dir = path.dirname(resolved);
while (!existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
const loaded = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
summary.fastmcp = JSON.parse(readFileSync(path.join(app, "node_modules", "fastmcp", "package.json"), "utf8")).version;
summary.mcpProxyLoadedByFastMCP = `${loaded.name}@${loaded.version} (${path.relative(app, dir)})`;
log("FastMCP", summary.fastmcp, "loads mcp-proxy from", summary.mcpProxyLoadedByFastMCP);
if (loaded.name !== "mcp-proxy-native") {
  finish(
    1,
    `FastMCP imports ${loaded.name}@${loaded.version} from ${path.relative(app, dir)}, not mcp-proxy-native: ` +
      `FastMCP depends on mcp-proxy@${JSON.parse(readFileSync(path.join(app, "node_modules", "fastmcp", "package.json"), "utf8")).dependencies["mcp-proxy"]}, ` +
      `which the top-level alias (mcp-proxy-native@${JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version}) does not satisfy, so npm nests the real package; an "overrides" entry is needed`,
  );
}

// 5. A tiny FastMCP server, exactly as FastMCP's README writes one (default host: localhost).
writeFileSync(
  path.join(app, "server.mjs"),
  `import { FastMCP } from "fastmcp";
import { z } from "zod";

const server = new FastMCP({ name: "alias-smoke", version: "1.0.0" });

server.addTool({
  name: "add",
  description: "Add two numbers",
  parameters: z.object({ a: z.number(), b: z.number() }),
  execute: async (args) => String(args.a + args.b),
});

server.start({ transportType: "httpStream", httpStream: { port: Number(process.env.PORT) } });
`,
);
writeFileSync(
  path.join(app, "client.mjs"),
  `import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = new URL(\`http://localhost:\${process.env.PORT}/mcp\`);
const client = new Client({ name: "alias-smoke-client", version: "1.0.0" });
const transport = new StreamableHTTPClientTransport(url);
await client.connect(transport);
const { tools } = await client.listTools();
const result = await client.callTool({ name: "add", arguments: { a: 40, b: 2 } });
const preflight = await fetch(url, { method: "OPTIONS", headers: { origin: "http://app.example", "access-control-request-method": "DELETE" } });
await transport.terminateSession();
await client.close();
console.log(JSON.stringify({
  tools: tools.map((t) => t.name),
  text: result.content[0].text,
  allowMethods: preflight.headers.get("access-control-allow-methods"),
}));
`,
);

const port = await freePort();
summary.port = port;
server = spawn(process.execPath, ["server.mjs"], { cwd: app, env: { ...process.env, PORT: String(port) } });
let serverOut = "";
server.stdout.on("data", (d) => (serverOut += d));
server.stderr.on("data", (d) => (serverOut += d));

const deadline = Date.now() + 20_000;
for (;;) {
  if (server.exitCode !== null) finish(1, `the FastMCP server exited (${server.exitCode}):\n${serverOut}`);
  const ok = await fetch(`http://localhost:${port}/health`).then(
    (r) => r.status === 200,
    () => false,
  );
  if (ok) break;
  if (Date.now() > deadline) finish(1, `the FastMCP server did not answer /health within 20 s:\n${serverOut}`);
  await new Promise((r) => setTimeout(r, 100));
}

// 6. The SDK client calls the tool.
const client = run(process.execPath, ["client.mjs"], { cwd: app, env: { ...process.env, PORT: String(port) }, timeout: 30_000 });
if (client.status !== 0) finish(1, `the SDK client failed:\n${client.stderr}\nserver output:\n${serverOut}`);
const seen = JSON.parse(client.stdout.trim().split("\n").pop());
summary.client = seen;
if (seen.text !== "42") finish(1, `tool "add" answered ${JSON.stringify(seen.text)}, expected "42"`);
// mcp-proxy's CORS defaults omit DELETE; ours include it: the answer came from this package.
if (!/DELETE/.test(seen.allowMethods ?? "")) finish(1, `preflight Allow-Methods ${seen.allowMethods} lacks DELETE: not served by mcp-proxy-native?`);

server.kill("SIGTERM");
await new Promise((r) => (server.exitCode !== null ? r() : server.once("exit", r)));
summary.ok = true;
finish(0);
