// CONTRACT §14, 2026-07-28: `notify.*` on any instance reaches the listen streams of every
// instance once, in the order it was made; three instances on one real redis-server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHTTPServer } from "../index.js";
import { SseReader } from "./raw";
import { modernServer } from "./fixtures/modernServer";
import { startRedis, type Proc } from "./cluster-env.js";

const PV = "io.modelcontextprotocol/protocolVersion";
const SUB = "io.modelcontextprotocol/subscriptionId";
const ENV = { [PV]: "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };

type Notifier = { toolsChanged(): void; resourceUpdated(uri: string): void };
type Instance = { port: number; close: () => Promise<void>; notify: Notifier };

let redis: Proc;
const instances: Instance[] = [];

beforeAll(async () => {
  redis = await startRedis();
  for (let i = 0; i < 3; i++) {
    instances.push(
      (await startHTTPServer({
        port: 0,
        host: "127.0.0.1",
        cluster: { redis: redis.url },
        createServer: async () => modernServer(),
      } as unknown as Parameters<typeof startHTTPServer>[0])) as unknown as Instance,
    );
  }
});

afterAll(async () => {
  for (const i of instances) await i.close();
  await redis?.stop();
});

function listen(port: number, id: string) {
  return fetch(`http://127.0.0.1:${port}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "subscriptions/listen",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id,
      method: "subscriptions/listen",
      params: { _meta: ENV, notifications: { toolsListChanged: true, resourceSubscriptions: ["test://readme"] } },
    }),
  });
}

describe("cluster: notify across instances", () => {
  it("delivers notify from one instance to the listen streams of all three, once each and in order", async () => {
    const readers: SseReader[] = [];
    for (const [n, instance] of instances.entries()) {
      const res = await listen(instance.port, `L${n}`);
      expect(res.status).toBe(200);
      const sse = new SseReader(res);
      expect((await sse.nextMessage()) as { method: string }).toMatchObject({ method: "notifications/subscriptions/acknowledged" });
      readers.push(sse);
    }
    // Two publishers: each one's notices arrive everywhere in the order it made them.
    instances[1].notify.toolsChanged();
    instances[1].notify.resourceUpdated("test://readme");
    instances[2].notify.toolsChanged();
    const sequences: string[][] = [];
    for (const [n, sse] of readers.entries()) {
      const got = [await sse.nextMessage(), await sse.nextMessage(), await sse.nextMessage()];
      for (const m of got) expect((m.params as { _meta: unknown })._meta).toEqual({ [SUB]: `L${n}` });
      const tags = got.map((m) => (m.method === "notifications/resources/updated" ? `updated ${(m.params as { uri: string }).uri}` : String(m.method)));
      expect([...tags].sort()).toEqual(["notifications/tools/list_changed", "notifications/tools/list_changed", "updated test://readme"]);
      // B's toolsChanged comes before B's resourceUpdated.
      expect(tags.indexOf("notifications/tools/list_changed")).toBeLessThan(tags.indexOf("updated test://readme"));
      sequences.push(tags);
    }
    // One order for every instance (they all read one notify stream), and nothing more.
    expect(sequences[1]).toEqual(sequences[0]);
    expect(sequences[2]).toEqual(sequences[0]);
    for (const sse of readers) await expect(sse.nextMessage(300)).rejects.toThrow();
  });
});
