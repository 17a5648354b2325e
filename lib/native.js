"use strict";
// The compiled addon, built from source by `npm install` (see package.json "install").
// Kept private: the public surface is index.js.
const path = require("node:path");

// MCP_PROXY_NATIVE_BINARY lets a benchmark load a release build from elsewhere.
module.exports = require(process.env.MCP_PROXY_NATIVE_BINARY ?? path.join(__dirname, "..", "native", "mcp-proxy-native.node"));
