// The command line's data path against a child and clients that misbehave (CONTRACT §13):
// each fault gets its answer, the proxy keeps serving, and no child process or call is left.
import { afterEach, describe, expect, it } from "vitest";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { alive, children, closeAll, config, FIXTURE, POST_HEADERS, rawSession, recording, runStdioProxy, sdkClient, startStdio, textOf } from "./stdio";
import { until } from "../helpers";

afterEach(closeAll);

const client = (port: number) => sdkClient(port, "faults-client");

describe("a child that misbehaves", () => {
  it("that prints garbage around its lines is still understood", async () => {
    const proxy = await startStdio({}, ["--garbage"]);
    const c = await client(proxy.port);
    expect(textOf(await c.callTool({ name: "echo", arguments: { text: "through noise" } }))).toBe("through noise");
  });

  it("that splits UTF-8 characters across writes is read whole", async () => {
    const proxy = await startStdio({}, ["--split-writes"]);
    const c = await client(proxy.port);
    expect(textOf(await c.callTool({ name: "unicode", arguments: {} }))).toBe("é😀 \u2028 ünïcödé");
  });

  it("that writes a 50 MB line: the line is dropped and reported, the child keeps serving", async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(" "));
    try {
      const proxy = await startStdio();
      const c = await client(proxy.port);
      const r = await c.callTool({ name: "huge", arguments: {} });
      expect(textOf(r)).toBe("after huge");
      expect(errors.some((e) => /dropped a 5\d{7}-byte line/.test(e))).toBe(true);
      expect(textOf(await c.callTool({ name: "echo", arguments: { text: "still here" } }))).toBe("still here");
    } finally {
      console.error = original;
    }
  });

  it("that never answers: -32603 Request timed out, and the child hears notifications/cancelled", async () => {
    const rec = recording();
    const proxy = await startStdio({ requestTimeout: 300 }, [`--record=${rec.file}`]);
    const c = await client(proxy.port);
    await expect(c.callTool({ name: "hang", arguments: {} })).rejects.toThrow(/Request timed out/);
    const hang = rec.lines().find((l) => l.params?.name === "hang")!;
    await until(
      () => rec.lines().some((l) => l.method === "notifications/cancelled" && l.params.requestId === hang.id),
      "cancelled upstream",
    );
  });

  it("that answers an unknown id: ignored, the real answer still arrives", async () => {
    const proxy = await startStdio();
    const c = await client(proxy.port);
    expect(textOf(await c.callTool({ name: "unknown-id", arguments: {} }))).toBe("known");
  });

  it("that floods notifications: the proxy stays up and answers", async () => {
    const proxy = await startStdio();
    const c = await client(proxy.port);
    expect(textOf(await c.callTool({ name: "flood", arguments: { count: 20000 } }))).toBe("flooded");
    expect(textOf(await c.callTool({ name: "echo", arguments: { text: "after" } }))).toBe("after");
  });

  it("that exits mid-call: Connection closed, the exit logged, childExit, /ping 503", async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(" "));
    try {
      const proxy = await startStdio();
      const c = await client(proxy.port);
      const [pending, exiting] = await Promise.allSettled([
        c.callTool({ name: "hang", arguments: {} }),
        c.callTool({ name: "exit", arguments: { code: 7 } }),
      ]);
      for (const settled of [pending, exiting]) {
        expect(settled.status).toBe("rejected");
        expect(String((settled as PromiseRejectedResult).reason)).toMatch(/Connection closed/);
      }
      expect(await proxy.childExit).toEqual({ code: 7, signal: null });
      const ping = await fetch(`http://127.0.0.1:${proxy.port}/ping`);
      expect(ping.status).toBe(503);
      await expect(c.callTool({ name: "echo", arguments: { text: "x" } })).rejects.toThrow(/Connection closed/);
      await until(() => errors.includes("[mcp-proxy] child exited with code 7"), "the exit logged");
    } finally {
      console.error = original;
    }
  });

  it("that exits while a process it started keeps writing to its stdout: the exit is still seen", async () => {
    const noisy = `(while :; do echo noise; sleep 0.05; done) & exec "${process.execPath}" "${FIXTURE}"`;
    const proxy = await startStdio({ shell: true, command: noisy, args: [] });
    const c = await client(proxy.port);
    await c.callTool({ name: "exit", arguments: { code: 5 } }).catch(() => {});
    expect(await proxy.childExit).toEqual({ code: 5, signal: null });
  });

  it("that ignores SIGTERM is killed after the grace; no process is left", async () => {
    const proxy = await startStdio({}, ["--ignore-sigterm"]);
    const pid = proxy.childPid!;
    expect(alive(pid)).toBe(true);
    await proxy.close(300);
    expect(alive(pid)).toBe(false);
  });

  it("that is not found: the start rejects naming the command", async () => {
    await expect(runStdioProxy(config({ command: "no-such-mcp-server-xyz", args: [] }))).rejects.toThrow(
      /spawn no-such-mcp-server-xyz ENOENT/,
    );
  });

  it("that never answers initialize: the start rejects after connectionTimeout and the child is stopped", async () => {
    await expect(
      runStdioProxy(config({ args: [FIXTURE, "--no-init-answer"], connectionTimeout: 300 })),
    ).rejects.toThrow(/initialize: Request timed out/);
    expect(children(FIXTURE)).toEqual([]);
  });

  it("behind a port already in use: the start rejects with EADDRINUSE and the child is stopped", async () => {
    const first = await startStdio();
    await expect(runStdioProxy(config({ port: first.port }))).rejects.toThrow(/EADDRINUSE/);
    // The second proxy's child was spawned and initialized, then stopped; the first one's runs.
    await until(() => children(FIXTURE).length === 1, "only the first proxy's child");
    expect(children(FIXTURE)).toEqual([first.childPid]);
  });

  it("that exits at start: the start rejects with Connection closed", async () => {
    await expect(runStdioProxy(config({ args: [FIXTURE, "--exit-at-start"] }))).rejects.toThrow(
      /Connection closed \(child exited with code 3\)/,
    );
  });
});

describe("a client that misbehaves", () => {
  it("that cancels a call: the child hears notifications/cancelled for its own id", async () => {
    const rec = recording();
    const proxy = await startStdio({}, [`--record=${rec.file}`]);
    const c = await client(proxy.port);
    const controller = new AbortController();
    const call = c.callTool({ name: "hang", arguments: {} }, undefined, { signal: controller.signal });
    await until(() => rec.lines().some((l) => l.params?.name === "hang"), "the call upstream");
    controller.abort("user-abort");
    await expect(call).rejects.toThrow();
    const hang = rec.lines().find((l) => l.params?.name === "hang")!;
    await until(
      () => rec.lines().some((l) => l.method === "notifications/cancelled" && l.params.requestId === hang.id),
      "cancelled upstream",
    );
  });

  it("that leaves mid-call: its session's calls are cancelled upstream when the session ends", async () => {
    const rec = recording();
    const proxy = await startStdio({}, [`--record=${rec.file}`]);
    const c = await client(proxy.port);
    void c.callTool({ name: "hang", arguments: {} }).catch(() => {});
    await until(() => rec.lines().some((l) => l.params?.name === "hang"), "the call upstream");
    await (c.transport as StreamableHTTPClientTransport).terminateSession();
    const hang = rec.lines().find((l) => l.params?.name === "hang")!;
    await until(
      () => rec.lines().some((l) => l.method === "notifications/cancelled" && l.params.requestId === hang.id),
      "cancelled upstream",
    );
    const other = await client(proxy.port);
    expect(textOf(await other.callTool({ name: "echo", arguments: { text: "ok" } }))).toBe("ok");
  });

  it("that sends 10 000 requests at once (one batch): every one is answered", async () => {
    const proxy = await startStdio();
    const url = `http://127.0.0.1:${proxy.port}/mcp`;
    const session = await rawSession(proxy.port, "2025-03-26");
    const batch = Array.from({ length: 10_000 }, (_, i) => ({
      jsonrpc: "2.0",
      id: i + 1,
      method: "tools/call",
      params: { name: "echo", arguments: { text: `n${i}` } },
    }));
    const res = await fetch(url, {
      method: "POST",
      headers: { ...POST_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-03-26" },
      body: JSON.stringify(batch),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const answers = text
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => JSON.parse(l.slice(6)))
      .flatMap((m) => (Array.isArray(m) ? m : [m]));
    expect(answers).toHaveLength(10_000);
    expect(new Set(answers.map((a) => a.id)).size).toBe(10_000);
    expect(answers.find((a) => a.id === 5000).result.content[0].text).toBe("n4999");
  });
});
