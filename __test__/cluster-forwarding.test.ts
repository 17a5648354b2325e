// CONTRACT §14, ownership and forwarding: three instances on one real redis-server behind a
// real nginx balancing round-robin (no affinity), official SDK clients. A session's requests
// land on every instance; the one that answered `initialize` serves them all, over the
// signed internal hop, its answers streamed back.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { createHash } from "node:crypto";
import { startHTTPServer } from "../index.js";
import { INITIALIZE, MCP_HEADERS, until } from "./helpers.js";
import { startNginx, startRedis, startInstanceProcess, redisKeys, freePort, type Proc } from "./cluster-env.js";

type Started = { port: number; close: () => Promise<void> };

interface Instance {
  name: string;
  port: number;
  close: () => Promise<void>;
  /** Requests that arrived from a client (not over the hop), by `authenticate`. */
  arrived: number;
  /** Servers created here (`createServer`), and tool calls run here. */
  created: number;
  calls: number;
  servers: McpServer[];
}

/** What the instances logged (console.error, as the core's log lines reach JS). */
const logs: string[] = [];

let redis: Proc;
let nginx: Proc;
const instances: Instance[] = [];

function serverFor(instance: Instance): McpServer {
  const server = new McpServer({ name: `instance-${instance.name}`, version: "1.0.0" });
  server.registerTool("whoami", { inputSchema: {} }, async () => {
    instance.calls++;
    return { content: [{ type: "text", text: instance.name }] };
  });
  server.registerTool("ask", { inputSchema: { question: z.string() } }, async ({ question }) => {
    const answer = await server.server.elicitInput({
      mode: "form",
      message: question,
      requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
    });
    return { content: [{ type: "text", text: `${instance.name}: ${JSON.stringify(answer.content)}` }] };
  });
  instance.servers.push(server);
  return server;
}

async function startInstance(name: string, redisUrl: string): Promise<Instance> {
  const instance: Instance = { name, port: 0, close: async () => {}, arrived: 0, created: 0, calls: 0, servers: [] };
  const started = (await startHTTPServer({
    port: 0,
    host: "127.0.0.1",
    cluster: { redis: redisUrl },
    authenticate: async (req: { headers: Record<string, string | undefined> }) => {
      if (!req.headers["x-mcpn-hop"]) instance.arrived++;
      const token = req.headers.authorization ?? "";
      return { token, clientId: token || "anonymous", scopes: [] };
    },
    createServer: async () => {
      instance.created++;
      return serverFor(instance).server;
    },
  } as unknown as Parameters<typeof startHTTPServer>[0])) as unknown as Started;
  instance.port = started.port;
  instance.close = started.close;
  return instance;
}

function client(capabilities: Record<string, unknown> = {}): Client {
  return new Client({ name: "cluster-test", version: "1.0.0" }, { capabilities });
}

function ownerOf(): Instance {
  const owners = instances.filter((i) => i.created > 0);
  expect(owners).toHaveLength(1);
  return owners[0];
}

function reset(): void {
  for (const i of instances) Object.assign(i, { arrived: 0, created: 0, calls: 0 });
}

beforeAll(async () => {
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(" ")));
  redis = await startRedis();
  for (const name of ["a", "b", "c"]) instances.push(await startInstance(name, redis.url));
  nginx = await startNginx(instances.map((i) => i.port));
});

afterAll(async () => {
  for (const i of instances) await i.close();
  await nginx?.stop();
  await redis?.stop();
});

describe("cluster: one owner per session, forwarding (CONTRACT §14)", () => {
  it("serves every call of a session on the instance that answered initialize, while the requests land on all three", async () => {
    reset();
    const c = client();
    await c.connect(new StreamableHTTPClientTransport(new URL(`${nginx.url}/mcp`)));
    const owner = ownerOf();
    for (let n = 0; n < 9; n++) {
      const result = await c.callTool({ name: "whoami", arguments: {} });
      expect(result.content).toEqual([{ type: "text", text: owner.name }]);
    }
    expect(owner.calls).toBe(9);
    expect(instances.filter((i) => i !== owner).every((i) => i.calls === 0)).toBe(true);
    // Round-robin: each instance received some of the session's requests from the client.
    expect(instances.every((i) => i.arrived > 0)).toBe(true);
    expect(instances.reduce((sum, i) => sum + i.created, 0)).toBe(1);
    await c.close();
  });

  it("answers an elicitation through the balancer and delivers the owner's notifications on the GET stream", async () => {
    reset();
    const c = client({ elicitation: { form: {} } });
    c.setRequestHandler(ElicitRequestSchema, async (request) => ({
      action: "accept",
      content: { name: `reply to ${request.params.message}` },
    }));
    const changed: unknown[] = [];
    c.setNotificationHandler(ToolListChangedNotificationSchema, async (n) => {
      changed.push(n);
    });
    const transport = new StreamableHTTPClientTransport(new URL(`${nginx.url}/mcp`));
    await c.connect(transport);
    const owner = ownerOf();
    const result = await c.callTool({ name: "ask", arguments: { question: "who?" } });
    expect(result.content).toEqual([{ type: "text", text: `${owner.name}: {"name":"reply to who?"}` }]);
    // The standalone GET stream the SDK opened after initialize, forwarded to the owner:
    // a server notification outside any request reaches it.
    await until(async () => {
      owner.servers.at(-1)!.sendToolListChanged();
      await new Promise((r) => setTimeout(r, 50));
      return changed.length > 0;
    }, "tools/list_changed on the GET stream");
    await transport.terminateSession();
    await c.close();
  });

  it("ends the session on its owner when the DELETE lands elsewhere, and leaves no session key in Redis", async () => {
    reset();
    const c = client();
    const transport = new StreamableHTTPClientTransport(new URL(`${nginx.url}/mcp`));
    await c.connect(transport);
    const owner = ownerOf();
    const sessionId = transport.sessionId!;
    const keys = await redisKeys(redis.port);
    expect(keys.some((k) => k.key.includes(createHash("sha256").update(sessionId).digest("hex")))).toBe(true);
    expect(keys.every((k) => !k.key.includes(sessionId))).toBe(true); // never the id itself
    await transport.terminateSession();
    await c.close();
    // The session is gone for every instance.
    for (const i of instances) {
      const res = await fetch(`http://127.0.0.1:${i.port}/mcp`, {
        method: "POST",
        headers: { ...MCP_HEADERS, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      expect(res.status).toBe(404);
      await res.text();
    }
    expect(owner.servers.length).toBeGreaterThan(0);
    // Its keys are named by the SHA-256 of its id; all of them are gone.
    const tag = createHash("sha256").update(sessionId).digest("hex");
    await until(async () => (await redisKeys(redis.port)).every((k) => !k.key.includes(tag)), "session keys deleted");
    // What is left (the instances' leases) expires on its own.
    for (const k of await redisKeys(redis.port)) expect(k.ttl).toBeGreaterThan(0);
  });

  it("serves a legacy /sse session whose /messages posts land on other instances", async () => {
    reset();
    const c = client();
    await c.connect(new SSEClientTransport(new URL(`${nginx.url}/sse`)));
    const owner = ownerOf();
    for (let n = 0; n < 4; n++) {
      const result = await c.callTool({ name: "whoami", arguments: {} });
      expect(result.content).toEqual([{ type: "text", text: owner.name }]);
    }
    await c.close();
  });

  it("keeps a session bound to its principal across instances", async () => {
    reset();
    const alice = new StreamableHTTPClientTransport(new URL(`${nginx.url}/mcp`), {
      requestInit: { headers: { authorization: "alice" } },
    });
    const c = client();
    await c.connect(alice);
    const owner = ownerOf();
    const sessionId = alice.sessionId!;
    for (const i of instances.filter((x) => x !== owner)) {
      const res = await fetch(`http://127.0.0.1:${i.port}/mcp`, {
        method: "POST",
        headers: { ...MCP_HEADERS, authorization: "mallory", "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      expect(res.status).toBe(404);
      await res.text();
    }
    await alice.terminateSession();
    await c.close();
  });

  it("refuses a forged hop (403 on the owner, 421 elsewhere: never forwarded again)", async () => {
    reset();
    const init = await fetch(`http://127.0.0.1:${instances[0].port}/mcp`, {
      method: "POST",
      headers: MCP_HEADERS,
      body: JSON.stringify(INITIALIZE),
    });
    const sessionId = init.headers.get("mcp-session-id")!;
    await init.text();
    const forged = `v1 ${Date.now()} n0nce ${"ab".repeat(32)}`;
    const headers = { ...MCP_HEADERS, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25", "x-mcpn-hop": forged };
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const onOwner = await fetch(`http://127.0.0.1:${instances[0].port}/mcp`, { method: "POST", headers, body });
    expect(onOwner.status).toBe(403);
    expect(await onOwner.text()).toContain("internal hop could not be verified");
    await until(() => logs.some((l) => l.includes("refused a forwarded request")), "the refusal logged");
    const get = await fetch(`http://127.0.0.1:${instances[0].port}/mcp`, {
      headers: { accept: "text/event-stream", "mcp-session-id": sessionId, "x-mcpn-hop": forged },
    });
    expect(get.status).toBe(403);
    await get.text();
    const elsewhere = await fetch(`http://127.0.0.1:${instances[1].port}/mcp`, { method: "POST", headers, body });
    expect(elsewhere.status).toBe(421);
    await elsewhere.text();
    const del = await fetch(`http://127.0.0.1:${instances[2].port}/mcp`, {
      method: "DELETE",
      headers: { "mcp-session-id": sessionId },
    });
    expect(del.status).toBe(200);
    await del.text();
  });

  it("holds a request while a killed owner's lease runs out, then answers 404 and says why: taking over is not supported yet", async () => {
    reset();
    const dying = await startInstanceProcess(redis.url, 1000, "d");
    try {
      const init = await fetch(`${dying.url}/mcp`, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
      const sessionId = init.headers.get("mcp-session-id")!;
      await init.text();
      const ask = (id: number) =>
        fetch(`http://127.0.0.1:${instances[0].port}/mcp`, {
          method: "POST",
          headers: { ...MCP_HEADERS, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
          body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list" }),
        });
      const alive = await ask(1);
      expect(alive.status).toBe(200); // forwarded to d while it lives
      await alive.text();
      dying.child.kill("SIGKILL");
      const res = await ask(2);
      // Not a 503 while the lease runs: the request waited for it, then found nobody.
      expect(res.status).toBe(404);
      await res.text();
      await until(() => logs.some((l) => l.includes("taking a session over is not supported yet")), `why, logged: ${logs.join("; ")}`);
    } finally {
      await dying.stop();
    }
  });
});

describe("cluster option", () => {
  it("rejects startHTTPServer with a clear error when Redis is unreachable", async () => {
    const port = await freePort();
    await expect(
      startHTTPServer({
        port: 0,
        host: "127.0.0.1",
        cluster: { redis: `redis://127.0.0.1:${port}` },
        createServer: async () => new McpServer({ name: "x", version: "1" }).server,
      } as unknown as Parameters<typeof startHTTPServer>[0]),
    ).rejects.toThrow(new RegExp(`cluster: cannot reach Redis at redis://127.0.0.1:${port}`));
  });

  it.each([
    [{ redis: "http://x" }, /cluster.redis must be a redis/],
    [{ redis: "redis://x", leaseMs: 10 }, /cluster.leaseMs must be/],
    [{ redis: "redis://x", advertise: "10.0.0.1:80" }, /cluster.advertise must be/],
    [{ redis: "redis://x", lease: 3000 }, /cluster.lease is not an option/],
  ])("refuses %j", async (cluster, message) => {
    await expect(
      startHTTPServer({
        port: 0,
        cluster,
        createServer: async () => new McpServer({ name: "x", version: "1" }).server,
      } as unknown as Parameters<typeof startHTTPServer>[0]),
    ).rejects.toThrow(message);
  });

  it("requires a secret when advertise is not a loopback address", async () => {
    await expect(
      startHTTPServer({
        port: 0,
        host: "127.0.0.1",
        cluster: { redis: redis.url, advertise: "http://10.0.0.5:8080" },
        createServer: async () => new McpServer({ name: "x", version: "1" }).server,
      } as unknown as Parameters<typeof startHTTPServer>[0]),
    ).rejects.toThrow(/cluster.secret is required/);
  });
});
