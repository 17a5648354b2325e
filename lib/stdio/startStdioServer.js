"use strict";
// `startStdioServer`, `ServerType`, `resolveVersionNegotiation`: the inverse proxy, stdio
// downstream (this process's stdin/stdout, 2025 era) to an SSE or Streamable HTTP server
// upstream. Ported from mcp-proxy 6.7.19 src/startStdioServer.ts (MIT, (c) Frank Fiegel /
// punkpeye); the SDK classes are the application's own copy (lib/stdio/appSdk.js).
// As 6.7.19: upstream instructions are not copied to the stdio Server, no requestTimeout (the
// SDK's 60 s), a failure after the upstream connected closes it and rethrows the first error.
const { loadAppModule } = require("./appSdk");
const { proxyServer } = require("./proxyServer");

/** A string enum, as the TypeScript `enum ServerType` compiles. */
const ServerType = Object.freeze({ HTTPStream: "HTTPStream", SSE: "SSE" });

/**
 * `legacy` (default): the 2025 `initialize` handshake. `auto`: probe `server/discover`, fall
 * back to `initialize`. `modern`: 2026-07-28 or fail. Anything else is legacy.
 */
function resolveVersionNegotiation(upstreamProtocol = "legacy") {
  if (upstreamProtocol === "auto") return { mode: "auto" };
  if (upstreamProtocol === "modern") return { mode: { pin: "2026-07-28" } };
  return undefined;
}

async function startStdioServer({ initStdioServer, initStreamClient, serverType, transportOptions = {}, upstreamProtocol = "legacy", url }) {
  const clientSdk = await loadAppModule("@modelcontextprotocol/client");
  const transport =
    serverType === ServerType.SSE
      ? new clientSdk.SSEClientTransport(new URL(url), transportOptions)
      : new clientSdk.StreamableHTTPClientTransport(new URL(url), transportOptions);
  const streamClient = initStreamClient
    ? await initStreamClient()
    : new clientSdk.Client(
        { name: "mcp-proxy", version: "1.0.0" },
        { capabilities: {}, versionNegotiation: resolveVersionNegotiation(upstreamProtocol) },
      );

  await streamClient.connect(transport);

  try {
    const serverVersion = streamClient.getServerVersion();
    const serverCapabilities = streamClient.getServerCapabilities();
    const stdioServer = initStdioServer
      ? await initStdioServer()
      : new (await loadAppModule("@modelcontextprotocol/server")).Server(serverVersion, { capabilities: serverCapabilities });
    await proxyServer({ client: streamClient, server: stdioServer, serverCapabilities });
    // A bare StdioServerTransport: the stdio side is 2025-era only, as in 6.7.19.
    const { StdioServerTransport } = await loadAppModule("@modelcontextprotocol/server", "./stdio");
    await stdioServer.connect(new StdioServerTransport());
    return stdioServer;
  } catch (error) {
    try {
      await streamClient.close();
    } catch {
      // The startup error is the one to report.
    }
    throw error;
  }
}

module.exports = { ServerType, resolveVersionNegotiation, startStdioServer };
