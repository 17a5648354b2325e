"use strict";
// Parsed flags → the `runStdioProxy(config)` object (lib/cli/run.js), with the rules that tie
// flags together. The decisions where 6.7.19 is vague or broken (CONTRACT §13):
// - `--endpoint` works: it is the path of the one endpoint `--server` selects, or, with both
//   served, of the stream endpoint (the one every MCP client of either era can use). An explicit
//   `--sseEndpoint`/`--streamEndpoint` wins, as 6.7.19's `sseEndpoint ?? endpoint` meant to.
// - `--requestTimeout 0` means the SDK's 60 s default, as in 6.7.19.
// - The child gets the environment minus MCP_PROXY_API_KEY: the key guards the HTTP side and is
//   no business of the server behind it.

const { UsageError } = require("./parse");

/** What `--requestTimeout 0` falls back to in 6.7.19 (the SDK's default request timeout). */
const SDK_DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** Environment variables never passed to the child. */
const HIDDEN_FROM_CHILD = ["MCP_PROXY_API_KEY"];

function endpoints(options, explicit) {
  const { server, endpoint } = options;
  let { sseEndpoint, streamEndpoint } = options;
  if (endpoint !== undefined) {
    const target = server === "sse" ? "sseEndpoint" : "streamEndpoint";
    if (target === "sseEndpoint" && !explicit.has("sseEndpoint")) sseEndpoint = endpoint;
    if (target === "streamEndpoint" && !explicit.has("streamEndpoint")) streamEndpoint = endpoint;
  }
  if (server === undefined && sseEndpoint === streamEndpoint) {
    throw new UsageError(`--sseEndpoint and --streamEndpoint are both ${sseEndpoint}: serving both needs two paths`);
  }
  const sse = server !== "stream";
  if (sse && (sseEndpoint === "/messages" || (server === undefined && streamEndpoint === "/messages"))) {
    throw new UsageError("/messages is where SSE clients post their messages: pick another endpoint path");
  }
  return { sseEndpoint, streamEndpoint };
}

function childEnvironment(env) {
  const copy = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !HIDDEN_FROM_CHILD.includes(name)) copy[name] = value;
  }
  return copy;
}

/** The `runStdioProxy` config for a parsed command line. Throws UsageError. */
function toRunConfig({ options, explicit, command, args }, { env = process.env, version }) {
  return {
    command,
    args,
    shell: options.shell,
    env: childEnvironment(env),
    host: options.host,
    port: options.port,
    server: options.server,
    ...endpoints(options, explicit),
    stateless: options.stateless,
    modern: options.modern,
    upstreamProtocol: options.upstreamProtocol,
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    debug: options.debug,
    connectionTimeout: options.connectionTimeout,
    requestTimeout: options.requestTimeout === 0 ? SDK_DEFAULT_REQUEST_TIMEOUT_MS : options.requestTimeout,
    keepAliveTimeout: options.keepAliveTimeout,
    sessionIdleTimeout: options.sessionIdleTimeout,
    eventStore: options.eventStore,
    eventStoreMaxEvents: options.eventStoreMaxEvents,
    maxBodySize: options.maxBodySize,
    corsAddAllowedHeader: options.corsAddAllowedHeader ?? [],
    ...(options.sslCa === undefined ? {} : { sslCa: options.sslCa }),
    ...(options.sslCert === undefined ? {} : { sslCert: options.sslCert }),
    ...(options.sslKey === undefined ? {} : { sslKey: options.sslKey }),
    perSession: options.perSession,
    maxChildren: options.maxChildren,
    version,
  };
}

module.exports = { toRunConfig, HIDDEN_FROM_CHILD, SDK_DEFAULT_REQUEST_TIMEOUT_MS };
