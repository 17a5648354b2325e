// HTTP/2 (README "HTTP/2"): h2c with prior knowledge and TLS with ALPN `h2` on the HTTP/1.1
// port, every route and mode through real HTTP/2 clients (Node's `http2` under the SDK
// clients' `fetch`, undici with `allowH2`), SSE resumption, 200 streams on one connection.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from "@modelcontextprotocol/client";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { startHTTPServer } from "../index.js";
import { exampleServer, INITIALIZE, MCP_HEADERS, serve, until, type Running, type StartOptions } from "./helpers";
import { h2Client, h2Request, type H2Client } from "./h2";
import { readSse } from "./sse";
import { modernServer } from "./fixtures/modernServer";

const running: Running[] = [];
const clients: H2Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function start(overrides: Partial<StartOptions> = {}): Promise<Running> {
  const r = await serve(overrides);
  running.push(r);
  return r;
}

async function h2c(r: Running): Promise<H2Client> {
  const c = await h2Client(`http://127.0.0.1:${r.port}`);
  clients.push(c);
  return c;
}

async function sdkClient(r: Running, c: H2Client): Promise<Client> {
  const client = new Client({ name: "h2", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(r.url, { fetch: c.fetch }));
  return client;
}

describe("h2c with prior knowledge", () => {
  it("serves the SDK client over one connection: tools, progress on an SSE answer, GET stream, DELETE", async () => {
    const r = await start();
    const c = await h2c(r);
    const client = await sdkClient(r, c);
    expect((await client.callTool({ name: "echo", arguments: { text: "over h2" } })).content).toEqual([
      { type: "text", text: "over h2" },
    ]);
    const progress: number[] = [];
    const slow = await client.callTool({ name: "slow", arguments: { steps: 3, delayMs: 20 } }, undefined, {
      onprogress: (p) => void progress.push(p.progress),
    });
    expect(slow.content).toEqual([{ type: "text", text: "done after 3" }]);
    expect(progress).toEqual([1, 2, 3]);
    expect(r.opened.length).toBe(1);
    await (client.transport as StreamableHTTPClientTransport).terminateSession();
    await until(() => r.closed.length === 1, "DELETE closed the session");
    await client.close();
    // initialize, initialized, GET stream, two calls, DELETE: all streams of one session.
    expect(c.streams()).toBeGreaterThanOrEqual(5);
  });

  it("delivers a progress sent right before a tool returns ahead of the result, call after call", async () => {
    // HTTP/2 streams hold no write signals (README "HTTP/2"): order within the stream is what
    // keeps a progress ahead of its result here (progress-before-result.test.ts is HTTP/1.1's).
    const createServer = async () => {
      const server = new McpServer({ name: "progress", version: "1" });
      server.registerTool("progress", {}, async (extra) => {
        for (const progress of [0, 50, 90, 100]) {
          const progressToken = extra._meta?.progressToken ?? "none";
          await extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress, total: 100 } });
          await new Promise((resolve) => setImmediate(resolve));
        }
        return { content: [{ type: "text", text: "done" }] };
      });
      return server.server;
    };
    const r = await start({ createServer } as Partial<StartOptions>);
    const client = await sdkClient(r, await h2c(r));
    const missed: number[][] = [];
    for (let i = 0; i < 40; i++) {
      const seen: number[] = [];
      await client.callTool({ name: "progress", arguments: {} }, undefined, { onprogress: (p) => void seen.push(p.progress) });
      if (seen.length !== 4) missed.push(seen);
    }
    await client.close();
    expect(missed).toEqual([]);
  });

  it.each([
    ["stateless", { stateless: true }],
    ["enableJsonResponse", { enableJsonResponse: true }],
    ["stateless JSON", { stateless: true, enableJsonResponse: true }],
  ] as const)("serves the %s mode", async (_name, options) => {
    const r = await start(options as Partial<StartOptions>);
    const client = await sdkClient(r, await h2c(r));
    const result = await client.callTool({ name: "echo", arguments: { text: "mode" } });
    expect(result.content).toEqual([{ type: "text", text: "mode" }]);
    await client.close();
  });

  it("answers /ping, the CORS preflight and a 404 with the same status and headers as HTTP/1.1", async () => {
    const r = await start({ cors: { origin: "https://app.example" } } as Partial<StartOptions>);
    const c = await h2c(r);
    const ping = await h2Request(c.session, { ":path": "/ping" });
    expect([ping.status, ping.text]).toEqual([200, "pong"]);
    const pre = await h2Request(c.session, {
      ":method": "OPTIONS",
      ":path": "/mcp",
      origin: "https://app.example",
      "access-control-request-method": "POST",
    });
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe("https://app.example");
    const missing = await h2Request(c.session, { ":path": "/nope" });
    expect(missing.status).toBe(404);
    // :authority is the Host the DNS-rebinding check reads.
    const foreign = await h2Request(
      c.session,
      { ":method": "POST", ":path": "/mcp", ":authority": "evil.example", ...MCP_HEADERS },
      JSON.stringify(INITIALIZE),
    );
    expect(foreign.status).toBe(403);
  });

  it("resumes an SSE answer cut by a stream reset with Last-Event-ID, on the same connection", async () => {
    const r = await start();
    const c = await h2c(r);
    const init = await c.fetch(r.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    const session = init.headers.get("mcp-session-id")!;
    await init.text();
    const headers = { ...MCP_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" };
    await (
      await c.fetch(r.url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) })
    ).text();
    const abort = new AbortController();
    const call = {
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "slow", arguments: { steps: 4, delayMs: 100 }, _meta: { progressToken: "p" } },
    };
    const res = await c.fetch(r.url, { method: "POST", headers, body: JSON.stringify(call), signal: abort.signal });
    let lastId: string | undefined;
    for await (const event of readSse(res.body!)) {
      if (event.data) {
        lastId = event.id;
        break;
      }
    }
    abort.abort();
    expect(lastId).toBeTruthy();
    const resumed = await c.fetch(r.url, {
      headers: { ...headers, accept: "text/event-stream", "last-event-id": lastId! },
    });
    expect(resumed.status).toBe(200);
    const seen: unknown[] = [];
    for await (const event of readSse(resumed.body!)) {
      if (!event.data) continue;
      const message = JSON.parse(event.data);
      seen.push(message.params?.progress ?? message.result?.content?.[0]?.text);
      if (message.id === 7) break;
    }
    expect(seen.at(-1)).toBe("done after 4");
    expect(seen).not.toContain(1);
  });

  it("serves legacy HTTP+SSE to the SDK's SSEClientTransport", async () => {
    const r = await start();
    const c = await h2c(r);
    const client = new Client({ name: "legacy", version: "1" });
    await client.connect(
      new SSEClientTransport(new URL(`http://127.0.0.1:${r.port}/sse`), {
        fetch: c.fetch,
        eventSourceInit: { fetch: c.fetch },
      } as ConstructorParameters<typeof SSEClientTransport>[1]),
    );
    const result = await client.callTool({ name: "echo", arguments: { text: "legacy h2" } });
    expect(result.content).toEqual([{ type: "text", text: "legacy h2" }]);
    await client.close();
    await until(() => r.closed.length === 1, "the legacy session closed");
  });

  it("serves the 2026-07-28 leg to the SDK v2 client, with a listen stream fed by notify", async () => {
    const server = await startHTTPServer({
      port: 0,
      host: "127.0.0.1",
      createServer: async () => modernServer(),
    } as StartOptions);
    const port = (server as unknown as { port: number }).port;
    running.push({ url: new URL(`http://127.0.0.1:${port}/mcp`), port, close: server.close, opened: [], closed: [] });
    const c = await h2Client(`http://127.0.0.1:${port}`);
    clients.push(c);
    const client = new ClientV2({ name: "v2", version: "1" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
    await client.connect(new TransportV2(new URL(`http://127.0.0.1:${port}/mcp`), { fetch: c.fetch }));
    const changed: unknown[] = [];
    client.setNotificationHandler("notifications/tools/list_changed", (n) => void changed.push(n));
    const listening = await client.listen({ toolsListChanged: true });
    server.notify.toolsChanged();
    await until(() => changed.length === 1, "the listen stream's notification");
    await listening.close?.();
    await client.close();
    expect(c.streams()).toBeGreaterThanOrEqual(2);
  });

  it("streams an onUnhandledRequest body both ways, and drops connection-specific headers of a thrown Response", async () => {
    let version = "";
    const r = await start({
      onUnhandledRequest: async (req, res) => {
        version = req.httpVersion;
        if (req.url === "/thrown") {
          res.writeHead(418, { connection: "close", "keep-alive": "timeout=5", "x-kept": "yes", "set-cookie": ["a=1", "b=2"] });
          res.end("teapot");
          return;
        }
        res.writeHead(200, { "content-type": "application/octet-stream" });
        for await (const chunk of req) res.write(Buffer.from(chunk).reverse());
        res.end();
      },
    } as Partial<StartOptions>);
    const c = await h2c(r);
    const body = Buffer.alloc(300_000, 7);
    const echoed = await h2Request(c.session, { ":method": "POST", ":path": "/upload" }, body);
    expect(echoed.status).toBe(200);
    expect(echoed.text.length).toBe(300_000);
    expect(version).toBe("2.0");
    const thrown = await h2Request(c.session, { ":path": "/thrown" });
    expect(thrown.status).toBe(418);
    expect(thrown.text).toBe("teapot");
    expect(thrown.headers["x-kept"]).toBe("yes");
    expect(thrown.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(thrown.headers.connection).toBeUndefined();
    expect(thrown.headers["keep-alive"]).toBeUndefined();
  });

  it("runs 200 tool calls at once as 200 streams of one connection", async () => {
    const N = 200;
    let inFlight = 0;
    let most = 0;
    let release!: () => void;
    const all = new Promise<void>((resolve) => (release = resolve));
    const createServer = async () => {
      const server = new McpServer({ name: "wide", version: "1" });
      server.registerTool("wait", { inputSchema: { i: z.number() } }, async ({ i }) => {
        inFlight++;
        most = Math.max(most, inFlight);
        if (inFlight === N) release();
        await all;
        inFlight--;
        return { content: [{ type: "text", text: String(i) }] };
      });
      return server.server;
    };
    const r = await start({ createServer } as Partial<StartOptions>);
    const c = await h2c(r);
    const client = await sdkClient(r, c);
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => client.callTool({ name: "wait", arguments: { i } })),
    );
    expect(most).toBe(N);
    expect(results.map((x) => (x.content as { text: string }[])[0].text)).toEqual(Array.from({ length: N }, (_, i) => String(i)));
    await client.close();
  });
});

describe("close() with HTTP/2 connections open", () => {
  it("ends sessions, sends GOAWAY and closes the connection carrying an open GET stream", async () => {
    const r = await serve();
    const c = await h2Client(`http://127.0.0.1:${r.port}`);
    clients.push(c);
    const client = await sdkClient(r, c);
    await client.callTool({ name: "echo", arguments: { text: "before close" } });
    const goaway = new Promise<void>((resolve) => c.session.once("goaway", () => resolve()));
    const closed = new Promise<void>((resolve) => c.session.once("close", () => resolve()));
    await r.close();
    expect(r.closed.length).toBe(1);
    await goaway;
    await closed;
    await client.close();
  });
});

describe("http2: false", () => {
  it("serves HTTP/1.1 only: an h2c client's session closes, HTTP/1.1 still works", async () => {
    const r = await start({ http2: false } as Partial<StartOptions>);
    const session = http2.connect(`http://127.0.0.1:${r.port}`);
    session.on("error", () => {});
    const stream = session.request({ ":path": "/ping" });
    stream.on("error", () => {});
    const got = await new Promise<string>((resolve) => {
      stream.once("response", () => resolve("response"));
      session.once("close", () => resolve("closed"));
    });
    expect(got).toBe("closed");
    expect(await (await fetch(`http://127.0.0.1:${r.port}/ping`)).text()).toBe("pong");
  });

  it("rejects settings that are not numbers, and out-of-range ones", async () => {
    await expect(serve({ http2: { maxConcurrentStreams: "9" } } as unknown as Partial<StartOptions>)).rejects.toThrow(
      /http2.maxConcurrentStreams/,
    );
    await expect(serve({ http2: { initialStreamWindowSize: 2 ** 31 } } as unknown as Partial<StartOptions>)).rejects.toThrow(
      /http2.initialStreamWindowSize/,
    );
  });
});

describe("TLS with ALPN", () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "mcp-h2-tls-"));
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=Test CA");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
    writeFileSync(file("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "ext.cnf");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tls = () => ({ sslCert: file("server.pem"), sslKey: file("server.key") }) as Partial<StartOptions>;

  it("serves the SDK client through undici with allowH2, and ALPN chose h2", async () => {
    let version = "";
    const r = await start({
      ...tls(),
      onUnhandledRequest: async (req, res) => {
        version = req.httpVersion;
        res.writeHead(204).end();
      },
    } as Partial<StartOptions>);
    const dispatcher = new Agent({ allowH2: true, connect: { ca: readFileSync(file("ca.pem")) } });
    const fetchH2 = ((input: string | URL, init?: RequestInit) =>
      undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
    const url = new URL(`https://127.0.0.1:${r.port}/mcp`);
    const client = new Client({ name: "undici-h2", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(url, { fetch: fetchH2 }));
    const result = await client.callTool({ name: "slow", arguments: { steps: 2, delayMs: 10 } });
    expect(result.content).toEqual([{ type: "text", text: "done after 2" }]);
    await client.close();
    expect((await fetchH2(`https://127.0.0.1:${r.port}/custom`)).status).toBe(204);
    expect(version).toBe("2.0");
    await dispatcher.close();
  });

  it("answers Node's http2 client over TLS, and an HTTP/1.1-only client on the same port", async () => {
    const r = await start(tls());
    const c = await h2Client(`https://127.0.0.1:${r.port}`, { ca: readFileSync(file("ca.pem")) });
    clients.push(c);
    expect(c.session.alpnProtocol).toBe("h2");
    expect((await h2Request(c.session, { ":path": "/ping" })).text).toBe("pong");
    const h1 = await new Promise<string>((resolve, reject) => {
      https
        .get(`https://127.0.0.1:${r.port}/ping`, { ca: readFileSync(file("ca.pem")), ALPNProtocols: ["http/1.1"] } as https.RequestOptions, (res) => {
          let text = `${res.httpVersion} `;
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve(text));
        })
        .on("error", reject);
    });
    expect(h1).toBe("1.1 pong");
  });

  it("with http2: false offers only http/1.1 in ALPN", async () => {
    const r = await start({ ...tls(), http2: false } as Partial<StartOptions>);
    const session = http2.connect(`https://127.0.0.1:${r.port}`, { ca: readFileSync(file("ca.pem")) });
    const failed = await new Promise<unknown>((resolve) => {
      session.once("error", resolve);
      session.once("connect", () => resolve(undefined));
    });
    session.destroy();
    expect(failed).toBeInstanceOf(Error);
  });
});

void exampleServer;
