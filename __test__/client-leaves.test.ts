// A client that leaves a streaming answer is noticed at once (issue 15). On the wire a client
// that half-closes and one that leaves both send a FIN; one that comes while an answer already
// streams (a listen stream, a POST's SSE answer mid-way) is a client that left, so the release
// callbacks, `onClose` and the handler's abort signal run at once, not after the 1 s grace a
// half-closing client gets while its answer has not started (half-close.test.ts).
import { afterEach, describe, expect, it } from "vitest";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { McpServer } from "@modelcontextprotocol/server";
import { startHTTPServer } from "../index.js";
import { type StartOptions } from "./helpers";
import { SseReader } from "./raw";
import { modernServer } from "./fixtures/modernServer";

/** Well inside the old 1 s grace: what "at once" may take on a loaded machine. */
const AT_ONCE_MS = 500;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** Resolves with the ms `check` took to hold, or rejects once `AT_ONCE_MS` passed. */
async function soon(check: () => boolean, what: string, since: number): Promise<number> {
  while (!check()) {
    if (Date.now() - since > AT_ONCE_MS) throw new Error(`${what}: not within ${AT_ONCE_MS} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - since;
}

async function start(overrides: Partial<StartOptions>) {
  const closed: unknown[] = [];
  const server = await startHTTPServer({
    port: 0,
    host: "127.0.0.1",
    createServer: async () => modernServer(),
    onClose: (s: unknown) => void closed.push(s),
    ...overrides,
  } as StartOptions);
  closers.push(() => server.close());
  const port = (server as unknown as { port: number }).port;
  return { url: new URL(`http://127.0.0.1:${port}/mcp`), closed };
}

async function modernClient(url: URL) {
  const client = new Client({ name: "c", version: "1" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
  await client.connect(new StreamableHTTPClientTransport(url));
  closers.push(() => client.close());
  return client;
}

describe("a client that closes its listen stream (SDK v2 client.listen)", () => {
  const filters: [string, { toolsListChanged: boolean; resourceSubscriptions?: string[] }][] = [
    ["without resource subscriptions", { toolsListChanged: true }],
    ["with resource subscriptions", { toolsListChanged: true, resourceSubscriptions: ["test://readme"] }],
  ];
  for (const [name, filter] of filters) {
    it(`${name}: every release and onClose runs at once`, async () => {
      let acquired = 0;
      let released = 0;
      const r = await start({
        onListenSubscriptions: async () => {
          acquired++;
          return () => void released++;
        },
      } as Partial<StartOptions>);
      const client = await modernClient(r.url);
      for (let round = 0; round < 3; round++) {
        const sub = await client.listen(filter);
        const before = { released, closed: r.closed.length };
        const closing = Date.now();
        await sub.close();
        await soon(() => r.closed.length === before.closed + 1, "the stream's server onClose", closing);
        // A stream with resource subscriptions holds them until it ends.
        await soon(() => released === acquired, "the release of its subscriptions", closing);
      }
      expect(acquired).toBe("resourceSubscriptions" in filter ? 3 : 0);
    });
  }
});

describe("a client that closes a POST's SSE answer mid-way", () => {
  it("has the handler's abort signal fired at once", async () => {
    let abortedAt = 0;
    const r = await start({
      createServer: async () => {
        const s = new McpServer({ name: "p", version: "1" });
        s.registerTool("progress-then-wait", { description: "x" }, async (ctx) => {
          await ctx.mcpReq.notify({ method: "notifications/progress", params: { progressToken: "t", progress: 1 } });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 60_000);
            ctx.mcpReq.signal.addEventListener("abort", () => {
              abortedAt = Date.now();
              clearTimeout(timer);
              resolve();
            });
          });
          return { content: [{ type: "text", text: "late" }] };
        });
        return s;
      },
    });
    const env = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };
    const abort = new AbortController();
    const res = await fetch(r.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "progress-then-wait",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "progress-then-wait", arguments: {}, _meta: { ...env, progressToken: "t" } },
      }),
      signal: abort.signal,
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const first = await new SseReader(res).nextMessage();
    expect(first.method).toBe("notifications/progress");
    const closing = Date.now();
    abort.abort();
    await soon(() => abortedAt > 0, "the handler's abort signal", closing);
    await soon(() => r.closed.length === 1, "onClose after the cancelled exchange", closing);
  });
});
