"use strict";
// Which prebuilt binary this machine needs: napi-rs' platform names (`linux-x64-gnu`…), one npm
// package per platform (`mcp-proxy-native-<platform>`, see npm/). Pure apart from detectLibc, so
// the loader's choice can be tested for platforms other than the one running the tests.
const { readFileSync } = require("node:fs");

const PACKAGE = "mcp-proxy-native";

/** The platforms that ship a binary, in napi-rs' naming; each is npm/<name>/ in the repository. */
const PLATFORMS = [
  "linux-x64-gnu",
  "linux-arm64-gnu",
  "linux-x64-musl",
  "linux-arm64-musl",
  "darwin-x64",
  "darwin-arm64",
  // MinGW, not MSVC: the MSVC SDK cannot be fetched where releases are built (README "Install").
  "win32-x64-gnu",
];

/**
 * The platform name for this process: `<os>-<arch>` plus, on Linux, the C library, as napi-rs
 * names it; also for a platform that ships no binary (so an error can name it).
 */
function platformName({ platform, arch, libc }) {
  if (platform === "linux") return `linux-${arch}-${libc}`;
  if (platform === "win32") return `win32-${arch}-gnu`;
  return `${platform}-${arch}`;
}

/** The npm package that carries the binary for a platform name. */
function packageName(name) {
  return `${PACKAGE}-${name}`;
}

/** The binary's file name inside its package, as `napi build --platform` names it. */
function binaryFile(name) {
  return `${PACKAGE}.${name}.node`;
}

/**
 * "gnu" or "musl" for a Linux process, decided at run time: Node's diagnostic report names the
 * glibc this Node was built for and runs on, and has no such field on musl (Alpine). Where the
 * report is unavailable, /usr/bin/ldd tells which C library the system has (napi-rs' loader
 * uses the same two signs).
 */
function detectLibc(report = readReport(), readLdd = readLddScript) {
  if (report?.header) return report.header.glibcVersionRuntime ? "gnu" : "musl";
  const ldd = readLdd();
  return ldd != null && ldd.includes("musl") ? "musl" : "gnu";
}

/** The glibc version this process runs on ("2.36"), or undefined on musl or elsewhere. */
function glibcRuntime(report = readReport()) {
  return report?.header?.glibcVersionRuntime;
}

function readReport() {
  if (typeof process.report?.getReport !== "function") return undefined;
  // The network part of the report can take seconds to gather (DNS); the libc needs none of it.
  const exclude = process.report.excludeNetwork;
  process.report.excludeNetwork = true;
  try {
    return process.report.getReport();
  } finally {
    process.report.excludeNetwork = exclude;
  }
}

function readLddScript() {
  try {
    return readFileSync("/usr/bin/ldd", "utf8");
  } catch {
    return null;
  }
}

module.exports = { PACKAGE, PLATFORMS, platformName, packageName, binaryFile, detectLibc, glibcRuntime };
