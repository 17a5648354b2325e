// The README's OAuth curl session, run exactly as written against the example server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

const root = path.join(__dirname, "..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");

function between(name: string): string {
  const block = readme.split(`<!-- ${name}:begin -->`)[1]?.split(`<!-- ${name}:end -->`)[0];
  if (!block) throw new Error(`README has no ${name} block`);
  return block.replace(/^\s*```[a-z]*\n/, "").replace(/```\s*$/, "");
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

let child: ChildProcess;
let port: number;
let readerToken: string;

beforeAll(async () => {
  port = await freePort();
  child = spawn(process.execPath, ["examples/oauth-server/server.mjs"], { cwd: root, env: { ...process.env, PORT: String(port) } });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("ADMIN_TOKEN=")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`example exited with ${code}: ${out}`)));
  });
  readerToken = /READER_TOKEN=(\S+)/.exec(out)![1];
});

afterAll(async () => {
  child.kill("SIGINT");
  await new Promise((r) => child.once("exit", r));
});

describe("README: the OAuth example's curl session", () => {
  it("prints what the README shows", () => {
    const script = between("oauth-curl").replaceAll("localhost:8080", `localhost:${port}`);
    const output = execFileSync("bash", ["-e", "-c", script], {
      env: { ...process.env, READER_TOKEN: readerToken },
      encoding: "utf8",
    });
    const lines = output.split(/\r?\n/);
    const expected = between("oauth-expected").replaceAll("localhost:8080", `localhost:${port}`).trim().split("\n");
    for (const line of expected) {
      const found = lines.some((l) => l === line || (l.includes(": ") && l.toLowerCase() === line.toLowerCase()));
      expect(found, `missing line: ${line}\n--- output ---\n${output}`).toBe(true);
    }
  });
});
