// Development build of the addon, for a clone of the repository: `npm install` runs it (the
// `prepare` script, which npm runs for the project itself and never when the package is installed
// from a registry), `npm run build` forces it. It builds this machine's binary from source into
// native/, which lib/addon/loader.js prefers over an installed platform package. Skipped when the
// binary is there and no Rust source is newer than it (after a `git pull` that changed the
// Rust side, `npm install` rebuilds: a stale native/ would be loaded ahead of everything else).
"use strict";
const { existsSync, readdirSync, statSync } = require("node:fs");
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const root = path.join(__dirname, "..");
const binary = path.join(root, "native", "mcp-proxy-native.node");
const force = process.argv.includes("--force");

/** What the addon is built from (the workspace's manifests and Rust sources). */
const SOURCES = ["Cargo.toml", "Cargo.lock", "build.rs", "src", "crates"];

/** The newest modification time under `entry` (build output folders skipped). */
function newest(entry) {
  let stat;
  try {
    stat = statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const name of readdirSync(entry)) {
    if (name === "target" || name === "node_modules") continue;
    latest = Math.max(latest, newest(path.join(entry, name)));
  }
  return latest;
}

function upToDate() {
  if (!existsSync(binary)) return false;
  const built = statSync(binary).mtimeMs;
  return SOURCES.every((entry) => newest(path.join(root, entry)) <= built);
}

if (!force && upToDate()) {
  console.log(`mcp-proxy-native: using ${path.relative(root, binary)} (\`npm run build\` rebuilds it)`);
  process.exit(0);
}
if (existsSync(binary) && !force) console.log("mcp-proxy-native: the Rust sources changed since native/ was built");
console.log("mcp-proxy-native: building the addon from source (cargo, release; about a minute on two cores)");
const napi = spawnSync("npx", ["--no-install", "napi", "build", "--release", "--output-dir", "native", "--dts", "native.d.ts"], {
  cwd: root,
  stdio: "inherit",
});
if (napi.status !== 0) {
  console.error("mcp-proxy-native: building the addon failed; it needs a Rust toolchain (cargo) and @napi-rs/cli");
}
process.exit(napi.status ?? 1);
