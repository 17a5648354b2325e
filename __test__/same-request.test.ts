// authenticate and createServer see the SAME `req` object within one request, as with
// mcp-proxy: FastMCP memoizes its authenticate by that object (a WeakMap), so a request runs
// the user's authenticate once, not twice (initialize, stateless POST, legacy GET /sse).
import { afterEach, describe, expect, it } from "vitest";
import type { IncomingMessage } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { exampleServer, serve, type Running } from "./helpers.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** FastMCP's memo, reduced: the user's authenticate runs once per `req` object. */
function memoized() {
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
        return exampleServer().server;
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
});
