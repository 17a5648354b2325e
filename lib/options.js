"use strict";
// Turns `startHTTPServer` options (mcp-proxy's names and defaults) into the flat shape the
// addon takes. Every bound has a named default here or in crates/core/src/config.rs.

const { isNativeStore } = require("./eventStore");
const { http2Options } = require("./http2Options");

const DEFAULT_HOST = "::";
const DEFAULT_STREAM_ENDPOINT = "/mcp";
const DEFAULT_SSE_ENDPOINT = "/sse";
const DEFAULT_EVENT_STORE_MAX_EVENTS = 1000;
const DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024;
const DEFAULT_MAX_BATCH_SIZE = 10_000;
const DEFAULT_MAX_SESSIONS = 10_000;
const DEFAULT_EVENT_STORE_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_SSE_MAX_QUEUED_BYTES = 16 * 1024 * 1024;
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 300_000;
/** `: keepalive` comments on idle SSE streams, as the SDK v2 transport (mcp-proxy 6.7) sends them. */
const DEFAULT_SSE_KEEP_ALIVE_INTERVAL_MS = 15_000;
const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_CALLBACK_TIMEOUT_MS = 30_000;
// Node's http.Server defaults.
const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;
// MCP request bodies arrive in milliseconds: one quiet for 10 s, or slower than 1 KiB/s once
// past those 10 s, is broken or hostile (crates/core/src/body_pace.rs).
const DEFAULT_BODY_IDLE_TIMEOUT_MS = 10_000;
const DEFAULT_MIN_BODY_RATE = 1024;
const DEFAULT_MAX_CONNECTIONS = 10_000;
const DEFAULT_MAX_BUFFERED_BODY_BYTES = 256 * 1024 * 1024;

/** A non-negative number of milliseconds (0 = off). */
function offOrMillis(value, fallback, name) {
  const ms = value ?? fallback;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new TypeError(`startHTTPServer: ${name} must be a number of milliseconds (0 = off)`);
  }
  return ms;
}

/** A non-negative whole number of bytes per second (0 = no minimum). */
function offOrRate(value, fallback, name) {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0 || n > Number.MAX_SAFE_INTEGER) {
    throw new TypeError(`startHTTPServer: ${name} must be a whole number of bytes per second (0 = no minimum)`);
  }
  return n;
}

function positiveInteger(value, fallback, name) {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) {
    throw new TypeError(`startHTTPServer: ${name} must be a positive integer`);
  }
  return n;
}

/**
 * The default CORS `Access-Control-Allow-Headers`, as mcp-proxy 6.7 exports it (CONTRACT §7).
 * A plain array as there: it is read at each start.
 */
const DEFAULT_ALLOWED_HEADERS = [
  "Content-Type",
  "Authorization",
  "Accept",
  "Mcp-Session-Id",
  "Mcp-Protocol-Version",
  "Last-Event-Id",
  "Mcp-Method",
  "Mcp-Name",
];

function joinList(value) {
  return Array.isArray(value) ? value.join(", ") : value;
}

function corsOptions(cors) {
  if (cors === false) return { enabled: false };
  const defaults = { enabled: true, allowedHeaders: DEFAULT_ALLOWED_HEADERS.join(", ") };
  if (cors === true || cors === undefined || cors === null) return defaults;
  const native = {
    ...defaults,
    credentials: cors.credentials,
    methods: joinList(cors.methods),
    allowedHeaders: joinList(cors.allowedHeaders) ?? defaults.allowedHeaders,
    exposedHeaders: joinList(cors.exposedHeaders),
    maxAge: cors.maxAge,
  };
  if (typeof cors.origin === "function") native.originCallback = true;
  else if (Array.isArray(cors.origin)) native.originList = cors.origin.map(String);
  else if (typeof cors.origin === "string") native.origin = cors.origin;
  return native;
}

/** The user's own SDK EventStore, when one is given (ours runs natively instead). */
function externalEventStore(options) {
  const store = options.eventStore;
  if (store === undefined || store === null || store === false || isNativeStore(store)) return undefined;
  if (typeof store.storeEvent !== "function" || typeof store.replayEventsAfter !== "function") {
    throw new TypeError("eventStore must have storeEvent and replayEventsAfter, or be false");
  }
  return store;
}

function eventStoreMaxEvents(options) {
  if (options.eventStore === false) return 0;
  const native = isNativeStore(options.eventStore) ? options.eventStore.maxEvents : undefined;
  const max = native ?? options.eventStoreMaxEvents ?? DEFAULT_EVENT_STORE_MAX_EVENTS;
  if (!Number.isInteger(max) || max < 1) throw new TypeError("eventStoreMaxEvents must be a positive integer");
  return max;
}

/** `maxListenStreams`: a positive integer, or the default (crates/core/src/config.rs). */
function listenLimit(value) {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 32 - 1) {
    throw new TypeError("maxListenStreams must be a positive integer");
  }
  return value;
}

const CLUSTER_KEYS = new Set(["redis", "advertise", "secret", "instanceId", "leaseMs"]);
/** Shortest `cluster.leaseMs`: the lease is renewed every third of it. */
const MIN_CLUSTER_LEASE_MS = 300;

/** `cluster` (CONTRACT §14): validated here, run by crates/cluster. */
function clusterOptions(cluster) {
  if (cluster === undefined || cluster === null || cluster === false) return undefined;
  const fail = (what) => {
    throw new TypeError(`startHTTPServer: cluster.${what}`);
  };
  if (typeof cluster !== "object") throw new TypeError("startHTTPServer: cluster must be an object ({ redis, ... })");
  for (const key of Object.keys(cluster)) {
    if (!CLUSTER_KEYS.has(key)) fail(`${key} is not an option (redis, advertise, secret, instanceId, leaseMs)`);
  }
  if (typeof cluster.redis !== "string" || !/^rediss?:\/\//.test(cluster.redis)) {
    fail("redis must be a redis:// or rediss:// URL");
  }
  if (cluster.advertise !== undefined && (typeof cluster.advertise !== "string" || !/^http:\/\/[^/]+\/?$/.test(cluster.advertise))) {
    fail("advertise must be an http://host:port URL other instances reach this one on");
  }
  if (cluster.secret !== undefined && (typeof cluster.secret !== "string" || cluster.secret.length === 0)) {
    fail("secret must be a non-empty string");
  }
  if (cluster.instanceId !== undefined && (typeof cluster.instanceId !== "string" || !/^[A-Za-z0-9._:-]{1,128}$/.test(cluster.instanceId))) {
    fail("instanceId must be 1-128 characters of A-Z a-z 0-9 . _ : -");
  }
  const leaseMs = cluster.leaseMs;
  if (leaseMs !== undefined && (!Number.isInteger(leaseMs) || leaseMs < MIN_CLUSTER_LEASE_MS || leaseMs > 600_000)) {
    fail(`leaseMs must be a whole number of milliseconds from ${MIN_CLUSTER_LEASE_MS} to 600000`);
  }
  return {
    redis: cluster.redis,
    advertise: cluster.advertise,
    secret: cluster.secret,
    instanceId: cluster.instanceId,
    leaseMs,
  };
}

/** `reusePort`: SO_REUSEPORT, so several processes listen on one port (default false). */
function reusePort(value) {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new TypeError("startHTTPServer: reusePort must be a boolean");
  return value;
}

function nativeOptions(options) {
  if (!options || typeof options.createServer !== "function") {
    throw new TypeError("startHTTPServer: createServer is required");
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new TypeError("startHTTPServer: port must be an integer from 0 to 65535");
  }
  if (options.principalOf !== undefined && typeof options.principalOf !== "function") {
    throw new TypeError("startHTTPServer: principalOf must be a function of the authenticate result");
  }
  const maxBodySize = options.maxBodySize === false ? 0 : options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
  return {
    host: options.host ?? DEFAULT_HOST,
    port: options.port,
    streamEndpoint: options.streamEndpoint === undefined ? DEFAULT_STREAM_ENDPOINT : options.streamEndpoint || "",
    sseEndpoint: options.sseEndpoint === undefined ? DEFAULT_SSE_ENDPOINT : options.sseEndpoint || "",
    stateless: Boolean(options.stateless),
    enableJsonResponse: Boolean(options.enableJsonResponse),
    eventStoreMaxEvents: eventStoreMaxEvents(options),
    externalEventStore: externalEventStore(options) !== undefined,
    maxBodySize,
    maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
    maxSessions: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
    eventStoreMaxBytes: options.eventStoreMaxBytes ?? DEFAULT_EVENT_STORE_MAX_BYTES,
    sseMaxQueuedBytes: options.sseMaxQueuedBytes ?? DEFAULT_SSE_MAX_QUEUED_BYTES,
    keepAliveTimeoutMs: options.keepAliveTimeout ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    sseKeepAliveMs: options.sseKeepAliveInterval ?? DEFAULT_SSE_KEEP_ALIVE_INTERVAL_MS,
    // Any value ≤ 0 turns the reaper off, as in mcp-proxy 6.7.
    sessionIdleTimeoutMs: Math.max(0, options.sessionIdleTimeout ?? DEFAULT_SESSION_IDLE_TIMEOUT_MS),
    headersTimeoutMs: offOrMillis(options.headersTimeout, DEFAULT_HEADERS_TIMEOUT_MS, "headersTimeout"),
    requestTimeoutMs: offOrMillis(options.requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS, "requestTimeout"),
    bodyIdleTimeoutMs: offOrMillis(options.bodyIdleTimeout, DEFAULT_BODY_IDLE_TIMEOUT_MS, "bodyIdleTimeout"),
    minBodyRate: offOrRate(options.minBodyRate, DEFAULT_MIN_BODY_RATE, "minBodyRate"),
    maxConnections: positiveInteger(options.maxConnections, DEFAULT_MAX_CONNECTIONS, "maxConnections"),
    maxBufferedBodyBytes:
      options.maxBufferedBodyBytes === false ? 0 : options.maxBufferedBodyBytes ?? DEFAULT_MAX_BUFFERED_BODY_BYTES,
    callbackTimeoutMs: options.callbackTimeout ?? DEFAULT_CALLBACK_TIMEOUT_MS,
    cors: corsOptions(options.cors),
    authenticate: typeof options.authenticate === "function",
    unhandledHook: typeof options.onUnhandledRequest === "function",
    apiKey: options.apiKey || undefined,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    sslCert: options.sslCert || undefined,
    sslKey: options.sslKey || undefined,
    sslCa: options.sslCa || undefined,
    oauthJson: options.oauth ? JSON.stringify(options.oauth) : undefined,
    modern: options.modern !== false,
    maxListenStreams: listenLimit(options.maxListenStreams),
    http2: http2Options(options.http2),
    reusePort: reusePort(options.reusePort),
    cluster: clusterOptions(options.cluster),
  };
}

module.exports = { nativeOptions, externalEventStore, DEFAULT_ALLOWED_HEADERS, DEFAULT_CALLBACK_TIMEOUT_MS };
