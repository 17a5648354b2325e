// Issue 10: which binary the loader picks (lib/addon/loader.js) and the error it gives, at import, when
// it cannot load one. The choice for other platforms is checked on `locate` with that platform's
// context and a real node_modules tree; loading is checked for real, in a Node process started in
// a folder laid out as `npm install mcp-proxy-native` lays it out (a copy of this package without
// native/, and the platform package), with a good, a damaged or an unloadable binary in it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { needingGlibc299, withMachine } from "./elf-patch";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const { locate, hostContext } = require("../lib/addon/loader.js");
const { PLATFORMS, platformName, packageName, binaryFile, detectLibc } = require("../lib/addon/platform.js");
const version: string = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version;
const devBinary = path.join(root, "native", "mcp-proxy-native.node");
const here = hostContext();
const herePlatform: string = platformName(here);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "mcp-proxy-loader-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A folder with node_modules/<platform package> holding `binary`; returns the folder. */
function withPlatformPackage(platform: string, binary: Buffer, pkgVersion = version): string {
  const app = mkdtempSync(path.join(tmp, "app-"));
  const dir = path.join(app, "node_modules", packageName(platform));
  mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(root, "npm", platform, "package.json"), "utf8"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...manifest, version: pkgVersion }));
  writeFileSync(path.join(dir, binaryFile(platform)), binary);
  return app;
}

/** The context `locate` sees for another machine, resolving packages from `app`. */
function context(over: Record<string, unknown>, app = tmp) {
  return {
    ...here,
    env: {},
    devBinary: path.join(tmp, "no-such-dir", "mcp-proxy-native.node"),
    version,
    resolve: (request: string) => require.resolve(request, { paths: [app] }),
    ...over,
  };
}

function thrown(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error("did not throw");
}

describe("the loader's choice", () => {
  it("names each platform's package as npm/<platform>/ does, musl and glibc apart", () => {
    const cases: [Record<string, string>, string][] = [
      [{ platform: "linux", arch: "x64", libc: "gnu" }, "linux-x64-gnu"],
      [{ platform: "linux", arch: "x64", libc: "musl" }, "linux-x64-musl"],
      [{ platform: "linux", arch: "arm64", libc: "gnu" }, "linux-arm64-gnu"],
      [{ platform: "linux", arch: "arm64", libc: "musl" }, "linux-arm64-musl"],
      [{ platform: "darwin", arch: "x64" }, "darwin-x64"],
      [{ platform: "darwin", arch: "arm64" }, "darwin-arm64"],
      [{ platform: "win32", arch: "x64" }, "win32-x64-gnu"],
    ];
    for (const [host, name] of cases) {
      const app = withPlatformPackage(name, Buffer.from("binary"));
      const found = locate(context(host, app));
      expect(found).toEqual({
        file: path.join(app, "node_modules", `mcp-proxy-native-${name}`, `mcp-proxy-native.${name}.node`),
        source: "package",
        platform: name,
        package: `mcp-proxy-native-${name}`,
      });
    }
    expect(cases.map(([, name]) => name).sort()).toEqual([...PLATFORMS].sort());
  });

  it("prefers the development build, and MCP_PROXY_NATIVE_BINARY over both", () => {
    const app = withPlatformPackage("linux-x64-gnu", Buffer.from("binary"));
    const dev = path.join(app, "native.node");
    writeFileSync(dev, "dev");
    const linux = { platform: "linux", arch: "x64", libc: "gnu", devBinary: dev };
    expect(locate(context(linux, app))).toMatchObject({ file: dev, source: "development" });
    const env = { MCP_PROXY_NATIVE_BINARY: "elsewhere/x.node" };
    expect(locate(context({ ...linux, env }, app))).toMatchObject({ file: path.resolve("elsewhere/x.node"), source: "env" });
  });

  it("on a platform without a binary, says which platform, which ones have one, and how to build", () => {
    for (const [host, name] of [
      [{ platform: "freebsd", arch: "x64" }, "freebsd-x64"],
      [{ platform: "linux", arch: "ia32", libc: "gnu" }, "linux-ia32-gnu"],
      [{ platform: "win32", arch: "arm64" }, "win32-arm64-gnu"],
    ] as const) {
      const error = thrown(() => locate(context(host)));
      expect(error.code).toBe("UNSUPPORTED_PLATFORM");
      expect(error.message).toContain(`no prebuilt binary for this platform, ${name}`);
      expect(error.message).toContain(PLATFORMS.join(", "));
      expect(error.message).toContain("MCP_PROXY_NATIVE_BINARY");
    }
  });

  it("when the platform package is not installed, names it with its version and the command that installs it", () => {
    const error = thrown(() => locate(context({ platform: "darwin", arch: "arm64" })));
    expect(error.code).toBe("PACKAGE_NOT_INSTALLED");
    expect(error.message).toContain(`mcp-proxy-native-darwin-arm64@${version}, which is not installed`);
    expect(error.message).toContain("--omit=optional");
    expect(error.message).toContain(`npm install mcp-proxy-native-darwin-arm64@${version}`);
  });

  it("refuses a platform package of another version than the JavaScript", () => {
    const app = withPlatformPackage("linux-arm64-musl", Buffer.from("binary"), "0.0.1");
    const error = thrown(() => locate(context({ platform: "linux", arch: "arm64", libc: "musl" }, app)));
    expect(error.code).toBe("VERSION_MISMATCH");
    expect(error.message).toContain(`needs mcp-proxy-native-linux-arm64-musl@${version}`);
    expect(error.message).toContain("holds 0.0.1");
  });
});

describe("the C library, decided at run time", () => {
  it("reads glibc from Node's report, musl from its absence, and /usr/bin/ldd without a report", () => {
    const noLdd = () => null;
    expect(detectLibc({ header: { glibcVersionRuntime: "2.17" } }, noLdd)).toBe("gnu");
    expect(detectLibc({ header: {}, sharedObjects: ["/lib/ld-musl-x86_64.so.1"] }, noLdd)).toBe("musl");
    expect(detectLibc(null, () => "#!/bin/sh\nexec /lib/ld-musl-aarch64.so.1 --list")).toBe("musl");
    expect(detectLibc(null, () => "#! /bin/bash\n# glibc ldd")).toBe("gnu");
    expect(detectLibc(null, noLdd)).toBe("gnu");
  });

  it.runIf(process.platform === "linux")("says this Node.js runs on what its own report says", () => {
    const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
    expect(detectLibc()).toBe(glibc ? "gnu" : "musl");
  });
});

// Loading for real needs this machine's binary (the development build) and a platform that ships.
describe.runIf(PLATFORMS.includes(herePlatform) && process.platform === "linux")("importing the installed package", () => {
  const binary = () => readFileSync(devBinary);

  /** `require("mcp-proxy-native")` in a fresh Node inside `app`, with the package copied in. */
  function importIn(app: string, env: Record<string, string> = {}) {
    const pkg = path.join(app, "node_modules", "mcp-proxy-native");
    mkdirSync(pkg, { recursive: true });
    for (const f of ["package.json", "index.js", "lib"]) cpSync(path.join(root, f), path.join(pkg, f), { recursive: true });
    const r = spawnSync(
      process.execPath,
      ["-e", 'console.log(typeof require("mcp-proxy-native").startHTTPServer)'],
      { cwd: app, encoding: "utf8", env: { ...process.env, MCP_PROXY_NATIVE_BINARY: "", ...env }, timeout: 20_000 },
    );
    const error = /NativeLoadError: (.*)/.exec(r.stderr)?.[1];
    return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr, error };
  }

  it("loads the binary from the platform package", () => {
    const out = importIn(withPlatformPackage(herePlatform, binary()));
    expect(out.stderr).toBe("");
    expect(out).toMatchObject({ status: 0, stdout: "function" });
  });

  it("without the platform package: an error at import naming it", () => {
    const out = importIn(mkdtempSync(path.join(tmp, "bare-")));
    expect(out.status).not.toBe(0);
    expect(out.error).toContain(`${packageName(herePlatform)}@${version}, which is not installed`);
  });

  it("a file that is not a binary, a truncated one, one for another CPU: each named and explained", () => {
    const pkgFile = (app: string) => path.join(app, "node_modules", packageName(herePlatform), binaryFile(herePlatform));
    const other = process.arch === "x64" ? { machine: 183, arch: "arm64" } : { machine: 62, arch: "x64" };
    for (const [bytes, why] of [
      [Buffer.from("<html>503 Service Unavailable</html>"), "the file is not an ELF file (36 bytes)"],
      [binary().subarray(0, 64 * 1024), "the file is truncated: 65536 bytes where its headers describe"],
      [withMachine(binary(), other.machine), `the file is built for ${other.arch}, and this Node.js is ${process.arch}`],
    ] as const) {
      const app = withPlatformPackage(herePlatform, bytes);
      const out = importIn(app);
      expect(out.status).not.toBe(0);
      expect(out.error).toContain(`cannot load the binary of ${packageName(herePlatform)}@${version}, ${pkgFile(app)}: ${why}`);
      expect(out.error).toContain(`npm install ${packageName(herePlatform)}@${version} --force`);
    }
  });

  it.runIf(here.libc === "gnu")("a binary that needs a newer glibc: both versions named", () => {
    const { patched } = needingGlibc299(binary());
    const out = importIn(withPlatformPackage(herePlatform, patched));
    expect(out.status).not.toBe(0);
    expect(out.error).toContain(`it needs glibc 2.99 or newer and this system has glibc ${here.glibc}`);
  });

  it("MCP_PROXY_NATIVE_BINARY naming a file that is not there", () => {
    const missing = path.join(tmp, "missing.node");
    const out = importIn(mkdtempSync(path.join(tmp, "env-")), { MCP_PROXY_NATIVE_BINARY: missing });
    expect(out.error).toBe(
      `mcp-proxy-native: cannot load the file MCP_PROXY_NATIVE_BINARY names, ${missing}: the file is missing. ` +
        "Point MCP_PROXY_NATIVE_BINARY at a build for this platform.",
    );
  });
});
