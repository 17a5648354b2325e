// From mcp-proxy 6.7.19's npm tarball, src/proxyRequestContext.test.ts (MIT, (c) Frank Fiegel / punkpeye).
// Changed: mcp-proxy's own module imports (./proxyServer.js, ./startHTTPServer.js, …) now import
// "mcp-proxy", which resolves to this package (the drop-in alias), and fixture paths point here;
// cases marked `mcp-proxy-native:` are skipped or expected to fail, for the reasons in README.md.
import type {
  LoggingLevel,
  ServerCapabilities,
} from "@modelcontextprotocol/server";

import {
  Client,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import { InMemoryTransport, Server, Tool } from "@modelcontextprotocol/server";
import { getRandomPort } from "get-port-please";
import { afterEach, describe, expect, it, vi } from "vitest";

import { proxyServer } from "mcp-proxy";
import { startHTTPServer } from "mcp-proxy";

/**
 * What a proxied request carries besides its params: the caller's cancellation,
 * its progress token, and the level it asked to be logged at. The upstream here
 * is in-process, so these run without spawning a server.
 */

const TOOLS: Tool[] = [
  {
    description: "Reports progress, then finishes",
    inputSchema: { properties: {}, type: "object" },
    name: "slow",
  },
];

type Upstream = {
  aborted: () => boolean;
  client: Client;
  emitLog: (level: LoggingLevel, data: string) => void;
  emitResourceUpdated: (uri: string) => void;
  loggingLevel: () => string | undefined;
};

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) {
    await cleanups.pop()?.();
  }
});

const createUpstream = async (): Promise<Upstream> => {
  const server = new Server(
    { name: "upstream", version: "1.0.0" },
    { capabilities: { logging: {}, resources: { subscribe: true }, tools: {} } },
  );

  let aborted = false;
  let loggingLevel: string | undefined;

  server.setRequestHandler("tools/list", async () => ({ tools: TOOLS }));

  server.setRequestHandler("logging/setLevel", async (request) => {
    loggingLevel = request.params.level;

    return {};
  });

  server.setRequestHandler("resources/subscribe", async () => ({}));
  server.setRequestHandler("resources/unsubscribe", async () => ({}));

  server.setRequestHandler("tools/call", async (request, ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken;

    if (progressToken !== undefined) {
      await ctx.mcpReq.notify({
        method: "notifications/progress",
        params: { progress: 1, progressToken, total: 2 },
      });
    }

    if (request.params.arguments?.hang) {
      await new Promise<void>((resolve) => {
        ctx.mcpReq.signal.addEventListener("abort", () => {
          aborted = true;
          resolve();
        });
      });

      return { content: [{ text: "aborted", type: "text" as const }] };
    }

    return { content: [{ text: "done", type: "text" as const }] };
  });

  const [clientTransport, serverTransport] =
    InMemoryTransport.createLinkedPair();

  await server.connect(serverTransport);

  const client = new Client({ name: "mcp-proxy", version: "1.0.0" }, {});

  await client.connect(clientTransport);

  return {
    aborted: () => aborted,
    client,
    emitLog: (level, data) => {
      void server.sendLoggingMessage({ data, level });
    },
    emitResourceUpdated: (uri) => {
      void server.sendResourceUpdated({ uri });
    },
    loggingLevel: () => loggingLevel,
  };
};

const startProxy = async (upstream: Upstream) => {
  const serverCapabilities =
    upstream.client.getServerCapabilities() as ServerCapabilities;

  const port = await getRandomPort();

  const httpServer = await startHTTPServer({
    createServer: async () => {
      const server = new Server(upstream.client.getServerVersion()!, {
        capabilities: serverCapabilities,
      });

      await proxyServer({
        client: upstream.client,
        server,
        serverCapabilities,
      });

      return server;
    },
    port,
  });

  cleanups.push(async () => {
    await httpServer.close();
    await upstream.client.close();
  });

  return port;
};

const connect = async (port: number, protocol: "legacy" | "modern") => {
  const client = new Client(
    { name: `${protocol}-client`, version: "1.0.0" },
    {
      versionNegotiation:
        protocol === "modern" ? { mode: { pin: "2026-07-28" } } : undefined,
    },
  );

  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)),
  );

  return client;
};

/**
 * Marks a probe apart from the messages a test actually asserts on, so a
 * duplicate that lands after the handshake can be ignored rather than counted.
 */
const ATTACH_PROBE = "__attach-probe__";

/**
 * Waits until the connection can actually receive an unsolicited notification.
 *
 * The standalone `GET` stream those arrive on is opened in the background once
 * `notifications/initialized` is accepted, so `connect()` resolves before it is
 * attached. Anything sent in that window is discarded rather than queued - the
 * server transport returns early when there is no standalone stream to write
 * to - so emitting straight after connecting races the stream and loses the
 * message outright, which no timeout can recover.
 *
 * A log message is the probe because it reaches every connection: the level
 * filter only drops anything once that client has set a level of its own.
 */
const attachStandaloneStream = async (client: Client, upstream: Upstream) => {
  let attached = false;

  client.setNotificationHandler("notifications/message", async () => {
    attached = true;
  });

  // Measured at ~22ms to attach, so the interval keeps stray duplicate probes
  // down while the timeout leaves room for a loaded CI runner.
  await vi.waitFor(
    () => {
      upstream.emitLog("emergency", ATTACH_PROBE);

      expect(attached).toBe(true);
    },
    { interval: 25, timeout: 10_000 },
  );
};

describe("per-request context crosses the proxy", () => {
  for (const protocol of ["legacy", "modern"] as const) {
    it(`relays progress notifications to a ${protocol} client`, async () => {
      const upstream = await createUpstream();
      const port = await startProxy(upstream);
      const client = await connect(port, protocol);

      const tokens: unknown[] = [];

      client.setNotificationHandler(
        "notifications/progress",
        async (notification) => {
          tokens.push(notification.params.progressToken);
        },
      );

      // A token chosen here rather than by the SDK, because the assertion that
      // matters is which token comes back: the upstream call carries the
      // proxy's own, and the caller can only match a notification up if the
      // proxy restores the one it sent.
      await client.request({
        method: "tools/call",
        params: {
          _meta: { progressToken: "downstream-token" },
          arguments: {},
          name: "slow",
        },
      });

      await vi.waitFor(() => {
        expect(tokens).toEqual(["downstream-token"]);
      });

      await client.close();
    }, 30000);

    it(`propagates a ${protocol} client's cancellation upstream`, async () => {
      const upstream = await createUpstream();
      const port = await startProxy(upstream);
      const client = await connect(port, protocol);

      const abort = new AbortController();

      const call = client.callTool(
        { arguments: { hang: true }, name: "slow" },
        { signal: abort.signal },
      );

      await new Promise((resolve) => setTimeout(resolve, 150));

      abort.abort();

      await expect(call).rejects.toThrow();

      // Without `signal` forwarded, the upstream call runs to completion and
      // the work the client gave up on keeps going.
      await vi.waitFor(() => {
        expect(upstream.aborted()).toBe(true);
      });

      await client.close();
    }, 30000);
  }

  it("keeps logging/setLevel local to the connection", async () => {
    const upstream = await createUpstream();
    const port = await startProxy(upstream);
    const client = await connect(port, "legacy");

    await client.setLoggingLevel("debug");

    // Deliberately NOT forwarded. One upstream connection is shared by every
    // downstream session and carries a single level, so forwarding lets one
    // client raise or silence another's logs; and the method does not exist on
    // a 2026-07-28 upstream at all, where forwarding is a hard error. The v2
    // `Server`'s built-in handler answers locally instead.
    expect(upstream.loggingLevel()).toBeUndefined();

    await client.close();
  }, 30000);

  it("applies the connection's logging level to forwarded messages", async () => {
    const upstream = await createUpstream();
    const port = await startProxy(upstream);
    const client = await connect(port, "legacy");

    await attachStandaloneStream(client, upstream);

    const received: string[] = [];

    client.setNotificationHandler("notifications/message", async (n) => {
      const data = n.params.data as string;

      // A probe that landed after the handshake finished. Ignored rather than
      // recorded, so it cannot show up as an extra message below.
      if (data === ATTACH_PROBE) {
        return;
      }

      received.push(data);
    });

    await client.setLoggingLevel("error");

    upstream.emitLog("debug", "below-threshold");
    upstream.emitLog("error", "at-threshold");

    // Because the level is deliberately not forwarded, the upstream keeps
    // sending everything and the filter has to run on this side. Without it
    // `logging/setLevel` is answered and then ignored.
    await vi.waitFor(() => {
      expect(received).toEqual(["at-threshold"]);
    });

    await client.close();
  }, 30000);

  it("delivers resources/updated only to the connection that subscribed", async () => {
    const upstream = await createUpstream();
    const port = await startProxy(upstream);

    const watcher = await connect(port, "legacy");
    const bystander = await connect(port, "legacy");

    // The bystander's stream especially: one that is not attached yet receives
    // nothing at all, which would satisfy the "did not overhear" assertion for
    // entirely the wrong reason.
    await attachStandaloneStream(watcher, upstream);
    await attachStandaloneStream(bystander, upstream);

    const watched: string[] = [];
    const overheard: string[] = [];

    watcher.setNotificationHandler(
      "notifications/resources/updated",
      async (n) => {
        watched.push(n.params.uri);
      },
    );

    bystander.setNotificationHandler(
      "notifications/resources/updated",
      async (n) => {
        overheard.push(n.params.uri);
      },
    );

    await watcher.subscribeResource({ uri: "file:///watched.txt" });
    await bystander.subscribeResource({ uri: "file:///other.txt" });

    upstream.emitResourceUpdated("file:///watched.txt");

    await vi.waitFor(() => {
      expect(watched).toEqual(["file:///watched.txt"]);
    });

    // Both connections share one upstream, which reports the change once. A
    // copy for the bystander would tell it which resources another client is
    // watching, and when they change.
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(overheard).toEqual([]);

    await watcher.close();
    await bystander.close();
  }, 30000);
});
