// Issue 9, finding 9: a legacy /sse session is not a Streamable HTTP session on any method,
// and a request with two Host headers is refused (RFC 9112 §3.2: "A server MUST respond
// with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host
// header field and to any such message that contains more than one Host header field").
import { afterEach, describe, expect, it } from "vitest";
import { serve, INITIALIZE, MCP_HEADERS, type Running } from "./helpers.js";
import { readSse } from "./sse.js";
import { expectFetchError, rawRequest } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe("request routing hardening", () => {
  it("a legacy /sse session id on POST /mcp → 404 Session not found", async () => {
    running = await serve();
    const abort = new AbortController();
    const res = await fetch(`http://127.0.0.1:${running.port}/sse`, {
      headers: { accept: "text/event-stream" },
      signal: abort.signal,
    });
    const endpoint = (await readSse(res.body!).next()).value!;
    const legacyId = /sessionId=(.+)$/.exec(endpoint.data)![1];
    try {
      const posted = await fetch(running.url, {
        method: "POST",
        headers: { ...MCP_HEADERS, "mcp-session-id": legacyId, "mcp-protocol-version": "2025-03-26" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" }),
      });
      await expectFetchError(posted, { status: 404, code: -32001, message: "Session not found", id: 7 });
    } finally {
      abort.abort();
    }
  });

  it("two Host headers → 400, on MCP paths and elsewhere", async () => {
    running = await serve();
    const initialize = JSON.stringify(INITIALIZE);
    const requests = {
      "POST /mcp": `POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${initialize.length}\r\n`,
      "GET /ping": `GET /ping HTTP/1.1\r\n`,
      "GET /other": `GET /other HTTP/1.1\r\n`,
    };
    for (const [what, start] of Object.entries(requests)) {
      const body = what.startsWith("POST") ? initialize : "";
      const res = await rawRequest(
        running.port,
        `${start}Host: 127.0.0.1:${running.port}\r\nHost: evil.example\r\n\r\n${body}`,
      );
      expect({ what, status: res.status }).toEqual({ what, status: 400 });
    }
    const one = await rawRequest(running.port, `GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect(one.status).toBe(200);
  });
});
