// CONTRACT §6: the `req` of onUnhandledRequest delivers its body as it arrives (nothing
// buffered first), with backpressure both ways, and a client that leaves mid-body surfaces
// as Node surfaces it. maxBodySize applies to the MCP endpoints only. Raw sockets throughout:
// fetch cannot stall a body half-way or stop reading a response.
import { afterEach, describe, expect, it } from "vitest";
import type { IncomingMessage, ServerResponse } from "node:http";
import { serve, MCP_HEADERS, type Running, type StartOptions, until } from "./helpers.js";
import { RawConnection, RawConnections, expectRpcError, within } from "./raw.js";

type Hook = (req: IncomingMessage, res: ServerResponse) => unknown;

let running: Running[] = [];
const connections = new RawConnections();
afterEach(async () => {
  connections.destroyAll();
  for (const r of running) await r.close();
  running = [];
});

async function start(hook: Hook, overrides: Partial<StartOptions> = {}): Promise<Running> {
  const r = await serve({ onUnhandledRequest: hook as StartOptions["onUnhandledRequest"], ...overrides });
  running.push(r);
  return r;
}

const connect = (port: number): Promise<RawConnection> => connections.connect(port);

/**
 * Settles once `req` closed (a hook that returns without answering falls through to the
 * rest of the pipeline, as in mcp-proxy, so a hook waits for what it handles).
 */
function settled(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => req.once("close", () => resolve()));
}

/** A hook that records the body chunks as they come and answers with them at the end. */
function recordingHook() {
  const chunks: string[] = [];
  const hook: Hook = (req, res) => {
    req.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
    req.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end(`got ${chunks.join("")}`));
    return settled(req);
  };
  return { hook, chunks };
}

describe("onUnhandledRequest: the request body as it arrives", () => {
  it("a slow body reaches req chunk by chunk, before the client sent the rest", async () => {
    const rec = recordingHook();
    const r = await start(rec.hook);
    const c = await connect(r.port);
    await c.write("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhello");
    await until(() => rec.chunks.join("") === "hello", "the first half of the body in the hook");
    await c.write("world");
    const res = await c.response();
    expect(res.status).toBe(200);
    expect(res.body).toBe("got helloworld");
  });

  it("a chunked body reaches req chunk by chunk", async () => {
    const rec = recordingHook();
    const r = await start(rec.hook);
    const c = await connect(r.port);
    await c.write("POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    await until(() => rec.chunks.join("") === "abc", "the first chunk in the hook");
    await c.write("2\r\nde\r\n");
    await until(() => rec.chunks.join("") === "abcde", "the second chunk in the hook");
    await c.write("0\r\n\r\n");
    const res = await c.response();
    expect(res.status).toBe(200);
    expect(res.body).toBe("got abcde");
  });

  it("a client that leaves mid-body: 'aborted', then 'error' (ECONNRESET aborted), then 'close'", async () => {
    const seen: string[] = [];
    let resClosed = false;
    let received = 0;
    const r = await start((req, res) => {
      req.on("data", (chunk: Buffer) => (received += chunk.length));
      req.on("aborted", () => seen.push("aborted"));
      req.on("error", (e: NodeJS.ErrnoException) => seen.push(`error ${e.code} ${e.message}`));
      req.on("end", () => seen.push("end"));
      req.on("close", () => seen.push("close"));
      res.on("close", () => (resClosed = true));
      return settled(req);
    });
    const c = await connect(r.port);
    await c.write("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n" + "x".repeat(100));
    await until(() => received === 100, "the first 100 bytes in the hook");
    c.destroy();
    await until(() => seen.includes("close") && resClosed, "req and res closed");
    expect(seen).toEqual(["aborted", "error ECONNRESET aborted", "close"]);
    expect((await fetch(`http://127.0.0.1:${r.port}/ping`)).status).toBe(200);
  });

  it("an abort with no 'error' listener does not crash the process", async () => {
    let aborted = false;
    const r = await start((req) => {
      req.on("aborted", () => (aborted = true));
      req.resume();
      return settled(req);
    });
    const c = await connect(r.port);
    await c.write("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\nxx");
    await new Promise((resolve) => setTimeout(resolve, 50));
    c.destroy();
    await until(() => aborted, "'aborted'");
    expect((await fetch(`http://127.0.0.1:${r.port}/ping`)).status).toBe(200);
  });

  it("maxBodySize limits the MCP endpoints only, never a hook route", async () => {
    const r = await start(
      (req, res) => {
        let n = 0;
        req.on("data", (chunk: Buffer) => (n += chunk.length));
        req.on("end", () => res.writeHead(200).end(`got ${n}`));
        return settled(req);
      },
      { maxBodySize: 1024 },
    );
    const big = "x".repeat(64 * 1024);
    const hooked = await fetch(`http://127.0.0.1:${r.port}/upload`, { method: "POST", body: big });
    expect(hooked.status).toBe(200);
    expect(await hooked.text()).toBe(`got ${big.length}`);
    const mcp = await fetch(r.url, { method: "POST", headers: MCP_HEADERS, body: big });
    expect(mcp.status).toBe(413);
  });

  it("a hook that does not read stops the socket being read (backpressure to the client)", async () => {
    let req!: IncomingMessage;
    let received = 0;
    const r = await start(
      (incoming, res) => {
        req = incoming;
        incoming.pause();
        incoming.on("data", (chunk: Buffer) => (received += chunk.length));
        incoming.on("end", () => res.writeHead(200).end(`got ${received}`));
        return settled(incoming);
      },
      { maxBodySize: false },
    );
    const size = 48 * 1024 * 1024;
    const c = await connect(r.port);
    c.socket.write(`POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${size}\r\n\r\n`);
    c.socket.write(Buffer.alloc(size, 0x61));
    await until(() => req !== undefined, "the hook");
    // Let the kernel buffers fill, then see the client still holding most of the body.
    let last = -1;
    await until(
      () => {
        const now = c.socket.writableLength;
        const settled = now === last;
        last = now;
        return settled;
      },
      "the client's writes to stall",
      20000,
    );
    expect(c.socket.writableLength).toBeGreaterThan(size / 2);
    expect(received).toBe(0);
    req.resume();
    const res = await c.response(30000);
    expect(res.status).toBe(200);
    expect(res.body).toBe(`got ${size}`);
  }, 60000);
});

describe("onUnhandledRequest: res.write backpressure", () => {
  it("write() returns false while the client does not read, and 'drain' follows once it reads", async () => {
    const chunk = Buffer.alloc(8 * 1024, 0x62);
    const limit = 64 * 1024 * 1024;
    let written = 0;
    let refusals = 0;
    let ended = false;
    const r = await start(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", connection: "close" });
      // The way a Node handler streams: write until write() says stop, then wait for 'drain'.
      while (written < limit) {
        written += chunk.length;
        if (!res.write(chunk)) {
          refusals++;
          await new Promise((resolve) => res.once("drain", resolve));
        }
      }
      res.end();
      ended = true;
    });
    const c = await connect(r.port);
    c.socket.pause();
    await c.write("GET /download HTTP/1.1\r\nHost: localhost\r\n\r\n");
    // The client reads nothing: once the socket buffers are full, the handler is held.
    let last = -1;
    await until(
      () => {
        const settledNow = written > 0 && written === last;
        last = written;
        return settledNow;
      },
      "the handler to be held back",
      20000,
    );
    expect(refusals).toBeGreaterThan(0);
    expect(written).toBeLessThan(limit);
    expect(ended).toBe(false);
    // Reading resumes: 'drain' lets the handler finish, and every byte reaches the client.
    let bytes = 0;
    let head = "";
    let headDone = false;
    c.socket.removeAllListeners("data");
    c.socket.on("data", (data: Buffer) => {
      if (headDone) {
        bytes += data.length;
        return;
      }
      head += data.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end !== -1) {
        headDone = true;
        bytes += Buffer.byteLength(head.slice(end + 4), "latin1");
      }
    });
    c.socket.resume();
    await within(c.whenClosed, 30000, "the response to end");
    expect(ended).toBe(true);
    expect(written).toBe(limit);
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    // Chunked framing adds a few bytes per chunk; the payload is all there.
    expect(bytes).toBeGreaterThanOrEqual(limit);
  }, 60000);
});

describe("onUnhandledRequest: res.destroy()", () => {
  it("after the head: the client sees the response break off, never a complete one", async () => {
    const r = await start(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
      await new Promise((resolve) => setTimeout(resolve, 20));
      res.destroy();
    });
    const c = await connect(r.port);
    await c.write("GET /broken HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await expect(c.response()).rejects.toThrow(/connection closed inside/);
    expect((await fetch(`http://127.0.0.1:${r.port}/ping`)).status).toBe(200);
  });

  it("before the head: no clean answer either", async () => {
    const r = await start(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      res.destroy();
      // Returning without an answer would fall through; a destroyed res has decided.
    });
    const c = await connect(r.port);
    await c.write("GET /broken HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const outcome = await c.response().then(
      (res) => `status ${res.status}`,
      (error: Error) => error.message,
    );
    expect(outcome).toMatch(/connection closed/);
  });
});

// A body cut off ends the exchange: `res` closes at once (as Node's does when its socket
// goes), so what the hook writes afterwards goes nowhere, and the connection is freed. The
// server answers the client itself when nothing was written yet (400, as on the MCP
// endpoint); a response already started breaks off. maxConnections 1 shows the connection
// freed: a new request is served only once nothing holds the old one.
describe("onUnhandledRequest: answering after the body was cut off", () => {
  const CUT_HEAD = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n";

  /** A hook that answers once its body broke off, recording what its `res` does. */
  function lateAnswer(seen: string[]): Hook {
    return async (req, res) => {
      res.on("close", () => seen.push("res close"));
      res.on("finish", () => seen.push("res finish"));
      res.on("error", (e) => seen.push(`res error ${e.message}`));
      req.on("error", () => {});
      req.resume();
      await settled(req);
      try {
        res.writeHead(400, { "content-type": "text/plain" }).end("bad body");
        seen.push(`writableEnded ${res.writableEnded}`);
      } catch (error) {
        seen.push(`threw ${(error as Error).message}`);
      }
    };
  }

  /** Polls until a new request on `port` is served (a held connection keeps it at 503). */
  const servedAgain = (port: number) =>
    until(async () => (await fetch(`http://127.0.0.1:${port}/ping`)).status === 200, "a new request to be served");

  it("a client that half-closes mid-body gets the server's 400 only, then the connection closes", async () => {
    const seen: string[] = [];
    const r = await start(lateAnswer(seen), { maxConnections: 1 });
    const c = await connect(r.port);
    await c.write(CUT_HEAD + "only ten b");
    c.socket.end();
    const res = await c.response();
    expectRpcError(res.status, res.headers, res.body, {
      status: 400,
      code: -32000,
      message: "Bad Request: the request body could not be read",
    });
    expect(res.headers.connection).toBe("close");
    await within(c.whenClosed, 5000, "the connection to close");
    await expect(c.response(100)).rejects.toThrow(/closed before a response head/);
    await until(() => seen.length === 2, "the hook to finish");
    expect(seen).toEqual(["res close", "writableEnded true"]);
    await servedAgain(r.port);
  });

  it("a client that leaves mid-body: the late answer goes nowhere and the connection is freed", async () => {
    const seen: string[] = [];
    const r = await start(lateAnswer(seen), { maxConnections: 1 });
    const c = await connect(r.port);
    await c.write(CUT_HEAD + "only ten b");
    c.destroy();
    await until(() => seen.includes("res close"), "res to close");
    await servedAgain(r.port);
    await until(() => seen.length === 2, "the hook to finish");
    expect(seen).toEqual(["res close", "writableEnded true"]);
  });

  it("a response started before the body was cut breaks off, never looks complete", async () => {
    const seen: string[] = [];
    const r = await start(
      async (req, res) => {
        res.on("close", () => seen.push("res close"));
        res.on("finish", () => seen.push("res finish"));
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("started");
        req.on("error", () => {});
        req.resume();
        await settled(req);
        res.end(" and ended");
        seen.push(`writableEnded ${res.writableEnded}`);
      },
      { maxConnections: 1 },
    );
    const c = await connect(r.port);
    await c.write(CUT_HEAD + "only ten b");
    c.socket.end();
    await expect(c.response()).rejects.toThrow(/connection closed inside/);
    await until(() => seen.length === 2, "the hook to finish");
    expect(seen).toEqual(["res close", "writableEnded true"]);
    await servedAgain(r.port);
  });
});
