import cjs from "./index.js";

export const {
  startHTTPServer,
  InMemoryEventStore,
  respondWith,
  DEFAULT_ALLOWED_HEADERS,
  AuthenticationMiddleware,
  ServerType,
  acquireListenSubscriptions,
  getUpstreamBridge,
  proxyServer,
  resolveVersionNegotiation,
  startStdioServer,
  tapTransport,
} = cjs;
export default cjs;
