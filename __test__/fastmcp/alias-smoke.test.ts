// Acceptance item 6 of issue 4: the README's alias instructions, followed on a fresh directory
// with a FastMCP example server, work. scripts/alias-smoke.mjs does the following, and this suite runs it:
// npm pack, a new package.json with FastMCP and the alias, npm install, a tiny FastMCP server,
// and an SDK client calling a tool.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const script = path.join(root, "scripts", "alias-smoke.mjs");

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  summary: Record<string, unknown>;
}

function smoke(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: root, timeout: 170_000, maxBuffer: 16 * 1024 * 1024 },
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

describe.skipIf(!registryReachable)("README alias instructions with FastMCP, in a fresh directory", () => {
  let packDir: string;
  let tarball: string;

  beforeAll(() => {
    packDir = mkdtempSync(path.join(os.tmpdir(), "mcp-proxy-pack-"));
    const packed = spawnSync("npm", ["pack", "--json", "--pack-destination", packDir], {
      cwd: root,
      encoding: "utf8",
      timeout: 90_000,
    });
    expect(packed.status, packed.stderr).toBe(0);
    tarball = path.join(packDir, JSON.parse(packed.stdout)[0].filename);
  }, 100_000);

  afterAll(() => {
    if (packDir) rmSync(packDir, { recursive: true, force: true });
  });

  it("the packed tarball ships the prebuilt addon (its install step builds nothing)", () => {
    const listing = spawnSync("tar", ["tzf", tarball], { encoding: "utf8" });
    expect(listing.stdout.split("\n")).toEqual(
      expect.arrayContaining(["package/native/mcp-proxy-native.node", "package/scripts/install.js", "package/index.mjs"]),
    );
  });

  it("as the README says it: FastMCP runs on this package and an SDK client calls a tool", async () => {
    const out = await smoke(["--form", "readme", "--tarball", tarball]);
    // On failure, the reason names which mcp-proxy FastMCP actually loaded.
    expect(out.summary.reason ?? null, out.stdout + out.stderr).toBeNull();
    expect(out.code).toBe(0);
    expect(out.summary).toMatchObject({ ok: true, client: { text: "42" } });
    expect(String(out.summary.mcpProxyLoadedByFastMCP)).toMatch(/^mcp-proxy-native@/);
  }, 180_000);

  it("the recommended form (dependency alias + overrides) works", async () => {
    const out = await smoke(["--form", "recommended", "--tarball", tarball]);
    expect(out.summary.reason ?? null, out.stdout + out.stderr).toBeNull();
    expect(out.code).toBe(0);
    expect(out.summary).toMatchObject({
      ok: true,
      alias: { overrides: { "mcp-proxy": "$mcp-proxy" } },
      client: { tools: ["add"], text: "42", allowMethods: expect.stringContaining("DELETE") },
    });
    expect(String(out.summary.mcpProxyLoadedByFastMCP)).toMatch(/^mcp-proxy-native@0\.1\.0 \(node_modules\/mcp-proxy\)$/);
  }, 180_000);
});
