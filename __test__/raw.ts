// Raw-HTTP helpers for the contract tests: a plain HTTP/1.1 socket client (for what fetch
// cannot express: lying Content-Length, `//` targets, disconnects mid-body, keep-alive
// observation), an SSE event reader with bounded waits, and JSON-RPC error body checks.
import net from "node:net";
import { expect } from "vitest";
import { readSse, type SseEvent } from "./sse.js";
import { MCP_HEADERS, INITIALIZE } from "./helpers.js";

export type { SseEvent };

/** A free loopback port, for servers that cannot be told to bind port 0 and report it back
 * (FastMCP does not report the port it bound; the example scripts take PORT). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface RawResponse {
  status: number;
  statusText: string;
  /** lower-case names; repeated headers joined with ", " */
  headers: Record<string, string>;
  body: string;
}

/** Rejects after `ms` with a message naming `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One HTTP/1.1 connection driven by hand. */
export class RawConnection {
  readonly socket: net.Socket;
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  /** Resolves when the server (or we) closed the connection. */
  readonly whenClosed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on("error", () => {});
    this.whenClosed = new Promise((resolve) => {
      const done = () => {
        this.closed = true;
        this.wake();
        resolve();
      };
      socket.on("end", done);
      socket.on("close", done);
    });
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.once("connect", () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private more(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Reads one response (status line, headers, body by Content-Length / chunked / close). */
  response(ms = 5000): Promise<RawResponse> {
    return within(this.readResponse(), ms, "a raw HTTP response");
  }

  private async readResponse(): Promise<RawResponse> {
    let end: number;
    while ((end = this.buffer.indexOf("\r\n\r\n")) === -1) {
      if (this.closed) throw new Error(`connection closed before a response head: ${JSON.stringify(this.buffer.toString())}`);
      await this.more();
    }
    const head = this.buffer.subarray(0, end).toString("latin1");
    this.buffer = this.buffer.subarray(end + 4);
    const [statusLine, ...lines] = head.split("\r\n");
    const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine);
    if (!match) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const status = Number(match[1]);
    let body: Buffer;
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
      body = Buffer.alloc(0);
    } else if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
      const parts: Buffer[] = [];
      while (true) {
        let lineEnd: number;
        while ((lineEnd = this.buffer.indexOf("\r\n")) === -1) {
          if (this.closed) throw new Error("connection closed inside a chunked body");
          await this.more();
        }
        const size = parseInt(this.buffer.subarray(0, lineEnd).toString("latin1"), 16);
        while (this.buffer.length < lineEnd + 2 + size + 2) {
          if (this.closed) throw new Error("connection closed inside a chunk");
          await this.more();
        }
        parts.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        this.buffer = this.buffer.subarray(lineEnd + 2 + size + 2);
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      while (this.buffer.length < length) {
        if (this.closed) throw new Error("connection closed inside a body");
        await this.more();
      }
      body = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
    } else {
      while (!this.closed) await this.more();
      body = this.buffer;
      this.buffer = Buffer.alloc(0);
    }
    return { status, statusText: match[2], headers, body: body.toString("utf8") };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The raw connections a test file opens: `connect` tracks each, `destroyAll` ends them after a test. */
export class RawConnections {
  private open: RawConnection[] = [];

  async connect(port: number): Promise<RawConnection> {
    const c = await RawConnection.connect(port);
    this.open.push(c);
    return c;
  }

  destroyAll(): void {
    for (const c of this.open.splice(0)) c.destroy();
  }
}

/** Sends `request` (a whole HTTP/1.1 message) on a new connection and reads one response. */
export async function rawRequest(port: number, request: string | Buffer): Promise<RawResponse> {
  const conn = await RawConnection.connect(port);
  try {
    // A server may answer and close before a large request is all written (a 431 to an
    // oversized head): the write then fails with EPIPE or ECONNRESET, but the answer it sent
    // first is there to read, as curl would show it.
    await conn.write(request).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE" && e.code !== "ECONNRESET") throw e;
    });
    return await conn.response();
  } finally {
    conn.destroy();
  }
}

/** Reads SSE events from a fetch body with bounded waits. */
export class SseReader {
  private events: AsyncGenerator<SseEvent>;
  constructor(readonly response: Response) {
    if (!response.body) throw new Error("response has no body");
    this.events = readSse(response.body);
  }

  /** The next event (priming events included), or undefined when the stream ended. */
  async next(ms = 5000): Promise<SseEvent | undefined> {
    const r = await within(this.events.next(), ms, "an SSE event");
    return r.done ? undefined : r.value;
  }

  /** The next event carrying data (skips priming events), parsed. */
  async nextMessage(ms = 5000): Promise<Record<string, unknown>> {
    while (true) {
      const event = await this.next(ms);
      if (!event) throw new Error("SSE stream ended while waiting for a message");
      if (event.data !== "") return JSON.parse(event.data);
    }
  }

  /** Every remaining event until the stream ends. */
  async rest(ms = 5000): Promise<SseEvent[]> {
    const all: SseEvent[] = [];
    for (let e = await this.next(ms); e; e = await this.next(ms)) all.push(e);
    return all;
  }
}

export interface RpcError {
  error: { code: number; message: string };
  id: string | number | null;
  jsonrpc: "2.0";
}

/**
 * Checks a JSON-RPC error answer: status, `Content-Type: application/json`, the exact shape
 * `{"error":{"code":C,"message":M},"id":ID,"jsonrpc":"2.0"}`, the code, and the message
 * (exact string, a RegExp, or any non-empty string when omitted).
 */
export function expectRpcError(
  status: number,
  headers: { get(name: string): string | null } | Record<string, string>,
  text: string,
  expected: { status: number; code: number; message?: string | RegExp; id?: string | number | null },
): RpcError {
  const contentType =
    typeof (headers as { get?: unknown }).get === "function"
      ? (headers as { get(name: string): string | null }).get("content-type")
      : (headers as Record<string, string>)["content-type"];
  expect({ status, text }).toMatchObject({ status: expected.status });
  expect(contentType ?? "").toMatch(/^application\/json/);
  const body = JSON.parse(text) as RpcError;
  expect(Object.keys(body).sort()).toEqual(["error", "id", "jsonrpc"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message"]);
  expect(body.jsonrpc).toBe("2.0");
  expect(body.error.code).toBe(expected.code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  if (typeof expected.message === "string") expect(body.error.message).toBe(expected.message);
  else if (expected.message instanceof RegExp) expect(body.error.message).toMatch(expected.message);
  if (expected.id !== undefined) expect(body.id).toBe(expected.id);
  return body;
}

/** `expectRpcError` for a fetch Response (reads the body). */
export async function expectFetchError(
  res: Response,
  expected: { status: number; code: number; message?: string | RegExp; id?: string | number | null },
): Promise<RpcError> {
  return expectRpcError(res.status, res.headers, await res.text(), expected);
}

/** POSTs `body` (JSON-encoded unless a string) to `url` with the MCP headers plus `headers`. */
export function post(url: URL, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { ...MCP_HEADERS, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Initializes a session with raw HTTP; returns its id and the initialize result. */
export async function initSession(
  url: URL,
  protocolVersion = "2025-11-25",
  headers: Record<string, string> = {},
): Promise<{ sessionId: string; result: Record<string, unknown>; response: Response }> {
  const res = await post(url, { ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion } }, headers);
  if (res.status !== 200) throw new Error(`initialize answered ${res.status}: ${await res.text()}`);
  const sessionId = res.headers.get("mcp-session-id");
  if (!sessionId) throw new Error("initialize answered without Mcp-Session-Id");
  let result: Record<string, unknown>;
  if ((res.headers.get("content-type") ?? "").startsWith("application/json")) {
    result = await res.json();
  } else {
    const reader = new SseReader(res);
    result = await reader.nextMessage();
    await reader.rest();
  }
  const initialized = await post(
    url,
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { ...headers, "mcp-session-id": sessionId, "mcp-protocol-version": protocolVersion },
  );
  await initialized.arrayBuffer();
  return { sessionId, result, response: res };
}
