// authenticate and createServer see the SAME `req` object within one request, as with
// mcp-proxy: FastMCP memoizes its authenticate by that object (a WeakMap), so a request runs
// the user's authenticate once, not twice (initialize, stateless POST, legacy GET /sse).
import { afterEach, describe, expect, it } from "vitest";
import { request, type IncomingMessage } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from "@modelcontextprotocol/client";
import { exampleServer, serve, type Running } from "./helpers.js";
import type { ServerLike } from "../index.js";
import { modernServer } from "./fixtures/modernServer.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** FastMCP's memo, reduced: the user's authenticate runs once per `req` object. */
function memoized(build: () => ServerLike = () => exampleServer().server) {
  const seen = new WeakMap<IncomingMessage, Promise<unknown>>();
  const calls = { user: 0, layer: 0, createdWith: [] as boolean[] };
  const authenticate = (req: IncomingMessage) => {
    let result = seen.get(req);
    if (!result) {
      calls.user++;
      result = Promise.resolve(req.headers["x-api-key"] === "k" ? { id: "u" } : undefined);
      seen.set(req, result);
    }
    return result;
  };
  return {
    calls,
    options: {
      authenticate: async (req: IncomingMessage) => {
        calls.layer++;
        return (await authenticate(req)) as { id: string } | undefined;
      },
      createServer: async (req: IncomingMessage) => {
        calls.createdWith.push(seen.has(req));
        await authenticate(req);
        return build();
      },
    },
  };
}

describe("one req object per request for authenticate and createServer", () => {
  it.each([false, true])("Streamable HTTP initialize and calls (stateless: %s)", async (stateless) => {
    const { calls, options } = memoized();
    running = await serve({ ...options, stateless });
    const client = new Client({ name: "c", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(running.url, { requestInit: { headers: { "x-api-key": "k" } } }));
    await client.listTools();
    await client.close();
    expect(calls.createdWith.length).toBeGreaterThan(0);
    expect(calls.createdWith.every(Boolean)).toBe(true);
    // Every request: one call from the layer, and the user's authenticate ran once for it.
    expect(calls.user).toBe(calls.layer);
  });

  it("2026-07-28 requests (an SDK v2 client pinned to it, an SDK v2 server)", async () => {
    const { calls, options } = memoized(modernServer);
    running = await serve(options);
    const client = new ClientV2({ name: "c", version: "1" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
    await client.connect(new TransportV2(running.url, { requestInit: { headers: { "x-api-key": "k" } } }));
    await client.callTool({ name: "echo", arguments: { text: "once" } });
    await client.close();
    // server/discover and tools/call: a server each, each with its request's authenticate memo.
    expect(calls.createdWith.length).toBe(2);
    expect(calls.createdWith.every(Boolean)).toBe(true);
    expect(calls.user).toBe(calls.layer);
  });

  it("legacy GET /sse", async () => {
    const { calls, options } = memoized();
    running = await serve(options);
    const client = new Client({ name: "c", version: "1" });
    const transport = new SSEClientTransport(new URL(`http://127.0.0.1:${running.port}/sse`), {
      eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, "x-api-key": "k" } }) },
    });
    await client.connect(transport);
    await client.listTools();
    await client.close();
    expect(calls.createdWith).toEqual([true]);
    expect(calls.user).toBe(1);
  });

  // The exchange is known to the core, not guessed from the connection: requests on many
  // other connections, authenticated while one initialize waits in its authenticate, do not
  // make that initialize's createServer get another `req`.
  it("an initialize whose authenticate waits while requests on 1100 other connections are authenticated", async () => {
    const { calls, options } = memoized();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const heldNow = new Promise<void>((resolve) => (holding = resolve));
    running = await serve({
      ...options,
      authenticate: async (req: IncomingMessage) => {
        if (req.headers["x-hold"]) {
          holding();
          await held;
        }
        return options.authenticate(req);
      },
    });
    const port = running.port;
    const post = (headers: Record<string, string>, body: string) =>
      new Promise<number>((resolve, reject) => {
        const r = request({ host: "127.0.0.1", port, method: "POST", path: "/mcp", agent: false, headers }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        r.on("error", reject);
        r.end(body);
      });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "x-api-key": "k" };
    const initialize = post(
      { ...headers, "x-hold": "1" },
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "c", version: "1" } } }),
    );
    await heldNow;
    // Each on its own connection (agent: false): a tools/list without a session, authenticated, then refused.
    const others = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    for (let batch = 0; batch < 1100; batch += 50) {
      await Promise.all(Array.from({ length: 50 }, () => post(headers, others)));
    }
    release();
    expect(await initialize).toBe(200);
    expect(calls.createdWith).toEqual([true]);
  }, 60_000);
});
