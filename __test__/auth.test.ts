// CONTRACT §5: authenticate results, Response-like pass-through, 403 insufficient scope.
import { afterEach, describe, expect, it, vi } from "vitest";
import vm from "node:vm";
import { Response as UndiciResponse, Headers as UndiciHeaders } from "undici";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { respondWith } from "../index.js";
import { INITIALIZE, MCP_HEADERS, serve, type Running, type StartOptions } from "./helpers.js";
import { readSse } from "./sse.js";

const SEED_401 =
  'Bearer realm="MCP Server", scope="openid", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource"';
const SEED_403 =
  'Bearer realm="MCP Server", error="insufficient_scope", scope="admin", error_description="The \\"admin\\" scope is required", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource"';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  vi.restoreAllMocks();
});

const call = (id: number, name: string) =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } });

async function initialize(url: URL, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { method: "POST", headers: { ...MCP_HEADERS, ...headers }, body: JSON.stringify(INITIALIZE) });
  expect(res.status).toBe(200);
  await res.body?.cancel();
  return res.headers.get("mcp-session-id")!;
}

describe("authenticate results (CONTRACT §5.1)", () => {
  it("keeps a wwwAuthenticate from the callback byte-exact on the 401", async () => {
    running = await serve({
      authenticate: async () => ({ authenticated: false, error: "Token expired", wwwAuthenticate: SEED_401 }),
    });
    const res = await fetch(running.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(SEED_401);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ error: { code: -32000, message: "Token expired" }, id: 0, jsonrpc: "2.0" });
  });

  it("the SDK client sees the 401 with the full challenge", async () => {
    running = await serve({
      authenticate: async () => ({ authenticated: false, wwwAuthenticate: SEED_401 }),
    });
    let seen: string | null = null;
    const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const transport = new StreamableHTTPClientTransport(running.url, {
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        seen = res.headers.get("www-authenticate");
        return res;
      },
    });
    await expect(new Client({ name: "c", version: "1" }).connect(transport)).rejects.toThrow(/Unauthorized/);
    expect(seen).toBe(SEED_401);
  });

  type Row = [string, StartOptions["authenticate"], number, string];
  const rows: Row[] = [
    ["falsy", async () => undefined, 401, "Unauthorized: Authentication failed"],
    ["{ authenticated: false }", async () => ({ authenticated: false }), 401, "Unauthorized: Authentication failed"],
    ["{ authenticated: false, error }", async () => ({ authenticated: false, error: "Bad token" }), 401, "Bad token"],
    ["throws an Error", async () => { throw new Error("Invalid JWT signature"); }, 401, "Invalid JWT signature"],
    ["throws a string", async () => { throw "nope"; }, 401, "nope"],
    ["throws undefined", async () => { throw undefined; }, 401, "Unauthorized: Authentication error"],
  ];

  for (const stateless of [false, true]) {
    for (const [name, authenticate, status, message] of rows) {
      it(`${name} → ${status} on POST, GET and DELETE (${stateless ? "stateless" : "stateful"})`, async () => {
        vi.spyOn(console, "error").mockImplementation(() => {});
        let allow = true;
        running = await serve({ stateless, authenticate: async (req) => (allow ? { user: "u" } : authenticate!(req)) });
        const session = stateless ? "none" : await initialize(running.url);
        allow = false;
        const requests: [string, RequestInit][] = [
          ["POST", { method: "POST", headers: { ...MCP_HEADERS, "mcp-session-id": session }, body: call(3, "echo") }],
          ["GET", { headers: { accept: "text/event-stream", "mcp-session-id": session } }],
          ["DELETE", { method: "DELETE", headers: { "mcp-session-id": session } }],
        ];
        for (const [method, init] of requests) {
          const res = await fetch(running.url, init);
          expect(res.status, method).toBe(status);
          // Every 401 carries a challenge, saying why (CONTRACT §5.3, RFC 7235 §3.1, RFC 6750 §3.1).
          expect(res.headers.get("www-authenticate"), method).toBe(
            `Bearer error="invalid_token", error_description="${message}"`,
          );
          const body = await res.json();
          expect(body, method).toEqual({ error: { code: -32000, message }, id: method === "POST" ? 3 : null, jsonrpc: "2.0" });
        }
      });
    }
  }

  it("bad credentials on an unknown session → 401; good credentials → 404 (re-initialize, not re-authorize)", async () => {
    running = await serve({ authenticate: async (req) => req.headers.authorization === "Bearer good" });
    const unknown = { ...MCP_HEADERS, "mcp-session-id": "no-such-session" };
    const bad = await fetch(running.url, { method: "POST", headers: { ...unknown, authorization: "Bearer bad" }, body: call(1, "echo") });
    expect(bad.status).toBe(401);
    const good = await fetch(running.url, { method: "POST", headers: { ...unknown, authorization: "Bearer good" }, body: call(1, "echo") });
    expect(good.status).toBe(404);
    expect((await good.json()).error.code).toBe(-32001);
  });

  it("passes the result to updateAuth for an existing session and to tools as authInfo", async () => {
    const updates: unknown[] = [];
    let seenAuth: unknown;
    running = await serve({
      authenticate: async (req) => ({ token: String(req.headers.authorization), clientId: "c1", scopes: ["read"] }),
      createServer: async () => {
        const server = new McpServer({ name: "t", version: "1" });
        server.registerTool("whoami", { inputSchema: {} }, async (_args, extra) => {
          seenAuth = extra.authInfo;
          return { content: [{ type: "text", text: "ok" }] };
        });
        return Object.assign(server.server, { updateAuth: (auth: unknown) => updates.push(auth) });
      },
    });
    const headers = { authorization: "Bearer t1" };
    const session = await initialize(running.url, headers);
    const res = await fetch(running.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, ...headers, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" },
      body: call(2, "whoami"),
    });
    expect(res.status).toBe(200);
    await res.text();
    expect(updates).toEqual([{ token: "Bearer t1", clientId: "c1", scopes: ["read"] }]);
    expect(seenAuth).toEqual({ token: "Bearer t1", clientId: "c1", scopes: ["read"] });
  });
});

describe("Response-like objects are written verbatim (CONTRACT §5.2)", () => {
  const body = '{"error":"invalid_token","error_description":"The token has \\"expired\\""}';
  const headerLines: [string, string][] = [
    ["www-authenticate", SEED_401],
    ["set-cookie", "a=1; Path=/"],
    ["set-cookie", "b=2; Path=/"],
    ["content-type", "application/json"],
    ["x-custom", 'quoted "value" \\ here'],
  ];
  const variants: [string, () => unknown][] = [
    ["the global Response", () => {
      const h = new Headers();
      for (const [k, v] of headerLines) h.append(k, v);
      return new Response(body, { status: 401, statusText: "Token Expired", headers: h });
    }],
    ["undici's Response class", () => {
      const h = new UndiciHeaders();
      for (const [k, v] of headerLines) h.append(k, v);
      return new UndiciResponse(body, { status: 401, statusText: "Token Expired", headers: h });
    }],
    ["a Response from another realm (node:vm)", () => {
      const context = vm.createContext({ Response, Headers, lines: headerLines, body });
      return vm.runInContext(
        `(() => { const h = new Headers(); for (const [k, v] of lines) h.append(k, v);
          return new Response(body, { status: 401, statusText: "Token Expired", headers: h }); })()`,
        context,
      );
    }],
    ["a plain object with a plain headers record", () => ({
      status: 401,
      statusText: "Token Expired",
      headers: {
        "www-authenticate": SEED_401,
        "set-cookie": ["a=1; Path=/", "b=2; Path=/"],
        "content-type": "application/json",
        "x-custom": 'quoted "value" \\ here',
      },
      text: async () => body,
    })],
  ];

  for (const [name, make] of variants) {
    for (const where of ["authenticate", "createServer", "onConnect"] as const) {
      it(`${name}, thrown from ${where}`, async () => {
        vi.spyOn(console, "error").mockImplementation(() => {});
        const thrower = async () => {
          throw make();
        };
        running = await serve(
          where === "authenticate" ? { authenticate: thrower } : where === "createServer" ? { createServer: thrower } : { onConnect: thrower },
        );
        const res = await rawPost(running.port, JSON.stringify(INITIALIZE));
        expect(res.status).toBe(401);
        expect(res.statusText).toBe("Token Expired");
        expect(res.headers.filter(([k]) => k === "set-cookie").map(([, v]) => v)).toEqual(["a=1; Path=/", "b=2; Path=/"]);
        expect(res.headers.find(([k]) => k === "www-authenticate")?.[1]).toBe(SEED_401);
        expect(res.headers.find(([k]) => k === "x-custom")?.[1]).toBe('quoted "value" \\ here');
        expect(res.body).toBe(body);
      });
    }
  }

  it("a Response returned (not thrown) by authenticate is written too", async () => {
    running = await serve({ authenticate: async () => new Response("go away", { status: 418, statusText: "Teapot" }) as never });
    const res = await rawPost(running.port, JSON.stringify(INITIALIZE));
    expect([res.status, res.statusText, res.body]).toEqual([418, "Teapot", "go away"]);
  });

  it("odd Response-likes get a clear 500, are logged, and the server keeps serving", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const odd = [
      { status: 401, statusText: "x", headers: {}, text: () => Promise.reject(new Error("body gone")) },
      { status: 401, statusText: "x", headers: { "x-bad": "a\r\nInjected: 1" }, text: async () => "" },
      { status: 401, statusText: "x", headers: { "bad name": "v" }, text: async () => "" },
      { status: 99999, statusText: "x", headers: {}, text: async () => "" },
    ];
    let which = 0;
    running = await serve({ authenticate: async () => { throw odd[which]; } });
    for (which = 0; which < odd.length; which++) {
      const res = await rawPost(running.port, JSON.stringify(INITIALIZE));
      expect(res.status, `variant ${which}`).toBe(500);
      expect(JSON.parse(res.body).error.code).toBe(-32603);
      expect(res.headers.some(([k]) => k === "injected")).toBe(false);
    }
    expect(errors).toHaveBeenCalled();
    expect((await fetch(`http://127.0.0.1:${running.port}/ping`)).status).toBe(200);
  });
});

describe("403 insufficient scope from a request handler (CONTRACT §5.5)", () => {
  function scopedServer() {
    const server = new McpServer({ name: "t", version: "1" });
    server.registerTool("public", { inputSchema: {} }, async () => ({ content: [{ type: "text", text: "hi" }] }));
    server.registerTool("admin", { inputSchema: {} }, async () => {
      await respondWith(
        new Response(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Insufficient scope" } }), {
          status: 403,
          headers: { "www-authenticate": SEED_403, "content-type": "application/json" },
        }),
      );
      return { content: [{ type: "text", text: "unreachable" }] };
    });
    return server.server;
  }

  function rawScopedServer() {
    const server = new Server({ name: "t", version: "1" }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [] }));
    server.setRequestHandler(CallToolRequestSchema, async () => {
      throw new McpError(-32001, "Insufficient scope", {
        error: "insufficient_scope",
        requiredScopes: ["admin", "write"],
        errorDescription: "needs admin",
      });
    });
    return server;
  }

  for (const enableJsonResponse of [false, true]) {
    const mode = enableJsonResponse ? "JSON mode" : "SSE mode";

    it(`respondWith turns the tool call into a 403 with the challenge intact (${mode})`, async () => {
      running = await serve({ enableJsonResponse, createServer: async () => scopedServer() });
      const session = await initialize(running.url);
      const headers = { ...MCP_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" };
      const denied = await fetch(running.url, { method: "POST", headers, body: call(9, "admin") });
      expect(denied.status).toBe(403);
      expect(denied.headers.get("www-authenticate")).toBe(SEED_403);
      await denied.text();
      const allowed = await fetch(running.url, { method: "POST", headers, body: call(10, "public") });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('"text":"hi"');
    });

    it(`the SDK client sees the tool's 403 with the challenge intact (${mode})`, async () => {
      running = await serve({ enableJsonResponse, createServer: async () => scopedServer() });
      const seen: [number, string | null][] = [];
      const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
      const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
      const client = new Client({ name: "c", version: "1" });
      await client.connect(
        new StreamableHTTPClientTransport(running.url, {
          fetch: async (input, init) => {
            const res = await fetch(input, init);
            seen.push([res.status, res.headers.get("www-authenticate")]);
            return res;
          },
        }),
      );
      expect((await client.callTool({ name: "public", arguments: {} })).content).toEqual([{ type: "text", text: "hi" }]);
      await expect(client.callTool({ name: "admin", arguments: {} })).rejects.toThrow(/403|insufficient|Forbidden/i);
      expect(seen).toContainEqual([403, SEED_403]);
      await client.close();
    });

    it(`a JSON-RPC error with mcp-proxy's scope data becomes a 403 carrying the request id (${mode})`, async () => {
      running = await serve({ enableJsonResponse, createServer: async () => rawScopedServer() });
      const session = await initialize(running.url);
      const res = await fetch(running.url, {
        method: "POST",
        headers: { ...MCP_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" },
        body: call(11, "anything"),
      });
      expect(res.status).toBe(403);
      const challenge = res.headers.get("www-authenticate")!;
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain('error="insufficient_scope"');
      expect(challenge).toContain('scope="admin write"');
      expect(challenge).not.toMatch(/^Bearer,/);
      const body = await res.json();
      expect(body).toMatchObject({ id: 11, jsonrpc: "2.0", error: { code: -32001 } });
    });
  }

  for (const enableJsonResponse of [false, true]) {
    it(`a caller who forgets await still gets the 403, never the tool's result (${enableJsonResponse ? "JSON" : "SSE"} mode)`, async () => {
      let returned = false;
      running = await serve({
        enableJsonResponse,
        createServer: async () => {
          const server = new McpServer({ name: "t", version: "1" });
          server.registerTool("careless", { inputSchema: {} }, async () => {
            // No await: the tool goes on and returns at once, while the Response's body
            // is still unread.
            void respondWith(
              new Response(JSON.stringify({ jsonrpc: "2.0", id: 12, error: { code: -32001, message: "Insufficient scope" } }), {
                status: 403,
                headers: { "www-authenticate": SEED_403, "content-type": "application/json" },
              }),
            ).catch(() => {});
            returned = true;
            return { content: [{ type: "text", text: "the tool's result" }] };
          });
          return server.server;
        },
      });
      const session = await initialize(running.url);
      const res = await fetch(running.url, {
        method: "POST",
        headers: { ...MCP_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" },
        body: call(12, "careless"),
      });
      const text = await res.text();
      expect(returned).toBe(true);
      expect(res.status).toBe(403);
      expect(res.headers.get("www-authenticate")).toBe(SEED_403);
      // The handler's Response is written as given: no charset added (CONTRACT §5.2).
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(text).not.toContain("the tool's result");
      expect(JSON.parse(text)).toMatchObject({ id: 12, error: { code: -32001 } });
    });
  }

  it("after something was written on the stream, the error goes out as a normal event", async () => {
    running = await serve({
      createServer: async () => {
        const server = new McpServer({ name: "t", version: "1" }, { capabilities: { logging: {} } });
        server.registerTool("late", { inputSchema: {} }, async (_a, extra) => {
          await extra.sendNotification({ method: "notifications/message", params: { level: "info", data: "working" } });
          await new Promise((r) => setTimeout(r, 50));
          await respondWith(new Response("no", { status: 403, headers: {} }));
          return { content: [] };
        });
        return server.server;
      },
      eventStore: false,
    });
    const session = await initialize(running.url);
    const res = await fetch(running.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" },
      body: call(12, "late"),
    });
    expect(res.status).toBe(200);
    const events = [];
    for await (const e of readSse(res.body!)) events.push(JSON.parse(e.data));
    expect(events.at(-1)).toMatchObject({ id: 12, result: { isError: true } });
    expect(JSON.stringify(events.at(-1))).toContain("already started");
  });
});

/** A raw HTTP/1.1 POST that keeps every header line and the status text. */
async function rawPost(port: number, body: string) {
  const net = await import("node:net");
  const socket = net.connect(port, "127.0.0.1");
  const request =
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
    `Accept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  socket.write(request);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  const [head, ...rest] = text.split("\r\n\r\n");
  const [statusLine, ...lines] = head.split("\r\n");
  const [, status, ...reason] = statusLine.split(" ");
  const headers = lines.map((l) => {
    const i = l.indexOf(":");
    return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()] as [string, string];
  });
  let payload = rest.join("\r\n\r\n");
  if (headers.some(([k, v]) => k === "transfer-encoding" && v === "chunked")) payload = dechunk(payload);
  return { status: Number(status), statusText: reason.join(" "), headers, body: payload };
}

function dechunk(data: string): string {
  let out = "";
  let rest = data;
  while (rest.length) {
    const i = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, i), 16);
    if (!size) break;
    out += rest.slice(i + 2, i + 2 + size);
    rest = rest.slice(i + 2 + size + 2);
  }
  return out;
}


describe("the oauth option, apiKey and protected resource metadata (CONTRACT §5.3, §5.4, §5.6)", () => {
  const oauth = {
    realm: "MCP Server",
    scope: "openid",
    protectedResource: {
      resource: "http://localhost:8080",
      authorization_servers: ["http://localhost:9000"],
      scopes_supported: ["openid", "admin"],
      resource_documentation: "",
    },
  };
  const builtFor = (description: string) =>
    `Bearer realm="MCP Server", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource", error="invalid_token", error_description="${description}", scope="openid"`;
  const built = builtFor("Unauthorized: Authentication failed");

  it("builds the 401 challenge from oauth when the callback gives none: invalid_token and why", async () => {
    running = await serve({ oauth, authenticate: async () => ({ authenticated: false }) });
    const res = await fetch(running.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(built);
  });

  it("a thrown error's message is the error_description; a configured oauth.error does not replace invalid_token", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    running = await serve({
      oauth: { ...oauth, error: "configured_error", error_description: "configured description" },
      authenticate: async () => {
        throw new Error('Token "expired"');
      },
    });
    const res = await fetch(running.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(builtFor('Token \\"expired\\"'));
  });

  it("without oauth a 401 still carries a challenge: Bearer, invalid_token, why", async () => {
    running = await serve({ authenticate: async () => false });
    const res = await fetch(running.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token", error_description="Unauthorized: Authentication failed"');
  });

  it("resource_metadata inserts the well-known segment before the resource's path (RFC 9728 §3.1)", async () => {
    running = await serve({
      oauth: { protectedResource: { resource: "https://mcp.example.com/api/mcp" } },
      authenticate: async () => false,
    });
    const res = await fetch(running.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(res.headers.get("www-authenticate")).toBe(
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/api/mcp", error="invalid_token", error_description="Unauthorized: Authentication failed"',
    );
    // ... and that URL's path is the one this server answers.
    const metadata = await fetch(`http://127.0.0.1:${running.port}/.well-known/oauth-protected-resource/api/mcp`);
    expect(metadata.status).toBe(200);
    expect((await metadata.json()).resource).toBe("https://mcp.example.com/api/mcp");
  });

  it("createServer errors about authentication are 401 with the oauth challenge; others 500", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    let message = "Invalid JWT: expired";
    running = await serve({ oauth, createServer: async () => { throw new Error(message); } });
    const auth = await fetch(running.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(auth.status).toBe(401);
    expect(auth.headers.get("www-authenticate")).toBe(builtFor("Invalid JWT: expired"));
    expect((await auth.json()).error).toEqual({ code: -32000, message: "Invalid JWT: expired" });
    message = "database down";
    const other = await fetch(running.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(other.status).toBe(500);
    expect((await other.json()).error).toEqual({ code: -32603, message: "Error creating server" });
  });

  it("apiKey: missing or wrong X-API-Key → 401 with the exact body; OPTIONS and /ping stay open", async () => {
    running = await serve({ apiKey: "s3cret", oauth });
    for (const key of [undefined, "wrong", "s3cret-and-more"]) {
      const headers: Record<string, string> = { ...MCP_HEADERS, ...(key ? { "x-api-key": key } : {}) };
      const res = await fetch(running.url, { method: "POST", headers, body: JSON.stringify(INITIALIZE) });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe(
        '{"error":{"code":401,"message":"Unauthorized: Invalid or missing API key"},"id":null,"jsonrpc":"2.0"}',
      );
      expect(res.headers.get("www-authenticate")).toBe(builtFor("Unauthorized: Invalid or missing API key"));
    }
    const ok = await fetch(running.url, { method: "POST", headers: { ...MCP_HEADERS, "x-api-key": "s3cret" }, body: JSON.stringify(INITIALIZE) });
    expect(ok.status).toBe(200);
    await ok.text();
    expect((await fetch(`http://127.0.0.1:${running.port}/ping`)).status).toBe(200);
    expect((await fetch(running.url, { method: "OPTIONS" })).status).toBe(204);
    expect((await fetch(`http://127.0.0.1:${running.port}/unknown`)).status).toBe(401);
  });

  it("apiKey without oauth: the 401 still carries a challenge (as mcp-proxy 6.7)", async () => {
    running = await serve({ apiKey: "s3cret" });
    const res = await fetch(running.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      'Bearer error="invalid_token", error_description="Unauthorized: Invalid or missing API key"',
    );
  });

  it.each(["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"])(
    "serves RFC 9728 metadata at %s, public even with apiKey",
    async (path) => {
      running = await serve({ oauth, apiKey: "k" });
      const res = await fetch(`http://127.0.0.1:${running.port}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(await res.json()).toEqual({
        resource: "http://localhost:8080",
        authorization_servers: ["http://localhost:9000"],
        scopes_supported: ["openid", "admin"],
        bearer_methods_supported: ["header"],
      });
    },
  );

  it("onUnhandledRequest may answer the metadata path itself", async () => {
    running = await serve({
      oauth,
      onUnhandledRequest: async (req, res) => {
        if (req.url === "/.well-known/oauth-protected-resource") res.writeHead(200, { "content-type": "application/json" }).end('{"mine":true}');
      },
    });
    const res = await fetch(`http://127.0.0.1:${running.port}/.well-known/oauth-protected-resource`);
    expect(await res.json()).toEqual({ mine: true });
  });

  it("a 403 scope challenge is built from oauth plus the handler's data", async () => {
    running = await serve({
      oauth,
      createServer: async () => {
        const server = new Server({ name: "t", version: "1" }, { capabilities: { tools: {} } });
        server.setRequestHandler(CallToolRequestSchema, async () => {
          throw new McpError(-32001, "Insufficient scope", { error: "insufficient_scope", requiredScopes: ["admin"], errorDescription: 'The "admin" scope is required' });
        });
        return server;
      },
    });
    const session = await initialize(running.url);
    const res = await fetch(running.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" },
      body: call(21, "x"),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toBe(SEED_403);
    expect((await res.json()).id).toBe(21);
  });
});

describe("oauth option validation", () => {
  it("rejects the start when a configured value could never be written in a header", async () => {
    await expect(serve({ oauth: { realm: "MCP\r\nInjected: 1" } })).rejects.toThrow(/invalid oauth option/);
  });
});
