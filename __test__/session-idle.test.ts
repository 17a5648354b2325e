// CONTRACT §2 `sessionIdleTimeout` (mcp-proxy 6.7 semantics): 0 = never; a session with a
// stream attached or a request in flight is never reaped; the countdown starts when the
// last stream drops; reaping logs mcp-proxy 6.7's line through console.log and runs onClose.
import { afterEach, describe, expect, it, vi } from "vitest";
import { serve, type Running, until } from "./helpers.js";
import { initSession, post, within } from "./raw.js";

let running: Running[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const r of running) await r.close();
  running = [];
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PING = (id: number) => ({ jsonrpc: "2.0", id, method: "ping" });

async function pingStatus(r: Running, sessionId: string, id: number): Promise<number> {
  const res = await post(r.url, PING(id), { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" });
  await res.arrayBuffer();
  return res.status;
}

describe("sessionIdleTimeout", () => {
  it("0 is accepted and turns reaping off", async () => {
    const r = await serve({ sessionIdleTimeout: 0 });
    running.push(r);
    const { sessionId } = await initSession(r.url);
    await sleep(200);
    expect(await pingStatus(r, sessionId, 2)).toBe(200);
    expect(r.closed).toHaveLength(0);
  });

  it("an attached stream protects the session; the countdown starts when it drops", async () => {
    const logged: unknown[][] = [];
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void logged.push(args));
    const timeout = 400;
    const r = await serve({ sessionIdleTimeout: timeout });
    running.push(r);
    const { sessionId } = await initSession(r.url);
    const abort = new AbortController();
    const stream = await fetch(r.url, {
      headers: { accept: "text/event-stream", "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    // Well past the timeout with nothing but the stream: still there.
    await sleep(3 * timeout);
    expect(r.closed).toHaveLength(0);
    abort.abort();
    await stream.body?.cancel().catch(() => {});
    // Shortly after the stream dropped (less than the timeout): still there.
    await sleep(timeout / 2);
    expect(r.closed).toHaveLength(0);
    // Then, idle for the timeout: reaped, logged as mcp-proxy 6.7 logs it, onClose once.
    await until(() => r.closed.length === 1, "the session to be reaped");
    expect(await pingStatus(r, sessionId, 3)).toBe(404);
    expect(logged).toContainEqual([`[mcp-proxy] closing session ${sessionId}, idle for over ${timeout}ms`]);
    expect(r.closed).toHaveLength(1);
  });

  it("a request in flight keeps its session (JSON mode: no stream attached)", async () => {
    const timeout = 300;
    const r = await serve({ sessionIdleTimeout: timeout, enableJsonResponse: true });
    running.push(r);
    const { sessionId } = await initSession(r.url);
    const res = await post(
      r.url,
      { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "slow", arguments: { steps: 1, delayMs: 4 * timeout } } },
      { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ id: 7, result: { content: [{ type: "text", text: "done after 1" }] } });
    expect(r.closed).toHaveLength(0);
  });
});
