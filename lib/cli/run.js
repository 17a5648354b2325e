"use strict";
// The command line's data path, started from JS: the flags (already parsed by bin/) become
// the native Config through lib/options.js, as startHTTPServer's options do; from then on
// Rust (crates/stdio) spawns the child, frames its stdout, routes every message and writes
// the HTTP side. JS hears only log lines and the child's exit.

const native = require("../native");
const { nativeOptions, DEFAULT_ALLOWED_HEADERS } = require("../options");

/** `--maxChildren` default: per-session children at once. */
const DEFAULT_MAX_CHILDREN = 64;
/** `--requestTimeout` default (mcp-proxy's CLI): 300 s. */
const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;
/** `--connectionTimeout` default: the child's opening exchange. */
const DEFAULT_CONNECTION_TIMEOUT_MS = 60_000;

/** The HTTP side's options, in startHTTPServer's names. */
function httpOptions(config) {
  return {
    // Never called: the native router answers every session.
    createServer: () => undefined,
    host: config.host,
    port: config.port,
    streamEndpoint: config.server === "sse" ? "" : config.streamEndpoint,
    sseEndpoint: config.server === "stream" ? "" : config.sseEndpoint,
    stateless: Boolean(config.stateless),
    modern: config.modern !== false,
    apiKey: config.apiKey || undefined,
    keepAliveTimeout: config.keepAliveTimeout,
    sessionIdleTimeout: config.sessionIdleTimeout,
    eventStore: config.eventStore === false ? false : undefined,
    eventStoreMaxEvents: config.eventStore === false ? undefined : config.eventStoreMaxEvents,
    maxBodySize: config.maxBodySize,
    cors: { allowedHeaders: [...DEFAULT_ALLOWED_HEADERS, ...(config.corsAddAllowedHeader ?? [])] },
    sslCa: config.sslCa,
    sslCert: config.sslCert,
    sslKey: config.sslKey,
  };
}

/** `http://<host>:<port><path>` as a client would type it (an IPv6 host in brackets). */
function urlsOf(config, port) {
  const scheme = config.sslCert || config.sslKey || config.sslCa ? "https" : "http";
  const host = config.host.includes(":") && !config.host.startsWith("[") ? `[${config.host}]` : config.host;
  const paths = [];
  if (config.server !== "sse") paths.push(config.streamEndpoint);
  if (config.server !== "stream") paths.push(config.sseEndpoint);
  return paths.map((path) => `${scheme}://${host}:${port}${path}`);
}

function log({ level, line }) {
  if (level === "info") console.log(line);
  else console.error(line);
}

/**
 * Starts the proxy: spawns `config.command`, initializes it within `connectionTimeout`,
 * binds. Rejects with an Error naming what failed (the command, the opening exchange, the
 * address).
 */
async function runStdioProxy(config) {
  const http = nativeOptions(httpOptions(config));
  const proxy = await native.startStdio(
    {
      command: config.command,
      args: config.args ?? [],
      shell: Boolean(config.shell),
      env: config.env ?? {},
      http,
      requestTimeoutMs: config.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectionTimeoutMs: config.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      debug: Boolean(config.debug),
      version: config.version ?? "0.0.0",
      perSession: Boolean(config.perSession),
      maxChildren: config.maxChildren ?? DEFAULT_MAX_CHILDREN,
      upstreamProtocol: config.upstreamProtocol ?? "legacy",
    },
    log,
  );
  // A Worker ending, or the process exiting without close(): the children go too.
  proxy.stopWithEnvironment();
  // Never settles when close() ended the child: only an end of its own is reported.
  const childExit = proxy
    .childExit()
    .then((exit) => (exit ? { code: exit.code ?? null, signal: exit.signal ?? null } : new Promise(() => {})));
  let closing;
  return {
    port: proxy.port,
    urls: urlsOf(config, proxy.port),
    childPid: proxy.childPid ?? undefined,
    childExit,
    close(graceMs = 5000) {
      closing ??= proxy.close(graceMs);
      return closing;
    },
  };
}

module.exports = { runStdioProxy, DEFAULT_MAX_CHILDREN };
