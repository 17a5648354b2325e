// Starting the command line's data path (lib/cli/run.js) in tests, on the project's own stdio
// fixture or another command, on a free loopback port.
import path from "node:path";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const require = createRequire(import.meta.url);
const { runStdioProxy } = require("../../lib/cli/run.js") as {
  runStdioProxy: (config: StdioConfig) => Promise<StdioProxy>;
};

export const FIXTURE = path.join(__dirname, "..", "fixtures", "stdio-server.mjs");

export interface StdioConfig {
  command: string;
  args: string[];
  shell: boolean;
  env: Record<string, string>;
  host: string;
  port: number;
  server?: "sse" | "stream";
  sseEndpoint: string;
  streamEndpoint: string;
  stateless: boolean;
  modern: boolean;
  upstreamProtocol: "legacy" | "auto" | "modern";
  apiKey?: string;
  debug: boolean;
  connectionTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  sessionIdleTimeout: number;
  eventStore: boolean;
  eventStoreMaxEvents: number;
  maxBodySize: number;
  corsAddAllowedHeader: string[];
  perSession: boolean;
  maxChildren: number;
  version: string;
}

export interface StdioProxy {
  port: number;
  urls: string[];
  childPid?: number;
  childExit: Promise<{ code: number | null; signal: string | null }>;
  close(graceMs: number): Promise<void>;
}

const running: StdioProxy[] = [];
/** Clients connected with `sdkClient`, closed by `closeAll` before the proxies. */
const clients: { close(): Promise<void> }[] = [];

/** Closes every client `sdkClient` connected, then every proxy a test started. */
export async function closeAll(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await Promise.all(running.splice(0).map((p) => p.close(2000)));
}

/** An SDK v1 client on the proxy's stream endpoint, closed by `closeAll`. */
export async function sdkClient(port: number, name: string, version = "1.0.0", capabilities = {}): Promise<Client> {
  const c = new Client({ name, version }, { capabilities });
  clients.push(c);
  await c.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
  return c;
}

/** The headers of a POST to the stream endpoint. */
export const POST_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/** A session opened with a raw `initialize` (no SDK client), and its id. */
export async function rawSession(port: number, protocolVersion: string): Promise<string> {
  const init = await fetch(`http://127.0.0.1:${port}/mcp`, {
    method: "POST",
    headers: POST_HEADERS,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion, capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    }),
  });
  const session = init.headers.get("mcp-session-id")!;
  await init.text();
  return session;
}

/** A file the fixture appends every line it reads to (`--record=<file>`), and its lines. */
export function recording(): { file: string; lines: () => Record<string, any>[] } {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "stdio-rec-")), "lines.jsonl");
  return {
    file,
    lines: () =>
      existsSync(file)
        ? readFileSync(file, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [],
  };
}

/** The text of a tool result's first content block. */
export const textOf = (r: any) => r.content[0].text;

export function config(overrides: Partial<StdioConfig> = {}): StdioConfig {
  return {
    command: process.execPath,
    args: [FIXTURE],
    shell: false,
    env: { ...process.env } as Record<string, string>,
    host: "127.0.0.1",
    port: 0,
    sseEndpoint: "/sse",
    streamEndpoint: "/mcp",
    stateless: false,
    modern: true,
    upstreamProtocol: "legacy",
    debug: false,
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 300_000,
    sessionIdleTimeout: 0,
    eventStore: true,
    eventStoreMaxEvents: 1000,
    maxBodySize: 10 * 1024 * 1024,
    corsAddAllowedHeader: [],
    perSession: false,
    maxChildren: 64,
    version: "9.9.9",
    ...overrides,
  };
}

/** The proxy over the fixture (its flags in `fixtureArgs`). */
export async function startStdio(overrides: Partial<StdioConfig> = {}, fixtureArgs: string[] = []): Promise<StdioProxy> {
  const proxy = await runStdioProxy(config({ args: [FIXTURE, ...fixtureArgs], ...overrides }));
  running.push(proxy);
  return proxy;
}

export { runStdioProxy };

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The processes whose parent is this test process and whose command line names `needle`. */
export function children(needle: string): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => Number(cols[1]) === process.pid && cols.slice(2).join(" ").includes(needle))
    .map((cols) => Number(cols[0]));
}
