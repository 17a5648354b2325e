// HTTP/2 bad input (README "HTTP/2"): streams past the cap, oversized header blocks,
// malformed frames, floods, resets mid-body, a stream that stops reading, HTTP/2 where it
// is not spoken. Each gets a protocol error or a refused stream; the server and the other
// streams of the connection go on.
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { tmpdir } from "node:os";
import path from "node:path";
import { INITIALIZE, MCP_HEADERS, serve, until, type Running, type StartOptions } from "./helpers";
import { h2Client, h2Request, type H2Client } from "./h2";
import { CODE, FLAG, frame, PREFACE, RawH2, requestBlock, TYPE } from "./h2frames";

const running: Running[] = [];
const clients: H2Client[] = [];
const raws: RawH2[] = [];
afterEach(async () => {
  for (const raw of raws.splice(0)) raw.close();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function start(overrides: Partial<StartOptions> = {}): Promise<Running> {
  const r = await serve(overrides);
  running.push(r);
  return r;
}

async function raw(r: Running): Promise<RawH2> {
  const c = await RawH2.open(r.port);
  raws.push(c);
  await c.until((f) => f.some((x) => x.type === TYPE.SETTINGS), "the server's SETTINGS");
  return c;
}

/** The server still answers a fresh HTTP/1.1 and a fresh HTTP/2 client. */
async function stillServes(r: Running) {
  expect(await (await fetch(`http://127.0.0.1:${r.port}/ping`)).text()).toBe("pong");
  const c = await h2Client(`http://127.0.0.1:${r.port}`);
  clients.push(c);
  expect((await h2Request(c.session, { ":path": "/ping" })).text).toBe("pong");
}

/** A hook whose `/hold` responses stay open until `release()`. */
function holding() {
  const waiting: (() => void)[] = [];
  return {
    onUnhandledRequest: async (req: { url?: string }, res: { writeHead: (s: number) => { end: (b?: string) => void } }) => {
      if (req.url === "/hold") await new Promise<void>((resolve) => waiting.push(resolve));
      res.writeHead(200).end("held");
    },
    held: () => waiting.length,
    release: () => waiting.splice(0).forEach((w) => w()),
  };
}

describe("HTTP/2 limits", () => {
  it("refuses streams past maxConcurrentStreams with REFUSED_STREAM and serves the others", async () => {
    const hook = holding();
    const r = await start({ http2: { maxConcurrentStreams: 4 }, onUnhandledRequest: hook.onUnhandledRequest } as unknown as Partial<StartOptions>);
    const c = await raw(r);
    const ids = [1, 3, 5, 7, 9, 11, 13, 15];
    c.send(...ids.map((id) => frame(TYPE.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, requestBlock("GET", "/hold"))));
    await c.until(() => c.resets(CODE.REFUSED_STREAM).length === 4, "four refused streams");
    expect(c.resets(CODE.REFUSED_STREAM)).toEqual([9, 11, 13, 15]);
    await until(() => hook.held() === 4, "four held requests");
    hook.release();
    await c.until(() => [1, 3, 5, 7].every((id) => c.ended(id)), "the four accepted streams answered");
    // The connection goes on: a new stream after the others closed is served.
    c.send(frame(TYPE.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 17, requestBlock("GET", "/ping")));
    await c.until(() => c.ended(17), "a later stream answered");
    expect(c.goaway()).toBeUndefined();
  });

  it("answers a header block over maxHeaderListSize with 431 or a reset, and the connection goes on", async () => {
    const r = await start({ http2: { maxHeaderListSize: 4096 } } as unknown as Partial<StartOptions>);
    const c = await raw(r);
    c.send(frame(TYPE.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, requestBlock("GET", "/ping", { "x-big": "a".repeat(6000) })));
    await c.until(() => c.responded(1) || c.resets().includes(1), "the big stream refused");
    expect(c.resets().includes(1) || c.frames.some((f) => f.type === TYPE.HEADERS && f.stream === 1)).toBe(true);
    c.send(frame(TYPE.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 3, requestBlock("GET", "/ping")));
    await c.until(() => c.ended(3), "the next stream answered");
    await stillServes(r);
  });

  it("answers 400 to a Host that differs from :authority (RFC 9113 §8.3.1), 200 to one that matches", async () => {
    const r = await start();
    const c = await raw(r);
    c.send(frame(TYPE.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, requestBlock("GET", "/ping", { host: "evil.example" })));
    c.send(frame(TYPE.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 3, requestBlock("GET", "/ping", { host: "127.0.0.1" })));
    await c.until(() => c.ended(1) && c.ended(3), "both answered");
    expect([c.status(1), c.status(3)]).toEqual([400, 200]);
  });

  it("closes a connection that sends a malformed frame with GOAWAY, and serves everyone else", async () => {
    const r = await start();
    const c = await raw(r);
    // A SETTINGS frame on a stream (RFC 9113 §6.5: PROTOCOL_ERROR), then junk.
    c.send(frame(TYPE.SETTINGS, 0, 1, Buffer.alloc(6)), Buffer.from("garbage garbage garbage"));
    await c.until(() => c.goaway() !== undefined, "GOAWAY");
    expect(c.goaway()!.code).toBe(CODE.PROTOCOL_ERROR);
    // A DATA frame longer than the default SETTINGS_MAX_FRAME_SIZE on another connection.
    const d = await raw(r);
    d.send(frame(TYPE.DATA, 0, 1, Buffer.alloc(20_000)));
    await d.until(() => d.goaway() !== undefined || d.closed, "the oversized frame refused").catch(() => {});
    await stillServes(r);
  });

  it("survives PING and SETTINGS floods from a client that does not read", async () => {
    const r = await start();
    const c = await raw(r);
    c.socket.pause();
    const ping = frame(TYPE.PING, 0, 0, Buffer.alloc(8));
    const settings = frame(TYPE.SETTINGS, 0, 0, Buffer.from([0, 3, 0, 0, 0, 100]));
    for (let i = 0; i < 200; i++) c.send(...Array.from({ length: 100 }, (_, j) => (j % 2 ? ping : settings)));
    await stillServes(r);
    c.close();
  });

  it("survives a rapid-reset flood (CVE-2023-44487): streams opened and reset at once", async () => {
    const r = await start();
    const c = await raw(r);
    const burst: Buffer[] = [];
    for (let id = 1; id < 4000; id += 2) {
      burst.push(frame(TYPE.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, requestBlock("GET", "/ping")));
      burst.push(frame(TYPE.RST_STREAM, 0, id, Buffer.from([0, 0, 0, CODE.CANCEL])));
    }
    c.send(...burst);
    await c.until(() => c.goaway() !== undefined || c.closed || c.frames.length > 0, "an answer").catch(() => {});
    await stillServes(r);
  });

  it("releases the body budget of streams reset mid-body (no leak), and their neighbours are served", async () => {
    const r = await start({ maxBufferedBodyBytes: 100_000 } as Partial<StartOptions>);
    // Raw frames: Node's own client holds a reset back until its writes are flushed.
    const rawc = await raw(r);
    await rawc.until((f) => f.some((x) => x.type === TYPE.WINDOW_UPDATE && x.stream === 0), "the connection window");
    const headers = { ...MCP_HEADERS, "content-length": "90000" };
    for (let id = 1; id <= 19; id += 2) {
      rawc.send(frame(TYPE.HEADERS, FLAG.END_HEADERS, id, requestBlock("POST", "/mcp", headers)));
      for (let k = 0; k < 5; k++) rawc.send(frame(TYPE.DATA, 0, id, Buffer.alloc(16_000, 32)));
      rawc.send(frame(TYPE.RST_STREAM, 0, id, Buffer.from([0, 0, 0, CODE.CANCEL])));
    }
    // A stream beside them on the same connection is served.
    rawc.send(frame(TYPE.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 21, requestBlock("GET", "/ping")));
    await rawc.until(() => rawc.ended(21), "the neighbour answered");
    const c = await h2Client(`http://127.0.0.1:${r.port}`);
    clients.push(c);
    // If a reset body kept its share of the 100 kB budget, this one would get 503 for good
    // (while the server is still taking the resets in, it may get 503 for a moment).
    const body = JSON.stringify(INITIALIZE).padEnd(80_000, " ");
    const post = () => h2Request(c.session, { ":method": "POST", ":path": "/mcp", ...MCP_HEADERS }, body);
    await until(async () => (await post()).status === 200, "the budget released", 5000);
  });

  it("a stream whose client stopped reading does not stall the others on its connection", async () => {
    const r = await start({
      onUnhandledRequest: async (req: { url?: string }, res: { write: (b: Buffer) => boolean; once: (e: string, f: () => void) => void; writeHead: (s: number) => unknown; end: (b?: string) => void }) => {
        res.writeHead(200);
        if (req.url !== "/flood") return res.end("small");
        // Far more than the stream's window: the writes wait on backpressure.
        for (let i = 0; i < 64; i++) {
          if (!res.write(Buffer.alloc(64 * 1024, 120))) await new Promise<void>((resolve) => res.once("drain", resolve));
        }
        res.end();
      },
    } as unknown as Partial<StartOptions>);
    const c = await h2Client(`http://127.0.0.1:${r.port}`);
    clients.push(c);
    const flood = c.session.request({ ":path": "/flood" });
    flood.on("error", () => {});
    flood.pause();
    await new Promise((resolve) => flood.once("response", resolve));
    const answers = await Promise.all(Array.from({ length: 20 }, () => h2Request(c.session, { ":path": "/other" })));
    expect(answers.every((a) => a.text === "small")).toBe(true);
    const client = new (await import("@modelcontextprotocol/sdk/client/index.js")).Client({ name: "n", version: "1" });
    const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
    await client.connect(new StreamableHTTPClientTransport(r.url, { fetch: c.fetch }));
    expect((await client.callTool({ name: "echo", arguments: { text: "beside" } })).content).toEqual([{ type: "text", text: "beside" }]);
    await client.close();
    flood.close(http2.constants.NGHTTP2_CANCEL);
  });
});

/** Sends the HTTP/2 preface; true once the server closed the connection answering nothing or
 * an HTTP/1.1 error (an HTTP/2 client can read neither: it sees a failed connection). */
async function prefaceRefused(socket: net.Socket): Promise<boolean> {
  socket.write(Buffer.concat([PREFACE, frame(TYPE.SETTINGS, 0, 0)]));
  const answer = await new Promise<string>((resolve) => {
    let text = "";
    socket.on("data", (d) => (text += d));
    socket.on("close", () => resolve(text));
    socket.on("error", () => resolve(text));
  });
  return answer === "" || /^HTTP\/1\.1 [45]\d\d /.test(answer);
}

describe("HTTP/2 where it is not spoken", () => {
  it("h2c with http2: false is closed (hyper's HTTP/1.1 refuses the preface), not left hanging", async () => {
    const r = await start({ http2: false } as Partial<StartOptions>);
    const socket = net.connect(r.port, "127.0.0.1");
    expect(await prefaceRefused(socket)).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${r.port}/ping`)).text()).toBe("pong");
  });

  it("the preface on a TLS connection that did not negotiate h2 is closed, not left hanging", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mcp-h2-abuse-"));
    try {
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-days", "1", "-subj", "/CN=localhost"], { cwd: dir, stdio: "pipe" });
      const r = await start({ sslCert: path.join(dir, "c.pem"), sslKey: path.join(dir, "k.pem") } as Partial<StartOptions>);
      const socket = tls.connect({ port: r.port, host: "127.0.0.1", rejectUnauthorized: false });
      await new Promise((resolve) => socket.once("secureConnect", resolve));
      expect(socket.alpnProtocol).toBe(false);
      expect(await prefaceRefused(socket)).toBe(true);
      expect(await (await fetch(`http://127.0.0.1:${r.port}/ping`).catch(() => ({ text: async () => "tls only" }))).text()).toBe("tls only");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
