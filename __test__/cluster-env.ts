// The real pieces a cluster test runs on: a redis-server and an nginx (round-robin, no
// affinity) started on free loopback ports with their own files in a temporary directory,
// and stopped by PID. Never the system services.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return port;
}

async function listening(port: number, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${what} did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Proc {
  port: number;
  url: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  };
}

function which(binary: string, hint: string): string {
  for (const dir of ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", ...(process.env.PATH ?? "").split(":")]) {
    const candidate = path.join(dir, binary);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${binary} is not installed: ${hint}`);
}

/** A fresh, empty redis-server (no persistence), on `port` when given (a restart). */
export async function startRedis(port?: number): Promise<Proc> {
  const bin = which("redis-server", "apt-get install -y redis-server");
  port ??= await freePort();
  const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  await listening(port, 5000, "redis-server");
  return { port, url: `redis://127.0.0.1:${port}`, child, stop: stopper(child) };
}

/** nginx balancing round-robin (no affinity) over `upstreams`, streaming both ways. */
export async function startNginx(upstreams: number[]): Promise<Proc> {
  const bin = which("nginx", "apt-get install -y nginx");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcpn-nginx-"));
  const port = await freePort();
  const conf = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream mcp {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=0;`).join("\n")}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://mcp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 3600s;
      proxy_next_upstream off;
    }
  }
}
`;
  fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
  const child = spawn(bin, ["-p", dir, "-c", path.join(dir, "nginx.conf")], { stdio: "ignore" });
  await listening(port, 5000, "nginx");
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    stop: async () => {
      // SIGTERM: the master stops its worker too (SIGKILL would orphan it on the port).
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every key in the Redis at `port` (for "nothing without a TTL is left behind"). */
export async function redisKeys(port: number): Promise<{ key: string; ttl: number }[]> {
  const { execFileSync } = await import("node:child_process");
  const cli = which("redis-cli", "apt-get install -y redis-tools");
  const keys = execFileSync(cli, ["-p", String(port), "--scan"], { encoding: "utf8" }).split("\n").filter(Boolean);
  return keys.map((key) => ({
    key,
    ttl: Number(execFileSync(cli, ["-p", String(port), "pttl", key], { encoding: "utf8" }).trim()),
  }));
}

/** A cluster instance in its own process (fixtures/cluster-instance.mjs), to kill or stop. */
export async function startInstanceProcess(redisUrl: string, leaseMs: number, name: string): Promise<Proc> {
  const fixture = path.join(path.dirname(new URL(import.meta.url).pathname), "fixtures", "cluster-instance.mjs");
  const child = spawn(process.execPath, [fixture, redisUrl, String(leaseMs), name], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith('{"port"'));
      if (line) resolve(JSON.parse(line).port);
    });
    child.once("exit", (code) => reject(new Error(`instance ${name} exited (${code}) before listening`)));
  });
  return { port, url: `http://127.0.0.1:${port}`, child, stop: stopper(child) };
}
