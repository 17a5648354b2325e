"use strict";
// One `req` per HTTP exchange for `authenticate` and `createServer`. mcp-proxy hands the same
// IncomingMessage to both, and FastMCP relies on it: its authenticate is memoized by the `req`
// object (a WeakMap), so it runs once per request. Rust raises the two as separate events,
// each with its own copy of the head, both carrying the exchange's identity
// (`head.exchange`); this keeps the `req` built for an authenticate event, under that
// identity, for the create event of the same exchange.
//
// A `req` is kept only when Rust says a create may follow (`creates`: an initialize, a
// stateless POST, GET /sse), and dropped when the create takes it or authenticate refuses.
// What is left (a create that never came: the client left, the session limit…) is bounded:
// the oldest entries beyond MAX_REMEMBERED are dropped.
const { IncomingMessageLike } = require("./request");

const MAX_REMEMBERED = 1024;

class ExchangeRequests {
  constructor() {
    /** exchange id → the `req` its authenticate got */
    this.byExchange = new Map();
  }

  /** The `req` for an authenticate event, kept when a create event may follow. */
  forAuthenticate(event) {
    const req = new IncomingMessageLike(event.request);
    if (event.creates) {
      this.byExchange.set(event.request.exchange, req);
      if (this.byExchange.size > MAX_REMEMBERED) {
        this.byExchange.delete(this.byExchange.keys().next().value);
      }
    }
    return req;
  }

  /** Authenticate refused the exchange: no create event follows. */
  refused(head) {
    this.byExchange.delete(head.exchange);
  }

  /** The `req` for a create event: the one authenticate got in this exchange, else a new one. */
  forCreate(head) {
    const kept = this.byExchange.get(head.exchange);
    if (kept) {
      this.byExchange.delete(head.exchange);
      return kept;
    }
    return new IncomingMessageLike(head);
  }
}

module.exports = { ExchangeRequests, MAX_REMEMBERED };
