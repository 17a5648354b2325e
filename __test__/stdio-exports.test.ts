// The stdio-side exports beside startHTTPServer (CONTRACT §13): the same names as mcp-proxy
// 6.7.19 exports, and the behaviours of its tests that need an internal-module mock there
// (startStdioServer.unit) or that we changed on purpose (tapTransport passes every argument).
// mcp-proxy's own tests of these exports run in __test__/mcp-proxy-67/.
import { describe, expect, it, vi } from "vitest";
import * as ours from "../index.mjs";
import {
  AuthenticationMiddleware,
  ServerType,
  resolveVersionNegotiation,
  startStdioServer,
  tapTransport,
  type DownstreamServer,
  type TransportLike,
  type UpstreamClient,
} from "../index.js";

describe("the export list", () => {
  it("has every runtime export of mcp-proxy 6.7.19", async () => {
    const incumbent = await import("mcp-proxy-67");
    const missing = Object.keys(incumbent).filter((name) => !(name in ours));
    expect(missing).toEqual([]);
  });

  it("ServerType and resolveVersionNegotiation are 6.7.19's", () => {
    expect(ServerType).toEqual({ HTTPStream: "HTTPStream", SSE: "SSE" });
    expect(resolveVersionNegotiation()).toBeUndefined();
    expect(resolveVersionNegotiation("legacy")).toBeUndefined();
    expect(resolveVersionNegotiation("auto")).toEqual({ mode: "auto" });
    expect(resolveVersionNegotiation("modern")).toEqual({ mode: { pin: "2026-07-28" } });
    expect(new AuthenticationMiddleware({ apiKey: "k" }).validateRequest({ headers: { "x-api-key": "k" } } as never)).toBe(true);
  });
});

describe("startStdioServer startup cleanup", () => {
  it("closes the upstream client, once, when wiring the proxy fails, and rethrows that error", async () => {
    const close = vi.fn().mockResolvedValue(undefined);
    const client = {
      close,
      connect: vi.fn().mockResolvedValue(undefined),
      getServerCapabilities: () => ({ tools: {} }),
      getServerVersion: () => ({ name: "upstream", version: "1" }),
      getProtocolEra: () => "legacy",
      setNotificationHandler: () => {},
    } as unknown as UpstreamClient;
    const wiringError = new Error("cannot register handlers");
    // proxyServer registers tools/call on this Server first thing: that throw is the failure.
    const server = {
      setRequestHandler: () => {
        throw wiringError;
      },
      getNegotiatedProtocolVersion: () => undefined,
    } as unknown as DownstreamServer;
    await expect(
      startStdioServer({
        initStdioServer: async () => server,
        initStreamClient: async () => client,
        serverType: ServerType.HTTPStream,
        url: "https://example.com/mcp",
      }),
    ).rejects.toBe(wiringError);
    expect(close).toHaveBeenCalledOnce();
  });
});

describe("tapTransport", () => {
  it("reports each call and callback, and passes every argument on (6.7.19 drops send options and onmessage extra)", async () => {
    const seen: unknown[] = [];
    const sent: unknown[][] = [];
    const received: unknown[][] = [];
    const transport: TransportLike = {
      start: async () => {},
      close: async () => {},
      send: async (...args: unknown[]) => {
        sent.push(args);
      },
      onmessage: (...args: unknown[]) => {
        received.push(args);
      },
    };
    const tapped = tapTransport(transport, (event) => seen.push(event.type));
    expect(tapped).toBe(transport);
    await tapped.start();
    const message = { jsonrpc: "2.0", method: "ping", id: 1 };
    await tapped.send(message, { relatedRequestId: 7 });
    await tapped.onmessage?.(message, { authInfo: { token: "t" } });
    await tapped.close();
    expect(seen).toEqual(["start", "send", "onmessage", "close"]);
    expect(sent).toEqual([[message, { relatedRequestId: 7 }]]);
    expect(received).toEqual([[message, { authInfo: { token: "t" } }]]);
  });
});
