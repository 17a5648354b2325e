// Issue 9, finding 5: a client that reads gets every message of a large SSE answer; a client
// that falls further behind than `sseMaxQueuedBytes` sees its stream break off (never a
// clean end of a 200) and gets the rest from the event store with Last-Event-ID.
import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { serve, until, MCP_HEADERS, type Running } from "./helpers.js";
import { initSession, post, SseReader, within } from "./raw.js";

let running: Running | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await running?.close();
  running = undefined;
});

/** A server whose `burst` tool sends `count` log messages of `size` bytes, then returns. */
function burstServer(done: () => void) {
  const server = new McpServer({ name: "burst", version: "1" }, { capabilities: { logging: {} } });
  server.registerTool(
    "burst",
    { inputSchema: { count: z.number().int(), size: z.number().int() } },
    async ({ count, size }, extra) => {
      for (let i = 0; i < count; i++) {
        await extra.sendNotification({
          method: "notifications/message",
          params: { level: "info", data: `${i}:${"x".repeat(size)}` },
        });
      }
      setTimeout(done, 50);
      return { content: [{ type: "text", text: `sent ${count}` }] };
    },
  );
  return server.server;
}

interface Received {
  /** The SSE text of every complete chunk. */
  text: string;
  /** The body ended with the terminating chunk (a complete response). */
  complete: boolean;
}

/** Decodes what arrived of a chunked response, however it ended. */
function dechunk(raw: Buffer): Received {
  const headEnd = raw.indexOf("\r\n\r\n");
  let at = headEnd + 4;
  let text = "";
  while (true) {
    const lineEnd = raw.indexOf("\r\n", at);
    if (lineEnd === -1) return { text, complete: false };
    const size = parseInt(raw.subarray(at, lineEnd).toString("latin1"), 16);
    if (size === 0) return { text, complete: raw.subarray(lineEnd, lineEnd + 4).toString() === "\r\n\r\n" };
    if (raw.length < lineEnd + 2 + size + 2) return { text, complete: false };
    text += raw.subarray(lineEnd + 2, lineEnd + 2 + size).toString("utf8");
    at = lineEnd + 2 + size + 2;
  }
}

function events(text: string): { id?: string; data: string }[] {
  return text
    .split("\n\n")
    .filter((block) => block.includes("data:"))
    .map((block) => {
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      return { id, data };
    });
}

describe("SSE answers larger than the client reads at once", () => {
  it("a batch of 50 000 pings read at full speed: every response arrives, the stream ends cleanly", async () => {
    running = await serve({ maxBatchSize: 50_000 });
    const { sessionId } = await initSession(running.url, "2025-03-26");
    const batch = Array.from({ length: 50_000 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "ping" }));
    const res = await post(running.url, batch, { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-03-26" });
    expect(res.status).toBe(200);
    const received = events(await res.text());
    const ids = new Set(received.filter((e) => e.data).map((e) => JSON.parse(e.data).id));
    expect(ids.size).toBe(50_000);
    // 50 000 requests through the SDK take the JS thread a while on a debug build and two
    // shared cores: a generous bound, not a speed check.
  }, 120_000);

  it("a client too far behind sees the stream break off, then resumes every message exactly once", async () => {
    const errors: unknown[][] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void errors.push(args));
    let finished!: () => void;
    const toolDone = new Promise<void>((resolve) => (finished = resolve));
    running = await serve({
      createServer: async () => burstServer(finished),
      sseMaxQueuedBytes: 64 * 1024,
      eventStoreMaxEvents: 10_000,
      eventStoreMaxBytes: 64 * 1024 * 1024,
    });
    const { sessionId } = await initSession(running.url);
    const count = 3000;
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 9,
      method: "tools/call",
      params: { name: "burst", arguments: { count, size: 5000 } },
    });
    const socket = net.connect({ port: running.port, host: "127.0.0.1" });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    let closed = false;
    socket.on("close", () => (closed = true));
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    // Not reading while the tool sends ~15 MB: the socket buffers fill, the queue crosses
    // the bound and the stream is cut.
    socket.pause();
    socket.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${MCP_HEADERS["content-type"]}\r\n` +
        `Accept: ${MCP_HEADERS.accept}\r\nMcp-Session-Id: ${sessionId}\r\nMcp-Protocol-Version: 2025-11-25\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await within(toolDone, 20_000, "the burst tool");
    socket.resume();
    // The answer either breaks off (the server closes the connection) or ends complete.
    await until(() => closed || dechunk(Buffer.concat(chunks)).complete, "the end of the answer", 20_000);
    const raw = Buffer.concat(chunks);
    expect(raw.subarray(0, 15).toString()).toBe("HTTP/1.1 200 OK");
    const first = dechunk(raw);
    expect(first.complete, "a cut stream must not end like a complete response").toBe(false);
    const before = events(first.text);
    const lastId = before.filter((e) => e.id).at(-1)!.id!;
    expect(before.filter((e) => e.data).length).toBeLessThan(count);
    expect(errors.some((args) => /sseMaxQueuedBytes/.test(String(args[0])))).toBe(true);

    const resumed = await fetch(running.url, {
      headers: { accept: "text/event-stream", "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25", "last-event-id": lastId },
    });
    expect(resumed.status).toBe(200);
    const after = await new SseReader(resumed).rest(20_000);
    const messages = [...before, ...after].filter((e) => e.data).map((e) => JSON.parse(e.data));
    const logged = messages.filter((m) => m.method === "notifications/message").map((m) => Number(m.params.data.split(":")[0]));
    expect(logged).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(messages.at(-1)).toMatchObject({ id: 9, result: { content: [{ text: `sent ${count}` }] } });
  }, 60_000);
});
