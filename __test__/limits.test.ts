// CONTRACT §4.6: what a client can make the server hold is bounded, each bound a named
// option answered with a clear status and logged through console.error: the time a request
// head (`headersTimeout`) and a whole request (`requestTimeout`) may take (408), concurrent
// connections (`maxConnections`, 503) and bytes buffered for bodies still arriving
// (`maxBufferedBodyBytes`, 503). Every test crosses a small value; none waits on a default.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { IncomingMessage, ServerResponse } from "node:http";
import { serve, MCP_HEADERS, type Running, type StartOptions, until } from "./helpers.js";
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

async function start(overrides: Partial<StartOptions>): Promise<Running> {
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void errors.push(args));
  const r = await serve(overrides);
  running.push(r);
  return r;
}

const connect = (port: number): Promise<RawConnection> => connections.connect(port);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for a console.error line matching `pattern` (the log reaches JS after the answer). */
async function logged(pattern: RegExp): Promise<void> {
  const seen = () => errors.some((args) => args.some((a) => typeof a === "string" && pattern.test(a)));
  await within(
    (async () => {
      while (!seen()) await sleep(10);
    })(),
    2000,
    `a console.error line matching ${pattern}`,
  );
}

const POST_HEAD = (length: number) =>
  `POST /mcp HTTP/1.1\r\nHost: localhost\r\nAccept: application/json, text/event-stream\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe("headersTimeout", () => {
  it("a request head still incomplete after it gets 408 and the connection closes", async () => {
    const r = await start({ headersTimeout: 300 });
    const c = await connect(r.port);
    await c.write("GET /ping HTTP/1.1\r\nHost: localhost\r\n");
    const res = await c.response();
    expect(res.status).toBe(408);
    await within(c.whenClosed, 2000, "the connection to close");
    await logged(/headersTimeout/);
  });

  it("an idle keep-alive connection closes quietly after keepAliveTimeout, without a 408", async () => {
    const r = await start({ headersTimeout: 5000, keepAliveTimeout: 200 });
    const c = await connect(r.port);
    await c.write("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect((await c.response()).body).toBe("pong");
    await within(c.whenClosed, 3000, "the idle connection to close");
    await expect(c.response(100)).rejects.toThrow(/closed before a response head/);
  });
});

describe("timeouts too large to add to the clock", () => {
  it("are no limit: requests are served", async () => {
    const huge = 1e300;
    const r = await start({ headersTimeout: huge, requestTimeout: huge, keepAliveTimeout: huge });
    const c = await connect(r.port);
    await c.write("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect((await c.response()).body).toBe("pong");
    const res = await fetch(r.url, { method: "POST", headers: MCP_HEADERS, body: "{}" });
    expect(res.status).toBe(400);
  });
});

describe("requestTimeout", () => {
  it("an MCP body that stalls gets 408 with a JSON-RPC error and Connection: close", async () => {
    const r = await start({ requestTimeout: 400 });
    const c = await connect(r.port);
    await c.write(POST_HEAD(100) + '{"jsonrpc":');
    const res = await c.response();
    expectRpcError(res.status, res.headers, res.body, {
      status: 408,
      code: -32000,
      message: "Request Timeout: the request was not received within 400ms",
    });
    expect(res.headers.connection).toBe("close");
    await within(c.whenClosed, 2000, "the connection to close");
    await logged(/requestTimeout/);
  });

  it("a hook route's body that stalls: 408, and req sees 'aborted'", async () => {
    let aborted = false;
    const r = await start({
      requestTimeout: 400,
      onUnhandledRequest: async (req: IncomingMessage) => {
        req.on("aborted", () => (aborted = true));
        req.resume();
        await new Promise((resolve) => req.once("close", resolve));
      },
    });
    const c = await connect(r.port);
    await c.write("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc");
    const res = await c.response();
    expect(res.status).toBe(408);
    await within(
      (async () => {
        while (!aborted) await sleep(10);
      })(),
      2000,
      "'aborted'",
    );
  });

  it("a hook that answers after its body timed out: the client gets the 408 only, res is closed", async () => {
    const seen: string[] = [];
    const r = await start({
      requestTimeout: 400,
      maxConnections: 1,
      onUnhandledRequest: async (req: IncomingMessage, res: ServerResponse) => {
        res.on("close", () => seen.push("res close"));
        res.on("finish", () => seen.push("res finish"));
        req.on("error", () => {});
        req.resume();
        await new Promise((resolve) => req.once("close", resolve));
        res.writeHead(400, { "content-type": "text/plain" }).end("too late");
        seen.push(`writableEnded ${res.writableEnded}`);
      },
    });
    const c = await connect(r.port);
    await c.write("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc");
    expect((await c.response()).status).toBe(408);
    await within(c.whenClosed, 2000, "the connection to close");
    await expect(c.response(100)).rejects.toThrow(/closed before a response head/);
    await until(() => seen.length === 2, "the hook to finish");
    expect(seen).toEqual(["res close", "writableEnded true"]);
    // maxConnections 1: served again only once nothing holds the timed-out connection.
    await until(async () => (await fetch(`http://127.0.0.1:${r.port}/ping`)).status === 200, "a new request served");
  });
});

describe("maxConnections", () => {
  it("a connection beyond it gets 503 and is closed; a freed slot serves again", async () => {
    const r = await start({ maxConnections: 2 });
    const a = await connect(r.port);
    const b = await connect(r.port);
    await a.write("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect((await a.response()).status).toBe(200);
    await b.write("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect((await b.response()).status).toBe(200);
    const third = await connect(r.port);
    await third.write("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const refused = await third.response();
    expectRpcError(refused.status, refused.headers, refused.body, { status: 503, code: -32000 });
    await within(third.whenClosed, 3000, "the refused connection to close");
    await logged(/maxConnections/);
    a.destroy();
    await sleep(50);
    const fourth = await connect(r.port);
    await fourth.write("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect((await fourth.response()).status).toBe(200);
  });
});

describe("maxBufferedBodyBytes", () => {
  it("a body that would cross the server-wide budget gets 503; the budget frees when bodies end", async () => {
    const r = await start({ maxBufferedBodyBytes: 64 * 1024 });
    // One client holds 60 KiB of an unfinished body. (It is itself refused when another
    // body is being read at the moment its bytes arrive: then it tries again.)
    const hold = async () => {
      const c = await connect(r.port);
      await c.write(POST_HEAD(100_000) + "x".repeat(60 * 1024));
      return c;
    };
    let holder = await hold();
    // Another sends a complete 10 KiB body (not JSON: 400 when it is read, 503 when the
    // budget cannot take it).
    const junk = "y".repeat(10 * 1024);
    const attempt = async () => {
      const res = await fetch(r.url, { method: "POST", headers: MCP_HEADERS, body: junk });
      return { status: res.status, text: await res.text(), headers: res.headers };
    };
    let answer = await attempt();
    const end = Date.now() + 10000;
    while (answer.status !== 503 && Date.now() < end) {
      if (holder.closed) holder = await hold();
      await sleep(20);
      answer = await attempt();
    }
    expectRpcError(answer.status, answer.headers, answer.text, { status: 503, code: -32000 });
    await logged(/maxBufferedBodyBytes/);
    holder.destroy();
    let after = await attempt();
    while (after.status === 503 && Date.now() < end + 10000) {
      await sleep(20);
      after = await attempt();
    }
    expect(after.status).toBe(400);
  });
});
