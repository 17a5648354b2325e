// The command line's data path over the official everything server
// (@modelcontextprotocol/server-everything, a real SDK stdio server) with the official SDK
// clients: 2025 Streamable HTTP and legacy SSE sessions at once, a 2026-07-28 client, and
// `--perSession`, where the child asks the real client for its roots.
import { afterEach, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from "@modelcontextprotocol/client";
import { children, closeAll, startStdio, type StdioProxy } from "./stdio";

const require = createRequire(import.meta.url);
const EVERYTHING = require.resolve("@modelcontextprotocol/server-everything/dist/index.js");

const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await closeAll();
});

function everything(overrides = {}): Promise<StdioProxy> {
  return startStdio({ args: [EVERYTHING, "stdio"], ...overrides });
}

async function streamClient(port: number, capabilities = {}): Promise<Client> {
  const c = new Client({ name: "everything-client", version: "1.0.0" }, { capabilities });
  clients.push(c);
  await c.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
  return c;
}

async function sseClient(port: number): Promise<Client> {
  const c = new Client({ name: "sse-client", version: "1.0.0" });
  clients.push(c);
  await c.connect(new SSEClientTransport(new URL(`http://127.0.0.1:${port}/sse`)));
  return c;
}

const textOf = (r: any) => r.content[0].text;

async function exercise(c: Client, tag: string): Promise<void> {
  const tools = await c.listTools();
  expect(tools.tools.map((t) => t.name)).toContain("echo");
  expect(textOf(await c.callTool({ name: "echo", arguments: { message: tag } }))).toBe(`Echo: ${tag}`);
  expect(textOf(await c.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } }))).toMatch(/5/);
  const resources = await c.listResources();
  expect(resources.resources.length).toBeGreaterThan(0);
  const read = await c.readResource({ uri: resources.resources[0].uri });
  expect(read.contents[0].uri).toBe(resources.resources[0].uri);
  const prompt = await c.getPrompt({ name: "simple-prompt" });
  expect(prompt.messages.length).toBeGreaterThan(0);
}

describe("the everything server behind the proxy", () => {
  it("serves two Streamable HTTP sessions and a legacy SSE session at once", async () => {
    const proxy = await everything();
    const [a, b, s] = await Promise.all([streamClient(proxy.port), streamClient(proxy.port), sseClient(proxy.port)]);
    expect(a.getServerVersion()?.name).toBe("mcp-servers/everything");
    expect(s.getInstructions()).toBe(a.getInstructions());
    await Promise.all([exercise(a, "a"), exercise(b, "b"), exercise(s, "sse")]);
  });

  it("serves a 2026-07-28 client (SDK v2, pinned)", async () => {
    const proxy = await everything();
    const c = new ModernClient({ name: "modern", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
    clients.push(c);
    await c.connect(new ModernTransport(new URL(`http://127.0.0.1:${proxy.port}/mcp`)));
    expect(c.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    expect(c.getServerVersion()?.name).toBe("mcp-servers/everything");
    const tools = await c.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("echo");
    const r = await c.callTool({ name: "echo", arguments: { message: "modern" } });
    expect(textOf(r)).toBe("Echo: modern");
    const resources = await c.listResources();
    const read = await c.readResource({ uri: resources.resources[0].uri });
    expect(read.contents[0].uri).toBe(resources.resources[0].uri);
  });

  it("with --perSession gives each session its own child, which asks the client for its roots", async () => {
    const proxy = await everything({ perSession: true, maxChildren: 2 });
    const before = children(EVERYTHING).length;
    const c = await streamClient(proxy.port, { roots: { listChanged: true } });
    c.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: "file:///work/here", name: "here" }] }));
    const tools = await c.listTools();
    // The child saw the real client's capabilities: the roots tool exists only then.
    expect(tools.tools.map((t) => t.name)).toContain("get-roots-list");
    const roots = await c.callTool({ name: "get-roots-list", arguments: {} });
    expect(textOf(roots)).toContain("file:///work/here");
    const d = await streamClient(proxy.port);
    expect(textOf(await d.callTool({ name: "echo", arguments: { message: "d" } }))).toBe("Echo: d");
    expect(children(EVERYTHING).length).toBe(before + 2);
    // --maxChildren: a third session is refused.
    await expect(streamClient(proxy.port)).rejects.toThrow(/503|too many/);
    await proxy.close(2000);
    expect(children(EVERYTHING)).toEqual([]);
  });

  it("leaves no child process behind after close", async () => {
    const proxy = await everything();
    const c = await streamClient(proxy.port);
    await exercise(c, "last");
    expect(children(EVERYTHING)).toEqual([proxy.childPid]);
    await proxy.close(2000);
    expect(children(EVERYTHING)).toEqual([]);
  });
});
