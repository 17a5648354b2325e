// `maxBufferedBodyBytes` bounds memory, not only a byte count (issue 15): 100 clients each send
// most of a 10 MiB POST and stall. The bodies held must raise the process's RSS by no more than
// the budget plus a constant (connections, threads). Before, a body was a doubling buffer that
// held up to twice what it counted and left its outgrown halves with the allocator, and every
// stalled connection kept hyper's ~400 KiB read buffer: RSS grew ~4× the budget. The server
// runs in this process, so this process's RSS is the server's (plus the clients' sockets).
import { afterEach, describe, expect, it } from "vitest";
import net from "node:net";
import { serve, type Running, type StartOptions } from "./helpers.js";

const MiB = 1024 * 1024;
const BUDGET = 128 * MiB;
/** What the server may hold beyond the bodies: 100 connections, threads, allocator slack. */
const CONSTANT = 80 * MiB;

let running: Running | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await running?.close();
  running = undefined;
});

const HEAD = `POST /mcp HTTP/1.1\r\nHost: localhost\r\nAccept: application/json, text/event-stream\r\nContent-Type: application/json\r\nContent-Length: ${10 * MiB}\r\n\r\n`;

/** `clients` connections each sending HEAD and `body`, then stalling; resolves once each has
 * handed all of it to the kernel or was closed (refused). */
async function stall(port: number, clients: number, body: Buffer): Promise<void> {
  await Promise.all(
    Array.from(
      { length: clients },
      () =>
        new Promise<void>((resolve) => {
          const s = net.connect({ port, host: "127.0.0.1" });
          sockets.push(s);
          s.on("error", () => {});
          s.on("close", () => resolve());
          s.once("connect", () => {
            s.write(HEAD);
            s.write(body, () => resolve());
          });
        }),
    ),
  );
}

const rss = () => process.memoryUsage().rss;

describe("maxBufferedBodyBytes bounds memory", () => {
  it("100 stalled 10 MiB bodies raise RSS by no more than the budget plus a constant", async () => {
    running = await serve({ maxBufferedBodyBytes: BUDGET, bodyIdleTimeout: 60_000, minBodyRate: 0 } as Partial<StartOptions>);
    const body = Buffer.alloc(10 * MiB - 1024, 0x20);
    // Warm-up: threads, connection bookkeeping and the clients' sockets, before the baseline.
    await stall(running.port, 100, body.subarray(0, 1024));
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const before = rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 10);
    try {
      await stall(running.port, 100, body);
      // The server reads what the kernel holds for it; let it.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, rss());
    const grew = peak - before;
    console.log(`RSS grew ${(grew / MiB).toFixed(0)} MiB for a ${BUDGET / MiB} MiB budget`);
    // Bodies really were held: at least the budget's worth of 10 MiB bodies still open.
    const open = sockets.filter((s) => !s.destroyed && !s.readableEnded).length;
    expect(open).toBeGreaterThanOrEqual(Math.floor(BUDGET / (10 * MiB)));
    expect(grew / MiB, `RSS grew ${(grew / MiB).toFixed(0)} MiB`).toBeLessThanOrEqual((BUDGET + CONSTANT) / MiB);
  }, 60_000);
});
