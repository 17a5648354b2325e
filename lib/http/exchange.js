"use strict";
// The HTTP exchange a request handler is answering, carried through the handler's async
// context (AsyncLocalStorage), so `respondWith` can find it from inside a tool.
const { AsyncLocalStorage } = require("node:async_hooks");
const { respondOutcome } = require("./responseLike");

/** { native, session, requestId } of the request being handled */
const currentExchange = new AsyncLocalStorage();

/** Thrown by `respondWith` to stop the handler once its exchange has been answered. */
class ResponseSentError extends Error {
  constructor(message) {
    super(message);
    this.name = "ResponseSentError";
  }
}

/**
 * Answers the current HTTP exchange with a Response-like object (e.g. a 403 with a
 * `WWW-Authenticate` challenge) and throws to stop the handler; the JSON-RPC answer the
 * server produces afterwards for that request is discarded. The exchange is claimed at the
 * call, before the first `await` (reading the body comes after), so a caller who forgets
 * `await` still answers with this response, never with the handler's result (CONTRACT §5.5).
 * Works until something was written on that POST's stream; after that it throws without
 * changing the exchange.
 */
async function respondWith(response) {
  const exchange = currentExchange.getStore();
  if (!exchange) {
    throw new Error("respondWith must be called inside a request handler served by startHTTPServer");
  }
  const claim = exchange.native.claimExchange(exchange.session, exchange.requestId);
  if (claim === null) {
    throw new Error("respondWith: this request's HTTP response has already started");
  }
  let outcome;
  try {
    outcome = await respondOutcome(response);
  } catch (error) {
    // The exchange is already ours: answer it with a 500 rather than leave it waiting.
    console.error("[mcp-proxy] error reading the response given to respondWith", error);
    const message = "Internal error: the response given to respondWith could not be read";
    outcome = {
      kind: "respond",
      status: 500,
      headers: ["content-type", "application/json; charset=utf-8"],
      body: `{"error":{"code":-32603,"message":"${message}"},"id":${exchange.requestId},"jsonrpc":"2.0"}`,
    };
  }
  exchange.native.answerClaim(claim, outcome);
  throw new ResponseSentError(`respondWith: answered with HTTP ${outcome.status}`);
}

module.exports = { currentExchange, respondWith, ResponseSentError };
