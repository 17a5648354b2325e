"use strict";
// The compiled addon, built from source by `npm install` (see package.json "install").
// Kept private: the public surface is index.js.
const path = require("node:path");

module.exports = require(path.join(__dirname, "..", "native", "mcp-proxy-native.node"));
