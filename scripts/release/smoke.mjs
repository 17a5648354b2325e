#!/usr/bin/env node
// One platform's binary on a machine of that platform (the release workflow's test matrix):
// the main package and release/mcp-proxy-native-<platform>-<version>.tgz installed into an empty
// folder, then an SDK client's tool call served through it. Needs only Node.js and npm.
//
//   node scripts/release/smoke.mjs <platform> [release dir, default release/]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { serveAndCall } from "./app.mjs";
import { root, version } from "./pack-lib.mjs";

const platform = process.argv[2];
const v = version();
const devDeps = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).devDependencies;
const app = mkdtempSync(path.join(os.tmpdir(), "mcp-proxy-smoke-"));
const dir = path.resolve(process.argv[3] ?? path.join(root, "release"));
const tarball = (name) => "file:" + path.join(dir, `${name}-${v}.tgz`);
writeFileSync(
  path.join(app, "package.json"),
  JSON.stringify({
    name: "release-smoke",
    version: "1.0.0",
    private: true,
    dependencies: { "mcp-proxy-native": tarball("mcp-proxy-native"), "@modelcontextprotocol/sdk": devDeps["@modelcontextprotocol/sdk"], zod: devDeps.zod },
    // The optional dependency on this platform's package, from its tarball instead of the registry.
    overrides: { [`mcp-proxy-native-${platform}`]: tarball(`mcp-proxy-native-${platform}`) },
  }),
);
const npm = spawnSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: app, stdio: "inherit", shell: process.platform === "win32" });
if (npm.status !== 0) process.exit(1);
const served = await serveAndCall(app, process.execPath, [], process.env, 60);
rmSync(app, { recursive: true, force: true });
const ok = served.text === `42 on ${process.platform}-${process.arch}` && String(served.addon).includes(`mcp-proxy-native-${platform}`);
console.log(ok ? `${platform}: served through ${served.addon}` : `${platform} FAILED:\n${served.output}`);
console.log(`smoke: ${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
process.exit(ok ? 0 : 1);
