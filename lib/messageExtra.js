"use strict";
// The `extra` a session's transport hands to `onmessage` with each delivered message
// (CONTRACT §4.5, §11): `requestInfo` for SDK v1 servers, `request` (a Fetch `Request`) for
// SDK v2 servers, as mcp-proxy 6.7's transports give them, and `authInfo`. Each is built from
// the strings Rust sent only when something reads it: a v1 server never pays for `request`.
const { headersFromRaw } = require("./http/request");

/** `[name, value, …]` from Rust's `name\nvalue\n…` text. */
function rawLines(headersText) {
  return headersText.split("\n").slice(0, -1);
}

/** A Fetch `Request` for the POST that carried the messages; `null` when one cannot be made. */
function fetchRequest(url, headersText, body) {
  const headers = new Headers();
  const raw = rawLines(headersText);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i], raw[i + 1]);
    } catch {
      // A value Fetch refuses (it is stricter than HTTP/1.1 parsers): leave it out.
    }
  }
  const init = { method: "POST", headers, body };
  try {
    return new Request(url, init);
  } catch {
    // A Host that makes no valid URL: the path still matters more than the authority.
    const { pathname, search } = new URL(url.replace(/^(https?:\/\/)[^/]*/, "$1localhost"));
    return new Request(`http://localhost${pathname}${search}`, init);
  }
}

/**
 * @param event a `message` host event: `headersText`, `url`, `body`
 * @param authInfo the SDK `AuthInfo` for `extra.authInfo`, if any
 */
function messageExtra(event, authInfo) {
  let headers;
  let url;
  let request;
  const extra = {
    requestInfo: {
      get headers() {
        headers ??= headersFromRaw(rawLines(event.headersText));
        return headers;
      },
      get url() {
        if (url === undefined && event.url) {
          try {
            url = new URL(event.url);
          } catch {
            url = undefined;
          }
        }
        return url;
      },
    },
    get request() {
      if (request === undefined && event.url) request = fetchRequest(event.url, event.headersText, event.body);
      return request;
    },
  };
  if (authInfo) extra.authInfo = authInfo;
  return extra;
}

module.exports = { messageExtra };
