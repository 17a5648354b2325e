// reusePort: two servers (as two processes would) listen on one port with SO_REUSEPORT; the
// kernel spreads connections over both, and each serves what it gets. Without it, the second
// bind is refused as before.
import { describe, expect, it } from "vitest";
import { exampleServer, INITIALIZE, MCP_HEADERS } from "./helpers.js";
import { startHTTPServer } from "../index.js";

type Started = { port: number; close: () => Promise<void> };

async function start(port: number, reusePort: boolean | undefined, seen: string[], name: string): Promise<Started> {
  return (await startHTTPServer({
    port,
    host: "127.0.0.1",
    reusePort,
    createServer: async () => {
      seen.push(name);
      return exampleServer().server;
    },
  } as Parameters<typeof startHTTPServer>[0])) as unknown as Started;
}

describe("reusePort", () => {
  it("lets two servers share one port, and the kernel gives connections to both", async () => {
    const seen: string[] = [];
    const a = await start(0, true, seen, "a");
    const b = await start(a.port, true, seen, "b");
    try {
      expect(b.port).toBe(a.port);
      // New connections (no keep-alive) are spread by the kernel's hash of the 4-tuple.
      for (let i = 0; i < 40 && new Set(seen).size < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${a.port}/mcp`, {
          method: "POST",
          headers: { ...MCP_HEADERS, connection: "close" },
          body: JSON.stringify(INITIALIZE),
        });
        expect(res.status).toBe(200);
        await res.text();
      }
      expect(new Set(seen)).toEqual(new Set(["a", "b"]));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("is off by default: a second server on a taken port is refused", async () => {
    const seen: string[] = [];
    const a = await start(0, true, seen, "a");
    try {
      await expect(start(a.port, undefined, seen, "b")).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await a.close();
    }
  });

  it("refuses a value that is not a boolean", async () => {
    await expect(start(0, "yes" as unknown as boolean, [], "a")).rejects.toThrow(/reusePort must be a boolean/);
  });
});
