#!/usr/bin/env node
// `npm run release:pack`: builds the addon for every platform of npm/ on this (Linux x64)
// machine and writes the packages a release publishes into release/:
//   release/mcp-proxy-native-<version>.tgz              JavaScript and types, no binary
//   release/mcp-proxy-native-<platform>-<version>.tgz   one stripped binary each
// Each binary is a `dist` build (the release profile, stripped) by cargo-zigbuild, which links
// Linux glibc targets against glibc 2.17. Checks before packing: the binary's format and CPU,
// and on glibc targets that no symbol needs a glibc newer than 2.17.
//
//   node scripts/release/pack.mjs [--platforms linux-x64-gnu,linux-arm64-gnu] [--out release]
//
// --platforms  build and pack only these (test:release uses it for the two it tests);
//              the main package is always packed.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { packMain, packPlatform, root, version } from "./pack-lib.mjs";
import { TARGETS, zigTarget } from "./targets.mjs";
import { TOOLS, ensureRustTargets, ensureZig } from "./tools.mjs";

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i !== -1 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const platforms = arg("platforms", Object.keys(TARGETS).join(",")).split(",");
const out = path.resolve(root, arg("out", "release"));
for (const p of platforms) if (!TARGETS[p]) throw new Error(`unknown platform ${p}; known: ${Object.keys(TARGETS).join(", ")}`);

const log = (...args) => console.log("[release:pack]", ...args);

/** The header facts a loader cares about: format and CPU, checked against the platform name. */
function checkBinary(platform, file) {
  const buf = readFileSync(file);
  const [os, arch] = platform.split("-");
  let format, cpu;
  if (buf.readUInt32BE(0) === 0x7f454c46) {
    format = "linux";
    cpu = { 62: "x64", 183: "arm64" }[buf.readUInt16LE(18)];
  } else if (buf.readUInt32LE(0) === 0xfeedfacf) {
    format = "darwin";
    cpu = { 0x01000007: "x64", 0x0100000c: "arm64" }[buf.readUInt32LE(4)];
  } else if (buf.toString("latin1", 0, 2) === "MZ") {
    format = "win32";
    const pe = buf.readUInt32LE(0x3c);
    cpu = { 0x8664: "x64", 0xaa64: "arm64" }[buf.readUInt16LE(pe + 4)];
  }
  if (format !== os || cpu !== arch) throw new Error(`${file} is ${format ?? "unknown"}/${cpu ?? "unknown"}, not ${platform}`);
  const glibc = TARGETS[platform].glibc;
  if (glibc) {
    // Versioned symbol names sit in .dynstr as plain strings: the newest is what the binary needs.
    const versions = [...buf.toString("latin1").matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const [major, minor] = versions.sort((a, b) => a[0] - b[0] || a[1] - b[1]).at(-1) ?? [0, 0];
    const [wantMajor, wantMinor] = glibc.split(".").map(Number);
    if (major > wantMajor || (major === wantMajor && minor > wantMinor)) {
      throw new Error(`${file} needs GLIBC_${major}.${minor}, newer than the ${glibc} it is built for`);
    }
    return `needs glibc ${major}.${minor}`;
  }
  return "";
}

/**
 * napi-build links windows-gnu addons with `-lnode` against a libnode.dll (MSYS2's Node), which a
 * Windows Node.js does not have. The addon references no Node symbol at link time (Windows
 * builds look Node-API up in node.exe when loaded: napi's `dyn-symbols`, see Cargo.toml), so an
 * empty import library satisfies the link; napi-build only checks that libnode.dll exists.
 */
function emptyNodeImportLibrary() {
  const dir = path.join(TOOLS, "libnode");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "libnode.a"), "!<arch>\n");
  writeFileSync(path.join(dir, "libnode.dll"), "");
  return dir;
}

function build(platform, zigPath) {
  const target = TARGETS[platform];
  const env = { ...process.env, PATH: `${zigPath}${path.delimiter}${process.env.PATH}` };
  if (platform.endsWith("-musl")) {
    // musl targets link the C runtime statically by default, and then rustc drops the cdylib.
    env[`CARGO_TARGET_${target.rust.toUpperCase().replaceAll("-", "_")}_RUSTFLAGS`] = "-C target-feature=-crt-static";
  }
  if (target.rust.endsWith("-windows-gnu")) env.LIBNODE_PATH = emptyNodeImportLibrary();
  // The cc crate reads CFLAGS_<target>: only this target's C builds see the flags.
  if (target.cflags) env[`CFLAGS_${target.rust.replaceAll("-", "_")}`] = target.cflags;
  const args = ["zigbuild", "--profile", "dist", "--target", zigTarget(platform), "-p", "mcp-proxy-native", "--locked"];
  log(`cargo ${args.join(" ")}`);
  const r = spawnSync("nice", ["cargo", ...args], { cwd: root, env, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`building ${platform} failed (exit ${r.status})`);
  return path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, "target"), target.rust, "dist", target.file);
}

const started = Date.now();
ensureRustTargets(platforms.map((p) => TARGETS[p].rust));
const zigPath = ensureZig();
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith(".tgz")) rmSync(path.join(out, f));

const rows = [];
for (const platform of platforms) {
  const t0 = Date.now();
  const binary = build(platform, zigPath);
  const note = checkBinary(platform, binary);
  const tarball = await packPlatform(platform, binary, out);
  rows.push({ platform, seconds: Math.round((Date.now() - t0) / 1000), bytes: statSync(binary).size, note, tarball });
}
const main = await packMain(out);

log(`version ${version()}, ${Math.round((Date.now() - started) / 1000)} s in all (builds run under nice)`);
for (const r of rows) {
  log(`${r.platform.padEnd(18)} ${String(r.seconds).padStart(5)} s ${(r.bytes / 1e6).toFixed(2).padStart(6)} MB  ${r.note}`);
}
log("wrote", [main, ...rows.map((r) => r.tarball)].map((f) => path.relative(root, f)).join(", "));
