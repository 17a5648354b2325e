// End to end with the official SDK client against SDK servers served by startHTTPServer.
import { afterEach, describe, expect, it } from "vitest";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  ListRootsRequestSchema,
  ListRootsResultSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { connect, exampleServer, MCP_HEADERS, INITIALIZE, serve, until, type Running } from "./helpers.js";
import { readSse } from "./sse.js";
import { InMemoryEventStore } from "../index.js";
import { InMemoryEventStore as SdkInMemoryEventStore } from "@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js";
import type { StartOptions } from "./helpers.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

function text(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0].text;
}

describe("Streamable HTTP with the SDK client", () => {
  it("initializes, lists and calls tools, and ends the session with DELETE", async () => {
    running = await serve();
    const client = await connect(running.url);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["echo", "slow"]);
    expect(text(await client.callTool({ name: "echo", arguments: { text: "héllo" } }))).toBe("héllo");
    expect(running.opened).toHaveLength(1);
    await (client.transport as unknown as { terminateSession(): Promise<void> }).terminateSession();
    expect(running.closed).toHaveLength(1);
    await client.close();
  });

  it("delivers progress and logging notifications on the request's stream, in order, before the result", async () => {
    running = await serve({
      createServer: async () => {
        const server = new McpServer({ name: "t", version: "1" }, { capabilities: { logging: {} } });
        server.registerTool("chatty", { inputSchema: {} }, async (_args, extra) => {
          for (let i = 1; i <= 3; i++) {
            await extra.sendNotification({
              method: "notifications/progress",
              params: { progressToken: extra._meta!.progressToken!, progress: i, total: 3 },
            });
            await extra.sendNotification({ method: "notifications/message", params: { level: "info", data: `log ${i}` } });
          }
          return { content: [{ type: "text", text: "done" }] };
        });
        return server.server;
      },
    });
    const client = await connect(running.url);
    const seen: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      seen.push(String(n.params.data));
    });
    const result = await client.callTool({ name: "chatty", arguments: {} }, undefined, {
      onprogress: (p) => seen.push(`progress ${p.progress}`),
    });
    seen.push(text(result));
    expect(seen).toEqual(["progress 1", "log 1", "progress 2", "log 2", "progress 3", "log 3", "done"]);
    await client.close();
  });

  it("carries a server→client request (roots/list) on the POST stream and its answer back", async () => {
    running = await serve({
      createServer: async () => {
        const server = new McpServer({ name: "t", version: "1" });
        server.registerTool("roots", { inputSchema: {} }, async (_args, extra) => {
          const { roots } = await extra.sendRequest({ method: "roots/list" }, ListRootsResultSchema);
          return { content: [{ type: "text", text: roots.map((r) => r.uri).join(",") }] };
        });
        return server.server;
      },
    });
    const client = await connect(running.url);
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: "file:///a" }, { uri: "file:///b" }] }));
    expect(text(await client.callTool({ name: "roots", arguments: {} }))).toBe("file:///a,file:///b");
    await client.close();
  });

  it("hands the request's headers to handlers as extra.requestInfo.headers", async () => {
    let seen: Record<string, unknown> | undefined;
    running = await serve({
      createServer: async () => {
        const server = new McpServer({ name: "t", version: "1" });
        server.registerTool("headers", { inputSchema: {} }, async (_args, extra) => {
          seen = extra.requestInfo?.headers as Record<string, unknown>;
          return { content: [] };
        });
        return server.server;
      },
    });
    const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const client = new Client({ name: "c", version: "1" });
    await client.connect(
      new StreamableHTTPClientTransport(running.url, { requestInit: { headers: { "x-tenant": "acme", cookie: "a=1" } } }),
    );
    await client.callTool({ name: "headers", arguments: {} });
    expect(seen?.["x-tenant"]).toBe("acme");
    expect(seen?.["mcp-session-id"]).toBeTruthy();
    expect(seen?.["content-type"]).toBe("application/json");
    await client.close();
  });

  it("runs concurrent calls on one session, each answered on its own stream", async () => {
    running = await serve();
    const client = await connect(running.url);
    const calls = Array.from({ length: 20 }, (_, i) =>
      i % 2
        ? client.callTool({ name: "echo", arguments: { text: `n${i}` } })
        : client.callTool({ name: "slow", arguments: { steps: 2, delayMs: 5 } }),
    );
    const results = (await Promise.all(calls)).map(text);
    results.forEach((r, i) => expect(r).toBe(i % 2 ? `n${i}` : "done after 2"));
    await client.close();
  });

  it("sends unrelated notifications (tools list changed) on the standalone GET stream", async () => {
    let server: McpServer | undefined;
    running = await serve({
      createServer: async () => {
        server = exampleServer();
        return server.server;
      },
    });
    const client = await connect(running.url);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    // The client opens its GET stream in the background; keep announcing until it hears.
    let n = 0;
    await until(() => {
      if (changed === 0) server!.registerTool(`extra${n++}`, { inputSchema: {} }, async () => ({ content: [] }));
      return changed > 0;
    }, "list_changed on the GET stream");
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(2);
    await client.close();
  });

  it("answers with JSON bodies in enableJsonResponse mode", async () => {
    running = await serve({ enableJsonResponse: true });
    const client = await connect(running.url);
    expect(text(await client.callTool({ name: "echo", arguments: { text: "json" } }))).toBe("json");
    expect(text(await client.callTool({ name: "slow", arguments: { steps: 2, delayMs: 1 } }))).toBe("done after 2");
    await client.close();
  });

  it("serves stateless mode with a server per POST, each closed after its exchange", async () => {
    running = await serve({ stateless: true });
    const client = await connect(running.url);
    expect(text(await client.callTool({ name: "echo", arguments: { text: "s" } }))).toBe("s");
    const opened = running.opened.length;
    expect(opened).toBeGreaterThanOrEqual(3); // initialize, initialized, tools/call
    await until(() => running!.closed.length === opened, "every stateless server closed");
    await client.close();
  });
});

describe("resumability", () => {
  const stores: [string, () => StartOptions["eventStore"]][] = [
    ["the default in-memory store", () => undefined],
    ["our InMemoryEventStore (native)", () => new InMemoryEventStore({ maxEvents: 100 })],
    ["a user-supplied SDK EventStore", () => new SdkInMemoryEventStore()],
  ];
  it.each(stores)("replays the missed events and the final response after the POST stream was cut, with %s", async (_name, store) => {
    running = await serve({ eventStore: store() });
    const init = await fetch(running.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    const session = init.headers.get("mcp-session-id")!;
    await init.body?.cancel();
    const headers = { ...MCP_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" };
    await fetch(running.url, {
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    });
    const abort = new AbortController();
    const call = await fetch(running.url, {
      method: "POST",
      headers,
      signal: abort.signal,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "slow", arguments: { steps: 5, delayMs: 100 }, _meta: { progressToken: "p" } },
      }),
    });
    expect(call.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = readSse(call.body!);
    const seen: { id?: string; data: string }[] = [];
    for await (const event of events) {
      seen.push(event);
      if (event.data.includes('"progress":2')) break;
    }
    abort.abort();
    const lastId = seen.at(-1)!.id!;
    expect(lastId).toBeTruthy();
    // Let the tool finish while nobody listens: the response must wait in the store.
    await new Promise((r) => setTimeout(r, 600));
    const resumed = await fetch(running.url, {
      headers: { accept: "text/event-stream", "mcp-session-id": session, "last-event-id": lastId },
    });
    expect(resumed.status).toBe(200);
    const rest: string[] = [];
    for await (const event of readSse(resumed.body!)) {
      if (event.data) rest.push(event.data);
    }
    const messages = rest.map((d) => JSON.parse(d));
    expect(messages.map((m) => m.params?.progress ?? "result")).toEqual([3, 4, 5, "result"]);
    expect(messages.at(-1)).toMatchObject({ id: 7, result: { content: [{ text: "done after 5" }] } });
  });
});

describe("module formats", () => {
  it("loads from CommonJS and ESM", async () => {
    const { createRequire } = await import("node:module");
    const cjs = createRequire(import.meta.url)("../index.js");
    const esm = await import("../index.mjs");
    expect(typeof cjs.startHTTPServer).toBe("function");
    expect(esm.startHTTPServer).toBe(cjs.startHTTPServer);
  });
});

