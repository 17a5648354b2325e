"use strict";
// Response-like objects (CONTRACT §5.2) are recognised by shape, never by `instanceof`:
// a `Response` from another copy of undici, another realm, or a plain object all count.

function isResponseLike(value) {
  try {
    return (
      value !== null &&
      typeof value === "object" &&
      typeof value.status === "number" &&
      "headers" in value &&
      "statusText" in value
    );
  } catch {
    // A getter (or a Proxy trap) that throws: not something that can be written back.
    return false;
  }
}

/** Every header line of a `Headers`, a plain record, or an array of pairs, flattened. */
function headerLines(headers) {
  const lines = [];
  if (!headers) return lines;
  if (typeof headers.getSetCookie === "function" && typeof headers.forEach === "function") {
    // Headers joins repeated values; Set-Cookie must stay one line per cookie.
    for (const cookie of headers.getSetCookie()) lines.push("set-cookie", cookie);
    headers.forEach((value, name) => {
      if (name.toLowerCase() !== "set-cookie") lines.push(name, String(value));
    });
    return lines;
  }
  const entries = Array.isArray(headers)
    ? headers
    : typeof headers.entries === "function" && !(Object.getPrototypeOf(headers) === Object.prototype)
      ? Array.from(headers.entries())
      : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(String(name), String(v));
  }
  return lines;
}

async function readBody(response) {
  if (typeof response.text === "function") return String(await response.text());
  if (typeof response.body === "string") return response.body;
  return "";
}

/** The outcome Rust writes back verbatim. */
async function respondOutcome(response) {
  return {
    kind: "respond",
    status: response.status,
    statusText: typeof response.statusText === "string" ? response.statusText : undefined,
    headers: headerLines(response.headers),
    body: await readBody(response),
  };
}

module.exports = { isResponseLike, respondOutcome, headerLines };
