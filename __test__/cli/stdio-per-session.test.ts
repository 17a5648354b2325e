// `--perSession` (CONTRACT §13, we add): one child per 2025 session, spawned at its
// initialize (forwarded verbatim, so the child sees the real client), ended with the session;
// the child's requests and logging/setLevel cross the proxy both ways; --maxChildren → 503.
// Also what every child inherits: the environment as given, the working directory; --shell.
import { afterEach, describe, expect, it } from "vitest";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { alive, children, closeAll, FIXTURE, recording, sdkClient, startStdio, textOf } from "./stdio";
import { until } from "../helpers";

afterEach(closeAll);

const client = (port: number, capabilities = {}) => sdkClient(port, "per-session-client", "4.5.6", capabilities);

describe("--perSession", () => {
  it("gives each session its own child that sees the real client and asks it for roots", async () => {
    const rec = recording();
    const proxy = await startStdio({ perSession: true }, [`--record=${rec.file}`]);
    const a = await client(proxy.port, { roots: {} });
    a.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: "file:///a", name: "a" }] }));
    const b = await client(proxy.port);
    const [pidA, pidB] = [
      Number(textOf(await a.callTool({ name: "pid", arguments: {} }))),
      Number(textOf(await b.callTool({ name: "pid", arguments: {} }))),
    ];
    expect(pidA).not.toBe(pidB);
    expect(pidA).not.toBe(proxy.childPid);
    // The child's initialize was the client's own.
    const inits = rec.lines().filter((l) => l.method === "initialize");
    expect(inits.map((l) => l.params.clientInfo.name).sort()).toEqual([
      "mcp-proxy-native",
      "per-session-client",
      "per-session-client",
    ]);
    // The child's roots/list reaches the client, and its answer the child.
    const roots = JSON.parse(textOf(await a.callTool({ name: "roots", arguments: {} })));
    expect(roots).toEqual({ roots: [{ uri: "file:///a", name: "a" }] });
    // logging/setLevel goes to the session's child.
    await a.setLoggingLevel("warning");
    expect(rec.lines().some((l) => l.method === "logging/setLevel" && l.params.level === "warning")).toBe(true);
    // Ending the session ends its child.
    await (a.transport as StreamableHTTPClientTransport).terminateSession();
    await until(() => !alive(pidA), "the session's child gone");
    expect(alive(pidB)).toBe(true);
  });

  it("a session reaped for idleness (--sessionIdleTimeout) ends its child", async () => {
    const proxy = await startStdio({ perSession: true, sessionIdleTimeout: 300 });
    const res = await fetch(`http://127.0.0.1:${proxy.port}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
      }),
    });
    expect(res.status).toBe(200);
    await res.text();
    // The shared child and this session's own.
    expect(children(FIXTURE)).toHaveLength(2);
    await until(() => children(FIXTURE).length === 1, "the idle session's child gone");
    expect(children(FIXTURE)).toEqual([proxy.childPid]);
  });

  it("--maxChildren: a session beyond it gets 503", async () => {
    const proxy = await startStdio({ perSession: true, maxChildren: 1 });
    await client(proxy.port);
    const res = await fetch(`http://127.0.0.1:${proxy.port}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
      }),
    });
    expect(res.status).toBe(503);
    expect((await res.json()).error.message).toMatch(/maxChildren/);
  });
});

describe("the child's surroundings", () => {
  it("gets the environment as given and the proxy's working directory", async () => {
    const env = { PATH: process.env.PATH ?? "", STDIO_TEST_VALUE: "given" };
    const proxy = await startStdio({ env });
    const c = await client(proxy.port);
    expect(JSON.parse(textOf(await c.callTool({ name: "env", arguments: { name: "STDIO_TEST_VALUE" } })))).toEqual({
      value: "given",
      cwd: process.cwd(),
    });
    // Nothing of the proxy's own environment that was not given.
    const home = JSON.parse(textOf(await c.callTool({ name: "env", arguments: { name: "HOME" } })));
    expect(home.value).toBeNull();
  });

  it("--shell runs the command line through the shell", async () => {
    const proxy = await startStdio({ shell: true, command: `"${process.execPath}"`, args: [`"${FIXTURE}"`] });
    const c = await client(proxy.port);
    expect(textOf(await c.callTool({ name: "echo", arguments: { text: "via sh" } }))).toBe("via sh");
  });
});
