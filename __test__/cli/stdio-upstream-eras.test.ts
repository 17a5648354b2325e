// `--upstreamProtocol legacy|auto|modern` (CONTRACT §13, mcp-proxy 6.7.19 §3.1): the era the
// proxy speaks to its child, whatever era the clients speak. A 2026-07-28 child gets the
// envelope on every request and announces changes on the proxy's upstream listen stream.
import { afterEach, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from "@modelcontextprotocol/client";
import { closeAll, config, recording, runStdioProxy, sdkClient, startStdio, textOf } from "./stdio";
import { until } from "../helpers";

const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await closeAll();
});

const client = (port: number) => sdkClient(port, "era-client");

describe("--upstreamProtocol", () => {
  it("auto: a 2025-only child refuses server/discover, the proxy falls back to initialize", async () => {
    const rec = recording();
    const proxy = await startStdio({ upstreamProtocol: "auto" }, [`--record=${rec.file}`]);
    const c = await client(proxy.port);
    await until(() => rec.lines().length >= 3, "the opening exchange recorded");
    expect(rec.lines().map((l) => l.method).slice(0, 3)).toEqual([
      "server/discover",
      "initialize",
      "notifications/initialized",
    ]);
    expect(textOf(await c.callTool({ name: "echo", arguments: { text: "fallback" } }))).toBe("fallback");
  });

  it("modern: a 2025-only child fails the start, naming the pinned version", async () => {
    await expect(runStdioProxy(config({ upstreamProtocol: "modern" }))).rejects.toThrow(
      /did not offer the pinned protocol version 2026-07-28/,
    );
  });

  it("auto: a 2026-07-28 child is spoken to in 2026-07-28, never initialized", async () => {
    const rec = recording();
    const proxy = await startStdio({ upstreamProtocol: "auto" }, ["--modern", `--record=${rec.file}`]);
    const c = await client(proxy.port);
    expect(c.getInstructions()).toBe("modern fixture instructions");
    expect(textOf(await c.callTool({ name: "echo", arguments: { text: "m" } }))).toBe("m");
    expect(rec.lines().some((l) => l.method === "initialize")).toBe(false);
  });

  it("modern: 2025 clients are served by a 2026-07-28 child, changes arrive through its listen stream", async () => {
    const rec = recording();
    const proxy = await startStdio({ upstreamProtocol: "modern" }, ["--modern", `--record=${rec.file}`]);
    const c = await client(proxy.port);
    expect(c.getServerVersion()).toEqual({ name: "stdio-fixture", version: "1.2.3", title: "Stdio Fixture" });
    // The child refuses any request without the envelope: this call proves it is there.
    expect(textOf(await c.callTool({ name: "echo", arguments: { text: "enveloped" } }))).toBe("enveloped");
    let changed = 0;
    const updated: string[] = [];
    const metas: unknown[] = [];
    c.setNotificationHandler(ToolListChangedNotificationSchema, (n) => {
      changed++;
      metas.push(n.params?._meta);
    });
    c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
      metas.push(n.params._meta);
    });
    await c.callTool({ name: "changed", arguments: {} });
    await until(() => changed === 1, "list_changed from the upstream listen stream");
    // A subscription replaces the upstream listen stream with one that names the URI.
    await c.subscribeResource({ uri: "test://r/4" });
    const listens = () => rec.lines().filter((l) => l.method === "subscriptions/listen");
    expect(listens()).toHaveLength(2);
    expect(listens()[1].params.notifications.resourceSubscriptions).toEqual(["test://r/4"]);
    await until(
      () => rec.lines().some((l) => l.method === "notifications/cancelled" && l.params.requestId === listens()[0].id),
      "the first listen cancelled",
    );
    await c.callTool({ name: "update", arguments: { uri: "test://r/4" } });
    await until(() => updated.length === 1, "resources/updated");
    expect(updated).toEqual(["test://r/4"]);
    // The upstream listen stream's subscriptionId stays upstream (6.7.19 leaks it).
    expect(metas).toEqual([undefined, undefined]);
  });

  it("modern: a 2026-07-28 client through a 2026-07-28 child", async () => {
    const proxy = await startStdio({ upstreamProtocol: "modern" }, ["--modern"]);
    const c = new ModernClient({ name: "modern", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
    clients.push(c);
    await c.connect(new ModernTransport(new URL(`http://127.0.0.1:${proxy.port}/mcp`)));
    const r = await c.callTool({ name: "echo", arguments: { text: "both modern" } });
    expect(textOf(r)).toBe("both modern");
  });
});
