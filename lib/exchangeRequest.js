"use strict";
// One `req` per HTTP exchange for `authenticate` and `createServer`. mcp-proxy hands the same
// IncomingMessage to both, and FastMCP relies on it: its authenticate is memoized by the `req`
// object (a WeakMap), so it runs once per request. Rust raises the two as separate events,
// each with its own copy of the head; this keeps the `req` built for an authenticate event so
// the create event of the same exchange gets that object back.
//
// An exchange is found by its connection (remote address and port; HTTP/1.1 serves one
// request at a time on it) and its head (method, target, header lines). One entry per
// connection, the oldest dropped beyond MAX_REMEMBERED, so closed connections cannot pile up.
const { IncomingMessageLike } = require("./request");

const MAX_REMEMBERED = 1024;

const connectionOf = (head) => `${head.remoteAddress}|${head.remotePort}|${head.encrypted}`;
const fingerprintOf = (head) => `${head.method} ${head.url} HTTP/${head.httpVersion}\n${head.rawHeaders.join("\n")}`;

class ExchangeRequests {
  constructor() {
    /** connection → { fingerprint, req } of the last authenticated request on it */
    this.byConnection = new Map();
  }

  /** The `req` for an authenticate event, kept for the create event that may follow. */
  forAuthenticate(head) {
    const req = new IncomingMessageLike(head);
    const connection = connectionOf(head);
    this.byConnection.delete(connection);
    this.byConnection.set(connection, { fingerprint: fingerprintOf(head), req });
    if (this.byConnection.size > MAX_REMEMBERED) {
      this.byConnection.delete(this.byConnection.keys().next().value);
    }
    return req;
  }

  /** The `req` for a create event: the one authenticate got in this exchange, else a new one. */
  forCreate(head) {
    const connection = connectionOf(head);
    const kept = this.byConnection.get(connection);
    if (kept && kept.fingerprint === fingerprintOf(head)) {
      this.byConnection.delete(connection);
      return kept.req;
    }
    return new IncomingMessageLike(head);
  }
}

module.exports = { ExchangeRequests, MAX_REMEMBERED };
