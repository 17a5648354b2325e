// A session belongs to the principal that created it (CONTRACT §4.6, issue 9 finding 6):
// another principal's POST, GET and DELETE get 404 as if the session did not exist.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { IncomingMessage } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { exampleServer, INITIALIZE, MCP_HEADERS, serve, type Running, type StartOptions } from "./helpers.js";
import { expectFetchError, SseReader } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  vi.restoreAllMocks();
});

const bearer = (req: IncomingMessage) => (req.headers.authorization ?? "").replace(/^Bearer /, "");

/** Tokens → SDK AuthInfo; a refreshed token ("alice-2") keeps the same client. */
const SDK_USERS: Record<string, { clientId: string; extra?: Record<string, unknown> }> = {
  "alice-1": { clientId: "alice" },
  "alice-2": { clientId: "alice" },
  bob: { clientId: "bob" },
  "app-u1": { clientId: "app", extra: { sub: "u1" } },
  "app-u1-refreshed": { clientId: "app", extra: { sub: "u1" } },
  "app-u2": { clientId: "app", extra: { sub: "u2" } },
};

async function sdkAuthInfo(req: IncomingMessage) {
  const token = bearer(req);
  const user = SDK_USERS[token];
  if (!user) return { authenticated: false as const };
  return { token, scopes: ["read"], ...user };
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function initialize(url: URL, token: string): Promise<string> {
  const res = await fetch(url, { method: "POST", headers: { ...MCP_HEADERS, ...auth(token) }, body: JSON.stringify(INITIALIZE) });
  expect(res.status).toBe(200);
  await res.body?.cancel();
  const sessionId = res.headers.get("mcp-session-id")!;
  const initialized = await fetch(url, {
    method: "POST",
    headers: { ...MCP_HEADERS, ...auth(token), "mcp-session-id": sessionId },
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  expect(initialized.status).toBe(202);
  return sessionId;
}

const toolsList = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list" });

async function listTools(url: URL, sessionId: string, token: string, id = 1): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { ...MCP_HEADERS, ...auth(token), "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
    body: toolsList(id),
  });
}

async function expectWorks(url: URL, sessionId: string, token: string) {
  const res = await listTools(url, sessionId, token, 9);
  expect(res.status).toBe(200);
  const reader = new SseReader(res);
  expect(await reader.nextMessage()).toMatchObject({ id: 9, result: { tools: expect.any(Array) } });
  await reader.rest();
}

/** POST, GET and DELETE with `token` on `sessionId` all answer 404 -32001. */
async function expectInvisible(url: URL, sessionId: string, token: string) {
  await expectFetchError(await listTools(url, sessionId, token, 5), { status: 404, code: -32001, message: "Session not found", id: 5 });
  const get = await fetch(url, {
    headers: { accept: "text/event-stream", ...auth(token), "mcp-session-id": sessionId },
  });
  await expectFetchError(get, { status: 404, code: -32001, message: "Session not found" });
  const del = await fetch(url, { method: "DELETE", headers: { ...auth(token), "mcp-session-id": sessionId } });
  await expectFetchError(del, { status: 404, code: -32001, message: "Session not found" });
}

describe("sessions bound to their principal (SDK AuthInfo results)", () => {
  it("another client's token gets 404 on POST, GET and DELETE; the owner's session lives on", async () => {
    running = await serve({ authenticate: sdkAuthInfo as StartOptions["authenticate"] });
    const sessionId = await initialize(running.url, "alice-1");
    await expectInvisible(running.url, sessionId, "bob");
    expect(running.closed).toHaveLength(0);
    await expectWorks(running.url, sessionId, "alice-1");
  });

  it("a refreshed token of the same client keeps the session (the principal is not the token)", async () => {
    running = await serve({ authenticate: sdkAuthInfo as StartOptions["authenticate"] });
    const sessionId = await initialize(running.url, "alice-1");
    await expectWorks(running.url, sessionId, "alice-2");
    const sub = await initialize(running.url, "app-u1");
    await expectWorks(running.url, sub, "app-u1-refreshed");
  });

  it("extra.sub tells users of the same client apart", async () => {
    running = await serve({ authenticate: sdkAuthInfo as StartOptions["authenticate"] });
    const sessionId = await initialize(running.url, "app-u1");
    await expectInvisible(running.url, sessionId, "app-u2");
    await expectWorks(running.url, sessionId, "app-u1");
  });

  it("another principal's result never reaches the session's updateAuth", async () => {
    const updates: unknown[] = [];
    running = await serve({
      authenticate: sdkAuthInfo as StartOptions["authenticate"],
      createServer: async () => Object.assign(exampleServer().server, { updateAuth: (a: unknown) => updates.push(a) }),
    });
    const sessionId = await initialize(running.url, "alice-1");
    updates.length = 0;
    await expectInvisible(running.url, sessionId, "bob");
    expect(updates).toEqual([]);
    await expectWorks(running.url, sessionId, "alice-2");
    expect(updates).toContainEqual(expect.objectContaining({ token: "alice-2", clientId: "alice" }));
  });

  it("the SDK client works as usual for the owner", async () => {
    running = await serve({ authenticate: sdkAuthInfo as StartOptions["authenticate"] });
    const client = new Client({ name: "c", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(running.url, { requestInit: { headers: auth("alice-1") } }));
    expect((await client.callTool({ name: "echo", arguments: { text: "hi" } })).content).toEqual([{ type: "text", text: "hi" }]);
    await client.close();
  });
});

describe("principalOf", () => {
  /** FastMCP-style authenticate: resolves to the application's own session data. */
  const fastmcpStyle = async (req: IncomingMessage) => {
    const token = bearer(req);
    return token === "alice" || token === "bob" ? { id: token, role: "user" } : undefined;
  };

  it("results that are not AuthInfo bind nothing by default", async () => {
    running = await serve({ authenticate: fastmcpStyle as StartOptions["authenticate"] });
    const sessionId = await initialize(running.url, "alice");
    await expectWorks(running.url, sessionId, "bob");
  });

  it("binds { id }-style results with principalOf: (a) => a.id", async () => {
    running = await serve({
      authenticate: fastmcpStyle as StartOptions["authenticate"],
      principalOf: (a: { id: string }) => a.id,
    } as Partial<StartOptions>);
    const sessionId = await initialize(running.url, "alice");
    await expectInvisible(running.url, sessionId, "bob");
    await expectWorks(running.url, sessionId, "alice");
  });

  it("a principalOf that throws refuses the request (401), logged", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    running = await serve({
      authenticate: fastmcpStyle as StartOptions["authenticate"],
      principalOf: () => {
        throw new Error("no principal");
      },
    } as Partial<StartOptions>);
    const res = await fetch(running.url, { method: "POST", headers: { ...MCP_HEADERS, ...auth("alice") }, body: JSON.stringify(INITIALIZE) });
    await expectFetchError(res, { status: 401, code: -32000, id: 0 });
    expect(errors).toHaveBeenCalled();
  });
});
