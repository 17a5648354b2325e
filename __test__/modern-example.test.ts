// The README's 2026-07-28 demo, run as written: a 2026 client and a 2025 client against
// examples/modern-server.mjs at the same time; the output must be the README's block.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const root = path.join(__dirname, "..");

function readmeBlock(name: string): string {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const block = readme.split(`<!-- ${name}:begin -->`)[1]?.split(`<!-- ${name}:end -->`)[0];
  if (!block) throw new Error(`README has no ${name} block`);
  return block.replace(/^\s*```[a-z]*\n/, "").replace(/```\s*$/, "").trimEnd();
}

describe("README: examples/modern-server.mjs --demo", () => {
  it("prints exactly what the README shows", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["examples/modern-server.mjs", "--demo"], {
      cwd: root,
      timeout: 20_000,
    });
    expect(stdout.replace(/localhost:\d+/g, "localhost:8080").trimEnd()).toBe(readmeBlock("modern-demo"));
  });
});
