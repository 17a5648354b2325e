// An MCP server whose tools are protected by bearer tokens: a public tool, and a tool that
// needs scope `admin`. Tokens are HS256 JWTs signed with a key made at start-up; the
// server prints one token without and one with `admin` to try it.
//
//   node examples/oauth-server/server.mjs        (PORT=8080 by default)
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { startHTTPServer, respondWith } from "../../index.mjs";
import { createSigningKey, signToken, verifyToken } from "./tokens.mjs";

const port = Number(process.env.PORT ?? 8080);
const origin = `http://localhost:${port}`;
const resourceMetadata = `${origin}/.well-known/oauth-protected-resource`;
const key = createSigningKey();

const quote = (value) => `"${value.replace(/[\\"]/g, "\\$&")}"`;

function bearerToken(req) {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  return match?.[1];
}

function createServer(req) {
  const claims = verifyToken(key, bearerToken(req)) ?? { sub: "anonymous", scope: "" };
  const scopes = claims.scope.split(" ").filter(Boolean);
  const server = new McpServer({ name: "oauth-example", version: "1.0.0" });
  server.registerTool("whoami", { description: "Who the token belongs to" }, async () => ({
    content: [{ type: "text", text: `${claims.sub} (scopes: ${scopes.join(" ") || "none"})` }],
  }));
  server.registerTool("admin_report", { description: "Needs scope admin" }, async () => {
    if (!scopes.includes("admin")) {
      // Answers this tool call's HTTP exchange with a 403 and the RFC 6750 challenge.
      await respondWith(
        new Response(JSON.stringify({ error: "insufficient_scope" }), {
          status: 403,
          headers: {
            "content-type": "application/json",
            "www-authenticate": `Bearer realm="MCP Server", error="insufficient_scope", scope="admin", error_description=${quote(
              'The "admin" scope is required',
            )}, resource_metadata=${quote(resourceMetadata)}`,
          },
        }),
      );
    }
    return { content: [{ type: "text", text: "all systems nominal" }] };
  });
  return server.server;
}

const { close } = await startHTTPServer({
  port,
  host: "localhost",
  createServer,
  authenticate: async (req) => {
    const claims = verifyToken(key, bearerToken(req));
    if (claims) return { token: bearerToken(req), clientId: claims.sub, scopes: claims.scope.split(" ") };
    return {
      authenticated: false,
      error: "Unauthorized: a valid bearer token is required",
      wwwAuthenticate: `Bearer realm="MCP Server", scope="openid", resource_metadata=${quote(resourceMetadata)}`,
    };
  },
  oauth: {
    protectedResource: {
      resource: origin,
      authorization_servers: [origin],
      scopes_supported: ["openid", "admin"],
    },
  },
});

const hour = Math.floor(Date.now() / 1000) + 3600;
console.log(`MCP server on ${origin}/mcp`);
console.log(`READER_TOKEN=${signToken(key, { sub: "reader", scope: "openid", exp: hour })}`);
console.log(`ADMIN_TOKEN=${signToken(key, { sub: "admin", scope: "openid admin", exp: hour })}`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => close());
}
