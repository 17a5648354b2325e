"use strict";
// The `http2` option: `false` turns HTTP/2 off; `true`, absent or an object keeps it on, the
// object's numbers replacing the named defaults of crates/core/src/http2/mod.rs (validated
// there, so the messages name the option).

const HTTP2_NUMBERS = {
  maxConcurrentStreams: "maxConcurrentStreams",
  initialStreamWindowSize: "initialStreamWindowSize",
  initialConnectionWindowSize: "initialConnectionWindowSize",
  maxHeaderListSize: "maxHeaderListSize",
  keepAliveInterval: "keepAliveIntervalMs",
  keepAliveTimeout: "keepAliveTimeoutMs",
  maxPendingAcceptResetStreams: "maxPendingAcceptResetStreams",
  maxLocalErrorResetStreams: "maxLocalErrorResetStreams",
};

function http2Options(value) {
  if (value === undefined || value === true) return { enabled: true };
  if (value === false) return { enabled: false };
  if (value === null || typeof value !== "object") {
    throw new TypeError("startHTTPServer: http2 must be true, false or an object of HTTP/2 settings");
  }
  const native = { enabled: value.enabled !== false };
  for (const [name, nativeName] of Object.entries(HTTP2_NUMBERS)) {
    const v = value[name];
    if (v === undefined) continue;
    if (typeof v !== "number") throw new TypeError(`startHTTPServer: http2.${name} must be a number`);
    native[nativeName] = v;
  }
  return native;
}

module.exports = { http2Options };
