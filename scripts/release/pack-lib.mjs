// Packing the npm packages of a release: the main package (JavaScript and types, no binary) and
// one platform package per binary (npm/<platform>/package.json plus the `.node` file), as
// `mcp-proxy-native-<version>.tgz` and `mcp-proxy-native-<platform>-<version>.tgz`.
import { execFile } from "node:child_process";
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { binaryFile } = createRequire(import.meta.url)("../../lib/addon/platform.js");

/** `npm pack` in cwd (asynchronous: a test runner's worker keeps answering meanwhile). */
async function npmPack(cwd, outDir) {
  const stdout = await new Promise((resolve, reject) =>
    execFile("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", outDir], { cwd }, (err, out, stderr) =>
      err ? reject(new Error(`npm pack in ${cwd} failed:\n${stderr}`)) : resolve(out),
    ),
  );
  return path.join(outDir, JSON.parse(stdout)[0].filename);
}

/** Manifest fields the published main package keeps; scripts (`prepare` builds from source in a
 * clone, and npm would flag it at every install), devDependencies and overrides stay home. */
const PUBLISHED_FIELDS = ["name", "version", "description", "license", "repository", "keywords", "main", "types", "exports", "files", "engines", "optionalDependencies"];

/** Packs the main package into outDir; returns the tarball's path. */
export async function packMain(outDir) {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const stage = mkdtempSync(path.join(os.tmpdir(), "mcp-proxy-native-main-"));
  try {
    const published = Object.fromEntries(PUBLISHED_FIELDS.filter((k) => k in manifest).map((k) => [k, manifest[k]]));
    writeFileSync(path.join(stage, "package.json"), JSON.stringify(published, null, 2) + "\n");
    for (const entry of [...manifest.files, "README.md"]) {
      cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
    }
    return await npmPack(stage, outDir);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Packs the platform package of `platform` around `binary` (a built `.node`) into outDir. */
export async function packPlatform(platform, binary, outDir) {
  const stage = mkdtempSync(path.join(os.tmpdir(), `mcp-proxy-native-${platform}-`));
  try {
    copyFileSync(path.join(root, "npm", platform, "package.json"), path.join(stage, "package.json"));
    copyFileSync(binary, path.join(stage, binaryFile(platform)));
    return await npmPack(stage, outDir);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The version every package of this release carries. */
export function version() {
  return JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version;
}
