"use strict";
// MCP 2026-07-28 requests (CONTRACT §12). Rust classifies, answers the validation ladder and
// holds listen streams; here each served request runs `createServer`, `updateAuth`,
// `onConnect`, then the SDK v2 handler (`createMcpHandler`, the SDK's own per-request
// machinery) from the application's copy of the SDK, and its `Response` goes back to Rust;
// then `onClose` and `server.close()`. A server the SDK v1 built gets mcp-proxy 6.7's
// refusal, which 2026 clients read as "fall back to initialize".
const { isResponseLike } = require("../http/responseLike");
const { SdkCopies, SDK } = require("./sdk");
const { createNotifier } = require("./notify");
const { DEFAULT_CALLBACK_TIMEOUT_MS } = require("../options");

const REFUSAL_MESSAGE =
  "Unsupported protocol version: the server instance cannot serve the 2026-07-28 protocol revision. It was built by the 1.x MCP SDK (e.g. fastmcp <=4.x pulling mcp-proxy through its `^6.4.6` range), which does not declare `_supportedProtocolVersions`. Upgrade the framework that builds it, or serve only 2025-era clients (`modern: false`).";
const JSON_TYPE = "application/json; charset=utf-8";
/** Hop-by-hop headers of the SDK's Response: Rust owns the connection (and HTTP/2 forbids them). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);

/** Thrown inside the SDK's factory to stop its handling; the request context says why. */
const STOP = new Error("[mcp-proxy] modern request answered outside the SDK");

/** An SDK v2 `Server`/`McpServer` (mcp-proxy 6.7's `canServeModernRoute`). */
function servesModern(server) {
  return Array.isArray((server.server ?? server)?._supportedProtocolVersions);
}

function refusal(id) {
  const body = JSON.stringify({
    error: { code: -32000, data: { reason: "server_missing_modern_protocol_support" }, message: REFUSAL_MESSAGE },
    id,
    jsonrpc: "2.0",
  });
  return { kind: "respond", status: 400, headers: ["content-type", JSON_TYPE], body };
}

/** `createServer` + `onConnect` did not finish within `callbackTimeout`: the 2025 path's answer. */
function timedOut(id) {
  const body = JSON.stringify({ error: { code: -32603, message: "Error creating server: timed out" }, id, jsonrpc: "2.0" });
  return { kind: "respond", status: 500, headers: ["content-type", JSON_TYPE], body };
}

/** The SDK Response's header lines as Rust writes them (charset as mcp-proxy 6.7 adds it). */
function headerLines(headers) {
  const lines = [];
  headers.forEach((value, name) => {
    if (HOP_BY_HOP.has(name)) return;
    if (name === "content-type" && /^(application\/json|text\/event-stream)\s*(;|$)/i.test(value) && !/charset=/i.test(value)) {
      value = `${value}; charset=utf-8`;
    }
    lines.push(name, value);
  });
  return lines;
}

/** The SDK's reports of requests its ladder refused (bad input, not server failures). */
function isRejection(error) {
  return /^Rejected /.test(error?.message ?? "") || error?.code === -32022 || error?.code === -32021;
}

function requestId(message) {
  const id = message?.id;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

/**
 * @param options the startHTTPServer options
 * @param getNative () => the NativeServer
 * @param helpers { responseOutcome, messageOf, isAuthInfo, closeQuietly, exchangeRequests } of startHTTPServer
 */
function createModernLeg(options, getNative, helpers) {
  const { createServer, onConnect, onClose, onListenSubscriptions } = options;
  const callbackTimeoutMs = options.callbackTimeout ?? DEFAULT_CALLBACK_TIMEOUT_MS;
  const { responseOutcome, messageOf, isAuthInfo, closeQuietly, exchangeRequests } = helpers;
  const copies = new SdkCopies();
  /** The SDK's Request of a served request → its context, for the SDK's factory (which gets
   * that Request as `requestInfo`). */
  const contexts = new WeakMap();
  /** SDK copy → its handler */
  const handlers = new Map();
  /** exchange token → AbortController */
  const inflight = new Map();
  /** listen token → request context */
  const listens = new Map();
  let warnedNoCopy = false;

  function handlerOf(sdk) {
    let handler = handlers.get(sdk);
    if (!handler) {
      handler = sdk.createMcpHandler(factory, {
        legacy: "reject",
        onerror(error) {
          // The SDK also reports each request it rejects; a client's mistake is not logged.
          if (error === STOP || isRejection(error)) return;
          console.error("[mcp-proxy] modern handler error", error);
        },
      });
      handlers.set(sdk, handler);
    }
    return handler;
  }

  function context(event) {
    let message;
    try {
      message = JSON.parse(event.body);
    } catch {
      message = undefined;
    }
    let auth;
    if (event.auth) {
      try {
        auth = JSON.parse(event.auth);
      } catch {
        auth = undefined;
      }
    }
    // The `req` authenticate got in this exchange, so both see one object (FastMCP memoizes
    // its authenticate by it).
    return { event, message, id: requestId(message), auth, req: exchangeRequests.forCreate(event.request) };
  }

  /**
   * createServer … onConnect for a request; `ctx.outcome` says why there is no server. Given
   * up after `callbackTimeout` (500, as on the 2025 path) or when the client leaves
   * (`ctx.signal`): a server that exists by then ends as every request's server does
   * (`onClose`, `close()`); one created later is closed as it arrives (CONTRACT §4.6).
   */
  function create(ctx, uris) {
    const signal = ctx.signal;
    return new Promise((resolve) => {
      let waiting = true;
      const stopWaiting = (server) => {
        if (!waiting) return false;
        waiting = false;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(server);
        return true;
      };
      const giveUp = (outcome) => {
        if (!waiting) return;
        ctx.abandoned = true;
        ctx.outcome = outcome;
        stopWaiting(undefined);
        if (ctx.server) void teardown(ctx);
      };
      const timer = setTimeout(() => giveUp(timedOut(ctx.id)), callbackTimeoutMs);
      const onAbort = () => giveUp({ kind: "createFailed", message: "the client left" });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
      createAndConnect(ctx, uris).then(stopWaiting, (error) => {
        // A result that throws when read (a hostile Proxy): answered at once, never left to
        // the timeout nor to an unhandled rejection.
        console.error("[mcp-proxy] error creating server", error);
        ctx.outcome ??= { kind: "createFailed", message: messageOf(error) };
        stopWaiting(undefined);
      });
    });
  }

  async function createAndConnect(ctx, uris) {
    let server;
    try {
      server = await createServer(ctx.req);
    } catch (error) {
      if (isResponseLike(error)) {
        ctx.outcome = await responseOutcome(error);
      } else {
        console.error("[mcp-proxy] error creating server", error);
        ctx.outcome = { kind: "createFailed", message: messageOf(error) };
      }
      return undefined;
    }
    if (isResponseLike(server)) {
      ctx.outcome = await responseOutcome(server);
      return undefined;
    }
    if (!server || typeof server.connect !== "function" || typeof server.close !== "function") {
      const error = new TypeError("createServer returned neither an MCP SDK v1 nor an SDK v2 server");
      console.error("[mcp-proxy] error creating server", error);
      ctx.outcome = { kind: "createFailed", message: error.message };
      return undefined;
    }
    if (ctx.abandoned) {
      // Created after the request was given up: no callback saw it, nobody will use it.
      await closeQuietly(server);
      return undefined;
    }
    ctx.server = server;
    if (!servesModern(server)) {
      ctx.outcome = refusal(ctx.id);
      return undefined;
    }
    try {
      if (uris?.length > 0 && onListenSubscriptions) ctx.release = await onListenSubscriptions(uris);
      if (ctx.auth && typeof server.updateAuth === "function") server.updateAuth(ctx.auth);
      await onConnect?.(server);
    } catch (error) {
      console.error("[mcp-proxy] error connecting to server", error);
      ctx.outcome = isResponseLike(error)
        ? await responseOutcome(error)
        : { kind: "connectFailed", message: messageOf(error) };
      return undefined;
    }
    return server;
  }

  /** The SDK's server factory: the request's server, created on first call. */
  async function factory({ requestInfo }) {
    const ctx = contexts.get(requestInfo);
    if (!ctx.created) {
      ctx.created = true;
      if (!(await create(ctx))) {
        throw STOP;
      }
    }
    const owner = await copies.owning(ctx.server);
    if (owner !== ctx.sdk) {
      if (owner) {
        ctx.retry = owner;
      } else {
        if (!warnedNoCopy) {
          warnedNoCopy = true;
          console.error(`[mcp-proxy] the server was built by a copy of ${SDK} that cannot be loaded from the application; 2026-07-28 requests are refused`);
        }
        ctx.outcome = refusal(ctx.id);
      }
      throw STOP;
    }
    return ctx.server;
  }

  /** onClose, server.close(), and the listen release, each once. */
  async function teardown(ctx) {
    if (ctx.tornDown) return;
    ctx.tornDown = true;
    try {
      await ctx.release?.();
    } catch (error) {
      console.error("[mcp-proxy] error releasing listen subscriptions", error);
    }
    if (!ctx.server) return;
    try {
      await onClose?.(ctx.server);
    } catch (error) {
      console.error("[mcp-proxy] error in onClose", error);
    }
    await closeQuietly(ctx.server);
  }

  function webRequest(ctx, signal) {
    const head = ctx.event.request;
    const headers = new Headers();
    for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) {
      try {
        headers.append(head.rawHeaders[i], head.rawHeaders[i + 1]);
      } catch {
        // a value Headers refuses is left out of the SDK's view
      }
    }
    const host = headers.get("host") ?? "localhost";
    const url = `${head.encrypted ? "https" : "http"}://${host}${head.url}`;
    return new Request(url, { method: "POST", headers, body: ctx.event.body, signal });
  }

  async function fetchWith(sdk, ctx, signal) {
    ctx.sdk = sdk;
    ctx.retry = undefined;
    const request = webRequest(ctx, signal);
    const extra = { parsedBody: ctx.message };
    if (isAuthInfo(ctx.auth)) extra.authInfo = ctx.auth;
    contexts.set(request, ctx);
    return handlerOf(sdk).fetch(request, extra);
  }

  /** Streams an SDK Response to Rust; resolves when it is fully written or the client left. */
  async function write(native, token, response, abort) {
    const lines = headerLines(response.headers);
    const type = response.headers.get("content-type") ?? "";
    if (response.body === null || !/^text\/event-stream/i.test(type)) {
      const body = response.body === null ? "" : await response.text();
      native.modernRespond(token, response.status, lines, body);
      return;
    }
    const reader = response.body.getReader();
    if (!native.modernHead(token, response.status, response.statusText || null, lines)) {
      abort.abort();
      await reader.cancel().catch(() => {});
      return;
    }
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!native.modernChunk(token, Buffer.from(value.buffer, value.byteOffset, value.byteLength))) {
          abort.abort();
          await reader.cancel().catch(() => {});
          return;
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) console.error("[mcp-proxy] error streaming a modern response", error);
    }
    native.modernEnd(token);
  }

  async function serve(event) {
    const native = getNative();
    const ctx = context(event);
    const abort = new AbortController();
    ctx.signal = abort.signal;
    inflight.set(event.token, abort);
    try {
      const sdk = await copies.first();
      if (!sdk) {
        // No SDK v2 in the application: an SDK v1 server gets the refusal.
        if (await create(ctx)) {
          if (!warnedNoCopy) {
            warnedNoCopy = true;
            console.error(`[mcp-proxy] ${SDK} cannot be loaded from the application; 2026-07-28 requests are refused`);
          }
          ctx.outcome = refusal(ctx.id);
        }
        native.modernFailed(event.token, ctx.outcome);
        return;
      }
      let response = await fetchWith(sdk, ctx, abort.signal);
      if (ctx.retry) {
        copies.preferred = ctx.retry;
        response = await fetchWith(ctx.retry, ctx, abort.signal);
      }
      if (ctx.outcome) {
        native.modernFailed(event.token, ctx.outcome);
        return;
      }
      await write(native, event.token, response, abort);
    } catch (error) {
      console.error("[mcp-proxy] modern handler error", error);
      native.modernFailed(event.token, { kind: "createFailed", message: messageOf(error) });
    } finally {
      inflight.delete(event.token);
      await teardown(ctx);
    }
  }

  function cancel(event) {
    inflight.get(event.token)?.abort();
  }

  /** A listen stream's server: Rust needs its capabilities and serverInfo only. */
  async function listen(event) {
    const native = getNative();
    const ctx = context(event);
    try {
      // What Rust leaves to the SDK (the envelope's schema) is checked by the SDK itself.
      const sdk = await copies.first();
      const route = sdk?.classifyInboundRequest({
        httpMethod: "POST",
        protocolVersionHeader: ctx.req.headers["mcp-protocol-version"],
        mcpMethodHeader: ctx.req.headers["mcp-method"],
        mcpNameHeader: ctx.req.headers["mcp-name"],
        body: ctx.message,
      });
      if (route?.kind === "reject") {
        const error = { code: route.code, message: route.message, ...(route.data !== undefined && { data: route.data }) };
        const body = JSON.stringify({ jsonrpc: "2.0", error, id: ctx.id });
        native.listenReady(event.token, null, null, { kind: "respond", status: route.httpStatus, headers: ["content-type", JSON_TYPE], body });
        return;
      }
      const server = await create(ctx, event.uris);
      if (!server) {
        native.listenReady(event.token, null, null, ctx.outcome);
        await teardown(ctx);
        return;
      }
      const target = server.server ?? server;
      const capabilities = JSON.stringify(target.getCapabilities?.() ?? {});
      const serverInfo = JSON.stringify(target._serverInfo ?? null);
      if (native.listenReady(event.token, capabilities, serverInfo, null)) {
        listens.set(event.token, ctx);
      } else {
        await teardown(ctx); // the client left meanwhile
      }
    } catch (error) {
      console.error("[mcp-proxy] error opening a listen stream", error);
      native.listenReady(event.token, null, null, { kind: "createFailed", message: messageOf(error) });
      await teardown(ctx);
    }
  }

  async function listenClosed(event) {
    const ctx = listens.get(event.token);
    listens.delete(event.token);
    if (ctx) await teardown(ctx);
    getNative().listenReleased(event.token);
  }

  /** `notify` of startHTTPServer's result (CONTRACT §12): feeds the listen streams. */
  const notify = createNotifier((kind, uri) => getNative()?.notify(kind, uri ?? null));

  return { handlers: { modern: serve, modernCancel: cancel, listen, listenClosed }, notify };
}

module.exports = { createModernLeg };
