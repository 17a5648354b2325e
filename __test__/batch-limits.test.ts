// Issue 9, finding 1: a JSON-RPC batch costs linear work, none of it holds the server, and
// the number of messages per batch is capped (`maxBatchSize`, 400 -32600 beyond it).
import { afterEach, describe, expect, it } from "vitest";
import { serve, until, INITIALIZE, type Running } from "./helpers.js";
import { expectFetchError, initSession, post, RawConnection, SseReader, within } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

const pings = (count: number, from = 1) =>
  Array.from({ length: count }, (_, i) => ({ jsonrpc: "2.0", id: from + i, method: "ping" }));

/**
 * A ServerLike that answers `initialize` and only counts what else it is handed: the
 * subject here is the HTTP layer's own work on a batch, not 400 000 pings in JS.
 */
function countingServer(delivered: { count: number }) {
  return {
    async connect(transport: {
      onmessage?: (m: { id?: unknown; method?: string }) => void;
      send: (m: unknown) => Promise<void>;
    }) {
      transport.onmessage = (message) => {
        if (message.method === "initialize") {
          void transport.send({
            jsonrpc: "2.0",
            id: message.id,
            result: { protocolVersion: "2025-03-26", capabilities: {}, serverInfo: { name: "count", version: "1" } },
          });
        } else {
          delivered.count++;
        }
      };
    },
    async close() {},
  };
}

describe("JSON-RPC batches", () => {
  it("two batches of 200 000 requests (under maxBodySize) are taken in while /ping keeps answering", async () => {
    const delivered = { count: 0 };
    running = await serve({
      createServer: async () => countingServer(delivered) as never,
      maxBatchSize: 1_000_000,
    });
    const init = await post(running.url, { ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: "2025-03-26" } });
    const sessionId = init.headers.get("mcp-session-id")!;
    await init.text();
    const batches = [pings(200_000, 1), pings(200_000, 1_000_000)].map((b) => JSON.stringify(b));
    for (const body of batches) expect(body.length).toBeLessThan(10 * 1024 * 1024);
    const connections = await Promise.all(batches.map(() => RawConnection.connect(running!.port)));
    try {
      await Promise.all(
        connections.map((conn, i) =>
          conn.write(
            `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
              `Accept: application/json, text/event-stream\r\nMcp-Session-Id: ${sessionId}\r\n` +
              `Mcp-Protocol-Version: 2025-03-26\r\nContent-Length: ${batches[i].length}\r\n\r\n${batches[i]}`,
          ),
        ),
      );
      // Both batches reach the server (every check done) and /ping answers meanwhile; with
      // a pairwise duplicate-id check this took minutes and held both runtime workers.
      const ping = await within(fetch(`http://127.0.0.1:${running.port}/ping`), 20_000, "/ping");
      expect(await ping.text()).toBe("pong");
      await until(() => delivered.count === 400_000, "both batches delivered", 20_000);
    } finally {
      for (const conn of connections) conn.destroy();
    }
  });

  it("a batch over maxBatchSize → 400 -32600; at the cap it is served", async () => {
    running = await serve({ maxBatchSize: 3 });
    const { sessionId } = await initSession(running.url, "2025-03-26");
    const headers = { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-03-26" };
    await expectFetchError(await post(running.url, pings(4), headers), {
      status: 400,
      code: -32600,
      message: "Invalid Request: a batch may hold at most 3 messages",
      id: null,
    });
    const served = new SseReader(await post(running.url, pings(3), headers));
    const ids = (await served.rest()).map((e) => JSON.parse(e.data).id).sort();
    expect(ids).toEqual([1, 2, 3]);
  });

  it("the default cap is 10 000 messages", async () => {
    running = await serve();
    const { sessionId } = await initSession(running.url, "2025-03-26");
    const res = await post(running.url, pings(10_001), { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-03-26" });
    await expectFetchError(res, {
      status: 400,
      code: -32600,
      message: "Invalid Request: a batch may hold at most 10000 messages",
    });
  });

  it("stateless mode has the same cap", async () => {
    running = await serve({ stateless: true, maxBatchSize: 2 });
    await expectFetchError(await post(running.url, pings(3), { "mcp-protocol-version": "2025-03-26" }), {
      status: 400,
      code: -32600,
      message: "Invalid Request: a batch may hold at most 2 messages",
    });
    expect(running.opened).toHaveLength(0);
  });

  it("a batch repeating a request id → 400 -32600 naming it, nothing delivered", async () => {
    running = await serve();
    const { sessionId } = await initSession(running.url, "2025-03-26");
    const headers = { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-03-26" };
    const repeated = [...pings(2), { jsonrpc: "2.0", id: 2, method: "tools/list" }];
    await expectFetchError(await post(running.url, repeated, headers), {
      status: 400,
      code: -32600,
      message: "Invalid Request: a batch must not repeat a request id",
      id: 2,
    });
    // Nothing of the refused batch is in flight: the same ids are free.
    const served = new SseReader(await post(running.url, pings(2), headers));
    expect((await served.rest()).length).toBe(2);
  });
});
