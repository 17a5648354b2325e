// CONTRACT §14, streams across instances: an instance that relays a session's stream is
// killed mid-stream and the client resumes through another one with every event once; and
// several processes sharing one port (reusePort) serve one session together.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { startHTTPServer } from "../index.js";
import { INITIALIZE, MCP_HEADERS, until } from "./helpers.js";
import { SseReader } from "./raw";
import { startInstanceProcess, startRedis, type Proc } from "./cluster-env.js";

type Started = { port: number; close: () => Promise<void> };

let redis: Proc;
const started: Started[] = [];

function server(name: string, seen?: string[]) {
  const s = new McpServer({ name: `instance-${name}`, version: "1.0.0" });
  s.registerTool("whoami", { inputSchema: {} }, async () => ({ content: [{ type: "text", text: name }] }));
  s.registerTool("slow", { inputSchema: { steps: z.number().int(), delayMs: z.number().int() } }, async ({ steps, delayMs }, extra) => {
    for (let i = 1; i <= steps; i++) {
      await extra.sendNotification({ method: "notifications/progress", params: { progressToken: "p", progress: i, total: steps } });
      await new Promise((r) => setTimeout(r, delayMs));
    }
    return { content: [{ type: "text", text: `${name} done` }] };
  });
  seen?.push(name);
  return s.server;
}

async function instance(name: string, extra: Record<string, unknown> = {}, arrivals?: string[]): Promise<Started> {
  const s = (await startHTTPServer({
    port: 0,
    host: "127.0.0.1",
    cluster: { redis: redis.url },
    createServer: async () => server(name),
    authenticate: async () => {
      arrivals?.push(name);
      return { clientId: "c", token: "t", scopes: [] };
    },
    ...extra,
  } as unknown as Parameters<typeof startHTTPServer>[0])) as unknown as Started;
  started.push(s);
  return s;
}

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const s of started) await s.close();
  await redis?.stop();
});

const session = (id: string) => ({ ...MCP_HEADERS, "mcp-session-id": id, "mcp-protocol-version": "2025-11-25" });

describe("cluster: streams", () => {
  it("a relaying instance killed mid-stream: the client resumes through another and gets every event once", async () => {
    const owner = await instance("a");
    const other = await instance("c");
    const relay = await startInstanceProcess(redis.url, 1000, "b");
    try {
      const init = await fetch(`http://127.0.0.1:${owner.port}/mcp`, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
      const id = init.headers.get("mcp-session-id")!;
      await init.text();
      const call = { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "slow", arguments: { steps: 6, delayMs: 150 }, _meta: { progressToken: "p" } } };
      const res = await fetch(`${relay.url}/mcp`, { method: "POST", headers: session(id), body: JSON.stringify(call) });
      expect(res.status).toBe(200);
      const sse = new SseReader(res);
      const progress: number[] = [];
      let last = "";
      while (progress.length < 2) {
        const event = (await sse.next())!;
        if (event.id) last = event.id;
        if (event.data) progress.push((JSON.parse(event.data).params as { progress: number }).progress);
      }
      relay.child.kill("SIGKILL");
      await sse.rest(2000).catch(() => []); // the relayed stream breaks off
      const resumed = await fetch(`http://127.0.0.1:${other.port}/mcp`, {
        headers: { accept: "text/event-stream", "mcp-session-id": id, "mcp-protocol-version": "2025-11-25", "last-event-id": last },
      });
      expect(resumed.status).toBe(200);
      const rest = new SseReader(resumed);
      const results: unknown[] = [];
      while (results.length === 0) {
        const message = await rest.nextMessage();
        if (message.method === "notifications/progress") progress.push((message.params as { progress: number }).progress);
        else results.push(message);
      }
      expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
      expect(results).toEqual([{ jsonrpc: "2.0", id: 5, result: { content: [{ type: "text", text: "a done" }] } }]);
    } finally {
      await relay.stop();
    }
  });

  it("an owner stopped past its lease: the waiting request gets 404 once the lease lapsed; resumed, it serves its session again", async () => {
    const other = await instance("e");
    const stopped = await startInstanceProcess(redis.url, 1000, "d");
    try {
      const init = await fetch(`${stopped.url}/mcp`, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
      const id = init.headers.get("mcp-session-id")!;
      await init.text();
      const list = (n: number) =>
        fetch(`http://127.0.0.1:${other.port}/mcp`, { method: "POST", headers: session(id), body: JSON.stringify({ jsonrpc: "2.0", id: n, method: "tools/list" }) });
      const before = await list(1);
      expect(before.status).toBe(200);
      await before.text();
      stopped.child.kill("SIGSTOP");
      // Its port still takes connections (the kernel's backlog) but nothing answers: the
      // request is held until the lease lapses, then answered instead of hanging.
      const held = await list(2);
      expect(held.status).toBe(404);
      await held.text();
      stopped.child.kill("SIGCONT");
      // Nobody took the session over: once its owner renews its lease, it is served again.
      await until(async () => {
        const res = await list(3);
        await res.text();
        return res.status === 200;
      }, "the session served again after SIGCONT", 10_000);
    } finally {
      stopped.child.kill("SIGCONT");
      await stopped.stop();
    }
  });

  it("keeps a session's keys alive while its owner holds it, requests or not (only a GET stream open)", async () => {
    // Keys live sessionIdleTimeout + leaseMs (1.3 s here) unless renewed.
    const owner = await instance("g", { sessionIdleTimeout: 1000, cluster: { redis: redis.url, leaseMs: 300 } });
    const other = await instance("h");
    const init = await fetch(`http://127.0.0.1:${owner.port}/mcp`, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    const id = init.headers.get("mcp-session-id")!;
    await init.text();
    const stream = await fetch(`http://127.0.0.1:${owner.port}/mcp`, {
      headers: { accept: "text/event-stream", "mcp-session-id": id, "mcp-protocol-version": "2025-11-25" },
    });
    expect(stream.status).toBe(200);
    await new Promise((r) => setTimeout(r, 3000));
    const res = await fetch(`http://127.0.0.1:${other.port}/mcp`, {
      method: "POST",
      headers: session(id),
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(200);
    await res.text();
    await stream.body!.cancel();
  });

  it("serves one session from several servers that share a port (reusePort, as processes would), each on its own hop port", async () => {
    const arrivals: string[] = [];
    const first = await instance("p1", { reusePort: true }, arrivals);
    await instance("p2", { port: first.port, reusePort: true }, arrivals);
    // A new connection per request: the kernel spreads them over both.
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`http://127.0.0.1:${first.port}/mcp`, { method: "POST", headers: { ...headers, connection: "close" }, body: JSON.stringify(body) });
    const init = await post(MCP_HEADERS, INITIALIZE);
    const id = init.headers.get("mcp-session-id")!;
    const ownerName = (await init.text()).includes("instance-p1") ? "p1" : "p2";
    for (let n = 0; n < 40 && new Set(arrivals).size < 2; n++) {
      const res = await post(session(id), { jsonrpc: "2.0", id: n + 1, method: "tools/call", params: { name: "whoami", arguments: {} } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`"text":"${ownerName}"`);
    }
    expect(new Set(arrivals)).toEqual(new Set(["p1", "p2"]));
  });
});
