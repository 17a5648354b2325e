// A progress notification a tool sends right before it returns must reach the client before the
// result. The SDK client drops a progress that it reads in the same chunk as the result (the
// result removes the progress handler before the notification's handler runs), so callers
// (FastMCP's "reports multiple progress updates without buffering", with the client in the same
// process) rely on what Node gives them: when the SDK's `send` has returned, the event is in the
// socket. FastMCP awaits `setImmediate` after each progress for exactly that reason.
import { afterEach, describe, expect, it } from "vitest";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { serve, type Running } from "./helpers.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** A tool that reports progress 0, 50, 90, 100 as FastMCP's `reportProgress` does, then returns. */
function progressServer() {
  const server = new Server({ name: "progress", version: "1" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [{ name: "progress", inputSchema: { type: "object" } }],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const progressToken = request.params._meta?.progressToken;
    for (const progress of [0, 50, 90, 100]) {
      await extra.sendNotification({ method: "notifications/progress", params: { progressToken: progressToken!, progress, total: 100 } });
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { content: [{ type: "text", text: "done" }] };
  });
  return server;
}

const transports = {
  "legacy SSE (GET /sse)": (running: Running) => new SSEClientTransport(new URL(`http://127.0.0.1:${running.port}/sse`)),
  "Streamable HTTP": (running: Running) => new StreamableHTTPClientTransport(running.url),
};

describe("progress sent right before a tool returns", () => {
  for (const [name, transport] of Object.entries(transports)) {
    it(`${name}: every progress reaches onprogress before the result, call after call`, async () => {
      running = await serve({ createServer: async () => progressServer() });
      const client = new Client({ name: "c", version: "1" });
      await client.connect(transport(running));
      const missed: number[][] = [];
      for (let i = 0; i < 40; i++) {
        const seen: number[] = [];
        await client.callTool({ name: "progress", arguments: {} }, undefined, { onprogress: (p) => void seen.push(p.progress) });
        if (seen.length !== 4) missed.push(seen);
      }
      await client.close();
      expect(missed).toEqual([]);
    });
  }
});
