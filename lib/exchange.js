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
 * server produces afterwards for that request is discarded. Works until something was
 * written on that POST's stream; after that it throws without changing the exchange.
 */
async function respondWith(response) {
  const exchange = currentExchange.getStore();
  if (!exchange) {
    throw new Error("respondWith must be called inside a request handler served by startHTTPServer");
  }
  const outcome = await respondOutcome(response);
  if (!exchange.native.respondWith(exchange.session, exchange.requestId, outcome)) {
    throw new Error("respondWith: this request's HTTP response has already started");
  }
  throw new ResponseSentError(`respondWith: answered with HTTP ${outcome.status}`);
}

module.exports = { currentExchange, respondWith, ResponseSentError };
