// Callbacks that misbehave (CONTRACT §4.6, §6; issue 9 finding 8): a callback that never
// settles must not pin its server, a hanging onClose must not stretch close() per session,
// odd thrown values and odd createServer results are answered at once.
import { afterEach, describe, expect, it, vi } from "vitest";
import { McpServer as McpServerV2 } from "@modelcontextprotocol/server";
import { exampleServer, INITIALIZE, serve, until, type Running, type StartOptions } from "./helpers.js";
import { expectFetchError, initSession, post, RawConnection, within } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await running?.close();
  running = undefined;
});

const never = () => new Promise<never>(() => {});

/** A real SDK server (v1 `Server` or v2 `McpServer`) that records its own `close()`. */
function tracked<T extends { close(): Promise<void> }>(server: T, closedServers: unknown[]): T {
  const close = server.close.bind(server);
  server.close = async () => {
    closedServers.push(server);
    await close();
  };
  return server;
}

const trackedServer = (closedServers: unknown[]) => tracked(exampleServer().server, closedServers);
const trackedModernServer = (closedServers: unknown[]) =>
  tracked(new McpServerV2({ name: "v2", version: "2.0.0" }), closedServers);

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
};
const DISCOVER = { jsonrpc: "2.0", id: 3, method: "server/discover", params: { _meta: META } };
const MODERN = { "mcp-protocol-version": "2026-07-28", "mcp-method": "server/discover" };

/** The same wait on both paths: a 2025 initialize (a session) and a 2026-07-28 request. */
const ERAS = [
  { era: "2025 initialize", build: trackedServer, send: (url: URL) => post(url, INITIALIZE), id: 0 },
  { era: "2026-07-28 request", build: trackedModernServer, send: (url: URL) => post(url, DISCOVER, MODERN), id: 3 },
];

describe("an onConnect that never settles (CONTRACT §4.6)", () => {
  it.each(ERAS)("$era: after the callback timeout, 500, then onClose(server) and server.close() run once", async ({ build, send, id }) => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const created: unknown[] = [];
    const closedServers: unknown[] = [];
    running = await serve({
      callbackTimeout: 200,
      createServer: async () => {
        const server = build(closedServers);
        created.push(server);
        return server;
      },
      onConnect: never,
    } as Partial<StartOptions>);
    await expectFetchError(await send(running.url), { status: 500, code: -32603, message: "Error creating server: timed out", id });
    await until(() => running!.closed.length === 1, "onClose of the abandoned server");
    expect(running.closed[0]).toBe(created[0]);
    await until(() => closedServers.length === 1, "server.close() of the abandoned server");
    await running.close();
    expect(running.closed).toHaveLength(1);
    expect(closedServers).toHaveLength(1);
  });

  it("a client that leaves while onConnect hangs frees the server too", async () => {
    running = await serve({ onConnect: never });
    const conn = await RawConnection.connect(running.port);
    const body = JSON.stringify(INITIALIZE);
    await conn.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Accept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await new Promise((r) => setTimeout(r, 100));
    conn.destroy();
    await until(() => running!.closed.length === 1, "onClose after the client left");
  });
});

describe("an onConnect that never settles, on a 2026-07-28 request (CONTRACT §4.6, §12)", () => {
  it("a createServer that settles after the timeout has its server closed, without onClose (onConnect never saw it)", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const closedServers: unknown[] = [];
    let release: () => void = () => {};
    const late = new Promise<void>((resolve) => (release = resolve));
    running = await serve({
      callbackTimeout: 200,
      createServer: async () => {
        await late;
        return trackedModernServer(closedServers);
      },
    } as Partial<StartOptions>);
    await expectFetchError(await post(running.url, DISCOVER, MODERN), { status: 500, code: -32603, id: 3 });
    release();
    await until(() => closedServers.length === 1, "server.close() of the late server");
    expect(running.closed).toHaveLength(0);
  });

  it("a createServer result that throws when read → 500 at once, not after the callback timeout", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    // Awaitable (no `then`), then every other read throws.
    const hostile = new Proxy({}, {
      get(_target, key) {
        if (key === "then") return undefined;
        throw new Error("no reading me");
      },
    });
    running = await serve({ createServer: async () => hostile as never });
    const res = await within(post(running.url, DISCOVER, MODERN), 5000, "the 500");
    await expectFetchError(res, { status: 500, code: -32603, id: 3 });
  });

  it("a client that leaves while onConnect hangs frees the server too", async () => {
    const created: unknown[] = [];
    running = await serve({
      createServer: async () => {
        const server = new McpServerV2({ name: "v2", version: "2.0.0" });
        created.push(server);
        return server;
      },
      onConnect: never,
    });
    const conn = await RawConnection.connect(running.port);
    const body = JSON.stringify(DISCOVER);
    await conn.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\n` +
        `Mcp-Method: server/discover\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await until(() => created.length === 1, "the server created");
    conn.destroy();
    await until(() => running!.closed.length === 1, "onClose after the client left");
    expect(running.closed[0]).toBe(created[0]);
  });
});

describe("close() with onClose callbacks that hang (CONTRACT §9)", () => {
  it("waits for them together under one grace period, not one after another", async () => {
    running = await serve({ onClose: never });
    for (let i = 0; i < 4; i++) await initSession(running.url);
    // One grace period (5 s) for all; one each would be 20 s.
    await within(running.close(), 12_000, "close() with 4 hanging onClose");
    running = undefined;
  }, 20_000);
});

describe("thrown values that are hard to read are answered at once", () => {
  const getterThrows = () => {
    const value = {};
    for (const name of ["message", "status", "headers", "statusText", "name", "stack", "then"]) {
      Object.defineProperty(value, name, {
        get() {
          throw new Error(`getter ${name}`);
        },
      });
    }
    return value;
  };
  const odd: [string, () => unknown][] = [
    ["an object with no prototype", () => Object.create(null)],
    ["an object whose getters throw", getterThrows],
    ["an Error whose message getter throws", () => {
      const error = new Error("x");
      Object.defineProperty(error, "message", { get() { throw new Error("no message"); } });
      return error;
    }],
  ];
  for (const [name, make] of odd) {
    it(`${name}, thrown by authenticate → 401`, async () => {
      vi.spyOn(console, "error").mockImplementation(() => {});
      running = await serve({ authenticate: async () => { throw make(); } });
      const res = await within(post(running.url, INITIALIZE), 5000, "the 401");
      await expectFetchError(res, { status: 401, code: -32000, id: 0 });
    });
    it(`${name}, thrown by createServer → 500`, async () => {
      vi.spyOn(console, "error").mockImplementation(() => {});
      running = await serve({ createServer: async () => { throw make(); } });
      const res = await within(post(running.url, INITIALIZE), 5000, "the 500");
      await expectFetchError(res, { status: 500, code: -32603, id: 0 });
    });
    it(`${name}, thrown by onConnect → 500`, async () => {
      vi.spyOn(console, "error").mockImplementation(() => {});
      running = await serve({ onConnect: async () => { throw make(); } });
      const res = await within(post(running.url, INITIALIZE), 5000, "the 500");
      await expectFetchError(res, { status: 500, code: -32603, id: 0 });
    });
  }
});

describe("createServer returning something that is not a server", () => {
  for (const [name, value] of [["null", null], ["{}", {}], ["a number", 42]] as const) {
    it(`${name} → 500 at once, logged`, async () => {
      const errors = vi.spyOn(console, "error").mockImplementation(() => {});
      running = await serve({ createServer: async () => value as never });
      const res = await within(post(running.url, INITIALIZE), 5000, "the 500");
      await expectFetchError(res, { status: 500, code: -32603, message: "Error creating server", id: 0 });
      expect(errors.mock.calls.some((c) => String(c[0]).includes("createServer"))).toBe(true);
      expect(running.opened).toHaveLength(0);
    });
  }
});
