// The README is what users have: every file it names must be in the repository (nothing under
// `../`, which only exists in the developers' checkout), and its relative links must resolve.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.join(__dirname, "..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");

describe("README references", () => {
  it("names no file outside the repository", () => {
    const outside = [...readme.matchAll(/(?:\]\(|`)(\.\.\/[^)`\s]*)/g)].map((m) => m[1]);
    expect(outside).toEqual([]);
  });

  it("relative links and repository paths it names exist", () => {
    const links = [...readme.matchAll(/\]\(([^)#\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
    const paths = [...readme.matchAll(/`((?:__test__|bench|examples|scripts|docs|crates|lib|src)\/[^`\s:]*)`/g)].map((m) => m[1]);
    const missing = [...links, ...paths].filter((p) => !existsSync(path.join(root, p)));
    expect(missing).toEqual([]);
  });
});
