// FastMCP written as its README shows (default host), stateful or stateless (STATELESS=1), served
// by whatever `mcp-proxy` the app installed, driven by the official SDK client: tools (one with
// progress), CORS preflight, session end.
import { FastMCP } from "fastmcp";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { z } from "zod";
import { check, freePort, quietLogger, scenario, until } from "./common.mjs";

const stateless = process.env.STATELESS === "1";

await scenario(async () => {
  const port = await freePort();
  const { logger, seen } = quietLogger();
  const server = new FastMCP({ name: "alias-smoke", version: "1.0.0", logger });
  server.addTool({
    name: "add",
    description: "Add two numbers",
    parameters: z.object({ a: z.number(), b: z.number() }),
    execute: async (args) => String(args.a + args.b),
  });
  server.addTool({
    name: "count",
    description: "Counts to n, reporting progress",
    parameters: z.object({ n: z.number() }),
    execute: async (args, { reportProgress }) => {
      for (let i = 1; i <= args.n; i++) await reportProgress({ progress: i, total: args.n });
      return `counted to ${args.n}`;
    },
  });
  let events = { connect: 0, disconnect: 0 };
  server.on("connect", () => events.connect++);
  server.on("disconnect", () => events.disconnect++);
  await server.start({ transportType: "httpStream", httpStream: { port, ...(stateless ? { stateless: true } : {}) } });
  try {
    const url = new URL(`http://localhost:${port}/mcp`);
    const health = await fetch(`http://localhost:${port}/health`);
    check(health.status === 200, `/health answered ${health.status}`);

    const client = new Client({ name: "alias-smoke-client", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(url);
    await client.connect(transport);
    const { tools } = await client.listTools();
    const added = await client.callTool({ name: "add", arguments: { a: 40, b: 2 } });
    const progress = [];
    const counted = await client.callTool({ name: "count", arguments: { n: 3 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    // FastMCP 3 sends progress with server.notification(), not tied to the request: in a session it
    // travels on the standalone GET stream and may arrive after the tool's result.
    if (!stateless) await until(() => progress.length === 3, "three progress notifications");
    const preflight = await fetch(url, {
      method: "OPTIONS",
      headers: { origin: "http://app.example", "access-control-request-method": "DELETE" },
    });
    const sessionId = transport.sessionId ?? null;
    if (!stateless) {
      check(typeof sessionId === "string", "no session id in stateful mode");
      check(events.connect === 1, `connect events: ${events.connect}`);
      await transport.terminateSession();
      await until(() => events.disconnect === 1, "FastMCP's disconnect event after DELETE");
    } else {
      check(sessionId === null, `a session id in stateless mode: ${sessionId}`);
    }
    await client.close();
    return {
      stateless,
      tools: tools.map((t) => t.name),
      text: added.content[0].text,
      counted: counted.content[0].text,
      progress,
      sessionId: sessionId !== null,
      events,
      allowMethods: preflight.headers.get("access-control-allow-methods"),
      errors: seen.errors,
      warnings: seen.warnings,
    };
  } finally {
    await server.stop();
  }
});
