// CONTRACT §7 (CORS) and §2 (DNS-rebinding protection), over real HTTP.
import { afterEach, describe, expect, it } from "vitest";
import http from "node:http";
import { DEFAULT_ALLOWED_HEADERS } from "../index.js";
import { INITIALIZE, MCP_HEADERS, serve, type Running, type StartOptions } from "./helpers.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** A request through node:http, which (unlike fetch) lets the test set Host and Origin. */
function request(port: number, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let data = "";
      res.on("data", (c) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: data }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("CORS", () => {
  const origin = "http://app.example";

  it("defaults: allow any origin, DELETE in methods, expose the challenge, Vary: Origin, no credentials with *", async () => {
    // Bound to :: so the DNS-rebinding check (loopback binds only) lets a foreign origin in.
    running = await serve({ host: "::" });
    const res = await request(running.port, "POST", "/mcp", { ...MCP_HEADERS, origin }, JSON.stringify(INITIALIZE));
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    // Browsers reject credentials with `*` (Fetch §3.2.5); mcp-proxy 6.7 omits it.
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(res.headers.vary).toBe("Origin");
    expect(res.headers["access-control-allow-headers"]).toBe(DEFAULT_ALLOWED_HEADERS.join(", "));
    expect(res.headers["access-control-expose-headers"]).toBe("Mcp-Session-Id, WWW-Authenticate");
    const none = await request(running.port, "GET", "/ping", {});
    expect(none.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it.each(["POST", "DELETE"])("answers a preflight for %s with 204 and the allowed methods", async (method) => {
    running = await serve();
    const res = await request(running.port, "OPTIONS", "/mcp", {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "content-type, mcp-session-id",
    });
    expect(res.status).toBe(204);
    expect(res.body).toBe("");
    expect(res.headers["access-control-allow-methods"]).toBe("GET, POST, DELETE, OPTIONS");
    expect(res.headers["access-control-allow-headers"]).toBe(
      "Content-Type, Authorization, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-Id, Mcp-Method, Mcp-Name",
    );
  });

  it("DEFAULT_ALLOWED_HEADERS is mcp-proxy 6.7's list, from CommonJS and ESM alike", async () => {
    expect(DEFAULT_ALLOWED_HEADERS).toEqual([
      "Content-Type", "Authorization", "Accept", "Mcp-Session-Id", "Mcp-Protocol-Version", "Last-Event-Id", "Mcp-Method", "Mcp-Name",
    ]);
    const esm = await import("../index.mjs");
    expect(esm.DEFAULT_ALLOWED_HEADERS).toBe(DEFAULT_ALLOWED_HEADERS);
  });

  it("an echoed origin carries Allow-Credentials and Vary: Origin", async () => {
    running = await serve({ cors: { origin: [origin] } });
    const res = await request(running.port, "OPTIONS", "/mcp", { origin });
    expect(res.headers["access-control-allow-origin"]).toBe(origin);
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(res.headers.vary).toBe("Origin");
  });

  const forms: [string, StartOptions["cors"], string, string | undefined][] = [
    ["a string origin", { origin: "https://fixed.example" }, origin, "https://fixed.example"],
    ["an array, listed", { origin: [origin, "http://b.example"] }, origin, origin],
    ["an array, not listed", { origin: ["http://b.example"] }, origin, undefined],
    ["a function saying yes", { origin: (o: string) => o.endsWith(".example") }, origin, origin],
    ["a function saying no", { origin: () => false }, origin, undefined],
  ];
  it.each(forms)("origin as %s", async (_name, cors, sent, expected) => {
    running = await serve({ cors });
    const res = await request(running.port, "OPTIONS", "/mcp", { origin: sent });
    expect(res.headers["access-control-allow-origin"]).toBe(expected);
  });

  it("methods, headers, exposed headers, credentials and maxAge options", async () => {
    running = await serve({
      cors: { methods: ["GET", "POST"], allowedHeaders: "X-One", exposedHeaders: ["X-Two", "X-Three"], credentials: false, maxAge: 600 },
    });
    const res = await request(running.port, "OPTIONS", "/mcp", { origin });
    expect(res.headers["access-control-allow-methods"]).toBe("GET, POST");
    expect(res.headers["access-control-allow-headers"]).toBe("X-One");
    expect(res.headers["access-control-expose-headers"]).toBe("X-Two, X-Three");
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(res.headers["access-control-max-age"]).toBe("600");
  });

  it("cors: false sends no CORS headers", async () => {
    running = await serve({ cors: false });
    const res = await request(running.port, "OPTIONS", "/mcp", { origin });
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("an unparsable Origin gets no CORS headers and no crash", async () => {
    running = await serve({ allowedHosts: ["127.0.0.1"], allowedOrigins: ["not a url"] });
    const res = await request(running.port, "OPTIONS", "/mcp", { origin: "not a url" });
    expect(res.status).toBe(204);
    expect(Object.keys(res.headers).filter((h) => h.startsWith("access-control"))).toEqual([]);
    expect((await request(running.port, "GET", "/ping", {})).body).toBe("pong");
  });
});

describe("DNS-rebinding protection", () => {
  it("a loopback-bound server refuses a foreign Host with 403 and a JSON-RPC body", async () => {
    running = await serve();
    const res = await request(running.port, "POST", "/mcp", { ...MCP_HEADERS, host: "evil.example.com" }, JSON.stringify(INITIALIZE));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: -32000, message: "Forbidden: Host header is not allowed" },
      id: null,
      jsonrpc: "2.0",
    });
    const local = await request(running.port, "POST", "/mcp", { ...MCP_HEADERS, host: `localhost:${running.port}` }, JSON.stringify(INITIALIZE));
    expect(local.status).toBe(200);
  });

  it("refuses a foreign Origin on a loopback-bound server", async () => {
    running = await serve();
    const res = await request(running.port, "POST", "/mcp", { ...MCP_HEADERS, origin: "http://evil.example.com" }, JSON.stringify(INITIALIZE));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.message).toBe("Forbidden: Origin header is not allowed");
  });

  const named: [string, StartOptions["cors"]][] = [
    ["a string", { origin: "https://app.example" }],
    ["an array member", { origin: ["https://other.example", "https://app.example"] }],
    ["a function's yes", { origin: (o: string) => o === "https://app.example" }],
  ];
  it.each(named)("an origin named in cors as %s passes the Origin check of a loopback server", async (_name, cors) => {
    running = await serve({ cors });
    const app = { ...MCP_HEADERS, origin: "https://app.example" };
    const res = await request(running.port, "POST", "/mcp", app, JSON.stringify(INITIALIZE));
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example");
    // Other origins are still refused, and the Host is still checked.
    const other = await request(running.port, "POST", "/mcp", { ...MCP_HEADERS, origin: "https://evil.example" }, JSON.stringify(INITIALIZE));
    expect(other.status).toBe(403);
    const foreignHost = await request(running.port, "POST", "/mcp", { ...app, host: "evil.example" }, JSON.stringify(INITIALIZE));
    expect(foreignHost.status).toBe(403);
  });

  it("a server bound to :: checks nothing unless configured; allowedHosts then apply", async () => {
    running = await serve({ host: "::" });
    const open = await request(running.port, "POST", "/mcp", { ...MCP_HEADERS, host: "anything.example" }, JSON.stringify(INITIALIZE));
    expect(open.status).toBe(200);
    await running.close();
    running = await serve({ host: "::", allowedHosts: ["mcp.example.com"] });
    const allowed = await request(running.port, "POST", "/mcp", { ...MCP_HEADERS, host: "mcp.example.com" }, JSON.stringify(INITIALIZE));
    expect(allowed.status).toBe(200);
    const refused = await request(running.port, "POST", "/mcp", { ...MCP_HEADERS, host: "other.example.com" }, JSON.stringify(INITIALIZE));
    expect(refused.status).toBe(403);
  });
});
