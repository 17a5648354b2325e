// A legacy HTTP+SSE client that sends its credentials on GET /sse only (as FastMCP's own tests
// and clients do): the POSTs to /messages?sessionId=… carry none, the session id is the
// capability. FastMCP's authenticate runs once, for the stream.
import { FastMCP } from "fastmcp";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { z } from "zod";
import { check, freePort, quietLogger, scenario } from "./common.mjs";

await scenario(async () => {
  const port = await freePort();
  const { logger, seen } = quietLogger();
  let authenticated = 0;
  const server = new FastMCP({
    name: "alias-smoke-sse",
    version: "1.0.0",
    logger,
    authenticate: async (req) => {
      authenticated++;
      if (req.headers["x-api-key"] !== "123") throw new Response(null, { status: 401, statusText: "Unauthorized" });
      return { id: 1 };
    },
  });
  server.addTool({
    name: "add",
    description: "Add two numbers",
    parameters: z.object({ a: z.number(), b: z.number() }),
    execute: async (args) => String(args.a + args.b),
  });
  await server.start({ transportType: "httpStream", httpStream: { port } });
  try {
    const anonymous = await fetch(`http://localhost:${port}/sse`, { headers: { accept: "text/event-stream" } });
    await anonymous.body?.cancel();
    check(anonymous.status === 401, `GET /sse without the key answered ${anonymous.status}`);
    authenticated = 0;

    const client = new Client({ name: "sse-client", version: "1.0.0" });
    const transport = new SSEClientTransport(new URL(`http://localhost:${port}/sse`), {
      eventSourceInit: {
        fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, "x-api-key": "123" } }),
      },
    });
    await client.connect(transport);
    const result = await client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
    const { tools } = await client.listTools();
    await client.close();
    return { text: result.content[0].text, tools: tools.map((t) => t.name), authenticateCalls: authenticated, errors: seen.errors };
  } finally {
    await server.stop();
  }
});
