// Issue 9, finding 4: request ids are matched by JSON value, as the JS server sees them
// (`1.0` is answered as `1`, `"\u0041"` as `"A"`); ids that cannot survive the trip
// through JS are refused with 400 -32600; messages the SDK would drop unanswered (its
// schema is strict) are refused up front as the SDK's own transport does (400 -32700),
// and none of them leaves its id in flight.
import { afterEach, describe, expect, it } from "vitest";
import { serve, type Running } from "./helpers.js";
import { expectFetchError, initSession, post, SseReader } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function session(): Promise<{ headers: Record<string, string> }> {
  running = await serve();
  const { sessionId } = await initSession(running.url);
  return { headers: { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" } };
}

describe("request ids", () => {
  it("an id the SDK re-serialises is still answered: 1.0 → 1, \"\\u0041\" → \"A\"", async () => {
    const { headers } = await session();
    for (const [raw, id] of [
      ["1.0", 1],
      ['"\\u0041"', "A"],
      ["1e2", 100],
    ] as const) {
      const res = await post(running!.url, `{"jsonrpc":"2.0","id":${raw},"method":"ping"}`, headers);
      expect(res.status).toBe(200);
      const answer = await new SseReader(res).nextMessage();
      expect(answer).toEqual({ jsonrpc: "2.0", id, result: {} });
    }
  });

  it("value-equal ids are the same id: a second one while the first is in flight → 400", async () => {
    const { headers } = await session();
    const slow = await post(
      running!.url,
      `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"slow","arguments":{"steps":1,"delayMs":300}}}`,
      headers,
    );
    const again = await post(running!.url, `{"jsonrpc":"2.0","id":5.0,"method":"ping"}`, headers);
    await expectFetchError(again, { status: 400, code: -32600, id: 5 });
    const reader = new SseReader(slow);
    const events = await reader.rest();
    expect(JSON.parse(events.at(-1)!.data).id).toBe(5);
  });

  it("ids that cannot round-trip through JS → 400 -32600", async () => {
    const { headers } = await session();
    for (const raw of ["null", "1.5", "9007199254740993", "18446744073709551617", "-0.25"]) {
      const res = await post(running!.url, `{"jsonrpc":"2.0","id":${raw},"method":"ping"}`, headers);
      await expectFetchError(res, { status: 400, code: -32600, message: /^Invalid Request: the id/, id: null });
    }
  });

  it("what the SDK silently drops is refused at once and leaves no id in flight", async () => {
    const { headers } = await session();
    for (const body of [
      `{"jsonrpc":"2.0","id":3,"method":"ping","extra":true}`,
      `{"jsonrpc":"2.0","id":3,"method":"ping","params":[1,2]}`,
      `{"jsonrpc":"2.0","id":3,"method":"ping","params":{"_meta":{"progressToken":0.5}}}`,
    ]) {
      const res = await post(running!.url, body, headers);
      await expectFetchError(res, { status: 400, code: -32700, message: "Parse error: Invalid JSON-RPC message" });
    }
    const ok = await post(running!.url, `{"jsonrpc":"2.0","id":3,"method":"ping"}`, headers);
    expect(await new SseReader(ok).nextMessage()).toEqual({ jsonrpc: "2.0", id: 3, result: {} });
  });
});
