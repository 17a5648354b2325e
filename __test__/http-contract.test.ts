// Raw HTTP against the Streamable HTTP endpoint: every row of CONTRACT §4.1–§4.3, the §3
// pipeline basics, limits and timeouts (§2, §4.6), and the callbacks (§6).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import http from "node:http";
import { exampleServer, INITIALIZE, MCP_HEADERS, serve, until, type Running } from "./helpers.js";
import {
  expectFetchError,
  expectRpcError,
  initSession,
  post,
  RawConnection,
  rawRequest,
  SseReader,
  within,
} from "./raw.js";

const PV = "2025-11-25";

let servers: Running[] = [];
async function start(overrides: Parameters<typeof serve>[0] = {}): Promise<Running> {
  const running = await serve(overrides);
  servers.push(running);
  return running;
}

let consoleError: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  // Callbacks that throw are reported through console.error (§10); keep the output quiet.
  consoleError = vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(async () => {
  const all = servers;
  servers = [];
  await Promise.all(all.map((s) => s.close()));
  consoleError.mockRestore();
});

const sessionHeaders = (sessionId: string) => ({ "mcp-session-id": sessionId, "mcp-protocol-version": PV });
const toolsList = (id: number | string = 1) => ({ jsonrpc: "2.0", id, method: "tools/list" });
const echo = (id: number, text: string) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "echo", arguments: { text } },
});

async function ping(port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/ping`);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("pong");
}

describe("pipeline basics (§3)", () => {
  it("GET /ping → 200 pong", async () => {
    const s = await start();
    const res = await fetch(`http://127.0.0.1:${s.port}/ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("pong");
  });

  it("an unknown route → 404 with an empty body", async () => {
    const s = await start();
    for (const method of ["GET", "POST", "DELETE"]) {
      const res = await fetch(`http://127.0.0.1:${s.port}/nope`, { method, body: method === "POST" ? "{}" : undefined });
      expect(res.status).toBe(404);
      expect(await res.text()).toBe("");
    }
  });

  it("header bytes beyond ASCII reach callbacks as Node decodes them: one latin-1 char per byte", async () => {
    const seen: unknown[] = [];
    const s = await start({
      authenticate: async (req: http.IncomingMessage) => {
        const at = req.rawHeaders.findIndex((name, i) => i % 2 === 0 && name.toLowerCase() === "x-name");
        seen.push(req.headers["x-name"], req.rawHeaders[at + 1]);
        return { id: "u" };
      },
    });
    // "é" sent as UTF-8 (C3 A9) and as latin-1 (E9): Node's http gives "Ã©" and "é".
    for (const bytes of [Buffer.from("é", "utf8"), Buffer.from([0xe9])]) {
      const body = JSON.stringify(INITIALIZE);
      const head = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Accept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nX-Name: `;
      const conn = await RawConnection.connect(s.port);
      await conn.write(Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n\r\n${body}`)]));
      expect((await conn.response()).status).toBe(200);
      conn.destroy();
    }
    expect(seen).toEqual(["\u00c3\u00a9", "\u00c3\u00a9", "\u00e9", "\u00e9"]);
  });

  it("an unparsable target `//` → 400 and the server keeps serving", async () => {
    const s = await start();
    const res = await rawRequest(s.port, "GET // HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    expect(res.status).toBe(400);
    expect(res.body).toBe("Bad Request");
    const res2 = await rawRequest(s.port, "POST //mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    expect(res2.status).toBe(400);
    await ping(s.port);
  });
});

describe("POST /mcp (§4.1)", () => {
  describe("body over maxBodySize → 413 with Connection: close", () => {
    const MAX = 1024;
    const expected = {
      status: 413,
      code: -32600,
      message: `Payload Too Large: request body exceeds ${MAX} bytes`,
      id: null,
    };

    /** Writes `chunks` on a raw connection; the 413 must come, and the server must hang up. */
    async function expectTooLargeOnRawConnection(s: Running, chunks: string[]) {
      const conn = await RawConnection.connect(s.port);
      try {
        for (const chunk of chunks) await conn.write(chunk);
        const res = await conn.response();
        expectRpcError(res.status, res.headers, res.body, expected);
        expect(res.headers.connection?.toLowerCase()).toBe("close");
        await within(conn.whenClosed, 5000, "the server to close the connection");
      } finally {
        conn.destroy();
      }
      expect(s.opened).toHaveLength(0);
    }

    it("by Content-Length (declared, before the body is sent)", async () => {
      const s = await start({ maxBodySize: MAX });
      // The body is never sent: the declared length alone must answer.
      await expectTooLargeOnRawConnection(s, [
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Accept: application/json, text/event-stream\r\nContent-Length: ${MAX * 100}\r\n\r\n`,
      ]);
    });

    it("by Content-Length with the whole body sent (fetch)", async () => {
      const s = await start({ maxBodySize: MAX });
      const res = await post(s.url, { ...INITIALIZE, params: { ...INITIALIZE.params, pad: "x".repeat(MAX * 2) } });
      await expectFetchError(res, expected);
      expect(res.headers.get("connection")?.toLowerCase()).toBe("close");
      expect(s.opened).toHaveLength(0);
      await ping(s.port);
    });

    it("counted while reading a chunked body without Content-Length", async () => {
      const s = await start({ maxBodySize: MAX });
      const chunk = "x".repeat(600);
      const framed = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
      // no terminating chunk: the server must answer once it has counted past the limit
      await expectTooLargeOnRawConnection(s, [
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Accept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n`,
        framed,
        framed,
      ]);
    });

    it("counted while reading a chunked body (node:http client)", async () => {
      const s = await start({ maxBodySize: MAX });
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request(
          { host: "127.0.0.1", port: s.port, path: "/mcp", method: "POST", headers: MCP_HEADERS },
          resolve,
        );
        req.on("error", reject);
        // Written in pieces, never ended; Node sends Transfer-Encoding: chunked.
        let sent = 0;
        const pump = () => {
          if (sent > MAX * 4 || req.destroyed) return;
          sent += 256;
          req.write("y".repeat(256), () => setTimeout(pump, 5));
        };
        pump();
      });
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      expect(res.headers["transfer-encoding"] ?? "").not.toMatch(/chunked/);
      expectRpcError(res.statusCode!, res.headers as Record<string, string>, Buffer.concat(chunks).toString(), expected);
      expect(String(res.headers.connection).toLowerCase()).toBe("close");
      res.socket?.destroy();
    });

    it("comes before authenticate", async () => {
      const authenticate = vi.fn(async () => false);
      const s = await start({ maxBodySize: MAX, authenticate });
      const res = await post(s.url, "x".repeat(MAX + 1));
      await expectFetchError(res, expected);
      expect(authenticate).not.toHaveBeenCalled();
    });
  });

  it("authenticate rejecting → 401 -32000, before the Accept check", async () => {
    const s = await start({ authenticate: async () => false });
    const res = await fetch(s.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/html" },
      body: JSON.stringify(INITIALIZE),
    });
    await expectFetchError(res, { status: 401, code: -32000, message: "Unauthorized: Authentication failed" });
    expect(s.opened).toHaveLength(0);
  });

  it.each([["application/json"], ["text/event-stream"], ["text/html"]])(
    "Accept: %s (not both) → 406 -32000",
    async (accept) => {
      const s = await start();
      const res = await fetch(s.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept },
        body: JSON.stringify(INITIALIZE),
      });
      const body = await expectFetchError(res, {
        status: 406,
        code: -32000,
        message: "Not Acceptable: Client must accept both application/json and text/event-stream",
      });
      expect([null, 0]).toContain(body.id);
      expect(s.opened).toHaveLength(0);
    },
  );

  it("Accept check comes before Content-Type and parsing", async () => {
    const s = await start();
    const res = await fetch(s.url, {
      method: "POST",
      headers: { "content-type": "text/plain", accept: "application/json" },
      body: "not json",
    });
    await expectFetchError(res, { status: 406, code: -32000 });
  });

  it("Content-Type not application/json → 415 -32000", async () => {
    const s = await start();
    const res = await post(s.url, INITIALIZE, { "content-type": "text/plain" });
    const body = await expectFetchError(res, { status: 415, code: -32000 });
    expect([null, 0]).toContain(body.id);
    expect(s.opened).toHaveLength(0);
  });

  it("Content-Type check comes before parsing", async () => {
    const s = await start();
    const res = await post(s.url, "not json", { "content-type": "text/plain" });
    await expectFetchError(res, { status: 415, code: -32000 });
  });

  it.each([
    ["invalid JSON", "{not json"],
    ["empty body", ""],
    ["JSON that is not JSON-RPC", JSON.stringify({ hello: "world" })],
    ["a JSON scalar", "42"],
  ])("%s → 400 -32700 Parse error, id null", async (_name, body) => {
    const s = await start();
    const res = await post(s.url, body);
    await expectFetchError(res, { status: 400, code: -32700, message: /^Parse error/, id: null });
    expect(s.opened).toHaveLength(0);
  });

  it("a Content-Length shorter than the body (lying) truncates the JSON → 400 -32700, connection stays usable or closes cleanly", async () => {
    const s = await start();
    const body = JSON.stringify(INITIALIZE);
    const res = await rawRequest(
      s.port,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Accept: application/json, text/event-stream\r\nContent-Length: 10\r\n\r\n${body}`,
    );
    expectRpcError(res.status, res.headers, res.body, { status: 400, code: -32700, id: null });
    expect(s.opened).toHaveLength(0);
    await ping(s.port);
  });

  it("a client that disconnects mid-body creates nothing and the server keeps serving", async () => {
    const s = await start();
    const conn = await RawConnection.connect(s.port);
    await conn.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Accept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":"2.0",`,
    );
    conn.destroy();
    await ping(s.port);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.opened).toHaveLength(0);
    await ping(s.port);
  });

  it("MCP-Protocol-Version: 1999-01-01 → 400 -32000 (on a session and on initialize)", async () => {
    const s = await start();
    const { sessionId } = await initSession(s.url);
    const res = await post(s.url, toolsList(7), { "mcp-session-id": sessionId, "mcp-protocol-version": "1999-01-01" });
    await expectFetchError(res, { status: 400, code: -32000, id: 7 });
    const before = s.opened.length;
    const res2 = await post(s.url, INITIALIZE, { "mcp-protocol-version": "1999-01-01" });
    await expectFetchError(res2, { status: 400, code: -32000 });
    expect(s.opened).toHaveLength(before);
  });

  it("initialize without a session: createServer, connect, onConnect before delivery, then Mcp-Session-Id", async () => {
    const log: string[] = [];
    const s = await start({
      createServer: async (req) => {
        log.push(`create ${req.method} ${req.url}`);
        const server = exampleServer().server;
        return {
          connect: async (transport: { onmessage?: (m: unknown, e: unknown) => void }) => {
            log.push("connect");
            const connected = server.connect(transport as never);
            const onmessage = transport.onmessage!;
            transport.onmessage = (message: unknown, extra: unknown) => {
              log.push(`message ${(message as { method?: string }).method}`);
              onmessage.call(transport, message, extra);
            };
            await connected;
          },
          close: () => server.close(),
        } as never;
      },
      onConnect: async () => {
        await new Promise((r) => setTimeout(r, 50));
        log.push("onConnect");
      },
    });
    const res = await post(s.url, INITIALIZE);
    expect(res.status).toBe(200);
    const sessionId = res.headers.get("mcp-session-id");
    expect(sessionId).toBeTruthy();
    const reader = new SseReader(res);
    const message = await reader.nextMessage();
    expect(message).toMatchObject({ jsonrpc: "2.0", id: 0, result: { protocolVersion: PV } });
    await reader.rest();
    expect(log).toEqual(["create POST /mcp", "connect", "onConnect", "message initialize"]);
  });

  it("session ids look random: distinct, visible ASCII, at least 32 characters", async () => {
    const s = await start();
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { sessionId } = await initSession(s.url);
      expect(sessionId).toMatch(/^[\x21-\x7e]{32,}$/);
      ids.add(sessionId);
    }
    expect(ids.size).toBe(5);
  });

  it("no session id, not initialize → 400 -32000 `Bad Request: No valid session ID provided`", async () => {
    const s = await start();
    const res = await post(s.url, toolsList(3));
    await expectFetchError(res, {
      status: 400,
      code: -32000,
      message: "Bad Request: No valid session ID provided",
      id: 3,
    });
    expect(s.opened).toHaveLength(0);
  });

  it("unknown session id → 404 -32001 `Session not found`", async () => {
    const s = await start();
    const res = await post(s.url, toolsList(4), sessionHeaders("no-such-session-0000000000000000000000"));
    await expectFetchError(res, { status: 404, code: -32001, message: "Session not found", id: 4 });
  });

  it("unknown session id with authenticate succeeding → 404, not 401", async () => {
    const s = await start({ authenticate: async () => ({ user: "u" }) });
    const res = await post(s.url, toolsList(5), sessionHeaders("no-such-session-0000000000000000000000"));
    await expectFetchError(res, { status: 404, code: -32001, message: "Session not found" });
  });

  it("initialize on an existing session → 400 -32600 `Invalid Request: Server already initialized`", async () => {
    const s = await start();
    const { sessionId } = await initSession(s.url);
    const res = await post(s.url, { ...INITIALIZE, id: 9 }, sessionHeaders(sessionId));
    await expectFetchError(res, {
      status: 400,
      code: -32600,
      message: "Invalid Request: Server already initialized",
      id: 9,
    });
    expect(s.opened).toHaveLength(1);
  });

  it("notification-only POST → 202 with an empty body", async () => {
    const s = await start();
    const { sessionId } = await initSession(s.url);
    const res = await post(s.url, { jsonrpc: "2.0", method: "notifications/roots/list_changed" }, sessionHeaders(sessionId));
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
    const batch = await post(
      s.url,
      [
        { jsonrpc: "2.0", method: "notifications/roots/list_changed" },
        { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 99 } },
      ],
      sessionHeaders(sessionId),
    );
    expect(batch.status).toBe(202);
    expect(await batch.text()).toBe("");
  });

  it("response-only POST → 202 with an empty body", async () => {
    const s = await start();
    const { sessionId } = await initSession(s.url);
    const res = await post(s.url, { jsonrpc: "2.0", id: "srv-1", result: {} }, sessionHeaders(sessionId));
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
  });

  describe("SSE mode", () => {
    it("headers and framing: event: message, id:, compact JSON data; the stream closes after the last response", async () => {
      const s = await start();
      const { sessionId } = await initSession(s.url);
      const res = await post(s.url, echo(2, "héllo"), sessionHeaders(sessionId));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(res.headers.get("cache-control")).toBe("no-cache, no-transform");
      expect(res.headers.get("x-accel-buffering")).toBe("no");
      expect(res.headers.get("mcp-session-id")).toBe(sessionId);
      const text = await within(res.text(), 5000, "the POST stream to end");
      const blocks = text.split("\n\n").filter((b) => b.trim() !== "" && !b.startsWith(":"));
      const messages = blocks.filter((b) => /^data: .+$/m.test(b));
      expect(messages).toHaveLength(1);
      for (const block of messages) {
        const lines = block.split("\n").filter((l) => !l.startsWith(":"));
        expect(lines).toContain("event: message");
        expect(lines.some((l) => /^id: \S+$/.test(l))).toBe(true);
        const data = lines.filter((l) => l.startsWith("data: "));
        expect(data).toHaveLength(1);
        const json = data[0].slice("data: ".length);
        expect(json).toBe(JSON.stringify(JSON.parse(json)));
        expect(JSON.parse(json)).toMatchObject({ jsonrpc: "2.0", id: 2, result: { content: [{ type: "text", text: "héllo" }] } });
      }
    });

    it("event ids are distinct across streams of the session", async () => {
      const s = await start();
      const { sessionId } = await initSession(s.url);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const reader = new SseReader(await post(s.url, echo(10 + i, "x"), sessionHeaders(sessionId)));
        for (const e of await reader.rest()) if (e.id) ids.push(e.id);
      }
      expect(ids.length).toBeGreaterThanOrEqual(3);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it("request-related notifications go on the POST stream before the response", async () => {
      const s = await start();
      const { sessionId } = await initSession(s.url);
      const res = await post(
        s.url,
        { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "slow", arguments: { steps: 3, delayMs: 5 }, _meta: { progressToken: "p" } } },
        sessionHeaders(sessionId),
      );
      const events = (await new SseReader(res).rest()).filter((e) => e.data !== "").map((e) => JSON.parse(e.data));
      expect(events.map((e) => e.method ?? `response ${e.id}`)).toEqual([
        "notifications/progress",
        "notifications/progress",
        "notifications/progress",
        "response 5",
      ]);
    });

    it("a batch of requests: every response on the stream, then it closes", async () => {
      const s = await start();
      const { sessionId } = await initSession(s.url, "2025-03-26");
      const res = await post(s.url, [toolsList(21), echo(22, "b"), { jsonrpc: "2.0", id: 23, method: "ping" }], {
        "mcp-session-id": sessionId,
        "mcp-protocol-version": "2025-03-26",
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const events = (await new SseReader(res).rest()).filter((e) => e.data !== "");
      for (const e of events) expect(e.event).toBe("message");
      const ids = events.map((e) => JSON.parse(e.data).id).sort();
      expect(ids).toEqual([21, 22, 23]);
    });

    it("initialize inside a batch → 400 -32600", async () => {
      const s = await start();
      const res = await post(s.url, [INITIALIZE, toolsList(1)]);
      await expectFetchError(res, { status: 400, code: -32600 });
      expect(s.opened).toHaveLength(0);
      expect(res.headers.get("mcp-session-id")).toBeNull();
    });
  });

  describe("JSON mode (enableJsonResponse)", () => {
    it("one request → 200 application/json, one object; related notifications dropped", async () => {
      const s = await start({ enableJsonResponse: true });
      const { sessionId } = await initSession(s.url);
      const res = await post(
        s.url,
        { jsonrpc: "2.0", id: 6, method: "tools/call", params: { name: "slow", arguments: { steps: 2, delayMs: 5 }, _meta: { progressToken: "p" } } },
        sessionHeaders(sessionId),
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = await res.json();
      expect(Array.isArray(body)).toBe(false);
      expect(body).toMatchObject({ jsonrpc: "2.0", id: 6, result: { content: [{ text: "done after 2" }] } });
    });

    it("initialize answers JSON with Mcp-Session-Id", async () => {
      const s = await start({ enableJsonResponse: true });
      const res = await post(s.url, INITIALIZE);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.headers.get("mcp-session-id")).toMatch(/^[\x21-\x7e]{32,}$/);
      expect(await res.json()).toMatchObject({ jsonrpc: "2.0", id: 0, result: { protocolVersion: PV } });
    });

    it("a batch → an array of every response", async () => {
      const s = await start({ enableJsonResponse: true });
      const { sessionId } = await initSession(s.url, "2025-03-26");
      const res = await post(s.url, [toolsList(31), echo(32, "j")], {
        "mcp-session-id": sessionId,
        "mcp-protocol-version": "2025-03-26",
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = await res.json();
      expect(Array.isArray(body)).toBe(true);
      expect(body.map((m: { id: number }) => m.id).sort()).toEqual([31, 32]);
    });

    it("a notification-only batch → 202 empty", async () => {
      const s = await start({ enableJsonResponse: true });
      const { sessionId } = await initSession(s.url);
      const res = await post(s.url, [{ jsonrpc: "2.0", method: "notifications/roots/list_changed" }], sessionHeaders(sessionId));
      expect(res.status).toBe(202);
      expect(await res.text()).toBe("");
    });
  });

  describe("stateless", () => {
    it("each POST creates a server, closed (onClose) after the exchange; no session id", async () => {
      const created: unknown[] = [];
      const s = await start({
        stateless: true,
        createServer: async () => {
          const server = exampleServer().server;
          created.push(server);
          return server;
        },
      });
      const res1 = await post(s.url, INITIALIZE);
      expect(res1.status).toBe(200);
      expect(res1.headers.get("mcp-session-id")).toBeNull();
      expect(await new SseReader(res1).nextMessage()).toMatchObject({ id: 0, result: { protocolVersion: PV } });
      await res1.body?.cancel().catch(() => {});
      const res2 = await post(s.url, toolsList(2), { "mcp-session-id": "ignored-anything" });
      expect(res2.status).toBe(200);
      expect(res2.headers.get("mcp-session-id")).toBeNull();
      const events = (await new SseReader(res2).rest()).filter((e) => e.data !== "");
      expect(JSON.parse(events[events.length - 1].data)).toMatchObject({ id: 2, result: { tools: expect.any(Array) } });
      const res3 = await post(s.url, { jsonrpc: "2.0", method: "notifications/initialized" });
      expect(res3.status).toBe(202);
      expect(await res3.text()).toBe("");
      expect(created).toHaveLength(3);
      await until(() => s.closed.length === 3, "onClose for each stateless server");
      expect(new Set(s.closed).size).toBe(3);
      for (const server of created) expect(s.closed).toContain(server);
    });

    it("JSON mode: the server is closed after the exchange", async () => {
      const s = await start({ stateless: true, enableJsonResponse: true });
      const res = await post(s.url, toolsList(1));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: 1, result: { tools: expect.any(Array) } });
      await until(() => s.closed.length === 1, "onClose");
      expect(s.opened).toHaveLength(1);
    });

    it("GET → 405 with Allow: POST", async () => {
      const s = await start({ stateless: true });
      const res = await fetch(s.url, { headers: { accept: "text/event-stream" } });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      await res.arrayBuffer();
    });
  });
});

describe("GET /mcp (§4.2)", () => {
  const get = (url: URL, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal });

  it("Accept without text/event-stream → 406", async () => {
    const s = await start();
    const { sessionId } = await initSession(s.url);
    const res = await get(s.url, { ...sessionHeaders(sessionId), accept: "application/json" });
    await expectFetchError(res, { status: 406, code: -32000, id: null });
  });

  it("missing session id → 400", async () => {
    const s = await start();
    const res = await get(s.url);
    await expectFetchError(res, { status: 400, code: -32000, id: null });
  });

  it("unknown session id → 404", async () => {
    const s = await start();
    const res = await get(s.url, sessionHeaders("no-such-session-0000000000000000000000"));
    await expectFetchError(res, { status: 404, code: -32001, message: "Session not found", id: null });
  });

  it("opens the standalone stream (SSE headers); unrelated notifications go there; a second concurrent one → 409", async () => {
    let mcp: ReturnType<typeof exampleServer> | undefined;
    const s = await start({
      createServer: async () => {
        mcp = exampleServer();
        return mcp.server;
      },
    });
    const { sessionId } = await initSession(s.url);
    const ac = new AbortController();
    const res = await get(s.url, sessionHeaders(sessionId), ac.signal);
    try {
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(res.headers.get("cache-control")).toBe("no-cache, no-transform");
      expect(res.headers.get("x-accel-buffering")).toBe("no");
      const reader = new SseReader(res);
      await mcp!.server.sendLoggingMessage({ level: "info", data: "hello stream" });
      const event = await reader.next();
      expect(event?.event).toBe("message");
      expect(event?.id).toBeTruthy();
      expect(JSON.parse(event!.data)).toMatchObject({ method: "notifications/message", params: { data: "hello stream" } });
      const second = await get(s.url, sessionHeaders(sessionId));
      await expectFetchError(second, { status: 409, code: -32000 });
    } finally {
      ac.abort();
    }
  });

  it("after the client aborts the standalone stream, a new GET is accepted", async () => {
    const s = await start();
    const { sessionId } = await initSession(s.url);
    const ac = new AbortController();
    const first = await get(s.url, sessionHeaders(sessionId), ac.signal);
    expect(first.status).toBe(200);
    ac.abort();
    let last = 0;
    // Bounded retry: 409 is fine until the server has noticed the disconnect.
    const deadline = Date.now() + 5000;
    let res: Response | undefined;
    while (Date.now() < deadline) {
      const ac2 = new AbortController();
      res = await get(s.url, sessionHeaders(sessionId), ac2.signal);
      last = res.status;
      if (last === 200) {
        ac2.abort();
        break;
      }
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(last).toBe(200);
  });

  it("Last-Event-ID unknown → 400", async () => {
    const s = await start();
    const { sessionId } = await initSession(s.url);
    const res = await get(s.url, { ...sessionHeaders(sessionId), "last-event-id": "no-such-event" });
    await expectFetchError(res, { status: 400, code: -32000, id: null });
  });

  it("Last-Event-ID known → replays what came after it on that stream, then continues live", async () => {
    let mcp: ReturnType<typeof exampleServer> | undefined;
    const s = await start({
      createServer: async () => {
        mcp = exampleServer();
        return mcp.server;
      },
    });
    const { sessionId } = await initSession(s.url);
    const ac = new AbortController();
    const res = await get(s.url, sessionHeaders(sessionId), ac.signal);
    expect(res.status).toBe(200);
    const reader = new SseReader(res);
    await mcp!.server.sendLoggingMessage({ level: "info", data: "n1" });
    const e1 = await reader.next();
    expect(JSON.parse(e1!.data).params.data).toBe("n1");
    ac.abort();
    // Sent while disconnected: stored, then replayed. Retry the GET until the server has
    // noticed the disconnect (409 until then).
    await new Promise((r) => setTimeout(r, 50));
    await mcp!.server.sendLoggingMessage({ level: "info", data: "n2" });
    const deadline = Date.now() + 5000;
    let resumed: Response | undefined;
    const ac2 = new AbortController();
    while (Date.now() < deadline) {
      resumed = await get(s.url, { ...sessionHeaders(sessionId), "last-event-id": e1!.id! }, ac2.signal);
      if (resumed.status !== 409) break;
      await resumed.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      expect(resumed!.status).toBe(200);
      const r2 = new SseReader(resumed!);
      const replayed = await r2.nextMessage();
      expect(replayed).toMatchObject({ method: "notifications/message", params: { data: "n2" } });
      await mcp!.server.sendLoggingMessage({ level: "info", data: "n3" });
      expect(await r2.nextMessage()).toMatchObject({ params: { data: "n3" } });
    } finally {
      ac2.abort();
    }
  });
});

describe("DELETE /mcp (§4.3)", () => {
  const del = (url: URL, headers: Record<string, string> = {}) => fetch(url, { method: "DELETE", headers });

  it("known session → 200, onClose exactly once, then the id → 404 everywhere", async () => {
    const s = await start();
    const { sessionId } = await initSession(s.url);
    expect(s.opened).toHaveLength(1);
    const res = await del(s.url, sessionHeaders(sessionId));
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await until(() => s.closed.length >= 1, "onClose");
    expect(s.closed).toEqual([s.opened[0]]);
    await expectFetchError(await post(s.url, toolsList(8), sessionHeaders(sessionId)), {
      status: 404,
      code: -32001,
      message: "Session not found",
    });
    await expectFetchError(await fetch(s.url, { headers: { accept: "text/event-stream", ...sessionHeaders(sessionId) } }), {
      status: 404,
      code: -32001,
    });
    await expectFetchError(await del(s.url, sessionHeaders(sessionId)), { status: 404, code: -32001 });
    await new Promise((r) => setTimeout(r, 50));
    expect(s.closed).toHaveLength(1);
  });

  it("DELETE ends an open standalone stream", async () => {
    const s = await start();
    const { sessionId } = await initSession(s.url);
    const stream = await fetch(s.url, { headers: { accept: "text/event-stream", ...sessionHeaders(sessionId) } });
    expect(stream.status).toBe(200);
    const reader = new SseReader(stream);
    const res = await del(s.url, sessionHeaders(sessionId));
    expect(res.status).toBe(200);
    await expect(reader.rest()).resolves.toBeDefined();
    expect(s.closed).toHaveLength(1);
  });

  it("missing session id → 400", async () => {
    const s = await start();
    await expectFetchError(await del(s.url), { status: 400, code: -32000, id: null });
  });

  it("unknown session id → 404", async () => {
    const s = await start();
    await expectFetchError(await del(s.url, sessionHeaders("no-such-session-0000000000000000000000")), {
      status: 404,
      code: -32001,
      message: "Session not found",
      id: null,
    });
  });
});

describe("timeouts (§2, §4.6)", () => {
  it("keepAliveTimeout: an idle keep-alive connection is closed by the server", async () => {
    const s = await start({ keepAliveTimeout: 300 });
    const conn = await RawConnection.connect(s.port);
    try {
      await conn.write("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      const res = await conn.response();
      expect(res.status).toBe(200);
      expect(res.body).toBe("pong");
      expect(res.headers.connection?.toLowerCase()).not.toBe("close");
      await within(conn.whenClosed, 5000, "the server to close the idle connection");
      expect(conn.closed).toBe(true);
    } finally {
      conn.destroy();
    }
  });

  it("keepAliveTimeout: a connection is reused while it is not idle too long", async () => {
    const s = await start({ keepAliveTimeout: 2000 });
    const conn = await RawConnection.connect(s.port);
    try {
      for (let i = 0; i < 3; i++) {
        await conn.write("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        expect((await conn.response()).body).toBe("pong");
      }
    } finally {
      conn.destroy();
    }
  });

  it("sessionIdleTimeout: an idle session is reaped (onClose once) and its id then gets 404", async () => {
    const s = await start({ sessionIdleTimeout: 200 });
    const { sessionId } = await initSession(s.url);
    await until(() => s.closed.length === 1, "the idle session to be reaped", 5000);
    expect(s.closed).toEqual([s.opened[0]]);
    await expectFetchError(await post(s.url, toolsList(1), sessionHeaders(sessionId)), {
      status: 404,
      code: -32001,
      message: "Session not found",
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(s.closed).toHaveLength(1);
  });

  it("sessionIdleTimeout: a session in use is not reaped", async () => {
    const s = await start({ sessionIdleTimeout: 400 });
    const { sessionId } = await initSession(s.url);
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const res = await post(s.url, toolsList(i + 1), sessionHeaders(sessionId));
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(s.closed).toHaveLength(0);
  });
});

describe("callbacks that throw (§4.6, §5.3, §6)", () => {
  it("createServer throwing an Error → 500 `Error creating server`; the process stays up", async () => {
    const s = await start({
      createServer: async () => {
        throw new Error("boom");
      },
    });
    const res = await post(s.url, INITIALIZE);
    await expectFetchError(res, { status: 500, code: -32603, message: "Error creating server", id: 0 });
    expect(res.headers.get("mcp-session-id")).toBeNull();
    expect(s.opened).toHaveLength(0);
    await ping(s.port);
    expect(consoleError).toHaveBeenCalled();
  });

  it("createServer throwing synchronously (not async) → 500", async () => {
    const s = await start({
      createServer: (() => {
        throw new Error("sync boom");
      }) as never,
    });
    const res = await post(s.url, INITIALIZE);
    await expectFetchError(res, { status: 500, code: -32603, message: "Error creating server" });
    await ping(s.port);
  });

  it("createServer throwing an Error mentioning Unauthorized → 401", async () => {
    const s = await start({
      createServer: async () => {
        throw new Error("Unauthorized: no token");
      },
    });
    const res = await post(s.url, INITIALIZE);
    const body = await expectFetchError(res, { status: 401, code: -32000 });
    expect(body.error.message).toContain("Unauthorized");
    await ping(s.port);
  });

  it("createServer throwing a non-Error (a string) → 500", async () => {
    const s = await start({
      createServer: async () => {
        throw "just a string";
      },
    });
    await expectFetchError(await post(s.url, INITIALIZE), { status: 500, code: -32603, message: "Error creating server" });
    await ping(s.port);
  });

  it("onConnect throwing → 500, no session; the process stays up and later sessions work", async () => {
    let fail = true;
    const s = await start({
      onConnect: async () => {
        if (fail) throw new Error("onConnect failed");
      },
    });
    const res = await post(s.url, INITIALIZE);
    const body = await expectFetchError(res, { status: 500, code: -32603, id: 0 });
    expect(body.error.message.length).toBeGreaterThan(0);
    expect(res.headers.get("mcp-session-id")).toBeNull();
    await ping(s.port);
    fail = false;
    const { sessionId } = await initSession(s.url);
    const ok = await post(s.url, toolsList(1), sessionHeaders(sessionId));
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  it("stateless: createServer throwing → 500, and nothing leaks", async () => {
    const s = await start({
      stateless: true,
      createServer: async () => {
        throw new Error("boom");
      },
    });
    await expectFetchError(await post(s.url, toolsList(4)), { status: 500, code: -32603, id: 4 });
    await ping(s.port);
  });
});

describe("request ids in flight", () => {
  let s: Running;
  afterEach(async () => {
    await s?.close();
  });

  it("a second request with an id still in flight → 400 -32600; the first still gets its answer", async () => {
    s = await serve();
    const { sessionId } = await initSession(s.url);
    const headers = { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" };
    const slow = { jsonrpc: "2.0", id: 42, method: "tools/call", params: { name: "slow", arguments: { steps: 3, delayMs: 50 } } };
    const first = post(s.url, slow, headers);
    await new Promise((r) => setTimeout(r, 20));
    await expectFetchError(await post(s.url, slow, headers), { status: 400, code: -32600, id: 42 });
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain('"text":"done after 3"');
    const dup = [
      { jsonrpc: "2.0", id: 7, method: "tools/list" },
      { jsonrpc: "2.0", id: 7, method: "tools/list" },
    ];
    await expectFetchError(await post(s.url, dup, headers), { status: 400, code: -32600, id: 7 });
  });
});
