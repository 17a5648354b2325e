"use strict";
// Finds and loads the compiled addon (lib/native.js loads it once), in this order:
//  1. MCP_PROXY_NATIVE_BINARY, a path (the benchmark loads its own release build this way);
//  2. native/mcp-proxy-native.node, what `npm install` builds in a clone of the repository. The
//     published package has no native/, so this is development only; it comes before (2) so that
//     the tests load the code being edited, never a platform package npm may also have installed;
//  3. the platform package mcp-proxy-native-<platform> (npm/ in the repository), an optional
//     dependency npm installs only where its os/cpu/libc match.
// Anything else is an error at import that says what was looked for, why it failed and what to do.
const path = require("node:path");
const fs = require("node:fs");
const { elfProblem } = require("./elf");
const { PACKAGE, PLATFORMS, platformName, packageName, binaryFile, detectLibc, glibcRuntime } = require("./platform");

const ROOT = path.join(__dirname, "..", "..");
const DEV_BINARY = path.join(ROOT, "native", "mcp-proxy-native.node");
const OLDEST_GLIBC = "2.17";

/** An addon that cannot be loaded; `code` tells the cases apart, `looked` lists what was tried. */
class NativeLoadError extends Error {
  constructor(code, message, looked, cause) {
    super(`${PACKAGE}: ${message}`, cause ? { cause } : undefined);
    this.name = "NativeLoadError";
    this.code = code;
    this.looked = looked;
  }
}

/** The process this module runs in, as the loader sees it (tests pass other ones). */
function hostContext() {
  const libc = process.platform === "linux" ? detectLibc() : undefined;
  return {
    platform: process.platform,
    arch: process.arch,
    libc,
    glibc: libc === "gnu" ? glibcRuntime() : undefined,
    env: process.env,
    devBinary: DEV_BINARY,
    version: require("../../package.json").version,
    resolve: (request) => require.resolve(request, { paths: [ROOT] }),
    fileExists: fs.existsSync,
  };
}

/**
 * Which file to load and where it came from, or a NativeLoadError. Nothing is loaded here.
 * @returns {{ file: string, source: "env" | "development" | "package", platform: string, package?: string }}
 */
function locate(ctx) {
  const name = platformName(ctx);
  const override = ctx.env.MCP_PROXY_NATIVE_BINARY;
  if (override) return { file: path.resolve(override), source: "env", platform: name };
  if (ctx.fileExists(ctx.devBinary)) return { file: ctx.devBinary, source: "development", platform: name };

  const looked = [ctx.devBinary];
  if (!PLATFORMS.includes(name)) {
    throw new NativeLoadError(
      "UNSUPPORTED_PLATFORM",
      `no prebuilt binary for this platform, ${name} (Node.js reports ${ctx.platform}/${ctx.arch}). ` +
        `Prebuilt binaries exist for ${PLATFORMS.join(", ")}. Elsewhere, build it from source ` +
        "(Rust and a C compiler): in a clone of the repository run `npm install`, then point " +
        "MCP_PROXY_NATIVE_BINARY at the native/mcp-proxy-native.node it builds.",
      looked,
    );
  }
  const pkg = packageName(name);
  looked.push(`${pkg}/package.json`);
  let manifestPath;
  try {
    manifestPath = ctx.resolve(`${pkg}/package.json`);
  } catch {
    throw new NativeLoadError(
      "PACKAGE_NOT_INSTALLED",
      `the binary for ${name} comes in the package ${pkg}@${ctx.version}, which is not installed. ` +
        "npm installs it along with mcp-proxy-native as an optional dependency, except when optional " +
        "dependencies are left out (--omit=optional, --no-optional) or when package-lock.json was " +
        `written on another platform. Install it with \`npm install ${pkg}@${ctx.version}\`.`,
      looked,
    );
  }
  const dir = path.dirname(manifestPath);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  if (manifest.version !== ctx.version) {
    throw new NativeLoadError(
      "VERSION_MISMATCH",
      `mcp-proxy-native@${ctx.version} needs ${pkg}@${ctx.version}, but ${dir} holds ${manifest.version}: ` +
        `the binary and this JavaScript would not agree. Install the matching one: \`npm install ${pkg}@${ctx.version}\`.`,
      looked,
    );
  }
  return { file: path.join(dir, manifest.main ?? binaryFile(name)), source: "package", platform: name, package: pkg };
}

/** Why dlopen refused a file, in terms of what the user can do about it. */
function explainLoadFailure(found, cause, ctx, seen) {
  const what =
    found.source === "env"
      ? "the file MCP_PROXY_NATIVE_BINARY names"
      : found.source === "development"
        ? "the development build (`npm run build` rebuilds it)"
        : `the binary of ${found.package}@${ctx.version}`;
  const fix =
    found.source === "package"
      ? `Reinstall it: \`npm install ${found.package}@${ctx.version} --force\`.`
      : found.source === "development"
        ? "Rebuild it with `npm run build`."
        : "Point MCP_PROXY_NATIVE_BINARY at a build for this platform.";
  const message = String(cause?.message ?? cause);
  const glibc = /GLIBC_([0-9.]+)' not found/.exec(message);
  let why;
  if (seen) {
    why = `the file is ${seen}.`;
  } else if (glibc) {
    why =
      `it needs glibc ${glibc[1]} or newer and this system has glibc ${ctx.glibc ?? "(unknown)"}. ` +
      `The published Linux binaries need glibc ${OLDEST_GLIBC}; on an older system build from source.`;
  } else if (/ENOENT|No such file/.test(message) && !ctx.fileExists(found.file)) {
    why = "the file is missing.";
  } else {
    why = `the file is damaged, truncated or not a Node.js addon for ${found.platform} (${message.split("\n")[0]}).`;
  }
  return new NativeLoadError("LOAD_FAILED", `cannot load ${what}, ${found.file}: ${why} ${fix}`, [found.file], cause);
}

/** Loads a `.node` file as `require` does, but never evaluates another kind of file as JavaScript. */
function dlopen(file) {
  const module = { exports: {} };
  process.dlopen(module, file);
  return module.exports;
}

/** Locates and loads the addon. */
function loadAddon(ctx = hostContext(), load = dlopen) {
  const found = locate(ctx);
  const problem = ctx.platform === "linux" ? elfProblem(found.file, ctx.arch) : null;
  if (problem) throw explainLoadFailure(found, new Error(problem), ctx, problem);
  try {
    return load(found.file);
  } catch (cause) {
    throw explainLoadFailure(found, cause, ctx);
  }
}

module.exports = { locate, loadAddon, hostContext, NativeLoadError };
