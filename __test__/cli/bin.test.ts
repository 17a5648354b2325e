// The real bin as a process (CONTRACT §13): exit codes, stderr and stdout text, signals and
// the child's fate, checked on the processes themselves. The child is a tiny stdio server
// (__test__/fixtures/cli-child.mjs); requests go over real HTTP on loopback.
import { afterEach, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const root = path.join(__dirname, "..", "..");
const BIN = path.join(root, "bin", "mcp-proxy-native.js");
const CHILD = path.join(root, "__test__", "fixtures", "cli-child.mjs");
const PY_CHILD = path.join(root, "__test__", "fixtures", "cli-child.py");
const havePython = spawnSync("python3", ["--version"]).status === 0;
const VERSION = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version;

interface Proxy {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: Proxy[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.process.exitCode === null && p.process.signalCode === null) p.process.kill("SIGKILL");
});

function run(args: string[], env: Record<string, string | undefined> = {}): Proxy {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const proxy = { process: child, stdout: () => stdout, stderr: () => stderr, exit };
  running.push(proxy);
  return proxy;
}

async function until<T>(check: () => T | undefined, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts the bin in front of the fixture child on a free port; resolves with its port. */
async function serve(flags: string[] = [], childArgs: string[] = [], env: Record<string, string | undefined> = {}) {
  const proxy = run(["--port", "0", "--host", "127.0.0.1", ...flags, "--", process.execPath, CHILD, ...childArgs], env);
  const port = await until(() => {
    if (proxy.process.exitCode !== null) throw new Error(`bin exited ${proxy.process.exitCode}: ${proxy.stderr()}`);
    const match = /starting server on port (\d+)\n(?: {2}https?:\/\/\S+\n)+/.exec(proxy.stdout()); // one write: line and URLs
    return match ? Number(match[1]) : undefined;
  }, "the starting line");
  return { proxy, port };
}

const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

async function session(port: number, pathname = "/mcp", extra: Record<string, string> = {}) {
  const url = `http://127.0.0.1:${port}${pathname}`;
  const init = await fetch(url, {
    method: "POST",
    headers: { ...HEADERS, ...extra },
    body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } }),
  });
  const body = await init.text();
  expect(init.status, body).toBe(200);
  const headers = { ...HEADERS, ...extra, "mcp-session-id": init.headers.get("mcp-session-id")!, "mcp-protocol-version": "2025-06-18" };
  await (await fetch(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) })).text();
  let id = 1;
  return {
    initialize: body,
    call: async (name: string, args: Record<string, unknown> = {}) => {
      const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: id++, method: "tools/call", params: { name, arguments: args } }) });
      return { status: res.status, text: await res.text() };
    },
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const childPid = async (port: number) => {
  const s = await session(port);
  const { text } = await s.call("whoami");
  return JSON.parse(JSON.parse(/\{.*\}/s.exec(text.replace(/^data: /m, ""))![0]).result.content[0].text).pid as number;
};

describe("the command line before a child exists", () => {
  it("no command: the usage on stderr, exit 2", async () => {
    const p = run([]);
    expect(await p.exit).toEqual({ code: 2, signal: null });
    expect(p.stderr()).toMatch(/^Error: No command specified\.\nUsage: mcp-proxy-native \[options\] -- <command> \[args\.\.\.\]/);
  });

  it("an unknown flag before the command: exit 2 with the usage", async () => {
    const p = run(["--bogus", "node", "server.js"]);
    expect(await p.exit).toEqual({ code: 2, signal: null });
    expect(p.stderr()).toContain("Error: Unknown option: --bogus");
    expect(p.stderr()).toContain("Usage:");
  });

  it("a bad value names the flag (or the variable): exit 2", async () => {
    const a = run(["--port", "eighty", "--", "node"]);
    expect((await a.exit).code).toBe(2);
    expect(a.stderr()).toContain('Invalid value for --port: "eighty"');
    const b = run(["node"], { MCP_PROXY_UPSTREAM_PROTOCOL: "newest" });
    expect((await b.exit).code).toBe(2);
    expect(b.stderr()).toContain('Invalid value for MCP_PROXY_UPSTREAM_PROTOCOL: "newest"');
  });

  it("--version prints this package's version; --help lists every flag; both exit 0", async () => {
    const v = run(["--version"]);
    expect(await v.exit).toEqual({ code: 0, signal: null });
    expect(v.stdout()).toBe(`${VERSION}\n`);
    const h = run(["--help"]);
    expect((await h.exit).code).toBe(0);
    for (const flag of ["--apiKey", "--gracefulShutdownTimeout", "--perSession", "--maxChildren", "--no-eventStore", "MCP_PROXY_PORT"]) {
      expect(h.stdout()).toContain(flag);
    }
  });

  it("a command that cannot be spawned: 'could not start the proxy', exit 1", async () => {
    const p = run(["--port", "0", "--", "/nonexistent/mcp-server"]);
    expect(await p.exit).toEqual({ code: 1, signal: null });
    expect(p.stderr()).toContain("could not start the proxy");
    expect(p.stdout()).not.toContain("starting server");
  });

  it("an unreadable TLS file: 6.7.19's message, exit 1, before any child is spawned", async () => {
    const p = run(["--sslCert", "/nonexistent/cert.pem", "--", "/nonexistent/never-spawned"]);
    expect(await p.exit).toEqual({ code: 1, signal: null });
    expect(p.stderr()).toContain("Failed to read certificate file '/nonexistent/cert.pem'");
  });
});

describe("serving", () => {
  it("prints 'starting server on port <port>' once bound, then the URLs, and serves the child", async () => {
    const { proxy, port } = await serve();
    const lines = proxy.stdout().trim().split("\n");
    expect(lines[0]).toBe(`starting server on port ${port}`);
    expect(lines.slice(1).map((l) => l.trim())).toEqual([`http://127.0.0.1:${port}/mcp`, `http://127.0.0.1:${port}/sse`]);
    const s = await session(port);
    expect(s.initialize).toContain('"name":"cli-child"');
    expect((await s.call("echo", { text: "hi" })).text).toContain('"text":"hi"');
    expect(await (await fetch(`http://127.0.0.1:${port}/ping`)).text()).toBe("pong");
  });

  it("the API key guards the HTTP side and never reaches the child", async () => {
    const { port } = await serve([], [], { MCP_PROXY_API_KEY: "s3cret", MCP_PROXY_PORT: "1" });
    const refused = await fetch(`http://127.0.0.1:${port}/mcp`, { method: "POST", headers: HEADERS, body: "{}" });
    await refused.text();
    expect(refused.status).toBe(401);
    const s = await session(port, "/mcp", { "x-api-key": "s3cret" });
    const { text } = await s.call("whoami");
    // The rest of the environment does reach it (MCP_PROXY_PORT is only overridden by --port 0 for the proxy).
    expect(text).toContain('\\"apiKeySeen\\":false');
    expect(text).toContain('\\"port\\":\\"1\\"');
  });

  it("--endpoint works (6.7.19 ignores it): with --server stream it is the stream endpoint", async () => {
    const { proxy, port } = await serve(["--server", "stream", "--endpoint", "/rpc"]);
    expect(proxy.stdout()).toContain(`http://127.0.0.1:${port}/rpc`);
    await session(port, "/rpc");
    const old = await fetch(`http://127.0.0.1:${port}/mcp`, { method: "POST", headers: HEADERS, body: "{}" });
    await old.text();
    expect(old.status).toBe(404);
  });
});

describe("flags reach the HTTP side", () => {
  it("from the environment (MCP_PROXY_STREAM_ENDPOINT) and the line (--corsAddAllowedHeader, kebab-case too)", async () => {
    const { proxy, port } = await serve(["--corsAddAllowedHeader", "X-Custom-One", "--cors-add-allowed-header", "X-Custom-Two"], [], {
      MCP_PROXY_STREAM_ENDPOINT: "/env-mcp",
    });
    expect(proxy.stdout()).toContain(`http://127.0.0.1:${port}/env-mcp`);
    await session(port, "/env-mcp");
    const preflight = await fetch(`http://127.0.0.1:${port}/env-mcp`, {
      method: "OPTIONS",
      headers: { origin: "http://127.0.0.1", "access-control-request-method": "POST", "access-control-request-headers": "x-custom-two" },
    });
    await preflight.text();
    const allowed = preflight.headers.get("access-control-allow-headers") ?? "";
    expect(allowed).toContain("Mcp-Session-Id");
    expect(allowed).toContain("X-Custom-One");
    expect(allowed).toContain("X-Custom-Two");
  });
});

describe("how it ends", () => {
  it("the child exiting: 'child exited with code <c>' and exit 1", async () => {
    const { proxy, port } = await serve();
    const s = await session(port);
    void s.call("exit", { code: 3 }).catch(() => {});
    expect(await proxy.exit).toEqual({ code: 1, signal: null });
    expect(proxy.stderr().match(/child exited with code 3/g)).toHaveLength(1);
  });

  it.each(["SIGTERM", "SIGINT"] as const)("%s: graceful close, the child gone, exit 0", async (signal) => {
    const { proxy, port } = await serve();
    const pid = await childPid(port);
    expect(alive(pid)).toBe(true);
    proxy.process.kill(signal);
    expect(await proxy.exit).toEqual({ code: 0, signal: null });
    expect(proxy.stdout()).toContain("received shutdown signal; shutting down");
    await until(() => (alive(pid) ? undefined : true), "the child to be gone", 5000);
  });

  it("a child that ignores SIGTERM and stdin's end is SIGKILLed after --gracefulShutdownTimeout; exit 0, nothing orphaned", async () => {
    const { proxy, port } = await serve(["--gracefulShutdownTimeout", "500"], ["--stubborn"]);
    const pid = await childPid(port);
    const started = Date.now();
    proxy.process.kill("SIGTERM");
    expect(await proxy.exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    await until(() => (alive(pid) ? undefined : true), "the stubborn child to be killed", 5000);
  });

  it("SIGINT then SIGTERM: one graceful close, exit 0 (the second, different signal changes nothing, as 6.7.19)", async () => {
    const { proxy, port } = await serve(["--gracefulShutdownTimeout", "800"], ["--stubborn"]);
    const pid = await childPid(port);
    proxy.process.kill("SIGINT");
    await until(() => (proxy.stdout().includes("received shutdown signal") ? true : undefined), "the first signal's line");
    proxy.process.kill("SIGTERM");
    expect(await proxy.exit).toEqual({ code: 0, signal: null });
    expect(proxy.stdout().match(/received shutdown signal/g)).toHaveLength(1);
    await until(() => (alive(pid) ? undefined : true), "the stubborn child to be killed", 5000);
  });

  it("a second SIGINT during shutdown ends the process at once, dying of SIGINT (a shell shows 130), the child SIGKILLed first", async () => {
    const { proxy, port } = await serve(["--gracefulShutdownTimeout", "20000"], ["--stubborn"]);
    const pid = await childPid(port);
    proxy.process.kill("SIGINT");
    await until(() => (proxy.stdout().includes("received shutdown signal") ? true : undefined), "the first signal's line");
    const started = Date.now();
    proxy.process.kill("SIGINT");
    expect(await proxy.exit).toEqual({ code: null, signal: "SIGINT" });
    expect(Date.now() - started).toBeLessThan(3000);
    await until(() => (alive(pid) ? undefined : true), "the stubborn child to be killed", 5000);
  });
});

// README "A Python server behind it": the proxy forwards each line once its newline arrives; a
// Python child's own stdout buffer is what can hold a reply back.
describe.skipIf(!havePython)("a Python child", () => {
  const noUnbuffered = { PYTHONUNBUFFERED: undefined };

  it("that print()s without flushing never gets its initialize reply out: startup fails after --connectionTimeout, exit 1", async () => {
    const p = run(["--port", "0", "--host", "127.0.0.1", "--connectionTimeout", "1000", "--", "python3", PY_CHILD], noUnbuffered);
    expect(await p.exit).toEqual({ code: 1, signal: null });
    expect(p.stderr()).toMatch(/could not start the proxy: .*timed out/);
  });

  it.each([
    ["python3 -u", ["python3", "-u", PY_CHILD], noUnbuffered],
    ["PYTHONUNBUFFERED=1", ["python3", PY_CHILD], { PYTHONUNBUFFERED: "1" }],
  ])("run with %s, it is served", async (_name, command, env) => {
    const proxy = run(["--port", "0", "--host", "127.0.0.1", "--connectionTimeout", "5000", "--", ...command], env);
    const port = await until(() => {
      if (proxy.process.exitCode !== null) throw new Error(`bin exited ${proxy.process.exitCode}: ${proxy.stderr()}`);
      const match = /starting server on port (\d+)\n(?: {2}https?:\/\/\S+\n)+/.exec(proxy.stdout()); // one write: line and URLs
      return match ? Number(match[1]) : undefined;
    }, "the starting line");
    const s = await session(port);
    expect(s.initialize).toContain('"name": "py"');
    expect((await s.call("echo", { text: "from python" })).text).toContain("from python");
  });
});
