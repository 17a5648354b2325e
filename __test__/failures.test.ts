// Callbacks that fail (CONTRACT §4.6, §6, mcp-proxy 6.7): a server whose connect rejects, an
// onConnect that throws after connect succeeded, an onUnhandledRequest that rejects. Each
// request gets an answer, and every server that was created is closed with onClose once.
import { afterEach, describe, expect, it, vi } from "vitest";
import { exampleServer, INITIALIZE, MCP_HEADERS, serve, until, type Running } from "./helpers.js";
import { expectFetchError } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  vi.restoreAllMocks();
});

/** A server whose connect rejects before it ever starts the transport. */
function refusingServer() {
  return {
    closes: 0,
    async connect() {
      throw new Error("cannot connect");
    },
    async close() {
      this.closes++;
    },
  };
}

const toolsList = { jsonrpc: "2.0", id: 5, method: "tools/list" };
// Fail fast instead of hanging when a request is never answered.
const answered = () => ({ signal: AbortSignal.timeout(5000) });

describe("server.connect() rejects (stateless POST, legacy GET /sse, initialize)", () => {
  const routes: [string, Partial<Parameters<typeof serve>[0]>, (r: Running) => Promise<Response>][] = [
    ["stateless POST", { stateless: true }, (r) => fetch(r.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(toolsList), ...answered() })],
    ["legacy GET /sse", {}, (r) => fetch(`http://127.0.0.1:${r.port}/sse`, answered())],
    ["stateful initialize", {}, (r) => fetch(r.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE), ...answered() })],
  ];
  it.each(routes)("%s → 500, the server closed and onClose called once", async (_name, options, request) => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const created: ReturnType<typeof refusingServer>[] = [];
    running = await serve({
      ...options,
      createServer: async () => {
        const server = refusingServer();
        created.push(server);
        return server;
      },
    });
    const res = await request(running);
    await expectFetchError(res, { status: 500, code: -32603, message: "Error connecting to server" });
    expect(created).toHaveLength(1);
    expect(running.closed).toEqual([created[0]]);
    expect(created[0].closes).toBe(1);
    expect(running.opened).toEqual([]);
    expect(errors).toHaveBeenCalledWith("[mcp-proxy] error connecting to server", expect.any(Error));
    await new Promise((r) => setTimeout(r, 50));
    expect(running.closed).toHaveLength(1);
  });
});

describe("onConnect throws after connect succeeded (legacy, stateless)", () => {
  const routes: [string, Partial<Parameters<typeof serve>[0]>, (r: Running) => Promise<Response>][] = [
    ["stateless POST", { stateless: true }, (r) => fetch(r.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(toolsList), ...answered() })],
    ["legacy GET /sse", {}, (r) => fetch(`http://127.0.0.1:${r.port}/sse`, answered())],
  ];
  it.each(routes)("%s → 500, the connected server closed and onClose called once", async (_name, options, request) => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const created: { server: unknown; closes: number }[] = [];
    const closed: unknown[] = [];
    running = await serve({
      ...options,
      createServer: async () => {
        const server = exampleServer().server;
        const entry = { server, closes: 0 };
        created.push(entry);
        const close = server.close.bind(server);
        server.close = async () => {
          entry.closes++;
          await close();
        };
        return server;
      },
      onConnect: async () => {
        throw new Error("onConnect failed");
      },
      onClose: async (s) => {
        closed.push(s);
      },
    });
    const res = await request(running);
    await expectFetchError(res, { status: 500, code: -32603 });
    expect(created).toHaveLength(1);
    await until(() => created[0].closes > 0, "server.close()");
    expect(closed).toEqual([created[0].server]);
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toHaveLength(1);
    expect(created[0].closes).toBe(1);
  });
});

describe("onUnhandledRequest rejects", () => {
  it("→ 500 `Error handling custom route`, logged as mcp-proxy 6.7 logs it", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    running = await serve({
      onUnhandledRequest: async () => {
        throw new Error("route broke");
      },
    });
    const res = await fetch(`http://127.0.0.1:${running.port}/custom`, answered());
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("Error handling custom route");
    expect(errors).toHaveBeenCalledWith("[mcp-proxy] error handling custom route", expect.objectContaining({ message: "route broke" }));
    expect((await fetch(`http://127.0.0.1:${running.port}/ping`)).status).toBe(200);
  });
});

describe("a legacy session's server throws on a message", () => {
  it("POST /messages is still 202, the error is logged as mcp-proxy 6.7 logs it, and the session goes on", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    let seen = 0;
    running = await serve({
      createServer: async () => ({
        async connect(transport: { onmessage?: (m: unknown) => void; start(): Promise<void> }) {
          transport.onmessage = () => {
            seen++;
            throw new Error("handler broke");
          };
          await transport.start();
        },
        async close() {},
      }),
    });
    const ac = new AbortController();
    const stream = await fetch(`http://127.0.0.1:${running.port}/sse`, { signal: ac.signal });
    const reader = stream.body!.getReader();
    let head = "";
    while (!head.includes("sessionId=")) head += new TextDecoder().decode((await reader.read()).value);
    const endpoint = /data: (\/messages\?sessionId=[^\n]+)/.exec(head)![1];
    const postMessage = () =>
      fetch(`http://127.0.0.1:${running!.port}${endpoint}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
      });
    expect((await postMessage()).status).toBe(202);
    await until(() => errors.mock.calls.some((c) => c[0] === "[mcp-proxy] error handling SSE message"), "the log line");
    expect((await postMessage()).status).toBe(202);
    await until(() => seen === 2, "the second message delivered");
    ac.abort();
  });
});

