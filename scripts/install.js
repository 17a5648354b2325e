// `npm install` hook: builds the addon from source (release) unless a build is already
// there, as in a packed tarball that ships native/. `npm run build` forces a rebuild.
"use strict";
const { existsSync } = require("node:fs");
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const root = path.join(__dirname, "..");
const binary = path.join(root, "native", "mcp-proxy-native.node");
const force = process.argv.includes("--force");

if (existsSync(binary) && !force) {
  console.log(`mcp-proxy-native: using ${path.relative(root, binary)}`);
  process.exit(0);
}
const napi = spawnSync("npx", ["--no-install", "napi", "build", "--release", "--output-dir", "native", "--dts", "native.d.ts"], {
  cwd: root,
  stdio: "inherit",
});
if (napi.status !== 0) {
  console.error("mcp-proxy-native: building the addon failed; it needs a Rust toolchain (cargo) and @napi-rs/cli");
}
process.exit(napi.status ?? 1);
