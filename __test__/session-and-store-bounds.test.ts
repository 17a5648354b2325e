// Issue 9, finding 7: sessions and the default event store are bounded by what they cost,
// not only by count: `maxSessions` (503, logged) and `eventStoreMaxBytes` (oldest events
// evicted first, so a Last-Event-ID that was evicted → 400).
import { afterEach, describe, expect, it, vi } from "vitest";
import { serve, until, type Running, type StartOptions } from "./helpers.js";
import { expectFetchError, initSession, post, SseReader } from "./raw.js";

let running: Running | undefined;
let errors: unknown[][] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await running?.close();
  running = undefined;
  errors = [];
});

async function start(overrides: Partial<StartOptions>): Promise<Running> {
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void errors.push(args));
  running = await serve(overrides);
  return running;
}

const logged = (pattern: RegExp) => errors.some((args) => args.some((a) => typeof a === "string" && pattern.test(a)));

const headersOf = (sessionId: string) => ({ "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" });

/** Calls echo with `text`; returns the id of the event carrying the result. */
async function echo(url: URL, sessionId: string, id: number, text: string): Promise<string> {
  const res = await post(
    url,
    { jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { text } } },
    headersOf(sessionId),
  );
  const events = await new SseReader(res).rest();
  const result = events.find((e) => e.data.includes('"result"'))!;
  expect(JSON.parse(result.data).result.content[0].text.length).toBe(text.length);
  return result.id!;
}

function resume(url: URL, sessionId: string, lastEventId: string): Promise<Response> {
  return fetch(url, { headers: { accept: "text/event-stream", ...headersOf(sessionId), "last-event-id": lastEventId } });
}

describe("maxSessions", () => {
  it("a session beyond it → 503 -32000, logged; a closed session frees its place", async () => {
    const r = await start({ maxSessions: 2 });
    const a = await initSession(r.url);
    await initSession(r.url);
    const refused = await post(r.url, {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "third", version: "1" } },
    });
    await expectFetchError(refused, {
      status: 503,
      code: -32000,
      message: "Service Unavailable: the server holds its maximum number of sessions",
      id: 0,
    });
    // The log line reaches JS through the host's queue, possibly after the HTTP answer.
    await until(() => logged(/maxSessions/), "the maxSessions log line");
    expect(r.opened).toHaveLength(2);
    const deleted = await fetch(r.url, { method: "DELETE", headers: headersOf(a.sessionId) });
    expect(deleted.status).toBe(200);
    await initSession(r.url);
  });

  it("legacy /sse connections count too", async () => {
    const r = await start({ maxSessions: 1 });
    await initSession(r.url);
    const sse = await fetch(`http://127.0.0.1:${r.port}/sse`, {
      headers: { accept: "text/event-stream" },
      signal: AbortSignal.timeout(5000),
    });
    await expectFetchError(sse, { status: 503, code: -32000 });
  });
});

describe("eventStoreMaxBytes", () => {
  it("the default store keeps at most that many bytes per session, oldest evicted first", async () => {
    const r = await start({ eventStoreMaxBytes: 8 * 1024 });
    const { sessionId } = await initSession(r.url);
    const first = await echo(r.url, sessionId, 1, "a".repeat(3000));
    const second = await echo(r.url, sessionId, 2, "b".repeat(3000));
    await echo(r.url, sessionId, 3, "c".repeat(3000));
    await echo(r.url, sessionId, 4, "d".repeat(3000));
    // 1000 events would fit by count; by bytes the first answers are gone.
    await expectFetchError(await resume(r.url, sessionId, first), {
      status: 400,
      code: -32000,
      message: "Invalid event ID format",
    });
    await expectFetchError(await resume(r.url, sessionId, second), { status: 400, code: -32000 });
  });

  it("the default is 10 MiB: eleven answers of 1 MiB evict the first", async () => {
    const r = await start({});
    const { sessionId } = await initSession(r.url);
    const mib = "m".repeat(1024 * 1024);
    const ids: string[] = [];
    for (let i = 1; i <= 11; i++) ids.push(await echo(r.url, sessionId, i, mib));
    await expectFetchError(await resume(r.url, sessionId, ids[0]), { status: 400, code: -32000 });
    // The tenth answer is still kept: resuming after it is known (its stream has ended, so
    // nothing follows).
    const recent = await resume(r.url, sessionId, ids[9]);
    expect(recent.status).toBe(200);
    expect((await new SseReader(recent).rest()).filter((e) => e.data)).toEqual([]);
  });
});
