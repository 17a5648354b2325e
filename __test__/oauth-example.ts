// Runs examples/oauth-server as a user does (`node examples/oauth-server/server.mjs`) on a free
// port and reads the tokens it prints.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { freePort } from "./raw.js";

export interface OAuthExample {
  port: number;
  readerToken: string;
  adminToken: string;
  /** The admin (same user) without scope `admin`. */
  adminDownscopedToken: string;
  stop: () => Promise<void>;
}

export async function startOAuthExample(): Promise<OAuthExample> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["examples/oauth-server/server.mjs"], {
    cwd: path.join(__dirname, ".."),
    env: { ...process.env, PORT: String(port) },
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      if (/ADMIN_DOWNSCOPED_TOKEN=\S+\n/.test(out)) resolve();
    });
    child.stderr!.on("data", (d) => (out += d));
    child.on("exit", (code) => reject(new Error(`example exited with ${code}: ${out}`)));
  });
  return {
    port,
    readerToken: /READER_TOKEN=(\S+)/.exec(out)![1],
    adminToken: /ADMIN_TOKEN=(\S+)/.exec(out)![1],
    adminDownscopedToken: /ADMIN_DOWNSCOPED_TOKEN=(\S+)/.exec(out)![1],
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGINT");
      await new Promise((r) => child.once("exit", r));
    },
  };
}
