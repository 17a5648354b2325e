// Issue 10: the packages a release publishes. The main package ships JavaScript and types, no
// binary and no install script, and depends (optionally) on exactly one package per platform,
// each declaring the os/cpu/libc npm installs it on, at the main package's version.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { packMain } from "../scripts/release/pack-lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { PLATFORMS, packageName, binaryFile } = createRequire(import.meta.url)("../lib/addon/platform.js");
const read = (file: string) => JSON.parse(readFileSync(path.join(root, file), "utf8"));
const main = read("package.json");

const tmp = mkdtempSync(path.join(os.tmpdir(), "mcp-proxy-layout-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("release layout", () => {
  it("npm/ has one package per platform the loader knows, each for its own os, cpu and libc", () => {
    expect(readdirSync(path.join(root, "npm")).sort()).toEqual([...PLATFORMS].sort());
    for (const platform of PLATFORMS as string[]) {
      const pkg = read(`npm/${platform}/package.json`);
      const [osName, cpu, abi] = platform.split("-");
      expect(pkg).toMatchObject({
        name: packageName(platform),
        version: main.version,
        os: [osName],
        cpu: [cpu],
        main: binaryFile(platform),
        files: [binaryFile(platform)],
      });
      if (osName === "linux") expect(pkg.libc).toEqual([abi === "musl" ? "musl" : "glibc"]);
      else expect(pkg.libc).toBeUndefined();
    }
  });

  it("the main package depends optionally on each platform package at its own version", () => {
    expect(main.optionalDependencies).toEqual(
      Object.fromEntries((PLATFORMS as string[]).map((p) => [packageName(p), main.version])),
    );
  });

  it("the release build knows a Rust target for each platform", async () => {
    const { TARGETS } = await import("../scripts/release/targets.mjs");
    expect(Object.keys(TARGETS).sort()).toEqual([...PLATFORMS].sort());
  });

  it("the packed main package has no binary, no install script, and the optional dependencies", async () => {
    const tarball = await packMain(tmp);
    const files = spawnSync("tar", ["tzf", tarball], { encoding: "utf8" }).stdout.trim().split("\n");
    expect(files.filter((f) => /\.(node|so|dll|dylib)$/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(["package/index.js", "package/index.d.ts", "package/lib/addon/loader.js"]));
    const manifest = JSON.parse(spawnSync("tar", ["xzOf", tarball, "package/package.json"], { encoding: "utf8" }).stdout);
    expect(manifest.scripts).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.optionalDependencies).toEqual(main.optionalDependencies);
    expect(path.basename(tarball)).toBe(`mcp-proxy-native-${main.version}.tgz`);
  });
});
