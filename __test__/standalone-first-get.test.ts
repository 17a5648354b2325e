// Messages a server sends on its own (no related request) before the client's first GET: that GET
// gets them. FastMCP asks for `roots/list` ~100 ms after connect, often before the SDK client has
// opened its GET stream; with the message dropped, FastMCP's listRoots hung until its timeout and
// the session never learnt its roots (seen as a flaky FastMCP roots test).
import { afterEach, describe, expect, it } from "vitest";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { ListRootsResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { serve, until, type Running } from "./helpers.js";
import { initSession, post, SseReader } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

const PV = "2025-11-25";
const sessionHeaders = (sessionId: string) => ({ "mcp-session-id": sessionId, "mcp-protocol-version": PV });

function openGet(url: URL, sessionId: string, signal: AbortSignal, lastEventId?: string): Promise<Response> {
  return fetch(url, {
    headers: { accept: "text/event-stream", ...sessionHeaders(sessionId), ...(lastEventId ? { "last-event-id": lastEventId } : {}) },
    signal,
  });
}

describe("the standalone stream: what the server said before the client's first GET", () => {
  it("a server request and a notification sent before any GET arrive, in order, on the first GET; the answer reaches the server", async () => {
    running = await serve();
    const { sessionId } = await initSession(running.url);
    await until(() => running!.opened.length === 1, "the session's server");
    const server = running.opened[0] as Server;
    const roots = server.request({ method: "roots/list" }, ListRootsResultSchema);
    await server.notification({ method: "notifications/message", params: { level: "info", data: "before GET" } });
    const ac = new AbortController();
    try {
      const get = await openGet(running.url, sessionId, ac.signal);
      expect(get.status).toBe(200);
      const reader = new SseReader(get);
      const request = await reader.nextMessage();
      expect(request).toMatchObject({ method: "roots/list" });
      expect(await reader.nextMessage()).toMatchObject({ method: "notifications/message", params: { data: "before GET" } });
      const answer = await post(
        running.url,
        { jsonrpc: "2.0", id: request.id, result: { roots: [{ uri: "file:///workspace" }] } },
        sessionHeaders(sessionId),
      );
      expect(answer.status).toBe(202);
      expect(await roots).toEqual({ roots: [{ uri: "file:///workspace" }] });
    } finally {
      ac.abort();
    }
  });

  it("only the first GET: what is sent while no GET is open later waits in the event store for Last-Event-ID", async () => {
    running = await serve();
    const { sessionId } = await initSession(running.url);
    await until(() => running!.opened.length === 1, "the session's server");
    const server = running.opened[0] as Server;
    const first = new AbortController();
    const get = await openGet(running.url, sessionId, first.signal);
    const reader = new SseReader(get);
    await server.notification({ method: "notifications/message", params: { level: "info", data: "one" } });
    const one = await reader.next();
    expect(JSON.parse(one!.data)).toMatchObject({ params: { data: "one" } });
    first.abort();
    // The layer notices the reader left when its next frame fails: send until it has.
    await server.notification({ method: "notifications/message", params: { level: "info", data: "two" } });
    const second = new AbortController();
    try {
      let again = await openGet(running.url, sessionId, second.signal);
      for (let i = 0; again.status === 409 && i < 100; i++) {
        await again.arrayBuffer();
        await new Promise((r) => setTimeout(r, 20));
        again = await openGet(running.url, sessionId, second.signal);
      }
      expect(again.status).toBe(200);
      await server.notification({ method: "notifications/message", params: { level: "info", data: "three" } });
      const next = await new SseReader(again).nextMessage();
      expect(next).toMatchObject({ params: { data: "three" } });
    } finally {
      second.abort();
    }
  });
});
