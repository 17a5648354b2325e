// A request body must keep a pace (issue 15): no byte for `bodyIdleTimeout` → 408, and once it
// has taken longer than that, slower than `minBodyRate` on average → 408; both with
// `Connection: close`, logged, on the MCP endpoints and on `onUnhandledRequest` routes alike.
// Before them only `requestTimeout` (300 s) ended a stalled or trickling body. Every test
// crosses a small value; none waits on a default.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { IncomingMessage, ServerResponse } from "node:http";
import { serve, type Running, type StartOptions, until } from "./helpers.js";
import { RawConnection, RawConnections, expectRpcError, within } from "./raw.js";

let running: Running[] = [];
const connections = new RawConnections();
let errors: unknown[][] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  connections.destroyAll();
  for (const r of running) await r.close();
  running = [];
  errors = [];
});

async function start(overrides: Partial<StartOptions> & { bodyIdleTimeout?: number; minBodyRate?: number }): Promise<Running> {
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void errors.push(args));
  const r = await serve(overrides as Partial<StartOptions>);
  running.push(r);
  return r;
}

const connect = (port: number): Promise<RawConnection> => connections.connect(port);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logLines = (pattern: RegExp) =>
  errors.filter((args) => args.some((a) => typeof a === "string" && pattern.test(a))).length;

const POST_HEAD = (length: number) =>
  `POST /mcp HTTP/1.1\r\nHost: localhost\r\nAccept: application/json, text/event-stream\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
const HOOK_HEAD = (length: number) => `POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${length}\r\n\r\n`;

/** Sends one byte every `everyMs` until the connection closes. */
function trickle(c: RawConnection, everyMs: number): void {
  const timer = setInterval(() => {
    if (c.closed) clearInterval(timer);
    else c.socket.write("x");
  }, everyMs);
  void c.whenClosed.then(() => clearInterval(timer));
}

describe("bodyIdleTimeout", () => {
  it("an MCP body that stops sending gets 408 with Connection: close, logged, long before requestTimeout", async () => {
    // minBodyRate off: the quiet body is cut by the idle clock alone (with it, a body quiet
    // from its start is also below the rate when the first bodyIdleTimeout is over).
    const r = await start({ bodyIdleTimeout: 300, minBodyRate: 0 });
    const c = await connect(r.port);
    const sent = Date.now();
    await c.write(POST_HEAD(100) + '{"jsonrpc":');
    const res = await c.response(5000);
    expect(Date.now() - sent).toBeLessThan(3000);
    expectRpcError(res.status, res.headers, res.body, {
      status: 408,
      code: -32000,
      message: "Request Timeout: no byte of the request body arrived for 300ms",
    });
    expect(res.headers.connection).toBe("close");
    await within(c.whenClosed, 2000, "the connection to close");
    await until(() => logLines(/bodyIdleTimeout/) === 1, "the log line");
  });

  it("a body whose bytes keep coming within it is served", async () => {
    const r = await start({ bodyIdleTimeout: 400, minBodyRate: 0 });
    const c = await connect(r.port);
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
    await c.write(POST_HEAD(body.length));
    for (const piece of [body.slice(0, 10), body.slice(10, 20), body.slice(20)]) {
      await sleep(200);
      await c.write(piece);
    }
    // No session: answered (400) by the MCP layer, not cut by the body's clock.
    expect((await c.response()).status).toBe(400);
  });

  it("an onUnhandledRequest body that stops: 408, and req sees 'aborted'", async () => {
    let aborted = false;
    const r = await start({
      bodyIdleTimeout: 300,
      minBodyRate: 0,
      onUnhandledRequest: async (req: IncomingMessage) => {
        req.on("aborted", () => (aborted = true));
        req.on("error", () => {});
        req.resume();
        await new Promise((resolve) => req.once("close", resolve));
      },
    });
    const c = await connect(r.port);
    await c.write(HOOK_HEAD(100) + "abc");
    const res = await c.response(5000);
    expect(res.status).toBe(408);
    expect(res.headers.connection).toBe("close");
    expect(res.body).toContain("no byte of the request body arrived for 300ms");
    await until(() => aborted, "'aborted'");
    await until(() => logLines(/bodyIdleTimeout/) === 1, "the log line");
  });

  it("time the hook leaves its body unread is not the client's", async () => {
    const size = 400 * 1024;
    let got = 0;
    const r = await start({
      bodyIdleTimeout: 300,
      onUnhandledRequest: async (req: IncomingMessage, res: ServerResponse) => {
        // Reads nothing for 1.5 s: the server stops reading the socket (the window is full).
        await sleep(1500);
        for await (const chunk of req) got += (chunk as Buffer).length;
        res.writeHead(200).end(`got ${got}`);
      },
    });
    const c = await connect(r.port);
    await c.write(HOOK_HEAD(size) + "x".repeat(size));
    const res = await c.response(10_000);
    expect(res.status).toBe(200);
    expect(res.body).toBe(`got ${size}`);
  });
});

describe("minBodyRate", () => {
  it("an MCP body trickling below it gets 408 once past bodyIdleTimeout", async () => {
    const r = await start({ bodyIdleTimeout: 400, minBodyRate: 1024 });
    const c = await connect(r.port);
    const sent = Date.now();
    await c.write(POST_HEAD(1000));
    trickle(c, 50);
    const res = await c.response(5000);
    const took = Date.now() - sent;
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(3000);
    expectRpcError(res.status, res.headers, res.body, {
      status: 408,
      code: -32000,
      message: "Request Timeout: the request body arrived slower than 1024 bytes/s",
    });
    expect(res.headers.connection).toBe("close");
    await within(c.whenClosed, 2000, "the connection to close");
    await until(() => logLines(/minBodyRate/) === 1, "the log line");
  });

  it("an onUnhandledRequest body trickling below it gets 408", async () => {
    const r = await start({
      bodyIdleTimeout: 400,
      minBodyRate: 1024,
      onUnhandledRequest: async (req: IncomingMessage) => {
        req.on("error", () => {});
        req.resume();
        await new Promise((resolve) => req.once("close", resolve));
      },
    });
    const c = await connect(r.port);
    await c.write(HOOK_HEAD(1000));
    trickle(c, 50);
    const res = await c.response(5000);
    expect(res.status).toBe(408);
    expect(res.body).toContain("slower than 1024 bytes/s");
  });

  it("0 turns it off: a trickle is bounded by bodyIdleTimeout and requestTimeout only", async () => {
    const r = await start({ bodyIdleTimeout: 400, minBodyRate: 0, requestTimeout: 1500 });
    const c = await connect(r.port);
    await c.write(POST_HEAD(1000));
    trickle(c, 50);
    const res = await c.response(5000);
    expect(res.status).toBe(408);
    expect(res.body).toContain("not received within 1500ms");
  });
});

describe("the options", () => {
  it("refuse values that are not a duration or a rate", async () => {
    for (const bad of [{ bodyIdleTimeout: -1 }, { bodyIdleTimeout: "10s" }, { minBodyRate: 1.5 }, { minBodyRate: -1 }]) {
      await expect(serve(bad as Partial<StartOptions>), JSON.stringify(bad)).rejects.toThrow(/bodyIdleTimeout|minBodyRate/);
    }
  });
});
