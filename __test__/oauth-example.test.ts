// examples/oauth-server decides access per request, from the token that came with the call
// (`extra.authInfo`), never from the token that opened the session; a session belongs to the
// user who created it (another user's token gets 404); and it does not claim an authorization
// server it does not run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { post } from "./raw.js";
import { startOAuthExample, type OAuthExample } from "./oauth-example.js";

let example: OAuthExample;
let url: URL;

beforeAll(async () => {
  example = await startOAuthExample();
  url = new URL(`http://localhost:${example.port}/mcp`);
});

afterAll(async () => {
  await example?.stop();
});

async function session(token: string): Promise<{ client: Client; sessionId: string }> {
  const client = new Client({ name: "oauth-example-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  return { client, sessionId: transport.sessionId! };
}

function callTool(sessionId: string, token: string, id: number, name: string): Promise<Response> {
  return post(
    url,
    { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } },
    { authorization: `Bearer ${token}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
  );
}

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0].text;

describe("examples/oauth-server: scope per request, sessions per user", () => {
  it("a reader's own session cannot call the admin tool (403 insufficient_scope)", async () => {
    const reader = await session(example.readerToken);
    try {
      const denied = await callTool(reader.sessionId, example.readerToken, 7, "admin_report");
      expect(denied.status).toBe(403);
      expect(denied.headers.get("www-authenticate")).toContain('error="insufficient_scope", scope="admin"');
      expect(await denied.json()).toMatchObject({ id: 7, jsonrpc: "2.0", error: { message: 'Forbidden: The "admin" scope is required' } });
      expect(text(await reader.client.callTool({ name: "whoami", arguments: {} }))).toBe("reader (scopes: openid)");
    } finally {
      await reader.client.close();
    }
  });

  it("the session's own user with a token lacking admin (a refresh with fewer scopes) gets 403 on it", async () => {
    const admin = await session(example.adminToken);
    try {
      expect(text(await admin.client.callTool({ name: "admin_report", arguments: {} }))).toBe("all systems nominal");
      const narrowed = await callTool(admin.sessionId, example.adminDownscopedToken, 9, "admin_report");
      expect(narrowed.status).toBe(403);
      expect(narrowed.headers.get("www-authenticate")).toContain('error="insufficient_scope", scope="admin"');
      expect(await (await callTool(admin.sessionId, example.adminDownscopedToken, 10, "whoami")).text()).toContain("admin (scopes: openid)");
      // The next call with the full token is allowed again: nothing sticks to the session.
      expect(text(await admin.client.callTool({ name: "admin_report", arguments: {} }))).toBe("all systems nominal");
    } finally {
      await admin.client.close();
    }
  });

  it("another user's token on a session gets 404, and the owner keeps it", async () => {
    const admin = await session(example.adminToken);
    const reader = await session(example.readerToken);
    try {
      expect((await callTool(admin.sessionId, example.readerToken, 7, "admin_report")).status).toBe(404);
      expect((await callTool(reader.sessionId, example.adminToken, 3, "admin_report")).status).toBe(404);
      expect(text(await admin.client.callTool({ name: "whoami", arguments: {} }))).toBe("admin (scopes: openid admin)");
      expect(text(await admin.client.callTool({ name: "admin_report", arguments: {} }))).toBe("all systems nominal");
    } finally {
      await admin.client.close();
      await reader.client.close();
    }
  });
});

describe("examples/oauth-server: no authorization server is claimed", () => {
  it("the protected resource metadata names none, and none is served", async () => {
    const metadata = await fetch(`http://localhost:${example.port}/.well-known/oauth-protected-resource`);
    expect(metadata.status).toBe(200);
    const document = await metadata.json();
    expect(document).toEqual({
      resource: `http://localhost:${example.port}`,
      scopes_supported: ["openid", "admin"],
      bearer_methods_supported: ["header"],
    });
    const as = await fetch(`http://localhost:${example.port}/.well-known/oauth-authorization-server`);
    expect(as.status).toBe(404);
  });
});
