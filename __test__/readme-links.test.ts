// The README is what users have, CONTRIBUTING.md and ARCHITECTURE.md what contributors have:
// every file they name must be in the repository (nothing under `../`, which only exists in the
// developers' checkout), and their relative links must resolve. ARCHITECTURE.md is the map of
// the code, so it must name every folder of the core and of lib/, and every Rust file it names
// must exist.
import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.join(__dirname, "..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

describe.each(["README.md", "CONTRIBUTING.md", "ARCHITECTURE.md"])("%s references", (file) => {
  const doc = read(file);

  it("names no file outside the repository", () => {
    const outside = [...doc.matchAll(/(?:\]\(|`)(\.\.\/[^)`\s]*)/g)].map((m) => m[1]);
    expect(outside).toEqual([]);
  });

  it("relative links and repository paths it names exist", () => {
    const links = [...doc.matchAll(/\]\(([^)#\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
    const paths = [...doc.matchAll(/`((?:__test__|bench|examples|scripts|docs|crates|lib|src)\/[^`\s:]*)`/g)].map((m) => m[1]);
    const missing = [...links, ...paths].filter((p) => !existsSync(path.join(root, p)));
    expect(missing).toEqual([]);
  });
});

describe("ARCHITECTURE.md matches the tree", () => {
  const doc = read("ARCHITECTURE.md");
  const folders = (dir: string) =>
    readdirSync(path.join(root, dir), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

  it("names every folder of crates/core/src and lib/", () => {
    const unnamed = [
      ...folders("crates/core/src").filter((f) => !doc.includes(`\`${f}/\``)),
      ...folders("lib").filter((f) => !doc.includes(`\`lib/${f}/\``)),
    ];
    expect(unnamed).toEqual([]);
  });

  it("every core file it names exists", () => {
    const named = [...doc.matchAll(/`([a-z_]+(?:\/[a-z_]+)*\.rs)`/g)].map((m) => m[1]).filter((p) => !p.startsWith("src/") && !p.startsWith("crates/"));
    const missing = named.filter((p) => !existsSync(path.join(root, "crates/core/src", p)));
    expect(missing).toEqual([]);
  });
});
