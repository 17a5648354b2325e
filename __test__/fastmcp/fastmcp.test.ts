// FastMCP 3.22.0 and 4.x, installed as npm aliases (fastmcp3, fastmcp4) whose `mcp-proxy` import
// resolves to this package (package.json `overrides`), run UNCHANGED and driven by the official SDK
// client: tools (one reporting progress), prompts, resources, roots, session end, stateful and
// stateless, with and without FastMCP's own `authenticate`, /health and /ready, and for 4.x its
// Hono custom routes and OAuth well-known routes.
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ListRootsRequestSchema, type Progress } from "@modelcontextprotocol/sdk/types.js";
import { FastMCP as FastMCP3 } from "fastmcp3";
import { FastMCP as FastMCP4 } from "fastmcp4";
import { z as z3 } from "zod/v3";
import { z as z4 } from "zod";
import { until } from "../helpers.js";
import { freePort } from "../raw.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/* eslint-disable @typescript-eslint/no-explicit-any */
type AnyFastMCP = any;

interface Version {
  alias: "fastmcp3" | "fastmcp4";
  major: 3 | 4;
  FastMCP: new (options: any) => AnyFastMCP;
  z: any;
}

const VERSIONS: Version[] = [
  { alias: "fastmcp3", major: 3, FastMCP: FastMCP3 as any, z: z3 },
  { alias: "fastmcp4", major: 4, FastMCP: FastMCP4 as any, z: z4 },
];

function installedVersion(alias: string): string {
  return JSON.parse(readFileSync(path.join(root, "node_modules", alias, "package.json"), "utf8")).version;
}


const errors: unknown[][] = [];
const warnings: unknown[][] = [];
/**
 * FastMCP 3.22 polls for the client's capabilities (10 × 100 ms) after every `connect`, also in
 * stateless mode, where each POST gets a fresh SDK server that never sees `initialize`: it warns
 * once per stateless request, over any HTTP layer (mcp-proxy's too). FastMCP 4.9.2 skips the poll
 * in stateless mode (punkpeye/fastmcp#267), so only that pairing is expected to say it.
 */
const CAPABILITIES_WARNING = /could not infer client capabilities/;

/** FastMCP's `logger` option: quiet, but errors and warnings are kept (and printed) for the assertions. */
function loggerFor(v?: Version, stateless = false) {
  return {
    debug: () => {},
    info: () => {},
    log: () => {},
    warn: (...args: unknown[]) => {
      if (v?.major === 3 && stateless && CAPABILITIES_WARNING.test(String(args[0]))) return;
      warnings.push(args);
      console.warn(...args);
    },
    error: (...args: unknown[]) => {
      errors.push(args);
      console.error(...args);
    },
  };
}
const logger = loggerFor();

const API_KEY = "secret-key";

interface Built {
  server: AnyFastMCP;
  base: string;
  url: URL;
  events: { connect: number; disconnect: number };
}

let running: Built[] = [];
let clients: Client[] = [];
afterEach(async () => {
  for (const c of clients) await c.close().catch(() => {});
  for (const r of running) await r.server.stop();
  clients = [];
  running = [];
  errors.length = 0;
  // Stateful sessions find the client's capabilities at once (connect is not awaited before
  // initialize is delivered), so FastMCP has nothing to warn about.
  expect(warnings.splice(0)).toEqual([]);
});

interface BuildOptions {
  stateless?: boolean;
  auth?: boolean;
  oauth?: (base: string) => unknown;
  customize?: (server: AnyFastMCP) => void;
}

/** A FastMCP server written as its README shows, started on a free port with httpStream. */
async function build(v: Version, opts: BuildOptions = {}): Promise<Built> {
  const { z } = v;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = new v.FastMCP({
    name: "fastmcp-dropin",
    version: "1.0.0",
    logger: loggerFor(v, opts.stateless),
    ...(opts.auth
      ? {
          authenticate: async (request: { headers: Record<string, string | string[] | undefined> }) => {
            const key = request.headers["x-api-key"];
            if (key !== API_KEY) {
              throw new Response(null, { status: 401, statusText: "Unauthorized" });
            }
            return { id: "user-1", role: "admin" };
          },
        }
      : {}),
    ...(opts.oauth ? { oauth: opts.oauth(base) } : {}),
  });
  server.addTool({
    name: "add",
    description: "Adds two numbers",
    parameters: z.object({ a: z.number(), b: z.number() }),
    execute: async (args: { a: number; b: number }) => String(args.a + args.b),
  });
  server.addTool({
    name: "count",
    description: "Counts to n, reporting progress",
    parameters: z.object({ n: z.number() }),
    execute: async (args: { n: number }, ctx: { reportProgress: (p: Progress) => Promise<void> }) => {
      for (let i = 1; i <= args.n; i++) {
        await ctx.reportProgress({ progress: i, total: args.n });
        await new Promise((r) => setTimeout(r, 20));
      }
      return `counted to ${args.n}`;
    },
  });
  server.addTool({
    name: "whoami",
    description: "Returns the session's auth",
    parameters: z.object({}),
    execute: async (_args: unknown, ctx: { session: unknown }) => JSON.stringify(ctx.session ?? null),
  });
  server.addPrompt({
    name: "greet",
    description: "Greets someone",
    arguments: [{ name: "name", description: "who", required: true }],
    load: async (args: { name: string }) => `Hello, ${args.name}!`,
  });
  server.addResource({
    uri: "file:///logs/app.log",
    name: "Application log",
    mimeType: "text/plain",
    load: async () => ({ text: "line 1\nline 2" }),
  });
  server.addResourceTemplate({
    uriTemplate: "file:///docs/{name}.md",
    name: "Doc",
    mimeType: "text/markdown",
    arguments: [{ name: "name", description: "doc name", required: true }],
    load: async (args: { name: string }) => ({ text: `# ${args.name}` }),
  });
  opts.customize?.(server);
  const events = { connect: 0, disconnect: 0 };
  server.on("connect", () => events.connect++);
  server.on("disconnect", () => events.disconnect++);
  await server.start({
    transportType: "httpStream",
    httpStream: { port, host: "127.0.0.1", ...(opts.stateless ? { stateless: true } : {}) },
  });
  const built = { server, base, url: new URL(`${base}/mcp`), events };
  running.push(built);
  return built;
}

async function connect(url: URL, headers?: Record<string, string>, roots = false): Promise<Client> {
  const client = new Client({ name: "sdk-client", version: "1.0.0" }, { capabilities: roots ? { roots: { listChanged: true } } : {} });
  if (roots) {
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: "file:///workspace", name: "workspace" }],
    }));
  }
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(url, headers ? { requestInit: { headers } } : undefined));
  return client;
}

function text(result: unknown): string {
  return (result as { content: { type: string; text: string }[] }).content[0].text;
}

const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});

/** Exercises tools (plain and progress-reporting), prompts, resources and templates. */
async function exerciseEverything(client: Client, progressDelivered = true): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(["add", "count", "whoami"]);
  const add = tools.find((t) => t.name === "add")!;
  expect(add.inputSchema).toMatchObject({ type: "object", properties: { a: { type: "number" }, b: { type: "number" } } });

  expect(text(await client.callTool({ name: "add", arguments: { a: 2, b: 40 } }))).toBe("42");

  const progress: Progress[] = [];
  const counted = await client.callTool({ name: "count", arguments: { n: 3 } }, undefined, {
    onprogress: (p) => progress.push(p),
  });
  expect(text(counted)).toBe("counted to 3");
  if (progressDelivered) expect(progress.map((p) => [p.progress, p.total])).toEqual([
    [1, 3],
    [2, 3],
    [3, 3],
  ]);

  const invalid = await client.callTool({ name: "add", arguments: { a: "x", b: 1 } }).catch((e: Error) => e);
  // FastMCP reports bad arguments either as an isError result or as a JSON-RPC error; both are fine.
  if (invalid instanceof Error) expect(invalid.message).toMatch(/invalid|parameters|add/i);
  else expect((invalid as { isError?: boolean }).isError).toBe(true);

  const { prompts } = await client.listPrompts();
  expect(prompts.map((p) => p.name)).toEqual(["greet"]);
  const prompt = await client.getPrompt({ name: "greet", arguments: { name: "Ada" } });
  expect(prompt.messages[0]).toMatchObject({ role: "user", content: { type: "text", text: "Hello, Ada!" } });

  const { resources } = await client.listResources();
  expect(resources).toEqual([
    expect.objectContaining({ uri: "file:///logs/app.log", name: "Application log", mimeType: "text/plain" }),
  ]);
  const log = await client.readResource({ uri: "file:///logs/app.log" });
  expect(log.contents[0]).toMatchObject({ uri: "file:///logs/app.log", text: "line 1\nline 2" });

  const { resourceTemplates } = await client.listResourceTemplates();
  expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(["file:///docs/{name}.md"]);
  const doc = await client.readResource({ uri: "file:///docs/intro.md" });
  expect(doc.contents[0]).toMatchObject({ uri: "file:///docs/intro.md", text: "# intro" });
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, init);
  const raw = await res.text();
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

describe("the FastMCP aliases resolve mcp-proxy to this package", () => {
  it.each([
    ["fastmcp3", "3.22.0"],
    ["fastmcp4", "4."],
  ])("%s is %s* and imports this package as mcp-proxy", (alias, version) => {
    expect(installedVersion(alias).startsWith(version)).toBe(true);
    const fromFastMCP = createRequire(path.join(root, "node_modules", alias, "dist", "FastMCP.js"));
    expect(fromFastMCP.resolve("mcp-proxy")).toBe(path.join(root, "index.js"));
    // No real mcp-proxy anywhere FastMCP could pick it up.
    expect(existsSync(path.join(root, "node_modules", alias, "node_modules", "mcp-proxy"))).toBe(false);
    const hoisted = JSON.parse(readFileSync(path.join(root, "node_modules", "mcp-proxy", "package.json"), "utf8"));
    expect(hoisted.name).toBe("mcp-proxy-native");
  });
});

describe.each(VERSIONS)("$alias (unchanged) over this package", (v) => {
  it("uses this package's HTTP layer (CORS defaults with DELETE, 404 for an unknown session on DELETE)", async () => {
    const s = await build(v);
    const pre = await fetch(s.url, {
      method: "OPTIONS",
      headers: { origin: "http://app.example", "access-control-request-method": "DELETE" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-methods")).toContain("DELETE");
    expect(pre.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
    const del = await fetch(s.url, { method: "DELETE", headers: { "mcp-session-id": "no-such-session" } });
    expect(del.status).toBe(404);
  });

  it("stateful: tools, progress, prompts, resources; /ready follows the session; terminateSession closes FastMCP's session", async () => {
    const s = await build(v);
    expect(await getJson(`${s.base}/ready`)).toMatchObject({
      status: 503,
      body: { ready: 0, status: "no_sessions", total: 0 },
    });

    const client = await connect(s.url);
    const transport = client.transport as StreamableHTTPClientTransport;
    expect(transport.sessionId).toMatch(/^[\x21-\x7e]+$/);
    expect(s.events.connect).toBe(1);
    expect(s.server.sessions).toHaveLength(1);

    await exerciseEverything(client);

    await until(() => s.server.sessions[0]?.isReady === true, "FastMCP session ready");
    expect(await getJson(`${s.base}/ready`)).toMatchObject({ status: 200, body: { ready: 1, status: "ready", total: 1 } });

    // A second client gets its own session.
    const second = await connect(s.url);
    expect((second.transport as StreamableHTTPClientTransport).sessionId).not.toBe(transport.sessionId);
    expect(text(await second.callTool({ name: "add", arguments: { a: 1, b: 1 } }))).toBe("2");
    expect(s.server.sessions).toHaveLength(2);

    // Session end: DELETE → onClose → FastMCP removes the session and emits "disconnect" once.
    const endedId = transport.sessionId!;
    await transport.terminateSession();
    await until(() => s.events.disconnect === 1, "FastMCP disconnect event");
    expect(s.server.sessions).toHaveLength(1);
    const afterEnd = await fetch(s.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, "mcp-session-id": endedId, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
    });
    expect(afterEnd.status).toBe(404);

    await (second.transport as StreamableHTTPClientTransport).terminateSession();
    await until(() => s.events.disconnect === 2, "second disconnect");
    await new Promise((r) => setTimeout(r, 50));
    expect(s.events).toEqual({ connect: 2, disconnect: 2 });
    expect(await getJson(`${s.base}/ready`)).toMatchObject({ status: 503, body: { status: "no_sessions" } });
    expect(errors).toEqual([]);
  });

  it("stateful: FastMCP asks the client for its roots over the session's streams", async () => {
    const s = await build(v);
    await connect(s.url, undefined, true);
    await until(() => (s.server.sessions[0]?.roots ?? []).length > 0, "FastMCP roots");
    expect(s.server.sessions[0].roots).toEqual([{ uri: "file:///workspace", name: "workspace" }]);
  });

  it("stateless: every call works without a session id; /ready reports stateless mode", async () => {
    const s = await build(v, { stateless: true });
    const client = await connect(s.url);
    expect((client.transport as StreamableHTTPClientTransport).sessionId).toBeUndefined();
    // FastMCP 3.22 sends progress with server.notification() (no relatedRequestId), so it is not
    // tied to the POST's stream; without a session there is no standalone stream for it, and it is
    // dropped, exactly as the SDK transport inside mcp-proxy drops it. FastMCP 4 uses
    // extra.sendNotification, which is request-related, so 4.x progress arrives.
    await exerciseEverything(client, v.major === 4);
    expect(await getJson(`${s.base}/ready`)).toMatchObject({
      status: 200,
      body: { mode: "stateless", ready: 1, status: "ready", total: 1 },
    });
    // Raw: a tools/call without initialize and without a session id is answered.
    const res = await fetch(s.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "add", arguments: { a: 3, b: 4 } } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("mcp-session-id")).toBeNull();
    expect(await res.text()).toContain('"text":"7"');
    expect(errors).toEqual([]);
  });

  describe.each([false, true])("authenticate (stateless: %s)", (stateless) => {
    it("rejects a client without the key with 401 and serves the authenticated session", async () => {
      const s = await build(v, { auth: true, stateless });

      const raw = await fetch(s.url, { method: "POST", headers: MCP_HEADERS, body: INITIALIZE });
      expect(raw.status).toBe(401);
      const wrong = await fetch(s.url, {
        method: "POST",
        headers: { ...MCP_HEADERS, "x-api-key": "wrong" },
        body: INITIALIZE,
      });
      expect(wrong.status).toBe(401);

      // The SDK reports the HTTP status as the error code.
      await expect(connect(s.url)).rejects.toMatchObject({ code: 401 });

      const client = await connect(s.url, { "x-api-key": API_KEY });
      expect(JSON.parse(text(await client.callTool({ name: "whoami", arguments: {} })))).toEqual({
        id: "user-1",
        role: "admin",
      });
      await exerciseEverything(client, v.major === 4 || !stateless); // see the stateless test

      if (!stateless) {
        // The session id alone is not enough: requests on it are authenticated too.
        const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
        const hijack = await fetch(s.url, {
          method: "POST",
          headers: { ...MCP_HEADERS, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" }),
        });
        expect(hijack.status).toBe(401);
        await (client.transport as StreamableHTTPClientTransport).terminateSession();
        await until(() => s.events.disconnect === 1, "disconnect after terminateSession");
      }
    });
  });

  it("/health answers 200 text/plain; unknown paths 404", async () => {
    const s = await build(v);
    const health = await fetch(`${s.base}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await health.text()).toBe("✓ Ok");
    const missing = await fetch(`${s.base}/nope`);
    expect(missing.status).toBe(404);
    expect(await fetch(`${s.base}/ping`).then((r) => r.text())).toBe("pong");
  });

  it("a configured health path, status and message", async () => {
    const port = await freePort();
    const server = new v.FastMCP({
      name: "h",
      version: "1.0.0",
      logger,
      health: { enabled: true, path: "/healthz", message: "healthy", status: 200 },
    });
    await server.start({ transportType: "httpStream", httpStream: { port, host: "127.0.0.1" } });
    running.push({ server, base: "", url: new URL(`http://127.0.0.1:${port}/mcp`), events: { connect: 0, disconnect: 0 } });
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("healthy");
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(404);
  });

  it("serves its OAuth well-known routes and advertises resource_metadata on 401", async () => {
    const s = await build(v, {
      auth: true,
      oauth: (base) => ({
        enabled: true,
        authorizationServer: {
          issuer: "https://auth.example.com",
          authorizationEndpoint: "https://auth.example.com/authorize",
          tokenEndpoint: "https://auth.example.com/token",
          responseTypesSupported: ["code"],
          codeChallengeMethodsSupported: ["S256"],
        },
        protectedResource: {
          resource: base,
          authorizationServers: ["https://auth.example.com"],
          scopesSupported: ["read", "write"],
        },
      }),
    });
    const as = await getJson(`${s.base}/.well-known/oauth-authorization-server`);
    expect(as.status).toBe(200);
    expect(as.headers.get("content-type")).toMatch(/^application\/json/);
    expect(as.body).toMatchObject({
      issuer: "https://auth.example.com",
      authorization_endpoint: "https://auth.example.com/authorize",
      token_endpoint: "https://auth.example.com/token",
      response_types_supported: ["code"],
      code_challenge_methods_supported: ["S256"],
    });
    const pr = await getJson(`${s.base}/.well-known/oauth-protected-resource`);
    expect(pr.status).toBe(200);
    expect(pr.body).toMatchObject({
      resource: s.base,
      authorization_servers: ["https://auth.example.com"],
      scopes_supported: ["read", "write"],
    });
    if (v.major === 4) {
      // FastMCP 4 also serves the path-suffixed form (RFC 9728 §3.1) for its endpoint.
      const suffixed = await getJson(`${s.base}/.well-known/oauth-protected-resource/mcp`);
      expect(suffixed.status).toBe(200);
      expect(suffixed.body).toMatchObject({ resource: s.base });
    }
    // The authenticate hook throws a bare 401 Response: FastMCP's own answer goes out as is.
    const denied = await fetch(s.url, { method: "POST", headers: MCP_HEADERS, body: INITIALIZE });
    expect(denied.status).toBe(401);
    // Authenticated clients still get through.
    const client = await connect(s.url, { "x-api-key": API_KEY });
    expect(text(await client.callTool({ name: "add", arguments: { a: 1, b: 2 } }))).toBe("3");
  });

  if (v.major === 4) {
    it("4.x: authenticate returning nothing → 401 whose WWW-Authenticate points at the resource metadata", async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const server = new v.FastMCP({
        name: "o",
        version: "1.0.0",
        logger,
        authenticate: async (req: { headers: Record<string, unknown> }) =>
          req.headers.authorization === "Bearer good" ? { sub: "u" } : undefined,
        oauth: {
          enabled: true,
          protectedResource: { resource: base, authorizationServers: ["https://auth.example.com"] },
        },
      });
      server.addTool({ name: "t", description: "t", parameters: v.z.object({}), execute: async () => "ok" });
      await server.start({ transportType: "httpStream", httpStream: { port, host: "127.0.0.1" } });
      running.push({ server, base, url: new URL(`${base}/mcp`), events: { connect: 0, disconnect: 0 } });
      const denied = await fetch(`${base}/mcp`, { method: "POST", headers: MCP_HEADERS, body: INITIALIZE });
      expect(denied.status).toBe(401);
      const challenge = denied.headers.get("www-authenticate") ?? "(no WWW-Authenticate header)";
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain(
        `resource_metadata="${base}/.well-known/oauth-protected-resource"`,
      );
      const client = await connect(new URL(`${base}/mcp`), { authorization: "Bearer good" });
      expect(text(await client.callTool({ name: "t", arguments: {} }))).toBe("ok");
    });

    describe("4.x custom routes (Hono app from getApp())", () => {
      async function withRoutes(stateless = false, auth = false): Promise<Built & { gate: () => void }> {
        let open!: () => void;
        const gate = new Promise<void>((r) => (open = r));
        const s = await build(v, {
          stateless,
          auth,
          customize: (server) => {
            const app = server.getApp();
            app.get("/api/items/:id", (c: any) =>
              c.json({ id: c.req.param("id"), q: c.req.query("q") ?? null, ua: c.req.header("x-test") ?? null }),
            );
            app.post("/api/echo", async (c: any) => {
              const body = await c.req.json();
              return c.json({ received: body, contentType: c.req.header("content-type") }, 201, {
                "X-Custom": "yes",
              });
            });
            app.post("/api/size", async (c: any) => {
              const raw = await c.req.text();
              return c.text(`got ${raw.length}`);
            });
            app.get("/api/cookies", (c: any) => {
              c.header("Set-Cookie", "a=1; Path=/", { append: true });
              c.header("Set-Cookie", "b=2; Path=/", { append: true });
              return c.text("cookies");
            });
            app.get("/api/stream", () => {
              const enc = new TextEncoder();
              const body = new ReadableStream<Uint8Array>({
                async start(controller) {
                  controller.enqueue(enc.encode("first\n"));
                  await gate;
                  controller.enqueue(enc.encode("second\n"));
                  controller.close();
                },
              });
              return new Response(body, { headers: { "content-type": "text/plain" } });
            });
          },
        });
        return Object.assign(s, { gate: open });
      }

      it.each([false, true])("GET with a path parameter and a query string (stateless: %s)", async (stateless) => {
        const s = await withRoutes(stateless);
        const res = await getJson(`${s.base}/api/items/42?q=hello%20world`, { headers: { "x-test": "t1" } });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        expect(res.body).toEqual({ id: "42", q: "hello world", ua: "t1" });
      });

      it("POST with a JSON body: status, headers and body come back", async () => {
        const s = await withRoutes();
        const res = await getJson(`${s.base}/api/echo`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ hello: "wörld", n: [1, 2, 3] }),
        });
        expect(res.status).toBe(201);
        expect(res.headers.get("x-custom")).toBe("yes");
        expect(res.body).toEqual({ received: { hello: "wörld", n: [1, 2, 3] }, contentType: "application/json" });
      });

      it("POST with a 1 MiB body arriving in chunks", async () => {
        const s = await withRoutes();
        const big = "x".repeat(1024 * 1024);
        const enc = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < 16; i++) controller.enqueue(enc.encode(big.slice(i * 65536, (i + 1) * 65536)));
            controller.close();
          },
        });
        const res = await fetch(`${s.base}/api/size`, {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body,
          duplex: "half",
        } as RequestInit);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe(`got ${big.length}`);
      });

      it("repeated Set-Cookie headers stay separate", async () => {
        const s = await withRoutes();
        const res = await fetch(`${s.base}/api/cookies`);
        expect(res.status).toBe(200);
        expect(res.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
      });

      it("a streamed response reaches the client chunk by chunk", async () => {
        const s = await withRoutes();
        const res = await fetch(`${s.base}/api/stream`);
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        const dec = new TextDecoder();
        // The first chunk must arrive while the handler still holds the second one back.
        const first = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("first chunk not streamed")), 3000)),
        ]);
        expect(dec.decode(first.value)).toBe("first\n");
        s.gate();
        let rest = "";
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          rest += dec.decode(value);
        }
        expect(rest).toBe("second\n");
      });

      it("custom routes are not behind FastMCP's authenticate, /mcp still is", async () => {
        const s = await withRoutes(false, true);
        const res = await getJson(`${s.base}/api/items/7`);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ id: "7" });
        expect((await fetch(s.url, { method: "POST", headers: MCP_HEADERS, body: INITIALIZE })).status).toBe(401);
        const client = await connect(s.url, { "x-api-key": API_KEY });
        expect(text(await client.callTool({ name: "add", arguments: { a: 5, b: 5 } }))).toBe("10");
      });

      it("unmatched paths fall through to /health, /ready and 404; MCP works alongside", async () => {
        const s = await withRoutes();
        expect(await fetch(`${s.base}/health`).then((r) => r.text())).toBe("✓ Ok");
        const head = await fetch(`${s.base}/health`, { method: "HEAD" });
        expect(head.status).toBe(200);
        expect((await getJson(`${s.base}/ready`)).status).toBe(503);
        const missing = await fetch(`${s.base}/api/missing`);
        expect(missing.status).toBe(404);
        const client = await connect(s.url);
        await exerciseEverything(client);
        await until(() => s.server.sessions[0]?.isReady === true, "session ready");
        expect((await getJson(`${s.base}/ready`)).status).toBe(200);
      });
    });
  }
});
