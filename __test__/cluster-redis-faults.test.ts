// CONTRACT §14, Redis faults: lost at run time (503 for what needs it, the sessions an
// instance holds keep being served), back empty (the old sessions are unknown elsewhere: 404,
// and new ones work again). A real redis-server killed and restarted on its port.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { startHTTPServer } from "../index.js";
import { INITIALIZE, MCP_HEADERS, until } from "./helpers.js";
import { startRedis, type Proc } from "./cluster-env.js";

type Instance = { port: number; close: () => Promise<void> };

let redis: Proc;
const instances: Instance[] = [];

beforeAll(async () => {
  redis = await startRedis();
  for (let i = 0; i < 2; i++) {
    instances.push(
      (await startHTTPServer({
        port: 0,
        host: "127.0.0.1",
        cluster: { redis: redis.url },
        createServer: async () => new McpServer({ name: "faults", version: "1" }).server,
      } as unknown as Parameters<typeof startHTTPServer>[0])) as unknown as Instance,
    );
  }
});

afterAll(async () => {
  for (const i of instances) await i.close();
  await redis?.stop();
});

const initialize = (port: number) =>
  fetch(`http://127.0.0.1:${port}/mcp`, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });

const ping = (port: number, session: string) =>
  fetch(`http://127.0.0.1:${port}/mcp`, {
    method: "POST",
    headers: { ...MCP_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "ping" }),
  });

describe("cluster: Redis lost at run time and back empty", () => {
  it("answers 503 for what needs Redis, serves what is held locally, and recovers", async () => {
    const [a, b] = instances;
    const init = await initialize(a.port);
    expect(init.status).toBe(200);
    const session = init.headers.get("mcp-session-id")!;
    await init.text();
    const before = await ping(b.port, session);
    expect(before.status).toBe(200); // forwarded to a
    await before.text();

    await redis.stop();
    // b still knows a's address for half a second (its owner cache), and a needs no Redis
    // to answer: past that, b must ask Redis.
    await new Promise((r) => setTimeout(r, 600));
    const refusedNew = await initialize(a.port);
    expect(refusedNew.status).toBe(503);
    expect(await refusedNew.text()).toContain("session store is unreachable");
    const refusedForward = await ping(b.port, session);
    expect(refusedForward.status).toBe(503);
    expect(refusedForward.headers.get("retry-after")).toBe("1");
    await refusedForward.text();
    const local = await ping(a.port, session);
    expect(local.status).toBe(200);
    await local.text();

    redis = await startRedis(redis.port);
    // Back, empty: new sessions work again once the connection is re-established...
    await until(async () => {
      const res = await initialize(a.port);
      await res.text();
      return res.status === 200;
    }, "a new session after Redis came back", 10_000);
    // ...and the old one is unknown to the other instance (its client initializes again).
    const gone = await ping(b.port, session);
    expect(gone.status).toBe(404);
    await gone.text();
  });
});
