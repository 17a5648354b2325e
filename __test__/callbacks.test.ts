// Callbacks that misbehave (CONTRACT §4.6, §6; issue 9 finding 8): a callback that never
// settles must not pin its server, a hanging onClose must not stretch close() per session,
// odd thrown values and odd createServer results are answered at once.
import { afterEach, describe, expect, it, vi } from "vitest";
import { exampleServer, INITIALIZE, serve, until, type Running, type StartOptions } from "./helpers.js";
import { expectFetchError, initSession, post, RawConnection, within } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await running?.close();
  running = undefined;
});

const never = () => new Promise<never>(() => {});

/** A real SDK server that records its own `close()`. */
function trackedServer(closedServers: unknown[]) {
  const server = exampleServer().server;
  const close = server.close.bind(server);
  server.close = async () => {
    closedServers.push(server);
    await close();
  };
  return server;
}

describe("an onConnect that never settles (CONTRACT §4.6)", () => {
  it("after the callback timeout: 500, then onClose(server) and server.close() run once", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const created: unknown[] = [];
    const closedServers: unknown[] = [];
    running = await serve({
      callbackTimeout: 200,
      createServer: async () => {
        const server = trackedServer(closedServers);
        created.push(server);
        return server;
      },
      onConnect: never,
    } as Partial<StartOptions>);
    await expectFetchError(await post(running.url, INITIALIZE), { status: 500, code: -32603, id: 0 });
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
