// 2026-07-28 streams and lifecycles (CONTRACT §12): listen acknowledgement and
// notifications, onListenSubscriptions and its release, close(), cancellation when the
// client closes the response, and server factories that fail.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { McpServer } from "@modelcontextprotocol/server";
import { startHTTPServer } from "../index.js";
import { exampleServer, serve, until, type Running, type StartOptions } from "./helpers";
import { SseReader } from "./raw";
import { aborted, modernServer } from "./fixtures/modernServer";

const PV = "io.modelcontextprotocol/protocolVersion";
const SUB = "io.modelcontextprotocol/subscriptionId";
const ENV = { [PV]: "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };

const running: Running[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function start(overrides: Partial<StartOptions> = {}): Promise<Running> {
  const r = await serve({ createServer: async () => modernServer(), ...overrides });
  running.push(r);
  return r;
}

/** startHTTPServer with its `notify`, recording opens/closes like serve(). */
async function startWithNotify(overrides: Partial<StartOptions> = {}) {
  const opened: unknown[] = [];
  const closed: unknown[] = [];
  const server = await startHTTPServer({
    port: 0,
    host: "127.0.0.1",
    createServer: async () => modernServer(),
    onConnect: (s: unknown) => void opened.push(s),
    onClose: (s: unknown) => void closed.push(s),
    ...overrides,
  } as StartOptions);
  const port = (server as unknown as { port: number }).port;
  const r = { url: new URL(`http://127.0.0.1:${port}/mcp`), port, close: server.close, opened, closed, notify: server.notify };
  running.push(r);
  return r;
}

/** A 2026-07-28 request as the SDK v2 client sends it: envelope in `_meta`, SEP-2243 headers. */
function modernPost(
  url: URL,
  method: string,
  params: Record<string, unknown>,
  { id = 1, headers = {}, signal }: { id?: number | string; headers?: Record<string, string>; signal?: AbortSignal } = {},
) {
  const name: Record<string, string> = typeof params.name === "string" ? { "mcp-name": params.name } : {};
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": method,
      ...name,
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id, method, params: { _meta: ENV, ...params } }),
    signal,
  });
}

function listen(url: URL, notifications: Record<string, unknown>, id: number | string = "L1", signal?: AbortSignal) {
  return modernPost(url, "subscriptions/listen", { notifications }, { id, signal });
}

describe("subscriptions/listen", () => {
  it("acknowledges the honored filter, then delivers notify.* stamped with the listen id", async () => {
    const r = await startWithNotify();
    const res = await listen(r.url, {
      toolsListChanged: true,
      promptsListChanged: true,
      resourceSubscriptions: ["test://readme"],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const sse = new SseReader(res);
    const ack = await sse.nextMessage();
    // The server declares no prompts capability: that part of the filter is not honored.
    expect(ack).toEqual({
      jsonrpc: "2.0",
      method: "notifications/subscriptions/acknowledged",
      params: { notifications: { toolsListChanged: true, resourceSubscriptions: ["test://readme"] }, _meta: { [SUB]: "L1" } },
    });
    r.notify.promptsChanged();
    r.notify.resourceUpdated("test://other");
    r.notify.toolsChanged();
    r.notify.resourceUpdated("test://readme");
    expect(await sse.nextMessage()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/tools/list_changed",
      params: { _meta: { [SUB]: "L1" } },
    });
    expect(await sse.nextMessage()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/resources/updated",
      params: { uri: "test://readme", _meta: { [SUB]: "L1" } },
    });
    // close() ends the stream with the graceful result, and the stream's server is closed.
    await r.close();
    expect(await sse.nextMessage()).toEqual({
      jsonrpc: "2.0",
      id: "L1",
      result: { resultType: "complete", _meta: { [SUB]: "L1", "io.modelcontextprotocol/serverInfo": { name: "modern-test", version: "2.0.0" } } },
    });
    expect(await sse.next()).toBeUndefined();
    expect(r.closed.length).toBe(1);
  });

  it("an empty honored filter is acknowledged and ended at once", async () => {
    const r = await startWithNotify();
    const res = await listen(r.url, { promptsListChanged: true });
    const events = await new SseReader(res).rest();
    expect(events.map((e) => JSON.parse(e.data).method ?? "result")).toEqual([
      "notifications/subscriptions/acknowledged",
      "result",
    ]);
    await until(() => r.closed.length === 1, "the stream's server closed");
  });

  it("works with the SDK v2 client's listen(), and a client that drops the stream releases everything", async () => {
    const releases: string[][] = [];
    const asked: string[][] = [];
    const r = await startWithNotify({
      onListenSubscriptions: async (uris: string[]) => {
        asked.push(uris);
        return () => void releases.push(uris);
      },
    } as Partial<StartOptions>);
    const client = new Client({ name: "c", version: "1" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
    await client.connect(new StreamableHTTPClientTransport(r.url));
    const changed: unknown[] = [];
    client.setNotificationHandler("notifications/tools/list_changed", (n) => void changed.push(n));
    const sub = await client.listen({ toolsListChanged: true, resourceSubscriptions: ["test://readme", "test://x"] });
    expect(sub.honoredFilter).toEqual({ toolsListChanged: true, resourceSubscriptions: ["test://readme", "test://x"] });
    expect(asked).toEqual([["test://readme", "test://x"]]);
    r.notify.toolsChanged();
    await until(() => changed.length === 1, "the notification");
    const before = r.closed.length;
    await sub.close();
    expect(await sub.closed).toBe("local");
    await until(() => releases.length === 1 && r.closed.length === before + 1, "release and onClose");
    // Nothing listens any more: a later notify reaches nobody and breaks nothing.
    r.notify.toolsChanged();
    await client.close();
  });

  it("an SDK v1 server refuses listen with mcp-proxy 6.7's answer", async () => {
    const r = await startWithNotify({ createServer: async () => exampleServer() });
    const res = await listen(r.url, { toolsListChanged: true }, 9);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ error: { code: -32000, data: { reason: "server_missing_modern_protocol_support" } }, id: 9 });
    await until(() => r.closed.length === 1, "the refused server closed");
  });
});

describe("a served request", () => {
  it("is cancelled when the client closes the response: the handler's signal fires", async () => {
    const r = await start();
    const abort = new AbortController();
    const count = aborted.length;
    const pending = modernPost(r.url, "tools/call", { name: "wait", arguments: { ms: 60_000 } }, { signal: abort.signal }).catch(
      (e: Error) => e,
    );
    await until(() => r.opened.length === 1, "the handler to start");
    await new Promise((resolve) => setTimeout(resolve, 50));
    abort.abort();
    await pending;
    await until(() => aborted.length === count + 1, "the handler's abort signal");
    await until(() => r.closed.length === 1, "onClose after the cancelled exchange");
  });

  it("streams related notifications as SSE, with X-Accel-Buffering and the charset", async () => {
    const r = await start({
      createServer: async () => {
        const s = new McpServer({ name: "p", version: "1" });
        s.registerTool("progress", { description: "x" }, async (ctx) => {
          await ctx.mcpReq.notify({ method: "notifications/progress", params: { progressToken: "t", progress: 1 } });
          return { content: [{ type: "text", text: "done" }] };
        });
        return s;
      },
    });
    const res = await modernPost(r.url, "tools/call", {
      name: "progress",
      arguments: {},
      _meta: { ...ENV, progressToken: "t" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const events = await new SseReader(res).rest();
    const messages = events.map((e) => JSON.parse(e.data));
    expect(messages[0].method).toBe("notifications/progress");
    expect(messages.at(-1)).toMatchObject({ id: 1, result: { content: [{ type: "text", text: "done" }] } });
  });
});

describe("authentication on the 2026-07-28 leg", () => {
  it("authenticate runs first; its result reaches updateAuth and, as an AuthInfo, the handler's ctx.http.authInfo", async () => {
    const updates: unknown[] = [];
    const seen: unknown[] = [];
    const r = await start({
      authenticate: async (req) =>
        req.headers.authorization === "Bearer good" ? { token: "good", clientId: "c1", scopes: ["read"] } : undefined,
      createServer: async () => {
        const s = new McpServer({ name: "p", version: "1" });
        (s as unknown as { updateAuth: (a: unknown) => void }).updateAuth = (a) => void updates.push(a);
        s.registerTool("who", { description: "x" }, async (ctx) => {
          seen.push(ctx.http?.authInfo);
          return { content: [{ type: "text", text: "ok" }] };
        });
        return s;
      },
    });
    const post = (authorization: string) =>
      modernPost(r.url, "tools/call", { name: "who", arguments: {} }, { headers: { authorization } });
    const denied = await post("Bearer bad");
    expect(denied.status).toBe(401);
    expect(r.opened.length).toBe(0);
    const ok = await post("Bearer good");
    expect(ok.status).toBe(200);
    await ok.text();
    const auth = { token: "good", clientId: "c1", scopes: ["read"] };
    expect(updates).toEqual([auth]);
    expect(seen).toEqual([auth]);
  });
  it("a 2026 request carrying a 2025 session's id leaves that session alone (its updateAuth does not run)", async () => {
    const updates: number[] = [];
    let created = 0;
    const r = await start({
      authenticate: async () => ({ token: "t", clientId: "c1", scopes: [] }),
      createServer: async () => {
        const index = created++;
        const s = modernServer();
        (s as unknown as { updateAuth: () => void }).updateAuth = () => void updates.push(index);
        return s;
      },
    });
    const init = await fetch(r.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } },
      }),
    });
    const sessionId = init.headers.get("mcp-session-id") ?? "";
    await init.text();
    expect(sessionId).not.toBe("");
    const res = await modernPost(r.url, "tools/list", {}, { headers: { "mcp-session-id": sessionId } });
    expect(res.status).toBe(200);
    await res.text();
    // Server 0 is the 2025 session's, server 1 the 2026 request's own.
    expect(updates).toEqual([1]);
  });
});

describe("the listen stream limit", () => {
  it("refuses a listen beyond maxListenStreams with -32603, and takes one again once a stream ends", async () => {
    const r = await startWithNotify({ maxListenStreams: 3 } as Partial<StartOptions>);
    const aborts: AbortController[] = [];
    const open = async (id: number) => {
      const abort = new AbortController();
      const res = await listen(r.url, { toolsListChanged: true }, id, abort.signal);
      await new SseReader(res).nextMessage();
      aborts.push(abort);
    };
    await Promise.all([open(1), open(2), open(3)]);
    const refused = await listen(r.url, { toolsListChanged: true }, 4);
    expect(refused.status).toBe(200);
    expect(await refused.json()).toEqual({ jsonrpc: "2.0", error: { code: -32603, message: "Subscription limit reached" }, id: 4 });
    expect(r.opened.length).toBe(3);
    aborts.pop()?.abort();
    await until(() => r.closed.length === 1, "the dropped stream's server released");
    await open(5);
    for (const abort of aborts) abort.abort();
    await until(() => r.closed.length === 4, "every stream released");
  });

  it("maxListenStreams must be a positive integer", async () => {
    await expect(startHTTPServer({ port: 0, createServer: async () => modernServer(), maxListenStreams: 0 } as StartOptions)).rejects.toThrow(
      /maxListenStreams/,
    );
  });
});

describe("server factories that fail", () => {
  const call = (url: URL) => modernPost(url, "tools/list", {}, { id: 3 });

  it("a throwing createServer is a 500 with the error logged", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const r = await start({ createServer: async () => Promise.reject(new Error("boom")) });
    const res = await call(r.url);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: -32603, message: "Error creating server" }, id: 3, jsonrpc: "2.0" });
    expect(errors.mock.calls.some((c) => c[0] === "[mcp-proxy] error creating server")).toBe(true);
  });

  it("an authentication error from createServer is a 401 with a challenge", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const r = await start({ createServer: async () => Promise.reject(new Error("Unauthorized: bad token")) });
    const res = await call(r.url);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("a Response thrown by createServer is written as it is", async () => {
    const r = await start({
      createServer: async () => {
        throw new Response("nope", { status: 418, headers: { "x-teapot": "1" } });
      },
    });
    const res = await call(r.url);
    expect(res.status).toBe(418);
    expect(res.headers.get("x-teapot")).toBe("1");
    expect(await res.text()).toBe("nope");
  });

  it("something that is neither an SDK v1 nor v2 server is a 500, logged", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const r = await start({ createServer: async () => ({ hello: "world" }) as never });
    const res = await call(r.url);
    expect(res.status).toBe(500);
    expect(String(errors.mock.calls.find((c) => c[0] === "[mcp-proxy] error creating server")?.[1])).toMatch(/neither/);
  });

  it("a throwing onConnect is a 500 and the server is closed", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    let closedServer = false;
    const r = await start({
      createServer: async () => {
        const s = modernServer();
        const close = s.close.bind(s);
        s.close = async () => {
          closedServer = true;
          await close();
        };
        return s;
      },
      onConnect: async () => {
        throw new Error("no connect");
      },
    });
    const res = await call(r.url);
    expect(res.status).toBe(500);
    expect((await res.json()).error.message).toBe("Error connecting to server");
    await until(() => closedServer, "server.close()");
  });

  it("an SDK v1 server gets mcp-proxy 6.7's refusal, byte for byte", async () => {
    const r = await start({ createServer: async () => exampleServer() });
    const res = await call(r.url);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.text()).toBe(
      JSON.stringify({
        error: {
          code: -32000,
          data: { reason: "server_missing_modern_protocol_support" },
          message:
            "Unsupported protocol version: the server instance cannot serve the 2026-07-28 protocol revision. It was built by the 1.x MCP SDK (e.g. fastmcp <=4.x pulling mcp-proxy through its `^6.4.6` range), which does not declare `_supportedProtocolVersions`. Upgrade the framework that builds it, or serve only 2025-era clients (`modern: false`).",
        },
        id: 3,
        jsonrpc: "2.0",
      }),
    );
    await until(() => r.closed.length === 1, "onClose of the refused server");
  });
});
