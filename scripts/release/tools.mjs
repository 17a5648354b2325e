// What cross-building the release needs beyond the machine's Rust toolchain, installed by the
// project itself (a fresh machine has none of it): the Rust standard library of each target
// (rustup), and Zig with cargo-zigbuild (both from PyPI, in a virtualenv under .release-tools/)
// as the C compiler and linker for every target, which links Linux against glibc 2.17 and
// macOS and Windows without their SDKs.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { root } from "./pack-lib.mjs";

export const TOOLS = path.join(root, ".release-tools");
const VENV = path.join(TOOLS, "venv");
const PIP_PACKAGES = ["ziglang==0.17.1", "cargo-zigbuild==0.24.1"];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

/** Adds the Rust targets (no-op for those already installed). */
export function ensureRustTargets(targets) {
  const installed = spawnSync("rustup", ["target", "list", "--installed"], { encoding: "utf8" }).stdout ?? "";
  const missing = targets.filter((t) => !installed.split("\n").includes(t));
  if (missing.length) run("rustup", ["target", "add", ...missing]);
}

/** Creates the virtualenv with Zig and cargo-zigbuild; returns the PATH entry that has them. */
export function ensureZig() {
  const bin = path.join(VENV, "bin");
  const have = spawnSync(path.join(bin, "pip"), ["freeze"], { encoding: "utf8" }).stdout ?? "";
  if (PIP_PACKAGES.every((p) => have.includes(p))) return bin;
  if (!existsSync(path.join(bin, "python"))) run("python3", ["-m", "venv", VENV]);
  run(path.join(bin, "pip"), ["install", "--quiet", ...PIP_PACKAGES]);
  return bin;
}
