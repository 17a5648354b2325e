#!/usr/bin/env node
"use strict";
// `mcp-proxy-native [options] -- <command> [args...]` (also installed as `mcp-proxy`): serves a
// stdio MCP server over HTTP. See lib/cli/main.js and the README's "Command line".
require("../lib/cli/main.js")
  .main()
  .catch((error) => {
    process.stderr.write(`[mcp-proxy] ${error?.stack ?? error}\n`);
    process.exit(1);
  });
