// An SDK v2 server (`@modelcontextprotocol/server`) served by mcp-proxy-native to MCP
// 2026-07-28 clients and 2025-era clients on the same endpoint.
//
//   node examples/modern-server.mjs          serve on http://localhost:8080/mcp
//   node examples/modern-server.mjs --demo   serve on a free port, then run a 2026 client and
//                                            a 2025 client against it at the same time, and exit
//
// A 2026-07-28 request is stateless: createServer runs for each one (and onConnect/onClose
// around it). State shared across requests lives outside the server object (`notes` here),
// and changes reach 2026 clients through `notify`, on the `subscriptions/listen` streams
// they keep open; 2025 sessions hear about them the 2025 way (list_changed on their stream).
import { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { startHTTPServer } from "../index.mjs";

const demo = process.argv.includes("--demo");
const notes = [];
/** 2025-era sessions, to tell them about changes too. */
const sessions = new Set();
let notify;

function createServer() {
  const server = new McpServer(
    { name: "notes", version: "1.0.0" },
    { capabilities: { resources: { subscribe: true, listChanged: true } } },
  );
  server.registerTool(
    "add_note",
    { description: "Adds a note", inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => {
      notes.push(text);
      notify.resourceUpdated("notes://all"); // 2026 listen streams subscribed to it
      for (const session of sessions) session.sendResourceUpdated({ uri: "notes://all" }).catch(() => {});
      return { content: [{ type: "text", text: `${notes.length} note(s)` }] };
    },
  );
  server.registerResource("notes", "notes://all", { mimeType: "text/plain" }, async (uri) => ({
    contents: [{ uri: uri.href, text: notes.join("\n") }],
  }));
  return server;
}

const running = await startHTTPServer({
  port: demo ? 0 : Number(process.env.PORT ?? 8080),
  host: "localhost",
  createServer,
  onConnect: (server) => void sessions.add(server.server),
  onClose: (server) => void sessions.delete(server.server),
});
notify = running.notify;
const url = new URL(`http://localhost:${running.port}/mcp`);
console.log(`MCP server on ${url} (2025-era sessions and 2026-07-28 requests)`);

if (demo) {
  const { Client } = await import("@modelcontextprotocol/client");
  const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/client");
  const { Client: Client2025 } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { StreamableHTTPClientTransport: Transport2025 } = await import(
    "@modelcontextprotocol/sdk/client/streamableHttp.js"
  );

  // A 2026-07-28 client (negotiates with server/discover) and a 2025 client (initialize).
  const modern = new Client({ name: "client-2026", version: "1.0.0" }, { versionNegotiation: { mode: "auto" } });
  const legacy = new Client2025({ name: "client-2025", version: "1.0.0" });
  await Promise.all([
    modern.connect(new StreamableHTTPClientTransport(url)),
    legacy.connect(new Transport2025(url)),
  ]);
  console.log(`2026 client negotiated ${modern.getNegotiatedProtocolVersion()}; 2025 client holds session ${Boolean(legacy.transport?.sessionId)}`);

  const updated = new Promise((resolve) =>
    modern.setNotificationHandler("notifications/resources/updated", (n) => resolve(n.params.uri)),
  );
  const subscription = await modern.listen({ resourceSubscriptions: ["notes://all"] });
  console.log("2026 listen stream honors", JSON.stringify(subscription.honoredFilter));

  const a = await modern.callTool({ name: "add_note", arguments: { text: "from 2026" } });
  const b = await legacy.callTool({ name: "add_note", arguments: { text: "from 2025" } });
  console.log(`add_note answered the 2026 client "${a.content[0].text}", the 2025 client "${b.content[0].text}"`);
  console.log("2026 client was told", await updated, "changed");
  const read = await legacy.readResource({ uri: "notes://all" });
  console.log("the 2025 client reads", JSON.stringify(read.contents[0].text.split("\n")));

  await subscription.close();
  await Promise.all([modern.close(), legacy.close()]);
  await running.close();
} else {
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => running.close());
}
