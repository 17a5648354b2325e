"use strict";
// The public `startHTTPServer`: normalises options, starts the Rust server, and runs the
// callbacks Rust asks for. Everything protocol-shaped happens in Rust.
const native = require("./native");
const { nativeOptions, externalEventStore } = require("./options");
const { IncomingMessageLike } = require("./http/request");
const { messageExtra } = require("./messageExtra");
const { ExchangeRequests } = require("./http/exchangeRequest");
const { NativeTransport } = require("./transport");
const { isResponseLike } = require("./http/responseLike");
const { currentExchange } = require("./http/exchange");
const { ServerResponseLike } = require("./http/response");
const { isAuthInfo, principalFor } = require("./principal");
const { createModernLeg } = require("./modern/handler");
const { messageOf, isServerLike, responseOutcome, authJson, closeQuietly, connecting } = require("./callbackResults");

async function startHTTPServer(options) {
  const flat = nativeOptions(options);
  const { createServer, onConnect, onClose, authenticate, onUnhandledRequest } = options;
  const eventStore = externalEventStore(options);
  /** session key → { server, transport } */
  const sessions = new Map();
  const exchangeRequests = new ExchangeRequests();
  let server;

  async function create(event) {
    const req = exchangeRequests.forCreate(event.request);
    // In the map before any callback runs, so a `close` for this session (the wait was
    // abandoned: callbackTimeout, or the client left) finds it and ends what exists by then.
    const entry = {
      server: undefined,
      transport: undefined,
      ended: false,
      principal: event.principal ?? undefined,
      legacy: event.reason === "sse",
    };
    sessions.set(event.session, entry);
    const forget = () => {
      if (sessions.get(event.session) === entry) sessions.delete(event.session);
    };
    let mcpServer;
    try {
      mcpServer = await createServer(req);
      if (isResponseLike(mcpServer)) {
        forget();
        server.serverReady(event.token, await responseOutcome(mcpServer));
        return;
      }
    } catch (error) {
      forget();
      if (isResponseLike(error)) {
        server.serverReady(event.token, await responseOutcome(error));
        return;
      }
      console.error("[mcp-proxy] error creating server", error);
      server.serverReady(event.token, { kind: "createFailed", message: messageOf(error) });
      return;
    }
    if (entry.ended) {
      // Created after the request was abandoned: no callback saw it, nobody will use it.
      if (isServerLike(mcpServer)) await closeQuietly(mcpServer);
      return;
    }
    if (!isServerLike(mcpServer)) {
      forget();
      console.error("[mcp-proxy] error creating server: createServer did not return a server (no connect method)", mcpServer);
      server.serverReady(event.token, { kind: "createFailed", message: "createServer did not return a server" });
      return;
    }
    const transport = new NativeTransport(server, event.session, event.sessionId, eventStore);
    entry.server = mcpServer;
    entry.transport = transport;
    // Failed before it could take a message: nobody gets a broken session, the server
    // goes (onClose once, then close), and the request gets 500 (or a Response-like).
    const fail = async (error) => {
      console.error("[mcp-proxy] error connecting to server", error);
      if (entry.ended) return; // abandoned meanwhile: that close retires the server
      entry.ended = true;
      forget();
      const outcome = isResponseLike(error)
        ? await responseOutcome(error)
        : { kind: "connectFailed", message: messageOf(error) };
      await retire(mcpServer);
      server.serverReady(event.token, outcome);
    };
    const connectError = await connecting(mcpServer, transport);
    if (connectError) {
      await fail(connectError.error);
      return;
    }
    try {
      await onConnect?.(mcpServer);
    } catch (error) {
      await fail(error);
      return;
    }
    // When nobody waits any more (the wait timed out, or the client left), Rust has ended
    // the session: its `close` retires the server (CONTRACT §4.6).
    if (!entry.ended) server.serverReady(event.token, { kind: "ready" });
  }

  /** `onClose(server)`, then `server.close()`: the end of every server, exactly once. */
  async function retire(mcpServer) {
    try {
      await onClose?.(mcpServer);
    } catch (error) {
      console.error("[mcp-proxy] error in onClose", error);
    }
    await closeQuietly(mcpServer);
  }

  async function auth(event) {
    const req = exchangeRequests.forAuthenticate(event);
    // Every answer but "allowed" ends the exchange before any create event.
    const answer = (outcome) => {
      if (outcome.kind !== "allowed") exchangeRequests.refused(event.request);
      server.authenticated(event.token, outcome);
    };
    let result;
    try {
      result = await authenticate(req);
    } catch (error) {
      if (isResponseLike(error)) {
        answer(await responseOutcome(error, "invalidResponse"));
        return;
      }
      console.error("[mcp-proxy] authentication error", error);
      answer({ kind: "failed", message: messageOf(error, false) });
      return;
    }
    if (isResponseLike(result)) {
      answer(await responseOutcome(result, "invalidResponse"));
      return;
    }
    if (!result || result.authenticated === false) {
      answer({
        kind: "denied",
        message: typeof result?.error === "string" ? result.error : undefined,
        wwwAuthenticate: typeof result?.wwwAuthenticate === "string" ? result.wwwAuthenticate : undefined,
      });
      return;
    }
    let principal;
    try {
      principal = principalFor(options.principalOf, result);
    } catch (error) {
      console.error("[mcp-proxy] error in principalOf", error);
      answer({ kind: "failed" });
      return;
    }
    // A 2026-07-28 POST concerns no session, whatever Mcp-Session-Id it carries.
    const sessionId = event.modern ? undefined : req.headers["mcp-session-id"];
    const session = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    // Another principal's result never reaches the session (Rust answers it 404).
    const own = session?.principal === undefined || session.principal === principal;
    if (own && typeof session?.server?.updateAuth === "function") {
      try {
        session.server.updateAuth(result);
      } catch (error) {
        console.error("[mcp-proxy] error in updateAuth", error);
      }
    }
    answer({ kind: "allowed", auth: authJson(result), principal });
  }

  function deliver(event) {
    const session = sessions.get(event.session);
    const onmessage = session?.transport?.onmessage;
    if (!onmessage) return;
    let parsed;
    try {
      parsed = JSON.parse(event.body);
    } catch (error) {
      // Rust validated the body; reaching this is a bug worth seeing, not a crash.
      console.error("[mcp-proxy] undeliverable message", error);
      return;
    }
    let authInfo;
    if (event.auth) {
      authInfo = JSON.parse(event.auth);
      if (!isAuthInfo(authInfo)) authInfo = undefined;
    }
    const extra = messageExtra(event, authInfo);
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
      // One message's failure neither stops the others of a batch nor reaches Node.
      try {
        if (message.method !== undefined && message.id !== undefined) {
          // The handler's async context knows its exchange, for respondWith.
          const exchange = { native: server, session: event.session, requestId: JSON.stringify(message.id) };
          currentExchange.run(exchange, () => onmessage.call(session.transport, message, extra));
        } else {
          onmessage.call(session.transport, message, extra);
        }
      } catch (error) {
        // mcp-proxy 6.7's text for the legacy transport.
        console.error(session.legacy ? "[mcp-proxy] error handling SSE message" : "[mcp-proxy] error handling message", error);
      }
    }
  }

  async function close(event) {
    const session = sessions.get(event.session);
    sessions.delete(event.session);
    if (session) {
      session.ended = true;
      // No server yet (createServer has not returned): nothing to retire.
      if (session.server) await retire(session.server);
    }
    server.sessionClosed(event.token);
  }

  async function replay(event) {
    let streamId = null;
    const events = [];
    try {
      const replayed = await eventStore.replayEventsAfter(event.lastEventId, {
        send: async (eventId, message) => {
          events.push(String(eventId), JSON.stringify(message));
        },
      });
      streamId = replayed ? String(replayed) : null;
    } catch (error) {
      console.error("[mcp-proxy] error replaying events", error);
    }
    server.replayDone(event.token, streamId, events);
  }

  // CONTRACT §3 step 5: a hook that ends (or starts) the response answers the request;
  // one that leaves it alone lets it fall through to the rest of the pipeline.
  /** token → { req, res } of running onUnhandledRequest exchanges */
  const hooked = new Map();

  async function unhandled(event) {
    const token = event.token;
    const req = new IncomingMessageLike(event.request, (bytes) => server.hookBodyRead(token, bytes));
    const res = new ServerResponseLike(server, token, req);
    hooked.set(token, { req, res });
    // Rust reads no more of the body once the response is over (or passed on); later
    // events for the token are ignored.
    res.once("close", () => hooked.delete(token));
    try {
      await onUnhandledRequest(req, res);
    } catch (error) {
      // mcp-proxy 6.7's answer and log text.
      console.error("[mcp-proxy] error handling custom route", error);
      if (!res.headersSent && !res.writableEnded) {
        res.writeHead(500, { "content-type": "text/plain" }).end("Error handling custom route");
      } else if (!res.writableEnded) {
        res.end();
      }
      return;
    }
    if (!res.headersSent && !res.writableEnded) {
      hooked.delete(token);
      server.hookPass(token);
    }
  }

  async function origin(event) {
    let allowed = false;
    try {
      allowed = (await options.cors.origin(event.body)) === true;
    } catch (error) {
      console.error("[mcp-proxy] error in cors.origin", error);
    }
    server.originChecked(event.token, allowed);
  }

  const modern = createModernLeg(options, () => server, { responseOutcome, messageOf, isAuthInfo, closeQuietly, exchangeRequests });
  const bodyChunk = (event) => hooked.get(event.token)?.req._receive(event.rawBody);
  function bodyEnd(event) {
    const exchange = hooked.get(event.token);
    exchange?.req._finish(event.reason);
    // A body cut off or timed out ends the exchange (Rust answers 400/408 itself, or cuts a
    // response already started): `res` is closed, and what the hook writes later goes nowhere.
    if (event.reason !== "complete") exchange?.res._clientGone();
  }
  const drain = (event) => hooked.get(event.token)?.res._drained();
  function gone(event) {
    const exchange = hooked.get(event.token);
    exchange?.req._clientGone();
    exchange?.res._clientGone();
  }
  function log(event) {
    if (event.reason === "info") console.log(event.body);
    else console.error(event.body);
  }

  const handlers = {
    create,
    message: deliver,
    close,
    replay,
    authenticate: auth,
    unhandled,
    origin,
    body: bodyChunk,
    bodyEnd,
    drain,
    gone,
    log,
    ...modern.handlers,
  };

  // When a handler fails unexpectedly (a value user code returned or threw broke it), the
  // request waiting for its answer still gets one at once; a second answer finds nobody.
  const fallbacks = {
    create: (event) => {
      const entry = sessions.get(event.session);
      sessions.delete(event.session);
      if (entry?.server && !entry.ended) {
        entry.ended = true;
        retire(entry.server).catch(() => {});
      }
      server.serverReady(event.token, { kind: "createFailed", message: "Error creating server" });
    },
    authenticate: (event) => server.authenticated(event.token, { kind: "failed" }),
    close: (event) => server.sessionClosed(event.token),
    replay: (event) => server.replayDone(event.token, null, []),
    origin: (event) => server.originChecked(event.token, false),
  };

  function failed(event, error) {
    try {
      console.error(`[mcp-proxy] error handling ${event.kind}`, error);
    } catch {
      // an unprintable value: the answer below matters more
    }
    try {
      fallbacks[event.kind]?.(event);
    } catch {
      // the server is gone (closed meanwhile)
    }
  }

  // Called by Rust, fire-and-forget: it must never throw, or Node would crash.
  function dispatch(event) {
    try {
      const result = handlers[event.kind]?.(event);
      if (result && typeof result.catch === "function") result.catch((error) => failed(event, error));
    } catch (error) {
      failed(event, error);
    }
  }

  try {
    server = await native.start(flat, dispatch);
  } catch (error) {
    const code = /^listen (E[A-Z]+)/.exec(error.message)?.[1];
    if (code) error.code = code;
    throw error;
  }

  server.stopWithEnvironment();

  let closing;
  return {
    port: server.port,
    notify: modern.notify,
    close() {
      closing ??= server.close();
      return closing;
    },
  };
}

module.exports = { startHTTPServer };
