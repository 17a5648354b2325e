// The command line's data path (CONTRACT §13) with the official SDK client over real HTTP and
// a real child process (the project's own stdio fixture): one shared child, initialize
// answered locally, ids rewritten, progress tokens mapped, notifications fanned out,
// subscriptions reference-counted, per-session log levels.
import { afterEach, describe, expect, it } from "vitest";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { closeAll, POST_HEADERS, rawSession, recording, sdkClient, startStdio, textOf } from "./stdio";
import { until } from "../helpers";

afterEach(closeAll);

const client = (port: number) => sdkClient(port, "routing-client");

describe("one shared child behind the proxy", () => {
  it("answers initialize with the child's identity and serves tools, prompts and paged resources", async () => {
    const rec = recording();
    const proxy = await startStdio({}, [`--record=${rec.file}`]);
    expect(proxy.urls).toEqual([`http://127.0.0.1:${proxy.port}/mcp`, `http://127.0.0.1:${proxy.port}/sse`]);
    const c = await client(proxy.port);
    expect(c.getServerVersion()).toEqual({ name: "stdio-fixture", version: "1.2.3", title: "Stdio Fixture" });
    expect(c.getInstructions()).toBe("fixture instructions");
    expect(c.getServerCapabilities()?.resources).toEqual({ subscribe: true, listChanged: true });
    expect(textOf(await c.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe("hi");
    expect(textOf(await c.callTool({ name: "unicode", arguments: {} }))).toBe("é😀 \u2028 ünïcödé");
    const prompt = await c.getPrompt({ name: "greet", arguments: { name: "ann" } });
    expect(prompt.messages[0].content).toEqual({ type: "text", text: "hello ann" });
    // Pages pass through: the cursor reaches the client.
    const first = await c.listResources();
    expect(first.resources.map((r) => r.uri)).toEqual(["test://r/0", "test://r/1"]);
    expect(first.nextCursor).toBe("2");
    const read = await c.readResource({ uri: "test://r/3" });
    expect(read.contents).toEqual([{ uri: "test://r/3", text: "content of test://r/3" }]);
    // The child was initialized once, as the proxy, and never saw the client's initialize.
    const inits = rec.lines().filter((l) => l.method === "initialize");
    expect(inits).toHaveLength(1);
    expect(inits[0].params.clientInfo).toEqual({ name: "mcp-proxy-native", version: "9.9.9" });
    expect(inits[0].id).toBe(0);
    // Downstream ids never reach the child: its ids come from one counter.
    const calls = rec.lines().filter((l) => l.method === "tools/call");
    expect(calls.map((l) => typeof l.id)).toEqual(["number", "number"]);
  });

  it("keeps two sessions' calls apart and maps progress tokens both ways", async () => {
    const rec = recording();
    const proxy = await startStdio({}, [`--record=${rec.file}`]);
    const [a, b] = [await client(proxy.port), await client(proxy.port)];
    const progressA: number[] = [];
    const results = await Promise.all([
      a.callTool({ name: "slow", arguments: { steps: 3, ms: 20 } }, undefined, {
        onprogress: (p) => progressA.push(p.progress),
      }),
      b.callTool({ name: "echo", arguments: { text: "from b" } }),
      a.callTool({ name: "echo", arguments: { text: "from a" } }),
    ]);
    expect(results.map(textOf)).toEqual(["slept 3", "from b", "from a"]);
    expect(progressA).toEqual([1, 2, 3]);
    // Upstream the token is the proxy's own (the upstream id), not the client's.
    const slow = rec.lines().find((l) => l.params?.name === "slow")!;
    expect(slow.params._meta.progressToken).toBe(slow.id);
  });

  it("fans list changes out to every session, and log messages by each session's level", async () => {
    const proxy = await startStdio();
    const [a, b] = [await client(proxy.port), await client(proxy.port)];
    const changed = { a: 0, b: 0 };
    a.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed.a++);
    b.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed.b++);
    const logs = { a: [] as unknown[], b: [] as unknown[] };
    a.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.a.push(n.params.data));
    b.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.b.push(n.params.data));
    await a.setLoggingLevel("error");
    await a.callTool({ name: "changed", arguments: {} });
    await until(() => changed.a === 1 && changed.b === 1, "list_changed in both sessions");
    await b.callTool({ name: "log", arguments: { level: "info", data: "info line" } });
    await b.callTool({ name: "log", arguments: { level: "error", data: "error line" } });
    await until(() => logs.b.length === 2 && logs.a.length === 1, "log lines by level");
    expect(logs.a).toEqual(["error line"]);
    expect(logs.b).toEqual(["info line", "error line"]);
  });

  it("subscribes upstream once per URI and tells only subscribers of an update", async () => {
    const rec = recording();
    const proxy = await startStdio({}, [`--record=${rec.file}`]);
    const [a, b, c] = [await client(proxy.port), await client(proxy.port), await client(proxy.port)];
    const updates = { a: 0, b: 0, c: 0 };
    for (const [name, cl] of [["a", a], ["b", b], ["c", c]] as const) {
      cl.setNotificationHandler(ResourceUpdatedNotificationSchema, () => void updates[name]++);
    }
    await a.subscribeResource({ uri: "test://r/1" });
    await b.subscribeResource({ uri: "test://r/1" });
    const upstream = (m: string) => rec.lines().filter((l) => l.method === m && l.params.uri === "test://r/1");
    expect(upstream("resources/subscribe")).toHaveLength(1);
    await c.callTool({ name: "update", arguments: { uri: "test://r/1" } });
    await until(() => updates.a === 1 && updates.b === 1, "updates to subscribers");
    expect(updates.c).toBe(0);
    await a.unsubscribeResource({ uri: "test://r/1" });
    expect(upstream("resources/unsubscribe")).toHaveLength(0);
    // The last holder leaving (its session ending) unsubscribes upstream.
    await (b.transport as StreamableHTTPClientTransport).terminateSession();
    await until(() => upstream("resources/unsubscribe").length === 1, "unsubscribe upstream");
  });

  it("holds a list change for a session whose GET stream is not open yet, and delivers it when it opens", async () => {
    const proxy = await startStdio();
    const url = `http://127.0.0.1:${proxy.port}/mcp`;
    const session = await rawSession(proxy.port, "2025-11-25");
    const trigger = await client(proxy.port);
    await trigger.callTool({ name: "changed", arguments: {} });
    const controller = new AbortController();
    const get = await fetch(url, {
      headers: { accept: "text/event-stream", "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" },
      signal: controller.signal,
    });
    expect(get.status).toBe(200);
    const reader = get.body!.getReader();
    let text = "";
    while (!text.includes("notifications/tools/list_changed")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain("notifications/tools/list_changed");
  });

  it("refuses the child's own requests with -32601 (sampling, roots: shared mode)", async () => {
    const proxy = await startStdio();
    const c = await client(proxy.port);
    const r = await c.callTool({ name: "roots", arguments: {} });
    expect(JSON.parse(textOf(r))).toEqual({ code: -32601, message: "Method not found" });
  });

  it("answers logging/setLevel with -32601 when the child does not log (as 6.7.19)", async () => {
    const proxy = await startStdio({}, ["--no-logging"]);
    const c = await client(proxy.port);
    await expect(c.setLoggingLevel("error")).rejects.toThrow(/Method not found/);
  });

  it("answers ping locally", async () => {
    const proxy = await startStdio();
    const c = await client(proxy.port);
    await expect(c.ping()).resolves.toEqual({});
  });
});

describe("the HTTP side's flags", () => {
  it("--stateless: every POST is its own exchange on the shared child", async () => {
    const proxy = await startStdio({ stateless: true });
    const c = await client(proxy.port);
    expect(textOf(await c.callTool({ name: "echo", arguments: { text: "stateless" } }))).toBe("stateless");
    expect((await c.listTools()).tools.length).toBeGreaterThan(0);
  });

  it("--apiKey: MCP requests need X-API-Key, /ping does not", async () => {
    const proxy = await startStdio({ apiKey: "secret" });
    const res = await fetch(`http://127.0.0.1:${proxy.port}/mcp`, {
      method: "POST",
      headers: POST_HEADERS,
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(res.status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${proxy.port}/ping`)).status).toBe(200);
  });

  it("--server stream: only /mcp is served", async () => {
    const proxy = await startStdio({ server: "stream" });
    expect(proxy.urls).toEqual([`http://127.0.0.1:${proxy.port}/mcp`]);
    expect((await fetch(`http://127.0.0.1:${proxy.port}/sse`)).status).toBe(404);
  });

  it("--debug: lines the child printed that are not JSON-RPC are reported", async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(" "));
    try {
      const proxy = await startStdio({ debug: true }, ["--garbage"]);
      const c = await client(proxy.port);
      await c.callTool({ name: "echo", arguments: { text: "x" } });
      await until(() => errors.some((e) => e.includes("ignoring non-JSON output: noise without braces")), "dropped line");
      expect(errors.some((e) => e.includes("stripped non-JSON prefix from output: WARNING: a prefix"))).toBe(true);
    } finally {
      console.error = original;
    }
  });
});
