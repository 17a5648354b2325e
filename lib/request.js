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

class IncomingMessageLike extends Readable {
  constructor(head, body) {
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
    this.complete = true;
    this._body = body;
  }

  _read() {
    if (this._body !== undefined && this._body !== null && this._body.length > 0) {
      this.push(this._body);
    }
    this._body = undefined;
    this.push(null);
  }
}

module.exports = { IncomingMessageLike, headersFromRaw };
