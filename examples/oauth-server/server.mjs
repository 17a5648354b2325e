// An MCP server whose tools are protected by bearer tokens: a public tool, and a tool that
// needs scope `admin`. Tokens are HS256 JWTs signed with a key made at start-up; the
// server prints one token without and one with `admin` to try it.
//
// Access is decided per request: `authenticate` runs on every request and its result reaches
// each handler as `extra.authInfo`, so a tool checks the token that came with THIS call, not
// the one that opened the session (a refreshed token with fewer scopes gets the 403). A session
// belongs to the user who created it: the reader's token on the admin's session gets 404.
//
// There is no authorization server here: tokens are handed out on stdout, so the protected
// resource metadata names none (RFC 9728: `authorization_servers` is optional) and
// `/.well-known/oauth-authorization-server` is not served (404).
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

/** The 403 of RFC 6750 §3.1 for this request: the challenge names the scope it needs. */
function insufficientScope(requestId, scope) {
  const description = `The "${scope}" scope is required`;
  return new Response(JSON.stringify({ error: { code: -32000, message: `Forbidden: ${description}` }, id: requestId, jsonrpc: "2.0" }), {
    status: 403,
    headers: {
      "content-type": "application/json",
      "www-authenticate": `Bearer realm="MCP Server", error="insufficient_scope", scope=${quote(scope)}, error_description=${quote(
        description,
      )}, resource_metadata=${quote(resourceMetadata)}`,
    },
  });
}

function createServer() {
  const server = new McpServer({ name: "oauth-example", version: "1.0.0" });
  server.registerTool("whoami", { description: "Who the token of this call belongs to" }, async (extra) => {
    const { clientId, scopes } = extra.authInfo;
    return { content: [{ type: "text", text: `${clientId} (scopes: ${scopes.join(" ") || "none"})` }] };
  });
  server.registerTool("admin_report", { description: "Needs scope admin" }, async (extra) => {
    if (!extra.authInfo?.scopes.includes("admin")) {
      // Answers this tool call's HTTP exchange with the 403 and stops here (it throws).
      await respondWith(insufficientScope(extra.requestId, "admin"));
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
    if (claims) return { token: bearerToken(req), clientId: claims.sub, scopes: claims.scope.split(" ").filter(Boolean) };
    return {
      authenticated: false,
      error: "Unauthorized: a valid bearer token is required",
      wwwAuthenticate: `Bearer realm="MCP Server", scope="openid", resource_metadata=${quote(resourceMetadata)}`,
    };
  },
  oauth: {
    protectedResource: {
      resource: origin,
      scopes_supported: ["openid", "admin"],
    },
  },
});

const hour = Math.floor(Date.now() / 1000) + 3600;
console.log(`MCP server on ${origin}/mcp`);
console.log(`READER_TOKEN=${signToken(key, { sub: "reader", scope: "openid", exp: hour })}`);
console.log(`ADMIN_TOKEN=${signToken(key, { sub: "admin", scope: "openid admin", exp: hour })}`);
// The admin's token as a refresh with fewer scopes would give it: same user, no `admin`.
console.log(`ADMIN_DOWNSCOPED_TOKEN=${signToken(key, { sub: "admin", scope: "openid", exp: hour })}`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => close());
}
