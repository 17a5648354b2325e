// Issue 9, finding 2: one user-supplied SDK EventStore shared by every session (as
// mcp-proxy users pass it) must never let a session resume into another session's stream.
// Stream ids are unique across sessions and servers; a replay that comes back with a
// stream of another session is refused like an unknown Last-Event-ID (400), so a client
// learns nothing about other sessions' events.
import { afterEach, describe, expect, it } from "vitest";
import { InMemoryEventStore as SdkInMemoryEventStore } from "@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js";
import { serve, type Running } from "./helpers.js";
import { expectFetchError, initSession, post, SseReader, type SseEvent } from "./raw.js";

let running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.map((r) => r.close()));
  running = [];
});

const echo = (id: number, text: string) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "echo", arguments: { text } },
});

/** Calls echo on a session; returns the SSE events of the answer. */
async function call(url: URL, sessionId: string, text: string): Promise<SseEvent[]> {
  const res = await post(url, echo(1, text), { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" });
  expect(res.status).toBe(200);
  return new SseReader(res).rest();
}

function resume(url: URL, sessionId: string, lastEventId: string): Promise<Response> {
  return fetch(url, {
    headers: {
      accept: "text/event-stream",
      "mcp-session-id": sessionId,
      "mcp-protocol-version": "2025-11-25",
      "last-event-id": lastEventId,
    },
  });
}

describe("a user EventStore shared by all sessions", () => {
  it("a session resuming its own stream gets only its own events", async () => {
    const store = new SdkInMemoryEventStore();
    const server = await serve({ eventStore: store });
    running.push(server);
    const a = await initSession(server.url);
    const b = await initSession(server.url);
    // Same request sequence on both sessions, B first: B's event id sorts before A's.
    const bEvents = await call(server.url, b.sessionId, "b's own");
    await new Promise((r) => setTimeout(r, 5));
    const aEvents = await call(server.url, a.sessionId, "secret of A");
    expect(aEvents.map((e) => e.data).join()).toContain("secret of A");
    const bLast = bEvents.at(-1)!.id!;
    expect(bLast).toBeTruthy();
    const resumed = await resume(server.url, b.sessionId, bLast);
    expect(resumed.status).toBe(200);
    const replayed = await new SseReader(resumed).rest();
    expect(replayed.map((e) => e.data).join()).not.toContain("secret of A");
  });

  it("another session's event id → 400 as if unknown, nothing of it written", async () => {
    const store = new SdkInMemoryEventStore();
    const server = await serve({ eventStore: store });
    running.push(server);
    const a = await initSession(server.url);
    const b = await initSession(server.url);
    const aEvents = await call(server.url, a.sessionId, "first of A");
    await call(server.url, a.sessionId, "secret of A");
    const resumed = await resume(server.url, b.sessionId, aEvents.at(-1)!.id!);
    const body = await resumed.clone().text();
    expect(body).not.toContain("secret of A");
    await expectFetchError(resumed, { status: 400, code: -32000, message: "Invalid event ID format" });
  });

  it("two servers sharing one store keep their streams apart", async () => {
    const store = new SdkInMemoryEventStore();
    const one = await serve({ eventStore: store });
    const two = await serve({ eventStore: store });
    running.push(one, two);
    const a = await initSession(one.url);
    const b = await initSession(two.url);
    const aEvents = await call(one.url, a.sessionId, "from server one");
    const bEvents = await call(two.url, b.sessionId, "from server two");
    const streamOf = (id: string) => id.split("_")[0];
    expect(streamOf(aEvents.at(-1)!.id!)).not.toBe(streamOf(bEvents.at(-1)!.id!));
  });
});
