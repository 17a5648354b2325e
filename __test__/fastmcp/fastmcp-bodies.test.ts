// FastMCP 4.20 (installed as `fastmcp4`, its `mcp-proxy` import resolving to this package)
// reads, limits and times its own request bodies on the routes it serves through
// onUnhandledRequest: its OAuth proxy's `/oauth/register` (1 MiB cap, answered 400 with
// `Connection: close`, and a client that leaves handled by 'aborted'/'error') and its Hono
// custom routes (through @hono/node-server). Raw sockets: slow, chunked, cut off, oversized.
import { afterEach, describe, expect, it } from "vitest";
import { FastMCP } from "fastmcp4";
import { OAuthProxy } from "fastmcp4/auth";
import { freePort, RawConnection, RawConnections, within } from "../raw.js";
import { until } from "../helpers.js";

/* eslint-disable @typescript-eslint/no-explicit-any */


const quiet = { debug() {}, info() {}, log() {}, warn() {}, error() {} };

let servers: any[] = [];
const connections = new RawConnections();
afterEach(async () => {
  connections.destroyAll();
  for (const s of servers) await s.stop();
  servers = [];
});

interface Started {
  port: number;
  base: string;
  /** Body sizes the Hono route saw, and whether it was called at all. */
  route: { calls: number; sizes: number[]; errors: string[] };
}

async function startFastMCP(): Promise<Started> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proxy = new OAuthProxy({
    baseUrl: base,
    upstreamAuthorizationEndpoint: "https://upstream.invalid/authorize",
    upstreamTokenEndpoint: "https://upstream.invalid/token",
    upstreamClientId: "upstream-client",
    upstreamClientSecret: "upstream-secret",
    allowedRedirectUriPatterns: ["http://localhost:*/*", "http://localhost/*"],
    consentRequired: false,
  });
  const server = new FastMCP({
    name: "bodies",
    version: "1.0.0",
    logger: quiet,
    oauth: { enabled: true, proxy },
  } as any);
  const route = { calls: 0, sizes: [] as number[], errors: [] as string[] };
  const app = (server as any).getApp();
  app.post("/api/upload", async (c: any) => {
    route.calls++;
    try {
      const text: string = await c.req.text();
      route.sizes.push(text.length);
      return c.text(`got ${text.length}`);
    } catch (error) {
      route.errors.push(String(error));
      return c.text("body broke off", 400);
    }
  });
  await server.start({ transportType: "httpStream", httpStream: { port, host: "127.0.0.1" } } as any);
  servers.push(server);
  return { port, base, route };
}

const connect = (port: number): Promise<RawConnection> => connections.connect(port);

const REGISTRATION = JSON.stringify({ redirect_uris: ["http://localhost:3000/callback"], client_name: "slow client" });

describe("FastMCP 4.20 OAuth proxy /oauth/register over this package", () => {
  it("a body sent slowly in pieces registers the client", async () => {
    const s = await startFastMCP();
    const c = await connect(s.port);
    await c.write(
      `POST /oauth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${REGISTRATION.length}\r\n\r\n`,
    );
    for (let i = 0; i < REGISTRATION.length; i += 16) {
      await c.write(REGISTRATION.slice(i, i + 16));
      await new Promise((r) => setTimeout(r, 5));
    }
    const res = await c.response();
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toMatchObject({ client_id: expect.any(String), redirect_uris: ["http://localhost:3000/callback"] });
  });

  it("FastMCP's own 1 MiB cap answers while the oversized chunked body is still arriving", async () => {
    const s = await startFastMCP();
    const c = await connect(s.port);
    await c.write("POST /oauth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    // 2 MiB in 64 KiB chunks, and the body never finishes: FastMCP must see it as it comes.
    const piece = "x".repeat(64 * 1024);
    for (let i = 0; i < 32; i++) await c.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    const res = await c.response();
    expect(res.status).toBe(400);
    expect(res.headers.connection).toBe("close");
    expect(JSON.parse(res.body)).toEqual({ error: "invalid_request", error_description: "Request body exceeds 1 MiB" });
  });

  it("a client that leaves mid-body is handled by FastMCP; the server keeps serving", async () => {
    const s = await startFastMCP();
    const c = await connect(s.port);
    await c.write(
      `POST /oauth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n${REGISTRATION.slice(0, 20)}`,
    );
    await new Promise((r) => setTimeout(r, 50));
    c.destroy();
    const c2 = await connect(s.port);
    await c2.write(
      `POST /oauth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${REGISTRATION.length}\r\n\r\n${REGISTRATION}`,
    );
    expect((await c2.response()).status).toBe(201);
  });
});

describe("FastMCP 4.20 Hono custom route over this package", () => {
  it("the route runs as soon as the head arrives and reads the body as it comes", async () => {
    const s = await startFastMCP();
    const c = await connect(s.port);
    await c.write("POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhello");
    await until(() => s.route.calls === 1, "the route to be called before the body is complete");
    await c.write("world");
    const res = await c.response();
    expect(res.status).toBe(200);
    expect(res.body).toBe("got 10");
  });

  it("a body larger than maxBodySize (10 MiB) reaches the route: it sets its own limits", async () => {
    const s = await startFastMCP();
    const size = 11 * 1024 * 1024;
    const res = await fetch(`${s.base}/api/upload`, { method: "POST", headers: { "content-type": "text/plain" }, body: "z".repeat(size) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`got ${size}`);
  });

  it("a client that leaves mid-body aborts the route's read; the server keeps serving", async () => {
    const s = await startFastMCP();
    const c = await connect(s.port);
    await c.write("POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nabc");
    await until(() => s.route.calls === 1, "the route to be called");
    c.destroy();
    await until(() => s.route.errors.length === 1, "the route's read to fail");
    const res = await fetch(`${s.base}/api/upload`, { method: "POST", headers: { "content-type": "text/plain" }, body: "ok" });
    expect(await res.text()).toBe("got 2");
  });
});
