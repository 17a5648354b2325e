// CONTRACT §8: the legacy HTTP+SSE transport (`GET /sse`, `POST /messages`).
import { afterEach, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
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
    expect(res.headers.get("content-type")).toBe("text/event-stream");
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

  it("sseEndpoint: null disables /sse and /messages", async () => {
    running = await serve({ sseEndpoint: null });
    expect((await fetch(sseUrl(running))).status).toBe(404);
    expect((await fetch(messagesUrl(running, "?sessionId=x"), { method: "POST", body: "{}" })).status).toBe(404);
  });
});
