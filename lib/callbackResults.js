"use strict";
// What the application's callbacks and servers give back, read so that no value can keep a
// request from being answered: the message of anything thrown, whether `createServer` gave a
// server, a Response-like read into an outcome, `authenticate`'s result as JSON, a server
// closed without throwing, and `server.connect` awaited only until the transport started.
// Used by lib/startHTTPServer.js and (passed in) lib/modern/handler.js; it never talks to Rust.
const { respondOutcome } = require("./http/responseLike");

/**
 * The message of a thrown value: an Error's message, a string as is, else `String(value)`
 * when `stringify`. Undefined when reading it throws (no prototype, a getter that throws):
 * a thrown value must never keep a request from being answered.
 */
function messageOf(error, stringify = true) {
  try {
    if (error instanceof Error) {
      const message = error.message;
      return typeof message === "string" ? message : undefined;
    }
    if (typeof error === "string") return error;
    return stringify ? String(error) : undefined;
  } catch {
    return undefined;
  }
}

/** What `createServer` must return: an object with `connect(transport)` (a `ServerLike`). */
function isServerLike(value) {
  try {
    return value !== null && typeof value === "object" && typeof value.connect === "function";
  } catch {
    return false;
  }
}

/**
 * A Response-like thrown or returned by a callback, read into an outcome; reading can fail
 * too (`text()` rejects, a `headers` getter throws), which gives `failedKind`.
 */
async function responseOutcome(response, failedKind = "createFailed") {
  try {
    return await respondOutcome(response);
  } catch (error) {
    console.error("[mcp-proxy] error reading a Response thrown by a callback", error);
    return { kind: failedKind, message: "Error reading response" };
  }
}

/** The authenticate result as JSON text for `extra.authInfo`; results that are not JSON have none. */
function authJson(result) {
  if (typeof result !== "object") return undefined;
  try {
    return JSON.stringify(result);
  } catch {
    return undefined;
  }
}

async function closeQuietly(server) {
  try {
    await server.close();
  } catch (error) {
    console.error("[mcp-proxy] error closing server", error);
  }
}

/**
 * Starts `server.connect(transport)` and waits only until it has started the transport
 * (the SDK sets its handlers first) or settled: not for the whole connect, which FastMCP
 * holds open while it polls the client (awaiting it costs an `initialize` ~1 s, as in
 * mcp-proxy 6.7.19). Resolves `{ error }` when connect failed before starting the
 * transport; a later failure closes the transport, which ends the session.
 */
function connecting(mcpServer, transport) {
  return new Promise((resolve) => {
    transport._whenStarted(() => resolve(undefined));
    Promise.resolve()
      .then(() => mcpServer.connect(transport))
      .then(
        () => resolve(undefined),
        (error) => {
          if (!transport._started) {
            resolve({ error: error ?? new Error("connect failed") });
            return;
          }
          console.error("[mcp-proxy] error connecting to server", error);
          transport.close().catch(() => {});
        },
      );
  });
}

module.exports = { messageOf, isServerLike, responseOutcome, authJson, closeQuietly, connecting };
