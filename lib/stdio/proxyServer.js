"use strict";
// `proxyServer({ client, server, serverCapabilities, requestTimeout })`: wires a downstream SDK
// `Server` to forward what it can serve to an upstream SDK `Client`. Ported from mcp-proxy
// 6.7.19 src/proxyServer.ts (MIT, (c) Frank Fiegel / punkpeye): handlers only for the upstream's
// capabilities (the rest is -32601 locally), the caller's signal and progress carried upstream
// (the downstream progressToken restored on the way back), `logging/setLevel` kept per
// connection and applied to forwarded `notifications/message`, `resources/updated` only to the
// connection that subscribed, unsolicited notifications only to 2025-era connections.
// This is the JS path, on the application's own SDK objects; the command line's data path is
// native and does not use it (CONTRACT §13).
const { getUpstreamBridge } = require("./upstreamNotifications");

/** Revisions are date-stamped, so string order is release order. */
const FIRST_MODERN_PROTOCOL_VERSION = "2026-07-28";

const LOG_LEVEL_SEVERITY = { debug: 0, info: 1, notice: 2, warning: 3, error: 4, critical: 5, alert: 6, emergency: 7 };

/** Only a positively identified 2026-07-28+ connection is modern; unknown keeps forwarding. */
const isModernEraConnection = (server) => {
  const version = server.getNegotiatedProtocolVersion();
  return version !== undefined && version >= FIRST_MODERN_PROTOCOL_VERSION;
};

async function proxyServer({ client, requestTimeout, server, serverCapabilities }) {
  const bridge = getUpstreamBridge({ client, requestTimeout });

  const forwardOptions = (ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken;
    return {
      ...(progressToken === undefined
        ? {}
        : {
            onprogress: (progress) => {
              void ctx.mcpReq.notify({ method: "notifications/progress", params: { ...progress, progressToken } }).catch((error) => {
                console.error("[mcp-proxy] error forwarding progress", error);
              });
            },
          }),
      signal: ctx.mcpReq.signal,
      ...(requestTimeout ? { timeout: requestTimeout } : {}),
    };
  };

  // 2025-era connections only, and only while connected; a send that loses the race with a
  // closing transport is logged, never an unhandled rejection.
  const forward = (send) => {
    if (server.transport === undefined || isModernEraConnection(server)) return;
    send().catch((error) => {
      console.error("[mcp-proxy] error forwarding upstream notification", error);
    });
  };

  /** The level this connection asked for; undefined: everything. */
  let logLevel;

  const lease = bridge.subscribe({
    loggingMessage: (params) => {
      if (logLevel !== undefined && LOG_LEVEL_SEVERITY[params.level] < LOG_LEVEL_SEVERITY[logLevel]) return;
      forward(() => server.notification({ method: "notifications/message", params }));
    },
    promptsListChanged: () => forward(() => server.notification({ method: "notifications/prompts/list_changed" })),
    resourcesListChanged: () => forward(() => server.notification({ method: "notifications/resources/list_changed" })),
    resourceUpdated: (params) => {
      // Only the connections that subscribed may learn of the change.
      if (!lease.owns(params.uri)) return;
      forward(() => server.notification({ method: "notifications/resources/updated", params }));
    },
    toolsListChanged: () => forward(() => server.notification({ method: "notifications/tools/list_changed" })),
  });

  const previousOnClose = server.onclose;
  server.onclose = () => {
    lease.release();
    previousOnClose?.();
  };

  if (serverCapabilities?.logging) {
    // Answered here, never forwarded: one upstream carries one level for every connection.
    server.setRequestHandler("logging/setLevel", async (request) => {
      logLevel = request.params.level;
      return {};
    });
  }

  if (serverCapabilities?.prompts) {
    server.setRequestHandler("prompts/get", async (request, ctx) => client.getPrompt(request.params, forwardOptions(ctx)));
    server.setRequestHandler("prompts/list", async (request, ctx) => client.listPrompts(request.params, forwardOptions(ctx)));
  }

  if (serverCapabilities?.resources) {
    server.setRequestHandler("resources/list", async (request, ctx) => client.listResources(request.params, forwardOptions(ctx)));
    server.setRequestHandler("resources/templates/list", async (request, ctx) =>
      client.listResourceTemplates(request.params, forwardOptions(ctx)),
    );
    server.setRequestHandler("resources/read", async (request, ctx) => client.readResource(request.params, forwardOptions(ctx)));
    if (serverCapabilities.resources.subscribe) {
      // Through the bridge: a 2026-07-28 upstream has no resources/subscribe (it is a listen filter there).
      server.setRequestHandler("resources/subscribe", async (request) => {
        await lease.addResourceSubscription(request.params.uri);
        return {};
      });
      server.setRequestHandler("resources/unsubscribe", async (request) => {
        await lease.removeResourceSubscription(request.params.uri);
        return {};
      });
    }
  }

  if (serverCapabilities?.tools) {
    server.setRequestHandler("tools/call", async (request, ctx) => client.callTool(request.params, forwardOptions(ctx)));
    server.setRequestHandler("tools/list", async (request, ctx) => client.listTools(request.params, forwardOptions(ctx)));
  }

  if (serverCapabilities?.completions) {
    server.setRequestHandler("completion/complete", async (request, ctx) => client.complete(request.params, forwardOptions(ctx)));
  }
}

module.exports = { proxyServer };
