// What every SSE stream and JSON answer the layer writes looks like, as mcp-proxy 6.7 (its SDK v2
// transport) writes them (CONTRACT §4.1, §4.2, §11): `; charset=utf-8`, no caching or proxy
// buffering, a `: keepalive` comment on idle streams, and `Last-Event-ID` answers.
import { afterEach, describe, expect, it } from "vitest";
import { serve, type Running } from "./helpers.js";
import { expectFetchError, initSession, post, SseReader, within } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

const PV = "2025-11-25";
const sessionHeaders = (sessionId: string) => ({ "mcp-session-id": sessionId, "mcp-protocol-version": PV });
const slowCall = (id: number, delayMs: number) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "slow", arguments: { steps: 1, delayMs }, _meta: { progressToken: "p" } },
});

/** Reads raw text from a stream until `pattern` shows up; the text read so far. */
async function readUntil(res: Response, pattern: string, ms = 5000): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  await within(
    (async () => {
      while (!text.includes(pattern)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${JSON.stringify(pattern)}: ${JSON.stringify(text)}`);
        text += decoder.decode(value, { stream: true });
      }
    })(),
    ms,
    JSON.stringify(pattern),
  );
  reader.releaseLock();
  return text;
}

function expectSseHead(res: Response) {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  expect(res.headers.get("cache-control")).toBe("no-cache, no-transform");
  expect(res.headers.get("x-accel-buffering")).toBe("no");
}

describe("SSE streams: headers and keep-alive comments", () => {
  it("a POST's stream, the standalone GET stream and the legacy stream each carry the headers and `: keepalive`", async () => {
    // The interval is an option so this test does not wait the default 15 s.
    running = await serve({ sseKeepAliveInterval: 100 });
    const { sessionId } = await initSession(running.url);
    const ac = new AbortController();
    try {
      const postStream = await post(running.url, slowCall(3, 1500), sessionHeaders(sessionId));
      expectSseHead(postStream);
      const standalone = await fetch(running.url, {
        headers: { accept: "text/event-stream", ...sessionHeaders(sessionId) },
        signal: ac.signal,
      });
      expectSseHead(standalone);
      const legacy = await fetch(`http://127.0.0.1:${running.port}/sse`, { signal: ac.signal });
      expectSseHead(legacy);
      for (const res of [postStream, standalone, legacy]) {
        expect(await readUntil(res, ": keepalive\n\n")).toContain(": keepalive\n\n");
      }
    } finally {
      ac.abort();
    }
  });

  it("JSON answers the layer writes carry the charset; a Response-like from user code is written as given", async () => {
    running = await serve({
      authenticate: async (req) => {
        if (req.headers.authorization === "Bearer own") {
          throw new Response("{}", { status: 401, headers: { "content-type": "application/json" } });
        }
        return req.headers.authorization === "Bearer good";
      },
      enableJsonResponse: true,
    });
    const refused = await post(running.url, { jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const good = { authorization: "Bearer good" };
    const noSession = await post(running.url, { jsonrpc: "2.0", id: 1, method: "tools/list" }, good);
    expect(noSession.status).toBe(400);
    expect(noSession.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const { sessionId } = await initSession(running.url, PV, good);
    const answer = await post(running.url, { jsonrpc: "2.0", id: 2, method: "tools/list" }, { ...good, ...sessionHeaders(sessionId) });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/json; charset=utf-8");
    await answer.text();
    const own = await post(running.url, { jsonrpc: "2.0", id: 1, method: "tools/list" }, { authorization: "Bearer own" });
    expect(own.headers.get("content-type")).toBe("application/json");
  });
});

describe("Last-Event-ID (SDK v2 answers, as mcp-proxy 6.7)", () => {
  it("an id this session does not have → 400 `Invalid event ID format`", async () => {
    running = await serve();
    const { sessionId } = await initSession(running.url);
    const res = await fetch(running.url, {
      headers: { accept: "text/event-stream", ...sessionHeaders(sessionId), "last-event-id": "9_999" },
    });
    await expectFetchError(res, { status: 400, code: -32000, message: "Invalid event ID format", id: null });
  });

  it("the id of a stream that is still being read → 409, and the stream goes on", async () => {
    running = await serve();
    const { sessionId } = await initSession(running.url);
    // Open well past the wait a resume gives a stream in use to be left (RESUME_RACE_WAIT).
    const postStream = await post(running.url, slowCall(4, 1500), sessionHeaders(sessionId));
    expectSseHead(postStream);
    const events = new SseReader(postStream);
    const priming = await events.next();
    expect(priming?.id).toBeTruthy();
    const resume = await fetch(running.url, {
      headers: { accept: "text/event-stream", ...sessionHeaders(sessionId), "last-event-id": priming!.id! },
    });
    await expectFetchError(resume, {
      status: 409,
      code: -32000,
      message: "Conflict: Stream already has an active connection",
      id: null,
    });
    expect(await events.nextMessage()).toMatchObject({ method: "notifications/progress" });
    expect(await events.nextMessage()).toMatchObject({ id: 4, result: { content: [{ text: "done after 1" }] } });
  });

  it("a client that left its POST's stream resumes it at once: the stream of a client gone is not in use", async () => {
    // mcp-proxy 6.7 (Node) sees the client's close at once. Here a client's end of input is
    // held for a short grace (half-closing clients still read, half_close.rs), which answered
    // a resume inside it with 409; a client that reconnects at once (not after the SDK's 1 s)
    // then lost its stream.
    running = await serve();
    const { sessionId } = await initSession(running.url);
    const ac = new AbortController();
    const postStream = await fetch(running.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...sessionHeaders(sessionId) },
      body: JSON.stringify(slowCall(5, 800)),
      signal: ac.signal,
    });
    expectSseHead(postStream);
    const events = new SseReader(postStream);
    expect((await events.next())?.data).toBe(""); // the priming event
    const progress = (await events.next())!;
    expect(JSON.parse(progress.data)).toMatchObject({ method: "notifications/progress" });
    const lastId = progress.id;
    expect(lastId).toBeTruthy();
    ac.abort();
    const resume = await fetch(running.url, {
      headers: { accept: "text/event-stream", ...sessionHeaders(sessionId), "last-event-id": lastId! },
    });
    expect(resume.status).toBe(200);
    const rest = new SseReader(resume);
    expect(await rest.nextMessage()).toMatchObject({ id: 5, result: { content: [{ text: "done after 1" }] } });
  });
});
