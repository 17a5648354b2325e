#!/usr/bin/env node
// `npm run fuzz -- [seconds] [target…]`: runs each cargo-fuzz target of fuzz/ for the given
// time (default 60 s), one after the other, starting from the committed seeds
// (fuzz/seeds/<target>) and the local corpus (fuzz/corpus/<target>, not committed).
// Installs the nightly toolchain and cargo-fuzz when they are missing. Exits non-zero on
// the first crash, whose input libFuzzer leaves in fuzz/artifacts/<target>/.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const fuzzDir = join(root, "fuzz");

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: "inherit", ...options });
  if (result.error) throw result.error;
  return result.status;
}

function hasCargoFuzz() {
  return spawnSync("cargo", ["fuzz", "--version"], { stdio: "ignore" }).status === 0;
}

const [secondsArg, ...only] = process.argv.slice(2);
const seconds = secondsArg === undefined ? 60 : Number(secondsArg);
if (!Number.isInteger(seconds) || seconds < 1) {
  console.error("usage: npm run fuzz -- [seconds per target] [target…]");
  process.exit(2);
}

if (spawnSync("cargo", ["+nightly", "--version"], { stdio: "ignore" }).status !== 0) {
  console.log("the nightly toolchain is missing: rustup toolchain install nightly --profile minimal");
  if (run("rustup", ["toolchain", "install", "nightly", "--profile", "minimal"]) !== 0) process.exit(1);
}
if (!hasCargoFuzz()) {
  console.log("cargo-fuzz is missing: cargo install cargo-fuzz");
  if (run("cargo", ["install", "cargo-fuzz"]) !== 0) process.exit(1);
}

const manifest = readFileSync(join(fuzzDir, "Cargo.toml"), "utf8");
const targets = [...manifest.matchAll(/^\[\[bin\]\]\s*\nname = "([^"]+)"/gm)].map((m) => m[1]);
const chosen = only.length ? only : targets;
for (const name of chosen) {
  if (!targets.includes(name)) {
    console.error(`unknown fuzz target ${name} (known: ${targets.join(", ")})`);
    process.exit(2);
  }
}

for (const target of chosen) {
  const corpus = join("corpus", target);
  mkdirSync(join(fuzzDir, corpus), { recursive: true });
  console.log(`\n== fuzz ${target}: ${seconds} s`);
  const status = run(
    "cargo",
    ["+nightly", "fuzz", "run", target, corpus, join("seeds", target), "--", `-max_total_time=${seconds}`, "-print_final_stats=1"],
    { cwd: fuzzDir },
  );
  if (status !== 0) {
    console.error(`fuzz target ${target} failed (status ${status}); see fuzz/artifacts/${target}/`);
    process.exit(1);
  }
}
console.log(`\nfuzz: ${chosen.length} target(s) ran ${seconds} s each without a crash`);
