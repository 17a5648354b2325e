// The user's side of the release tests: an app folder with mcp-proxy-native installed, a server
// as the README's "Use" section writes it (an SDK McpServer served by startHTTPServer) and an SDK
// client calling its tool. Both run from the app folder, on that folder's node_modules.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";

const SERVER_JS = `
const { McpServer } = require("@modelcontextprotocol/sdk/server/mcp.js");
const { z } = require("zod");
const { startHTTPServer } = require("mcp-proxy-native");
startHTTPServer({
  port: Number(process.env.PORT),
  host: "127.0.0.1",
  createServer: async () => {
    const server = new McpServer({ name: "release-app", version: "1.0.0" });
    server.registerTool("add", { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
      content: [{ type: "text", text: String(a + b) + " on " + process.platform + "-" + process.arch }],
    }));
    return server.server;
  },
}).then(() => {
  // Which addon file this process loaded: the proof that it came from the platform package.
  const addon = process.report.getReport().sharedObjects.find((f) => f.endsWith(".node"));
  console.log("SERVING " + JSON.stringify({ addon }));
});
`;

const CLIENT_JS = `
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = require("@modelcontextprotocol/sdk/client/streamableHttp.js");
(async () => {
  const client = new Client({ name: "release-app-client", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL("http://127.0.0.1:" + process.env.PORT + "/mcp"));
  await client.connect(transport);
  const result = await client.callTool({ name: "add", arguments: { a: 40, b: 2 } });
  await transport.terminateSession();
  await client.close();
  console.log("RESULT " + JSON.stringify(result.content[0].text));
})();
`;

export async function freePort() {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function start(cmd, args, opts) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  child.output = "";
  child.stdout.on("data", (d) => (child.output += d));
  child.stderr.on("data", (d) => (child.output += d));
  return child;
}

const exited = (child) => new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once("exit", r)));

/**
 * Runs the server in `app` with `cmd ...args server.js` (a Node, maybe under qemu), waits up to
 * `seconds` for it, and calls its tool with the client run by this Node.
 * @returns {Promise<{ text?: string, addon?: string, output: string }>}
 */
export async function serveAndCall(app, cmd, args, env, seconds) {
  writeFileSync(path.join(app, "server.js"), SERVER_JS);
  writeFileSync(path.join(app, "client.js"), CLIENT_JS);
  const port = String(await freePort());
  const server = start(cmd, [...args, "server.js"], { cwd: app, env: { ...env, PORT: port } });
  try {
    const deadline = Date.now() + seconds * 1000;
    while (!/SERVING/.test(server.output)) {
      if (server.exitCode !== null) return { output: server.output };
      if (Date.now() > deadline) return { output: `no answer within ${seconds} s\n${server.output}` };
      await new Promise((r) => setTimeout(r, 200));
    }
    const client = start(process.execPath, ["client.js"], { cwd: app, env: { ...env, PORT: port } });
    const timer = setTimeout(() => client.kill("SIGKILL"), seconds * 1000);
    await exited(client);
    clearTimeout(timer);
    const text = /RESULT (.*)/.exec(client.output)?.[1];
    const serving = /SERVING (.*)/.exec(server.output)?.[1];
    return {
      text: text && JSON.parse(text),
      addon: serving && JSON.parse(serving).addon,
      output: `server:\n${server.output}\nclient:\n${client.output}`,
    };
  } finally {
    server.kill("SIGTERM");
    await exited(server);
  }
}
