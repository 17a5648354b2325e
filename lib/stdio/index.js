"use strict";
// mcp-proxy 6.7.19's stdio-side exports (CONTRACT §13), JS over the application's SDK objects.
const { AuthenticationMiddleware } = require("./authentication");
const { proxyServer } = require("./proxyServer");
const { ServerType, resolveVersionNegotiation, startStdioServer } = require("./startStdioServer");
const { tapTransport } = require("./tapTransport");
const { acquireListenSubscriptions, getUpstreamBridge } = require("./upstreamNotifications");

module.exports = {
  AuthenticationMiddleware,
  ServerType,
  acquireListenSubscriptions,
  getUpstreamBridge,
  proxyServer,
  resolveVersionNegotiation,
  startStdioServer,
  tapTransport,
};
