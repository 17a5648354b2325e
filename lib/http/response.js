"use strict";
// An `http.ServerResponse`-like `res` for onUnhandledRequest (CONTRACT §6): the methods
// and events Node code and Hono's Node adapter use, with writes streamed to Rust as they
// happen.
const { Writable } = require("node:stream");
const { headerLines } = require("./responseLike");

// What `hookWrite` answers.
const WRITE_GONE = 0;
const WRITE_FULL = 2;

class HeadersSentError extends Error {
  constructor() {
    super("Cannot set headers after they are sent to the client");
    this.code = "ERR_HTTP_HEADERS_SENT";
  }
}

class ServerResponseLike extends Writable {
  constructor(native, token, req) {
    super({ decodeStrings: true });
    this._native = native;
    this._token = token;
    /** lower-case name → [name as given, value] */
    this._headers = new Map();
    this.statusCode = 200;
    this.statusMessage = undefined;
    this.headersSent = false;
    this.sendDate = true;
    this.req = req;
    this.socket = this.connection = req.socket;
  }

  setHeader(name, value) {
    if (this.headersSent) throw new HeadersSentError();
    this._headers.set(String(name).toLowerCase(), [String(name), value]);
    return this;
  }

  appendHeader(name, value) {
    const existing = this.getHeader(name);
    if (existing === undefined) return this.setHeader(name, value);
    return this.setHeader(name, [].concat(existing, value));
  }

  getHeader(name) {
    return this._headers.get(String(name).toLowerCase())?.[1];
  }

  getHeaders() {
    const headers = Object.create(null);
    for (const [key, [, value]] of this._headers) headers[key] = value;
    return headers;
  }

  getHeaderNames() {
    return [...this._headers.keys()];
  }

  hasHeader(name) {
    return this._headers.has(String(name).toLowerCase());
  }

  removeHeader(name) {
    if (this.headersSent) throw new HeadersSentError();
    this._headers.delete(String(name).toLowerCase());
  }

  writeHead(statusCode, statusMessage, headers) {
    if (this.headersSent) throw new HeadersSentError();
    if (typeof statusMessage !== "string") {
      headers = statusMessage;
      statusMessage = undefined;
    }
    this.statusCode = statusCode;
    if (statusMessage !== undefined) this.statusMessage = statusMessage;
    if (Array.isArray(headers)) {
      // Either [[name, value], ...] or Node's flat [name, value, name, value, ...].
      const pairs = Array.isArray(headers[0]) ? headers : [];
      if (!pairs.length) for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([headers[i], headers[i + 1]]);
      for (const [name, value] of pairs) this.appendHeader(name, value);
    } else if (headers) {
      for (const [name, value] of Object.entries(headers)) if (value !== undefined) this.setHeader(name, value);
    }
    this._sendHead();
    return this;
  }

  flushHeaders() {
    this._sendHead();
  }

  _sendHead() {
    if (this.headersSent) return;
    this.headersSent = true;
    // [name as given, value or values] pairs: the same flattening as a Response-like's headers.
    const lines = headerLines([...this._headers.values()]);
    if (!this._native.hookHead(this._token, this.statusCode, this.statusMessage ?? null, lines)) this.destroy();
  }

  _write(chunk, _encoding, callback) {
    this._sendHead();
    if (this.destroyed) return callback();
    const state = this._native.hookWrite(this._token, chunk);
    if (state === WRITE_FULL) {
      // The client reads slower than we write: the callback (and so Writable's 'drain')
      // waits until Rust says the client caught up.
      this._waiting = callback;
      return;
    }
    // The client is gone: stop, like a Node response whose socket closed.
    if (state === WRITE_GONE) this.destroy();
    callback();
  }

  /** The client caught up after a write that filled the window. */
  _drained() {
    const callback = this._waiting;
    this._waiting = undefined;
    callback?.();
  }

  /** The client went away before the response ended: 'close' without 'finish', as in Node. */
  _clientGone() {
    // Rust already knows (and may be answering 408 itself): nothing to cut.
    this._gone = true;
    if (!this.destroyed) this.destroy();
    this._drained();
  }

  // `res.destroy()` before `end()`, as Node's destroys the socket: the client sees the
  // response break off, never a complete one (Hono's adapter does this when a stream fails).
  _destroy(error, callback) {
    if (!this.writableFinished && !this._gone) this._native.hookCut(this._token);
    this._drained();
    callback(error);
  }

  // Once the client is gone (or `res` destroyed), `end()` still ends it, as Node's
  // ServerResponse does: what it is given is dropped and `writableEnded` turns true.
  // Writable would refuse the chunk and leave the response looking unended.
  end(...args) {
    if (!this.destroyed) return super.end(...args);
    return super.end(args.find((arg) => typeof arg === "function"));
  }

  _final(callback) {
    this._sendHead();
    this._native.hookEnd(this._token);
    callback();
  }
}

module.exports = { ServerResponseLike };
