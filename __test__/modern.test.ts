// MCP 2026-07-28 on the stream endpoint (CONTRACT §12): the official SDK v2 client, pinned
// and auto-negotiating, against SDK v2 and v1 servers; both eras on one endpoint.
import { afterEach, describe, expect, it } from "vitest";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { exampleServer, serve, until, type Running, type StartOptions } from "./helpers";
import { modernServer } from "./fixtures/modernServer";

const running: Running[] = [];
const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function start(overrides: Partial<StartOptions> = {}): Promise<Running> {
  const r = await serve({ createServer: async () => modernServer(), ...overrides });
  running.push(r);
  return r;
}

async function modernClient(url: URL, mode: "auto" | { pin: string } = { pin: "2026-07-28" }): Promise<Client> {
  const client = new Client({ name: "modern-client", version: "1.0.0" }, { versionNegotiation: { mode } });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

describe("the SDK v2 client pinned to 2026-07-28", () => {
  it("lists and calls tools and reads resources of an SDK v2 server, one server per request", async () => {
    const r = await start();
    const client = await modernClient(r.url);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name).sort()).toEqual(["echo", "geo", "wait"]);
    const result = await client.callTool({ name: "echo", arguments: { text: "hi" } });
    expect(result.content).toEqual([{ type: "text", text: "hi" }]);
    const read = await client.readResource({ uri: "test://readme" });
    expect(read.contents).toEqual([{ uri: "test://readme", text: "hello" }]);
    // createServer, onConnect and onClose run per request (the discover probe included).
    await until(() => r.closed.length === r.opened.length && r.opened.length >= 4, "onClose per request");
    expect(new Set(r.opened).size).toBe(r.opened.length);
  });

  it("is refused by an SDK v1 server with mcp-proxy 6.7's answer", async () => {
    const r = await serve({ createServer: async () => exampleServer() });
    running.push(r);
    const client = new Client({ name: "c", version: "1" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
    await expect(client.connect(new StreamableHTTPClientTransport(r.url))).rejects.toThrow();
    // The v1 server was created, refused, and closed again.
    await until(() => r.closed.length === 1, "onClose of the refused server");
  });
});

describe("the SDK v2 client auto-negotiating", () => {
  it("selects 2026-07-28 with an SDK v2 server", async () => {
    const r = await start();
    const client = await modernClient(r.url, "auto");
    expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    const result = await client.callTool({ name: "echo", arguments: { text: "auto" } });
    expect(result.content).toEqual([{ type: "text", text: "auto" }]);
    // A modern exchange leaves no session behind.
    expect(r.opened.length).toBe(r.closed.length);
  });

  it("falls back to initialize with an SDK v1 server and keeps working", async () => {
    const r = await serve({ createServer: async () => exampleServer() });
    running.push(r);
    const client = await modernClient(r.url, "auto");
    expect(client.getNegotiatedProtocolVersion()).toBe("2025-11-25");
    const result = await client.callTool({ name: "echo", arguments: { text: "legacy" } });
    expect(result.content).toEqual([{ type: "text", text: "legacy" }]);
  });
});

describe("both eras on one endpoint", () => {
  it("serves a 2025 session and 2026 requests from the same SDK v2 server factory at once", async () => {
    const r = await start();
    const legacy = new ClientV1({ name: "legacy", version: "1" });
    clients.push(legacy);
    await legacy.connect(new TransportV1(r.url));
    const modern = await modernClient(r.url);
    const [a, b] = await Promise.all([
      legacy.callTool({ name: "echo", arguments: { text: "2025" } }),
      modern.callTool({ name: "echo", arguments: { text: "2026" } }),
    ]);
    expect(a.content).toEqual([{ type: "text", text: "2025" }]);
    expect(b.content).toEqual([{ type: "text", text: "2026" }]);
    expect(legacy.getServerVersion()?.name).toBe("modern-test");
  });

  it("modern: false answers 2026 requests on the 2025 path", async () => {
    const r = await start({ modern: false } as Partial<StartOptions>);
    const client = new Client({ name: "c", version: "1" }, { versionNegotiation: { mode: "auto" } });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(r.url));
    // The probe got a 2025 answer, so the client fell back and initialized a session.
    expect(client.getProtocolEra()).toBe("legacy");
    const result = await client.callTool({ name: "echo", arguments: { text: "x" } });
    expect(result.content).toEqual([{ type: "text", text: "x" }]);
  });
});
