// The README's alias instructions, followed in a fresh directory as a new user would, with the
// FastMCP versions people run: scripts/alias-smoke.mjs gets this repo packed as a release packs it
// (main package + this machine's platform package), writes a package.json
// with FastMCP and the README's JSON snippets (the tarball standing in for the registry), runs
// npm install, checks FastMCP loads this package as `mcp-proxy`, then runs the scenarios of
// scripts/alias-smoke/ there: FastMCP servers written as FastMCP's README shows, driven by the
// official SDK clients (stateful and stateless Streamable HTTP, and a legacy SSE client that
// sends its credentials on GET /sse only, as FastMCP's own tests do), and FastMCP 4's OAuth
// proxy routes over raw sockets with slow, chunked, cut-off and oversized bodies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { packMain, packPlatform } from "../../scripts/release/pack-lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const script = path.join(root, "scripts", "alias-smoke.mjs");
const { platformName, detectLibc } = createRequire(import.meta.url)("../../lib/addon/platform.js");

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  summary: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function smoke(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: root, timeout: 230_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        const line = stdout.split("\n").find((l) => l.startsWith("ALIAS-SMOKE "));
        const summary = line ? JSON.parse(line.slice("ALIAS-SMOKE ".length)) : {};
        resolve({ code: typeof code === "number" ? code : 1, stdout, stderr, summary });
      },
    );
  });
}

// The registry is reachable on the CI machines; without it a new user could not install FastMCP either.
const registryReachable = spawnSync("npm", ["ping"], { timeout: 20_000 }).status === 0;

/** What the streamable scenario reports for a FastMCP server over this package. */
function streamable(stateless: boolean, progress: number[]) {
  return {
    ok: true,
    stateless,
    tools: ["add", "count"],
    text: "42",
    counted: "counted to 3",
    progress,
    sessionId: !stateless,
    events: stateless ? { connect: 0, disconnect: 0 } : { connect: 1, disconnect: 1 },
    // mcp-proxy's CORS defaults omit DELETE; ours include it: the answer came from this package.
    allowMethods: expect.stringContaining("DELETE"),
    errors: [],
    warnings: [],
  };
}

/**
 * The POSTs to /messages carry no credentials and are served. FastMCP 4's authenticate runs once
 * (for GET /sse), as FastMCP's own test asserts: it is memoized by the `req` object, which this
 * package hands to authenticate and createServer alike. FastMCP 3.22 calls its authenticate
 * inside createServer without a memo, and this package authenticates GET /sse itself (mcp-proxy
 * leaves the stream open to anyone), so there it runs twice.
 */
const legacySse = (authenticateCalls: number) => ({ ok: true, text: "3", tools: ["add"], authenticateCalls, errors: [] });

/** FastMCP 4's OAuth proxy routes (scripts/alias-smoke/oauth-proxy.mjs): every case answered as on Node. */
const OAUTH_PROXY = {
  ok: true,
  cases: Object.fromEntries(
    [
      "a whole body: 201",
      "a body in slow chunks: 201",
      "a UTF-8 character split across writes",
      "a chunked body split inside a UTF-8 character",
      ...["/oauth/register", "/oauth/consent", "/oauth/token"].map(
        (path) => `a body cut off mid-way (${path}): the reader settles, the server goes on`,
      ),
      "a chunked body cut off before its last chunk: the server goes on",
      "over 1 MiB by Content-Length, trickled: 400 before the body is all sent",
      "over 1 MiB on a keep-alive connection: 400, connection closed",
      "over 1 MiB chunked (no Content-Length): 400, connection closed",
      "the server still serves MCP metadata afterwards",
    ].map((name) => [name, "ok"]),
  ),
  errors: [],
};

const VERSIONS = [
  {
    fastmcp: "4.20.16",
    scenarios: {
      streamable: streamable(false, [1, 2, 3]),
      stateless: streamable(true, [1, 2, 3]),
      "legacy-sse": legacySse(1),
      "oauth-proxy": OAUTH_PROXY,
    },
  },
  {
    fastmcp: "3.22.0",
    scenarios: {
      streamable: streamable(false, [1, 2, 3]),
      // FastMCP 3 sends progress with server.notification(), not tied to the request: with no
      // session there is nowhere to send it (see fastmcp.test.ts).
      stateless: streamable(true, []),
      "legacy-sse": legacySse(2),
    },
  },
];

describe.skipIf(!registryReachable)("README alias instructions with FastMCP, in a fresh directory", () => {
  let packDir: string;
  let tarball: string;
  let platformTarball: string;

  beforeAll(async () => {
    packDir = mkdtempSync(path.join(os.tmpdir(), "mcp-proxy-pack-"));
    const libc = process.platform === "linux" ? detectLibc() : undefined;
    const platform = platformName({ platform: process.platform, arch: process.arch, libc });
    tarball = await packMain(packDir);
    platformTarball = await packPlatform(platform, path.join(root, "native", "mcp-proxy-native.node"), packDir);
  }, 100_000);

  afterAll(() => {
    if (packDir) rmSync(packDir, { recursive: true, force: true });
  });

  it("the main tarball ships JavaScript and no binary; the platform tarball ships the addon", () => {
    const main = spawnSync("tar", ["tzf", tarball], { encoding: "utf8" }).stdout.split("\n");
    expect(main).toEqual(expect.arrayContaining(["package/index.mjs", "package/lib/addon/loader.js"]));
    expect(main.filter((f) => f.endsWith(".node"))).toEqual([]);
    const platform = spawnSync("tar", ["tzf", platformTarball], { encoding: "utf8" }).stdout.split("\n");
    expect(platform.filter((f) => f.endsWith(".node"))).toHaveLength(1);
  });

  it.each(VERSIONS)("FastMCP $fastmcp as the README says it: its servers run on this package", async ({ fastmcp, scenarios }) => {
    const out = await smoke(["--form", "readme", "--tarball", tarball, "--platform-tarball", platformTarball, "--fastmcp", fastmcp, "--scenarios", Object.keys(scenarios).join(",")]);
    // On failure, the reason names which mcp-proxy FastMCP actually loaded, or which scenario failed.
    expect(out.summary.reason ?? null, out.stdout + out.stderr).toBeNull();
    expect(out.code).toBe(0);
    expect(out.summary).toMatchObject({ ok: true, fastmcp });
    expect(String(out.summary.mcpProxyLoadedByFastMCP)).toMatch(/^mcp-proxy-native@0\.1\.0 \(node_modules\/mcp-proxy\)$/);
    expect(out.summary.scenarios).toEqual(scenarios);
  }, 240_000);
});
