// A client may send its whole request and then close its sending side (a TCP half-close, e.g.
// `socket.end(lastChunk)`), and still read the answer: Node's http server answers it, and
// FastMCP's own OAuth proxy tests send bodies that way. KNOWN GAP: this package drops the
// connection, answer and all, when it reads that EOF while a callback in JS is still producing
// the answer (hyper's `half_close(false)`). Turning hyper's half-close on fixes these two and
// breaks the detection of clients that leave a stream (9 tests: SSE disconnect → onClose,
// aborted GET streams, cancelled 2026 requests), so the fix has to tell the two apart. These
// are `it.fails` until then: they start failing, as a reminder, once the gap is closed.
import { afterEach, describe, expect, it } from "vitest";
import { RawConnection, within } from "./raw.js";
import { serve, type Running } from "./helpers.js";

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

describe("a client that half-closes after its request still gets the answer (known gap)", () => {
  it.fails("on a route served by onUnhandledRequest (the body read as it arrives)", async () => {
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

  it.fails("on the MCP endpoint: initialize (createServer runs in JS) is answered", async () => {
    running = await serve({ enableJsonResponse: true });
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    });
    const answer = await halfClosed(
      running.port,
      `POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      body,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toContain('"serverInfo"');
  });
});
