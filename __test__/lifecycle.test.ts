// close() and listen failures (CONTRACT §2 `port`, §9): the server must let its process end
// by itself, free its port, and reject instead of hanging when it cannot bind.
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startHTTPServer } from "../index.js";
import { exampleServer, serve, type Running } from "./helpers.js";
import { initSession, SseReader, within } from "./raw.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, "fixtures", "lifecycle-server.mjs");

let child: ChildProcessWithoutNullStreams | undefined;
let blocker: net.Server | undefined;
let running: Running | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
  if (blocker) await new Promise<void>((r) => blocker!.close(() => r()));
  blocker = undefined;
  await running?.close();
  running = undefined;
});

/** Resolves when `port` can be bound on 127.0.0.1 (and releases it again). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

describe("close() (§9)", () => {
  it("ends sessions and streams, frees the port, and lets the process exit by itself", async () => {
    child = spawn(process.execPath, [fixture], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.once("exit", (code, signal) => resolve({ code, signal })),
    );
    const messages: Record<string, unknown>[] = [];
    const lines = createInterface({ input: child.stdout });
    const nextMessage = (key: string) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const found = messages.find((m) => key in m);
        if (found) return resolve(found);
        const onLine = () => {
          const m = messages.find((m) => key in m);
          if (m) {
            lines.off("line", onLine);
            resolve(m);
          }
        };
        lines.on("line", onLine);
      });
    lines.on("line", (line) => {
      try {
        messages.push(JSON.parse(line));
      } catch {
        // not ours
      }
    });

    const { port } = (await within(nextMessage("port"), 10_000, `the fixture to listen (stderr: ${stderr})`)) as {
      port: number;
    };
    const url = new URL(`http://127.0.0.1:${port}/mcp`);
    const { sessionId } = await initSession(url);
    const stream = await fetch(url, {
      headers: { accept: "text/event-stream", "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
    });
    expect(stream.status).toBe(200);
    const reader = new SseReader(stream);

    child.stdin.write("close\n");

    // The open stream ends (cleanly or by a reset), rather than keeping the process alive.
    await within(
      reader.rest(10_000).catch(() => []),
      10_000,
      "the standalone stream to end",
    );
    const closed = await within(nextMessage("closed"), 10_000, `close() to resolve (stderr: ${stderr})`);
    expect(closed).toEqual({ closed: true, onClose: 1 });
    const { code, signal } = await within(exited, 10_000, `the child to exit by itself (stderr: ${stderr})`);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(messages.find((m) => "exit" in m)).toEqual({ exit: 0, onClose: 1 });
    expect(await canListen(port)).toBe(true);
  });

  it("in process: close() calls onClose once per session, ends open streams and frees the port", async () => {
    running = await serve();
    const { url, port } = running;
    const a = await initSession(url);
    const b = await initSession(url);
    const stream = await fetch(url, {
      headers: { accept: "text/event-stream", "mcp-session-id": a.sessionId, "mcp-protocol-version": "2025-11-25" },
    });
    expect(stream.status).toBe(200);
    const reader = new SseReader(stream);
    const server = running;
    running = undefined;
    await within(server.close(), 10_000, "close() to resolve");
    expect(server.closed).toHaveLength(2);
    expect(new Set(server.closed).size).toBe(2);
    expect(b.sessionId).not.toBe(a.sessionId);
    await within(reader.rest(10_000).catch(() => []), 10_000, "the stream to end");
    expect(await canListen(port)).toBe(true);
    // A second close() is harmless.
    await within(server.close(), 5_000, "a second close()");
    expect(server.closed).toHaveLength(2);
  });
});

describe("listen failures (§2)", () => {
  it("rejects with code EADDRINUSE (does not hang) when the port is taken", async () => {
    blocker = net.createServer();
    await new Promise<void>((r) => blocker!.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const attempt = startHTTPServer({
      port,
      host: "127.0.0.1",
      createServer: async () => exampleServer().server,
    });
    const error = await within(
      attempt.then(
        async (s) => {
          await s.close();
          return undefined;
        },
        (e: unknown) => e,
      ),
      10_000,
      "startHTTPServer to settle",
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as NodeJS.ErrnoException).code).toBe("EADDRINUSE");
  });
});
