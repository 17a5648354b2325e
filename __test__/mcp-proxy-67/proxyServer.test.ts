// From mcp-proxy 6.7.19's npm tarball, src/proxyServer.test.ts (MIT, (c) Frank Fiegel / punkpeye).
// Changed: mcp-proxy's own module imports (./proxyServer.js, ./startHTTPServer.js, …) now import
// "mcp-proxy", which resolves to this package (the drop-in alias), and fixture paths point here;
// cases marked `mcp-proxy-native:` are skipped or expected to fail, for the reasons in README.md.
import { Client } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { ProtocolError } from "@modelcontextprotocol/server";
import { EventSource } from "eventsource";
import { getRandomPort } from "get-port-please";
import { describe, expect, it } from "vitest";

import { createProxyServer } from "./createProxyServer.js";
import { proxyServer } from "mcp-proxy";
import { startHTTPServer } from "mcp-proxy";

if (!("EventSource" in global)) {
  // @ts-expect-error - figure out how to use --experimental-eventsource with vitest
  global.EventSource = EventSource;
}

interface TestConfig {
  requestTimeout?: number;
  serverDelay?: string;
  serverFixture?: string;
}

interface TestEnvironment {
  cleanup: () => Promise<void>;
  httpServer: { close: () => Promise<void> };
  stdioClient: Client;
  streamClient: Client;
}

async function createTestEnvironment(
  config: TestConfig = {},
): Promise<TestEnvironment> {
  const {
    requestTimeout,
    serverDelay,
    serverFixture = "simple-stdio-server.ts",
  } = config;

  const stdioTransport = new StdioClientTransport({
    args: [`__test__/mcp-proxy-67/fixtures/${serverFixture}`],
    command: "tsx",
    env: serverDelay
      ? ({ ...process.env, RESPONSE_DELAY: serverDelay } as Record<
          string,
          string
        >)
      : (process.env as Record<string, string>),
  });

  const stdioClient = new Client(
    { name: "mcp-proxy-test", version: "1.0.0" },
    { capabilities: {} },
  );

  await stdioClient.connect(stdioTransport);

  const { serverCapabilities } = createProxyServer(stdioClient);
  const port = await getRandomPort();

  const httpServer = await startHTTPServer({
    createServer: async () => {
      const { server } = createProxyServer(stdioClient);
      await proxyServer({
        client: stdioClient,
        requestTimeout,
        server,
        serverCapabilities,
      });
      return server;
    },
    port,
  });

  const streamClient = new Client(
    { name: "stream-client", version: "1.0.0" },
    { capabilities: {} },
  );

  const transport = new StreamableHTTPClientTransport(
    new URL(`http://localhost:${port}/mcp`),
  );
  await streamClient.connect(transport);

  return {
    cleanup: async () => {
      await streamClient.close();
      await stdioClient.close();
    },
    httpServer,
    stdioClient,
    streamClient,
  };
}

describe("proxyServer timeout functionality", () => {
  it("preserves upstream server instructions", async () => {
    const { cleanup, streamClient } = await createTestEnvironment();

    expect(streamClient.getInstructions()).toBe(
      "Use this server for example resources.",
    );

    await cleanup();
  }, 10000);

  it("should respect custom timeout settings", async () => {
    const { cleanup, streamClient } = await createTestEnvironment({
      requestTimeout: 1000,
      serverDelay: "500",
      serverFixture: "slow-stdio-server.ts",
    });

    // This should succeed as timeout (1s) > delay (500ms)
    const result = await streamClient.listResources();
    expect(result.resources).toHaveLength(1);
    expect(result.resources[0].name).toBe("Slow Resource");

    await cleanup();
  }, 10000);

  it("should timeout when request takes longer than configured timeout", async () => {
    const { cleanup, streamClient } = await createTestEnvironment({
      requestTimeout: 500,
      serverDelay: "1000",
      serverFixture: "slow-stdio-server.ts",
    });

    // This should throw a timeout error as delay (1s) > timeout (500ms)
    await expect(streamClient.listResources()).rejects.toThrow(ProtocolError);

    await cleanup();
  }, 10000);

  it("should use default SDK timeout when no custom timeout is provided", async () => {
    const { cleanup, streamClient } = await createTestEnvironment();

    // This should succeed with default timeout
    const result = await streamClient.listResources();
    expect(result.resources).toBeDefined();

    await cleanup();
  }, 10000);

  it("should handle resource reads with custom timeout", async () => {
    const { cleanup, streamClient } = await createTestEnvironment({
      requestTimeout: 600,
      serverDelay: "300",
      serverFixture: "slow-stdio-server.ts",
    });

    // First get the resources
    const resources = await streamClient.listResources();
    expect(resources.resources).toHaveLength(1);

    // Resource read should succeed as timeout (600ms) > delay (300ms)
    const resourceContent = await streamClient.readResource({
      uri: resources.resources[0].uri,
    });

    expect(resourceContent.contents).toBeDefined();
    expect((resourceContent.contents[0] as { text: string }).text).toContain(
      "300ms delay",
    );

    await cleanup();
  }, 10000);
});
