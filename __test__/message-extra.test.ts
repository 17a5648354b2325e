// What a request handler learns about its HTTP request (CONTRACT §4.5, §11): `extra.requestInfo`
// for SDK v1 servers and `extra.request`, a Fetch `Request`, for SDK v2 servers (whose tools
// read it as `ctx.http.req`), as mcp-proxy 6.7's transports give them.
import { afterEach, describe, expect, it } from "vitest";
import { McpServer as McpServerV2 } from "@modelcontextprotocol/server";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { serve, type Running } from "./helpers.js";
import { initSession, post, SseReader } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

const PV = "2025-11-25";
const call = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "inspect", arguments: {} } };

async function callInspect(r: Running): Promise<void> {
  const { sessionId } = await initSession(r.url);
  const res = await post(r.url, call, { "mcp-session-id": sessionId, "mcp-protocol-version": PV, "x-trace": "abc" });
  expect(res.status).toBe(200);
  const reply = await new SseReader(res).nextMessage();
  expect(reply).toMatchObject({ id: 7, result: { content: [{ text: "ok" }] } });
}

type Seen = { url: string; method: string; trace: string | null; body: unknown; isRequest: boolean };

/** An SDK v2 server whose `inspect` tool records what it reads of `ctx.http.req`. */
function inspectingServer(seen: Seen[]): McpServerV2 {
  const server = new McpServerV2({ name: "v2", version: "2.0.0" });
  server.registerTool("inspect", { inputSchema: z.object({}) }, async (_args, ctx) => {
    const req = ctx.http?.req;
    if (!req) throw new Error("no ctx.http.req");
    seen.push({
      url: req.url,
      method: req.method,
      trace: req.headers.get("x-trace"),
      body: await req.json(),
      isRequest: req instanceof Request,
    });
    return { content: [{ type: "text", text: "ok" }] };
  });
  return server;
}

describe("extra.request and extra.requestInfo", () => {
  it("an SDK v2 McpServer's tool gets the POST as a Fetch Request (ctx.http.req): URL, method, headers, body", async () => {
    const seen: Seen[] = [];
    running = await serve({ createServer: async () => inspectingServer(seen) });
    await callInspect(running);
    expect(seen).toEqual([{ url: `http://127.0.0.1:${running.port}/mcp`, method: "POST", trace: "abc", body: call, isRequest: true }]);
  });

  it("a 2026-07-28 request's tool gets the POST as a Fetch Request too, body included (as mcp-proxy 6.7.19 gives it)", async () => {
    const seen: Seen[] = [];
    running = await serve({ createServer: async () => inspectingServer(seen) });
    const meta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    const modernCall = { ...call, params: { ...call.params, _meta: meta } };
    const res = await post(running.url, modernCall, {
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "inspect",
      "x-trace": "abc",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 7, result: { content: [{ text: "ok" }] } });
    expect(seen).toEqual([
      { url: `http://127.0.0.1:${running.port}/mcp`, method: "POST", trace: "abc", body: modernCall, isRequest: true },
    ]);
  });

  it("an SDK v1 server's tool still gets requestInfo: headers, and the URL", async () => {
    let seen: { trace: unknown; url: string | undefined } | undefined;
    running = await serve({
      createServer: async () => {
        const server = new McpServer({ name: "v1", version: "1.0.0" });
        server.registerTool("inspect", { inputSchema: {} }, async (_args, extra) => {
          seen = { trace: extra.requestInfo?.headers["x-trace"], url: extra.requestInfo?.url?.href };
          return { content: [{ type: "text", text: "ok" }] };
        });
        return server.server;
      },
    });
    await callInspect(running);
    expect(seen).toEqual({ trace: "abc", url: `http://127.0.0.1:${running.port}/mcp` });
  });
});
