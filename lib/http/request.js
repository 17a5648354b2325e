"use strict";
// `http.IncomingMessage`-like objects for the callbacks (CONTRACT §6), built from the
// request head Rust sends across.
const { Readable } = require("node:stream");

// Node joins repeated headers with ", " except these, which keep the first value, and
// set-cookie, which stays an array.
const SINGLE_VALUED = new Set([
  "age", "authorization", "content-length", "content-type", "etag", "expires", "from",
  "host", "if-modified-since", "if-unmodified-since", "last-modified", "location",
  "max-forwards", "proxy-authorization", "referer", "retry-after", "server", "user-agent",
]);

/** Folds `[name, value, ...]` into Node's `headers` object. */
function headersFromRaw(raw) {
  const headers = Object.create(null);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    const seen = headers[name];
    if (name === "set-cookie") {
      (headers[name] ??= []).push(value);
    } else if (seen === undefined) {
      headers[name] = value;
    } else if (!SINGLE_VALUED.has(name)) {
      headers[name] = `${seen}${name === "cookie" ? "; " : ", "}${value}`;
    }
  }
  return headers;
}

/** Node's error for a request whose client went away mid-body. */
function abortedError() {
  const error = new Error("aborted");
  error.code = "ECONNRESET";
  return error;
}

class IncomingMessageLike extends Readable {
  /**
   * `acknowledge(bytes)`, when given, makes a streaming body (onUnhandledRequest): chunks
   * come through `_receive` as Rust reads them, and each one consumed is acknowledged so
   * Rust reads on. Without it the request has no body (the other callbacks' `req`).
   */
  constructor(head, acknowledge) {
    super();
    this.method = head.method;
    this.url = head.url;
    this.httpVersion = head.httpVersion;
    const [major, minor] = head.httpVersion.split(".");
    this.httpVersionMajor = Number(major);
    this.httpVersionMinor = Number(minor ?? 0);
    this.rawHeaders = head.rawHeaders;
    this.headers = headersFromRaw(head.rawHeaders);
    this.socket = this.connection = {
      remoteAddress: head.remoteAddress,
      remotePort: head.remotePort,
      encrypted: head.encrypted,
    };
    this.aborted = false;
    this._acknowledge = acknowledge;
    this.complete = acknowledge === undefined;
    /** Bytes pushed while the buffer was full: acknowledged when the reader asks for more. */
    this._owed = 0;
  }

  _read() {
    if (this._acknowledge === undefined) {
      this.push(null);
      return;
    }
    if (this._owed > 0) {
      const owed = this._owed;
      this._owed = 0;
      this._acknowledge(owed);
    }
  }

  /** A chunk of the body as it arrived. */
  _receive(chunk) {
    if (this.destroyed || this.complete) return;
    if (this.push(chunk)) this._acknowledge(chunk.length);
    else this._owed += chunk.length;
  }

  /** The body is over: `complete`, or broken off (`aborted`, `timeout`) as Node reports it. */
  _finish(reason) {
    if (this.destroyed || this.complete) return;
    if (reason === "complete") {
      this.complete = true;
      this.push(null);
    } else {
      this.destroy(abortedError());
    }
  }

  /** The client went away before the response ended. */
  _clientGone() {
    if (!this.destroyed && !this.complete) this.destroy(abortedError());
  }

  // As Node's IncomingMessage: `'aborted'` when the body did not arrive whole, and the error
  // only for those who listen for it (an unhandled 'error' would crash the process).
  _destroy(error, callback) {
    if (!this.readableEnded || !this.complete) {
      this.aborted = true;
      this.emit("aborted");
    }
    process.nextTick(() => callback(this.listenerCount("error") > 0 ? error : null));
  }
}

module.exports = { IncomingMessageLike, headersFromRaw };
