// Bounds of the README's "Limits and timeouts" table that no other file crosses: the request
// head (hyper's limits), the callbacks waited on with `callbackTimeout`, the onClose wait of
// DELETE.
import { afterEach, describe, expect, it, vi } from "vitest";
import { INITIALIZE, MCP_HEADERS, serve, type Running } from "./helpers.js";
import { expectFetchError, initSession, rawRequest, within } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await running?.close();
  running = undefined;
});

const never = () => new Promise<never>(() => {});

describe("request head", () => {
  it("more than 100 header lines, or a head far over 128 KiB → 431; a target over 64 KiB → 414", async () => {
    running = await serve();
    const head = (extra: string, target = "/ping") => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `x-h${i}: v\r\n`).join("");
    expect((await rawRequest(running.port, head(lines(98)))).status).toBe(200);
    expect((await rawRequest(running.port, head(lines(120)))).status, "120 lines").toBe(431);
    expect((await rawRequest(running.port, head(`x-big: ${"a".repeat(100_000)}\r\n`))).status).toBe(200);
    expect((await rawRequest(running.port, head(`x-big: ${"a".repeat(200_000)}\r\n`))).status, "200 KB").toBe(431);
    expect((await rawRequest(running.port, head(`x-big: ${"a".repeat(2_000_000)}\r\n`))).status, "2 MB").toBe(431);
    expect((await rawRequest(running.port, head("", `/ping?${"a".repeat(70_000)}`))).status).toBe(414);
    expect((await fetch(`http://127.0.0.1:${running.port}/ping`)).status).toBe(200);
  });
});

describe("callbackTimeout", () => {
  it("an authenticate that never settles → 500 -32603 after callbackTimeout", async () => {
    running = await serve({ authenticate: never, callbackTimeout: 200 } as never);
    const res = await within(
      fetch(running.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) }),
      5000,
      "the 500",
    );
    await expectFetchError(res, { status: 500, code: -32603, message: "Internal error: authenticate did not answer in time" });
  });

  it("a cors.origin function that never settles: no Access-Control-Allow-Origin", async () => {
    running = await serve({ cors: { origin: never }, callbackTimeout: 200 } as never);
    const res = await within(
      fetch(`http://127.0.0.1:${running.port}/ping`, { headers: { origin: "http://localhost:3000" } }),
      5000,
      "the answer",
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("onClose wait of DELETE (5 s)", () => {
  it("DELETE answers 200 when onClose hangs", async () => {
    running = await serve({ onClose: never });
    const { sessionId } = await initSession(running.url);
    const res = await within(
      fetch(running.url, { method: "DELETE", headers: { "mcp-session-id": sessionId } }),
      10_000,
      "DELETE",
    );
    expect(res.status).toBe(200);
  }, 15_000);
});
