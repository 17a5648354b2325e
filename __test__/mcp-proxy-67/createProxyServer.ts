// From mcp-proxy 6.7.19's npm tarball, src/createProxyServer.ts (MIT, (c) Frank Fiegel / punkpeye).
// Unchanged: an internal helper of mcp-proxy (not part of its API) that the copied tests wire with.
import { Client } from "@modelcontextprotocol/client";
import { Server, ServerCapabilities } from "@modelcontextprotocol/server";

export const createProxyServer = (client: Client) => {
  const serverVersion = client.getServerVersion() as {
    name: string;
    version: string;
  };
  const serverCapabilities = client.getServerCapabilities() as ServerCapabilities;

  return {
    server: new Server(serverVersion, {
      capabilities: serverCapabilities,
      instructions: client.getInstructions(),
    }),
    serverCapabilities,
  };
};
