// A small MCP server served by mcp-proxy-native: `npm start`, then point an MCP client
// (or the curl lines in the README) at http://localhost:8080/mcp.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { startHTTPServer } from "../index.mjs";

const port = Number(process.env.PORT ?? 8080);

function createServer() {
  const server = new McpServer({ name: "example", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes its text", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  server.registerTool(
    "count",
    { description: "Counts to n, reporting progress", inputSchema: { n: z.number().int().max(100) } },
    async ({ n }, extra) => {
      for (let i = 1; i <= n; i++) {
        const progressToken = extra._meta?.progressToken;
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken, progress: i, total: n },
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return { content: [{ type: "text", text: `counted to ${n}` }] };
    },
  );
  return server;
}

const { close } = await startHTTPServer({
  port,
  host: "localhost",
  createServer,
  onConnect: () => console.log("session opened"),
  onClose: () => console.log("session closed"),
});
console.log(`MCP server on http://localhost:${port}/mcp`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await close();
    console.log("stopped");
  });
}
