// A client may send its whole request and then close its sending side (a TCP half-close, e.g.
// `socket.end(lastChunk)`), and still read the answer: Node's http server answers it when the
// answer is ready at once, and FastMCP's own OAuth proxy tests send bodies that way. On the wire
// a half-close and a client that left look the same, so this package waits for the answer for
// a grace period (1 s, HALF_CLOSE_GRACE in crates/core/src/config.rs), writes it, then closes;
// an answer later than that is dropped and the client counts as gone. Event streams (GET) see
// the end at once, so a client that leaves one is noticed at once (legacy-sse, lifecycle tests).
import { afterEach, describe, expect, it } from "vitest";
import { RawConnection, initSession, within } from "./raw.js";
import { serve, until, type Running } from "./helpers.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** Writes `head` + `body`, then half-closes; the whole answer the server sends, as text. */
async function halfClosed(port: number, head: string, body: string): Promise<string> {
  const conn = await RawConnection.connect(port);
  let answer = "";
  conn.socket.on("data", (d: Buffer) => (answer += d.toString("utf8")));
  conn.socket.write(head);
  conn.socket.end(body);
  await within(conn.whenClosed, 5000, "the server to answer and close");
  return answer;
}

/** A raw POST /mcp head for `body` in session `sessionId` (none for initialize). */
function mcpHead(body: string, sessionId?: string): string {
  const session = sessionId ? `Mcp-Session-Id: ${sessionId}\r\nMcp-Protocol-Version: 2025-11-25\r\n` : "";
  return (
    `POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
    `Accept: application/json, text/event-stream\r\n${session}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`
  );
}

/** tools/call of the example server's `slow` tool: answers after `delayMs`. */
const slowCall = (delayMs: number) =>
  JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "slow", arguments: { steps: 1, delayMs } } });

describe("a client that half-closes after its request still gets the answer", () => {
  it("on a route served by onUnhandledRequest (the body read as it arrives)", async () => {
    running = await serve({
      onUnhandledRequest: async (req, res) => {
        let body = "";
        for await (const chunk of req) body += chunk;
        res.writeHead(201, { "content-type": "text/plain" }).end(`got ${body}`);
      },
    });
    const answer = await halfClosed(
      running.port,
      "POST /oauth/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n",
      "hello",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(answer).toContain("got hello");
  });

  it("on the MCP endpoint: initialize (createServer runs in JS) is answered", async () => {
    running = await serve({ enableJsonResponse: true });
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    });
    const answer = await halfClosed(running.port, mcpHead(body), body);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toContain('"serverInfo"');
  });

  it("on the MCP endpoint in JSON mode: a tools/call answered after the half-close", async () => {
    running = await serve({ enableJsonResponse: true });
    const { sessionId } = await initSession(running.url);
    const body = slowCall(300);
    const answer = await halfClosed(running.port, mcpHead(body, sessionId), body);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/content-type: application\/json/i);
    expect(answer).toContain("done after 1");
  });

  it("on the MCP endpoint in SSE mode: a tools/call answered after the half-close", async () => {
    running = await serve();
    const { sessionId } = await initSession(running.url);
    const body = slowCall(300);
    const answer = await halfClosed(running.port, mcpHead(body, sessionId), body);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/content-type: text\/event-stream/i);
    expect(answer).toContain("notifications/progress");
    expect(answer).toContain("done after 1");
  });

  it("an answer later than the grace period is dropped: the client counts as gone", async () => {
    let closed: { finished: boolean } | undefined;
    running = await serve({
      onUnhandledRequest: async (req, res) => {
        for await (const _ of req); // eslint-disable-line @typescript-eslint/no-unused-vars
        res.on("close", () => (closed = { finished: res.writableFinished }));
        await new Promise((r) => setTimeout(r, 2500));
        res.writeHead(201).end("too late");
      },
    });
    const answer = await halfClosed(
      running.port,
      "POST /late HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n",
      "hello",
    );
    expect(answer).toBe("");
    // The late answer finds the client gone: 'close' without 'finish', as in Node.
    await until(() => closed !== undefined, "the hook's res to close");
    expect(closed).toEqual({ finished: false });
  });

  it("a body cut off mid-way still fails the request's body (once the grace is over at most)", async () => {
    let outcome = "";
    running = await serve({
      onUnhandledRequest: async (req) => {
        try {
          for await (const _ of req); // eslint-disable-line @typescript-eslint/no-unused-vars
          outcome = "complete";
        } catch {
          outcome = "cut";
        }
      },
    });
    const conn = await RawConnection.connect(running.port);
    conn.socket.write("POST /cut HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 50\r\n\r\n");
    conn.socket.end("only ten b");
    await until(() => outcome !== "", "the hook's body to settle");
    expect(outcome).toBe("cut");
  });
});
