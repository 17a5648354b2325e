"use strict";
// `tapTransport(transport, handler)`: mcp-proxy 6.7.19's transport tap (src/tapTransport.ts,
// MIT, (c) Frank Fiegel / punkpeye), ported. It mutates and returns the same transport: `start`,
// `send` and `close` report `{type:"start"|"send"|"close"}` then delegate; `onmessage`,
// `onerror` and `onclose` report `{type:"onmessage"|"onerror"|"onclose"}` then call the handler
// that was there when tapped. Where we differ (README compatibility table): every argument
// passes through, so `send(message, options)` keeps the SDK's relatedRequestId / resumption
// options and `onmessage(message, extra)` keeps authInfo and the request info; 6.7.19 drops them,
// which loses routing when a tapped transport serves requests.

function tapTransport(transport, eventHandler) {
  const originalClose = transport.close.bind(transport);
  const originalOnClose = transport.onclose?.bind(transport);
  const originalOnError = transport.onerror?.bind(transport);
  const originalOnMessage = transport.onmessage?.bind(transport);
  const originalSend = transport.send.bind(transport);
  const originalStart = transport.start.bind(transport);

  transport.close = async () => {
    eventHandler({ type: "close" });
    return originalClose();
  };
  transport.onclose = async () => {
    eventHandler({ type: "onclose" });
    return originalOnClose?.();
  };
  transport.onerror = async (error) => {
    eventHandler({ error, type: "onerror" });
    return originalOnError?.(error);
  };
  transport.onmessage = async (message, ...rest) => {
    eventHandler({ message, type: "onmessage" });
    return originalOnMessage?.(message, ...rest);
  };
  transport.send = async (message, ...rest) => {
    eventHandler({ message, type: "send" });
    return originalSend(message, ...rest);
  };
  transport.start = async () => {
    eventHandler({ type: "start" });
    return originalStart();
  };
  return transport;
}

module.exports = { tapTransport };
