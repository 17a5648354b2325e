// CONTRACT §9: close() with legacy SSE streams, standalone streams and a custom route's
// streamed response in flight.
import { describe, expect, it } from "vitest";
import net from "node:net";
import { serve, INITIALIZE, MCP_HEADERS } from "./helpers.js";
import { readSse } from "./sse.js";

describe("close()", () => {
  it("ends sessions and streams in flight, each onClose once, and frees the port", async () => {
    let writes = 0;
    const running = await serve({
      onUnhandledRequest: async (req, res) => {
        if (req.url !== "/slow") return;
        res.writeHead(200, { "content-type": "text/plain" });
        const timer = setInterval(() => {
          writes++;
          res.write("tick\n");
        }, 20);
        res.on("close", () => clearInterval(timer));
      },
    });
    // A legacy SSE session, a Streamable HTTP session with its standalone stream, and a
    // custom route that never ends on its own.
    const legacy = await fetch(`http://127.0.0.1:${running.port}/sse`);
    const legacyEvents = readSse(legacy.body!);
    await legacyEvents.next();
    const init = await fetch(running.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    const session = init.headers.get("mcp-session-id")!;
    await init.text();
    const standalone = await fetch(running.url, { headers: { accept: "text/event-stream", "mcp-session-id": session } });
    expect(standalone.status).toBe(200);
    const slow = await fetch(`http://127.0.0.1:${running.port}/slow`);
    const slowReader = slow.body!.getReader();
    await slowReader.read();
    expect(running.opened).toHaveLength(2);

    await running.close();
    expect(running.closed).toHaveLength(2);
    expect(new Set(running.closed).size).toBe(2);
    // Every stream has ended.
    for await (const _ of legacyEvents) void _;
    await standalone.body!.cancel().catch(() => {});
    // The custom route's response is cut after the grace period: it ends or errors, never hangs.
    try {
      while (!(await slowReader.read()).done);
    } catch {
      // an aborted connection is an acceptable end
    }
    const writesAtClose = writes;
    await new Promise((r) => setTimeout(r, 100));
    expect(writes - writesAtClose).toBeLessThanOrEqual(1);
    // The port is free again.
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => probe.once("error", reject).listen(running.port, "127.0.0.1", resolve));
    await new Promise((r) => probe.close(r));
  });

  it("force-closes what is still open 1 s after close() was called; what ends before that completes (as mcp-proxy 6.7)", async () => {
    let closing!: () => void;
    const closeCalled = new Promise<void>((resolve) => (closing = resolve));
    const running = await serve({
      onUnhandledRequest: async (req, res) => {
        const after = req.url === "/quick" ? 300 : req.url === "/late" ? 1600 : undefined;
        if (after === undefined) return;
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("started\n");
        await closeCalled;
        setTimeout(() => res.end("finished\n"), after);
      },
    });
    /** Waits for the head and first chunk; `rest` is the remaining body (not awaited here). */
    const read = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${running.port}${path}`);
      const reader = res.body!.getReader();
      await reader.read();
      const rest = (async () => {
        let text = "";
        try {
          for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
        } catch {
          // cut off: what was read is the answer
        }
        return text;
      })();
      return { rest };
    };
    const quick = await read("/quick");
    const late = await read("/late");
    closing();
    await running.close();
    // Ended 0.3 s after close(): inside the grace period, delivered whole.
    expect(await quick.rest).toBe("finished\n");
    // Would end 1.6 s after close(): cut at 1 s, its end never arrives.
    expect(await late.rest).not.toContain("finished");
  });
});
