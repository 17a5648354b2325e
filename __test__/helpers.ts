// Shared test fixtures: a real SDK McpServer served by startHTTPServer on a free port.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { z } from "zod";
import { startHTTPServer } from "../index.js";

export type StartOptions = Parameters<typeof startHTTPServer>[0];

/** An McpServer with the tools the tests use. */
export function exampleServer(): McpServer {
  const server = new McpServer({ name: "test-server", version: "1.0.0" }, { capabilities: { logging: {} } });
  server.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: "text", text }],
  }));
  server.registerTool(
    "slow",
    { inputSchema: { steps: z.number().int(), delayMs: z.number().int() } },
    async ({ steps, delayMs }, extra) => {
      for (let i = 1; i <= steps; i++) {
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken: extra._meta?.progressToken ?? "none", progress: i, total: steps },
        });
        await new Promise((r) => setTimeout(r, delayMs));
      }
      return { content: [{ type: "text", text: `done after ${steps}` }] };
    },
  );
  return server;
}

export interface Running {
  url: URL;
  port: number;
  close: () => Promise<void>;
  opened: unknown[];
  closed: unknown[];
}

/** Starts a server on a free loopback port; `overrides` replace the defaults. */
export async function serve(overrides: Partial<StartOptions> = {}): Promise<Running> {
  const opened: unknown[] = [];
  const closed: unknown[] = [];
  const running = await startHTTPServer({
    port: 0,
    host: "127.0.0.1",
    createServer: async () => exampleServer().server,
    onConnect: async (s) => {
      opened.push(s);
    },
    onClose: async (s) => {
      closed.push(s);
    },
    ...overrides,
  } as StartOptions);
  const port = (running as unknown as { port: number }).port;
  return { url: new URL(`http://127.0.0.1:${port}/mcp`), port, close: running.close, opened, closed };
}

/** An SDK client connected to `url`. */
export async function connect(url: URL): Promise<Client> {
  const client = new Client({ name: "test-client", version: "1.0.0" }, { capabilities: { roots: {} } });
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

export const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};

/** Polls until `check` is true (for effects that happen after a response, like onClose). */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
