// Development build of the addon, for a clone of the repository: `npm install` runs it (the
// `prepare` script, which npm runs for the project itself and never when the package is installed
// from a registry), `npm run build` forces it. It builds this machine's binary from source into
// native/, which lib/loader.js prefers over an installed platform package. Skipped when the
// binary is already there.
"use strict";
const { existsSync } = require("node:fs");
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const root = path.join(__dirname, "..");
const binary = path.join(root, "native", "mcp-proxy-native.node");
const force = process.argv.includes("--force");

if (existsSync(binary) && !force) {
  console.log(`mcp-proxy-native: using ${path.relative(root, binary)} (\`npm run build\` rebuilds it)`);
  process.exit(0);
}
console.log("mcp-proxy-native: building the addon from source (cargo, release; about a minute on two cores)");
const napi = spawnSync("npx", ["--no-install", "napi", "build", "--release", "--output-dir", "native", "--dts", "native.d.ts"], {
  cwd: root,
  stdio: "inherit",
});
if (napi.status !== 0) {
  console.error("mcp-proxy-native: building the addon failed; it needs a Rust toolchain (cargo) and @napi-rs/cli");
}
process.exit(napi.status ?? 1);
