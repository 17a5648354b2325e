#!/usr/bin/env node
// The README's "use it as mcp-proxy" instructions, followed as a new user would:
// a fresh directory, this repo packed as a release packs it (the main package, and this machine's
// platform package around the development build in native/, so installing builds nothing), a
// package.json with FastMCP and `mcp-proxy` aliased to the package, then scenarios
// (scripts/alias-smoke/*.mjs, copied into that directory and run there) that start FastMCP
// servers written as FastMCP's README shows (nothing changed for us) and drive them with the
// official SDK clients and raw sockets. The package is not published yet, so
// `npm:mcp-proxy-native@<range>` is replaced by the local tarball (`file:<tarball>`), which npm
// treats the same way, and an `overrides` entry points the optional dependency on the platform
// package at its tarball.
//
//   node scripts/alias-smoke.mjs [--form readme|recommended] [--tarball <path> --platform-tarball <path>]
//                                [--fastmcp <version>]
//                                [--scenarios streamable,stateless,legacy-sse,oauth-proxy] [--keep]
//
// --form readme       (default) applies the JSON snippets the README gives for aliasing, verbatim
//                     but for the tarball substitution (for FastMCP 3, also the SDK pin it gives).
// --form recommended  applies the form this script recommends: the dependency alias PLUS an
//                     `overrides` entry, so FastMCP's own `mcp-proxy` dependency resolves to it too.
// --scenarios         which scripts/alias-smoke scenarios to run (default: streamable); each
//                     result lands in the summary's `scenarios`.
//
// Exit codes: 0 = FastMCP ran on this package and every scenario passed; 1 = failed (the
// reason is printed); 77 = the npm registry is unreachable (callers may skip).
// The last stdout line is `ALIAS-SMOKE <json summary>`.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync, existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { packMain, packPlatform } from "./release/pack-lib.mjs";

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

/**
 * The JSON code block(s) of the README that alias mcp-proxy, merged into one object; for
 * FastMCP 3, also the block that pins the SDK version it needs.
 */
function readmeAliasSnippet(fastmcpMajor) {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```jsonc?\n([\s\S]*?)```/g)].map((m) => m[1]);
  const aliasing = blocks.filter(
    (b) => /"mcp-proxy"\s*:/.test(b) || (fastmcpMajor === 3 && /"@modelcontextprotocol\/sdk"\s*:/.test(b)),
  );
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
  if (fastmcpMajor === 3 && !JSON.stringify(merged).includes("@modelcontextprotocol/sdk")) {
    finish(1, "README.md gives no ```json block pinning @modelcontextprotocol/sdk for FastMCP 3");
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
process.on("exit", () => {
  if (!keep) rmSync(tmp, { recursive: true, force: true });
});

const { platformName, packageName, detectLibc } = createRequire(import.meta.url)("../lib/addon/platform.js");
const platform = platformName({ platform: process.platform, arch: process.arch, libc: detectLibc() });
let tarball = arg("tarball");
let platformTarball = arg("platform-tarball");
if (!tarball || !platformTarball) {
  log("packing", root, "and", platform, "from native/");
  tarball = await packMain(tmp);
  platformTarball = await packPlatform(platform, path.join(root, "native", "mcp-proxy-native.node"), tmp);
}
tarball = path.resolve(tarball);
platformTarball = path.resolve(platformTarball);
for (const t of [tarball, platformTarball]) if (!existsSync(t)) finish(1, `no tarball at ${t}`);
const tarballSpec = `file:${tarball}`;
const platformOverride = { [packageName(platform)]: `file:${platformTarball}` };

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
const fastmcpMajor = Number(/\d+/.exec(fastmcpVersion)?.[0]);
if (form === "readme") alias = substituteTarball(readmeAliasSnippet(fastmcpMajor), tarballSpec);
else if (form === "recommended") alias = { dependencies: { "mcp-proxy": tarballSpec }, overrides: { "mcp-proxy": "$mcp-proxy" } };
else finish(1, `unknown --form ${form}`);
summary.alias = structuredClone(alias);
alias.overrides = { ...(alias.overrides ?? {}), ...platformOverride };

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

// 5. The scenarios, run in the app directory against what it installed.
const scenarioDir = path.join(root, "scripts", "alias-smoke");
for (const file of readdirSync(scenarioDir)) copyFileSync(path.join(scenarioDir, file), path.join(app, file));
const SCENARIOS = {
  streamable: { file: "streamable.mjs", env: {} },
  stateless: { file: "streamable.mjs", env: { STATELESS: "1" } },
  "legacy-sse": { file: "legacy-sse.mjs", env: {} },
  "oauth-proxy": { file: "oauth-proxy.mjs", env: {} },
};
summary.scenarios = {};
const failed = [];
for (const name of arg("scenarios", "streamable").split(",").filter(Boolean)) {
  const known = SCENARIOS[name];
  if (!known) finish(1, `unknown scenario ${name}`);
  log("scenario", name);
  const out = run(process.execPath, [known.file], { cwd: app, env: { ...process.env, ...known.env }, timeout: 90_000 });
  const line = out.stdout.split("\n").find((l) => l.startsWith("SCENARIO "));
  const result = line ? JSON.parse(line.slice("SCENARIO ".length)) : { ok: false, reason: `no result (exit ${out.status}):\n${out.stdout}\n${out.stderr}` };
  summary.scenarios[name] = result;
  if (!result.ok) failed.push(`${name}: ${result.reason}`);
}
if (failed.length) finish(1, failed.join("\n"));
summary.ok = true;
finish(0);
