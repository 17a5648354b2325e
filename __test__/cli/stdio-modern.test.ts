// 2026-07-28 requests through the command line's data path (CONTRACT §12, §13), on the wire:
// server/discover from the child's identity, results stamped as the 2026 codec does, a
// progress turning the answer into SSE, a client leaving cancelling upstream, listen streams
// fed by the child's list changes and resource updates (subscriptions held upstream).
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { closeAll, startStdio } from "./stdio";
import { until } from "../helpers";

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await closeAll();
});

const VERSION = "2026-07-28";
const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": VERSION,
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "raw-modern", version: "1" },
};

function recording(): { file: string; lines: () => Record<string, any>[] } {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "stdio-rec-")), "lines.jsonl");
  return {
    file,
    lines: () =>
      existsSync(file)
        ? readFileSync(file, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [],
  };
}

/** A 2026-07-28 POST with the standard headers. */
function post(port: number, id: number, method: string, params: Record<string, any> = {}, signal?: AbortSignal) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": VERSION,
    "mcp-method": method,
  };
  const name = params.name ?? params.uri;
  if (name !== undefined && ["tools/call", "prompts/get", "resources/read"].includes(method)) headers["mcp-name"] = name;
  return fetch(`http://127.0.0.1:${port}/mcp`, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: { ...params._meta, ...ENVELOPE } } }),
    signal,
  });
}

/** The JSON-RPC messages of an SSE body read so far, read until `done` says stop. */
async function readEvents(res: Response, done: (messages: any[]) => boolean): Promise<any[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const messages: any[] = [];
  while (!done(messages)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    text += decoder.decode(value, { stream: true });
    let at;
    while ((at = text.indexOf("\n\n")) >= 0) {
      const frame = text.slice(0, at);
      text = text.slice(at + 2);
      const data = frame
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      if (data) messages.push(JSON.parse(data));
    }
  }
  await reader.cancel().catch(() => {});
  return messages;
}

describe("2026-07-28 requests on the shared child", () => {
  it("answers server/discover from the child's identity and stamps results", async () => {
    const rec = recording();
    const proxy = await startStdio({}, [`--record=${rec.file}`]);
    const discover = await (await post(proxy.port, 1, "server/discover")).json();
    expect(discover.result).toMatchObject({
      supportedVersions: [VERSION],
      capabilities: { tools: { listChanged: true } },
      instructions: "fixture instructions",
      resultType: "complete",
      ttlMs: 0,
      cacheScope: "private",
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "stdio-fixture", version: "1.2.3" } },
    });
    const list = await (await post(proxy.port, 2, "tools/list")).json();
    expect(list.id).toBe(2);
    expect(list.result).toMatchObject({ resultType: "complete", ttlMs: 0, cacheScope: "private" });
    const call = await (await post(proxy.port, 3, "tools/call", { name: "echo", arguments: { text: "m" } })).json();
    expect(call.result.content).toEqual([{ type: "text", text: "m" }]);
    expect(call.result.resultType).toBe("complete");
    // The envelope never reaches the child.
    const upstream = rec.lines().find((l) => l.params?.name === "echo")!;
    expect(upstream.params._meta).toBeUndefined();
    // A method outside the 2026 registry: 404 -32601.
    const unknown = await post(proxy.port, 4, "custom/thing");
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe(-32601);
  });

  it("streams progress as SSE, then the result", async () => {
    const proxy = await startStdio();
    const res = await post(proxy.port, 9, "tools/call", { name: "slow", arguments: { steps: 2, ms: 10 }, _meta: { progressToken: "tok" } });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const messages = await readEvents(res, (m) => m.some((x) => x.id === 9));
    expect(messages.map((m) => m.method ?? "result")).toEqual(["notifications/progress", "notifications/progress", "result"]);
    expect(messages[0].params).toMatchObject({ progressToken: "tok", progress: 1, total: 2 });
  });

  it("cancels upstream when the client leaves the request", async () => {
    const rec = recording();
    const proxy = await startStdio({}, [`--record=${rec.file}`]);
    const controller = new AbortController();
    const pending = post(proxy.port, 5, "tools/call", { name: "hang", arguments: {} }, controller.signal).catch(() => undefined);
    await until(() => rec.lines().some((l) => l.params?.name === "hang"), "the call upstream");
    controller.abort();
    await pending;
    const hang = rec.lines().find((l) => l.params?.name === "hang")!;
    await until(
      () => rec.lines().some((l) => l.method === "notifications/cancelled" && l.params.requestId === hang.id),
      "cancelled upstream",
    );
  });

  it("feeds listen streams with list changes and updates of subscribed resources", async () => {
    const rec = recording();
    const proxy = await startStdio({}, [`--record=${rec.file}`]);
    const listen = await post(proxy.port, 77, "subscriptions/listen", {
      notifications: { toolsListChanged: true, resourceSubscriptions: ["test://r/2"] },
    });
    expect(listen.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reading = readEvents(listen, (m) => m.length >= 3);
    await until(
      () => rec.lines().some((l) => l.method === "resources/subscribe" && l.params.uri === "test://r/2"),
      "subscribed upstream",
    );
    const c = new Client({ name: "trigger", version: "1" });
    clients.push(c);
    await c.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${proxy.port}/mcp`)));
    await c.callTool({ name: "update", arguments: { uri: "test://r/9" } });
    await c.callTool({ name: "changed", arguments: {} });
    await c.callTool({ name: "update", arguments: { uri: "test://r/2" } });
    const messages = await reading;
    expect(messages.map((m) => m.method)).toEqual([
      "notifications/subscriptions/acknowledged",
      "notifications/tools/list_changed",
      "notifications/resources/updated",
    ]);
    expect(messages[2].params.uri).toBe("test://r/2");
    expect(messages[1].params._meta["io.modelcontextprotocol/subscriptionId"]).toBe(77);
    // The stream is gone: its subscription is released upstream.
    await until(
      () => rec.lines().some((l) => l.method === "resources/unsubscribe" && l.params.uri === "test://r/2"),
      "unsubscribed upstream",
    );
  });
});
