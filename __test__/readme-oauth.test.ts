// The README's OAuth curl session, run exactly as written against the example server: its output
// must be the README's "What it prints" block line for line (every header and body line), the
// values of `date` and `content-length` aside.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startOAuthExample, type OAuthExample } from "./oauth-example.js";

const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

function between(name: string): string {
  const block = readme.split(`<!-- ${name}:begin -->`)[1]?.split(`<!-- ${name}:end -->`)[0];
  if (!block) throw new Error(`README has no ${name} block`);
  return block.replace(/^\s*```[a-z]*\n/, "").replace(/```\s*$/, "");
}

/** Lines as compared: no CR, the values that change from run to run masked. */
function normalize(text: string, port: number): string[] {
  return text
    .replaceAll("\r", "")
    .replaceAll(`localhost:${port}`, "localhost:8080")
    .trimEnd()
    .split("\n")
    .map((line) => line.replace(/^(date|content-length): .*$/i, (_, name: string) => `${name.toLowerCase()}: …`));
}

let example: OAuthExample;

beforeAll(async () => {
  example = await startOAuthExample();
});

afterAll(async () => {
  await example?.stop();
});

describe("README: the OAuth example's curl session", () => {
  it("prints exactly what the README shows", () => {
    const script = between("oauth-curl").replaceAll("localhost:8080", `localhost:${example.port}`);
    const output = execFileSync("bash", ["-e", "-c", script], {
      env: { ...process.env, READER_TOKEN: example.readerToken, ADMIN_TOKEN: example.adminToken },
      encoding: "utf8",
    });
    expect(normalize(output, example.port)).toEqual(normalize(between("oauth-expected"), example.port));
  });
});
