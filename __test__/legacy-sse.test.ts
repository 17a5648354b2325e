// CONTRACT §8: the legacy HTTP+SSE transport (`GET /sse`, `POST /messages`).
import { afterEach, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { serve, until, type Running } from "./helpers.js";
import { readSse } from "./sse.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

const sseUrl = (r: Running) => new URL(`http://127.0.0.1:${r.port}/sse`);
const messagesUrl = (r: Running, query: string) => `http://127.0.0.1:${r.port}/messages${query}`;

describe("legacy HTTP+SSE", () => {
  it("opens with the endpoint event, then the greeting", async () => {
    running = await serve();
    const abort = new AbortController();
    const res = await fetch(sseUrl(running), { headers: { accept: "text/event-stream" }, signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = readSse(res.body!);
    const endpoint = (await events.next()).value!;
    expect(endpoint.event).toBe("endpoint");
    expect(endpoint.data).toMatch(/^\/messages\?sessionId=[0-9a-f-]{36}$/);
    const greeting = (await events.next()).value!;
    expect(JSON.parse(greeting.data)).toEqual({
      jsonrpc: "2.0",
      method: "notifications/message",
      params: { data: "SSE Connection established", level: "info" },
    });
    abort.abort();
    await until(() => running!.closed.length === 1, "onClose after the client left");
  });

  it("serves the SDK's SSEClientTransport: a tool call, then disconnect → onClose once", async () => {
    running = await serve();
    const client = new Client({ name: "legacy", version: "1" });
    await client.connect(new SSEClientTransport(sseUrl(running)));
    const result = await client.callTool({ name: "echo", arguments: { text: "over sse" } });
    expect(result.content).toEqual([{ type: "text", text: "over sse" }]);
    expect(running.opened).toHaveLength(1);
    await client.close();
    await until(() => running!.closed.length === 1, "onClose after disconnect");
    await new Promise((r) => setTimeout(r, 100));
    expect(running.closed).toHaveLength(1);
  });

  it("answers bad posts to /messages: missing id 400, unknown id 404, not JSON 400", async () => {
    running = await serve();
    const post = (query: string, body: string) =>
      fetch(messagesUrl(running!, query), { method: "POST", headers: { "content-type": "application/json" }, body });
    const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
    expect((await post("", ping)).status).toBe(400);
    const unknown = await post("?sessionId=nope", ping);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe(-32001);

    const abort = new AbortController();
    const res = await fetch(sseUrl(running), { signal: abort.signal });
    const endpoint = (await readSse(res.body!).next()).value!;
    const bad = await post(endpoint.data.slice("/messages".length), "{not json");
    expect(bad.status).toBe(400);
    const ok = await post(endpoint.data.slice("/messages".length), ping);
    expect(ok.status).toBe(202);
    expect(await ok.text()).toBe("Accepted");
    abort.abort();
  });

  it("legacy sessions are not reachable through /mcp", async () => {
    running = await serve();
    const abort = new AbortController();
    const res = await fetch(sseUrl(running), { signal: abort.signal });
    const endpoint = (await readSse(res.body!).next()).value!;
    const id = endpoint.data.split("=")[1];
    const mcp = await fetch(running.url, { method: "DELETE", headers: { "mcp-session-id": id } });
    expect(mcp.status).toBe(404);
    abort.abort();
  });

  it("POST /messages is authorized by its session id: credentials on GET /sse only (FastMCP's clients), authenticate asked once", async () => {
    const asked: string[] = [];
    let seenAuth: unknown;
    running = await serve({
      authenticate: async (req) => {
        asked.push(`${req.method} ${req.url?.split("?")[0]}`);
        return req.headers.authorization === "Bearer good" ? { token: "good", clientId: "c1", scopes: ["read"] } : undefined;
      },
      createServer: async () => {
        const server = new McpServer({ name: "t", version: "1" });
        server.registerTool("whoami", { inputSchema: {} }, async (_args, extra) => {
          seenAuth = extra.authInfo;
          return { content: [{ type: "text", text: "ok" }] };
        });
        return server.server;
      },
    });
    // Credentials only on the EventSource's GET, none on the posts.
    const transport = new SSEClientTransport(sseUrl(running), {
      eventSourceInit: {
        fetch: (url, init) => fetch(url, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), authorization: "Bearer good" } }),
      },
    });
    const client = new Client({ name: "legacy", version: "1" });
    await client.connect(transport);
    const result = await client.callTool({ name: "whoami", arguments: {} });
    expect(result.content).toEqual([{ type: "text", text: "ok" }]);
    // The tool sees the stream's authentication as its own.
    expect(seenAuth).toEqual({ token: "good", clientId: "c1", scopes: ["read"] });
    expect(asked).toEqual(["GET /sse"]);
    await client.close();
    // The stream itself still needs credentials.
    const refused = await fetch(sseUrl(running));
    expect(refused.status).toBe(401);
  });

  it("apiKey applies to POST /messages too (CONTRACT §2, as mcp-proxy 6.7)", async () => {
    running = await serve({ apiKey: "k" });
    const abort = new AbortController();
    const res = await fetch(sseUrl(running), { headers: { "x-api-key": "k" }, signal: abort.signal });
    const endpoint = (await readSse(res.body!).next()).value!;
    const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
    const post = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${running!.port}${endpoint.data}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: ping });
    const without = await post({});
    expect(without.status).toBe(401);
    expect(await without.text()).toBe('{"error":{"code":401,"message":"Unauthorized: Invalid or missing API key"},"id":null,"jsonrpc":"2.0"}');
    expect((await post({ "x-api-key": "k" })).status).toBe(202);
    abort.abort();
  });

  it("sseEndpoint: null disables /sse and /messages", async () => {
    running = await serve({ sseEndpoint: null });
    expect((await fetch(sseUrl(running))).status).toBe(404);
    expect((await fetch(messagesUrl(running, "?sessionId=x"), { method: "POST", body: "{}" })).status).toBe(404);
  });
});
