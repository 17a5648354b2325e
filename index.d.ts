/// <reference types="node" />
// Node's types are referenced here, so a consumer's tsconfig needs no `types: ["node"]`
// (TypeScript 6+ no longer loads every @types package by default).
import type { IncomingMessage, ServerResponse } from "node:http";

/** What `createServer` returns: an MCP SDK `Server` or anything with `connect`/`close`. */
/** The `cluster` option (README "Several instances on Redis"). */
export interface ClusterOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  redis: string;
  /** `http://host:port` where the other instances reach this one (default: a loopback port of its own). */
  advertise?: string;
  /** The hop's shared secret, the same on every instance (16+ bytes); required unless `advertise` is loopback. */
  secret?: string;
  /** This instance's id in Redis (default: random per start). */
  instanceId?: string;
  /** An instance that stops renewing its lease is presumed dead after this many ms (default 3000, at least 300). */
  leaseMs?: number;
}

export interface ServerLike {
  connect(transport: unknown): Promise<void>;
  close(): Promise<void>;
  updateAuth?(auth: unknown): void;
}

export interface CorsOptions {
  origin?: string | string[] | ((origin: string) => boolean);
  methods?: string | string[];
  allowedHeaders?: string | string[];
  exposedHeaders?: string | string[];
  credentials?: boolean;
  maxAge?: number;
}

/** An SDK `EventStore`, or `false` for no resumability. */
export type EventStoreOption = false | {
  storeEvent(streamId: string, message: unknown): Promise<string>;
  replayEventsAfter(
    lastEventId: string,
    handlers: { send: (eventId: string, message: unknown) => Promise<void> },
  ): Promise<string>;
  getStreamIdForEventId?(eventId: string): Promise<string | undefined>;
};

export interface AuthConfig {
  protectedResource?: { resource?: string; [key: string]: unknown };
  realm?: string;
  scope?: string;
  error?: string;
  error_description?: string;
  error_uri?: string;
}

/** A Response-like object (a Fetch `Response`, or any object with these members): written as it is. */
export interface ResponseLike {
  status: number;
  statusText?: string;
  headers: unknown;
  text?: () => Promise<string>;
}

/**
 * `authenticate` refused the request: 401 with JSON-RPC message `error` (default
 * `Unauthorized: Authentication failed`) and `wwwAuthenticate`, when given, as the
 * `WWW-Authenticate` header verbatim (else a challenge built from the `oauth` option).
 */
export interface AuthenticationFailed {
  authenticated: false;
  error?: string;
  wwwAuthenticate?: string;
}

/** The MCP SDK's `AuthInfo`: returned by `authenticate`, request handlers see it as `extra.authInfo`. */
export interface AuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number;
  resource?: URL | string;
  extra?: Record<string, unknown>;
}

/** The members an allowing result may not get wrong (`then`: a promise is not a result). */
interface AllowedShape {
  authenticated?: true;
  token?: string;
  clientId?: string;
  scopes?: string[];
  then?: never;
}

/** Any other object lets the request through (FastMCP's session data, say). */
export type AuthenticatedObject =
  | (object & AllowedShape)
  // Object literals carry properties of their own: the index signature admits them.
  | (AllowedShape & { [key: string]: unknown });

/**
 * What `authenticate` may answer: a refusal (also `null`, `undefined` or `false`), an SDK
 * `AuthInfo`, `true` or any other object (the request goes on), or a Response-like written verbatim.
 */
export type AuthenticateResult =
  | AuthenticationFailed
  | AuthInfo
  | ResponseLike
  | AuthenticatedObject
  | boolean
  | null
  | undefined;

/**
 * Publishes to open MCP 2026-07-28 `subscriptions/listen` streams (the SDK v2
 * `ServerNotifier`); a working no-op while no such stream is served.
 */
export interface ServerNotifier {
  toolsChanged(): void;
  promptsChanged(): void;
  resourcesChanged(): void;
  resourceUpdated(uri: string): void;
}

export interface SSEServer {
  close: () => Promise<void>;
  notify: ServerNotifier;
}

/** Called for a 2026-07-28 `subscriptions/listen` that asks for resource subscriptions; the returned function runs when that stream ends. */
/** HTTP/2 settings (README "HTTP/2"); each absent one keeps its default. */
export interface Http2Options {
  /** Streams one connection may have open at once; more are refused (`REFUSED_STREAM`). Default 250. */
  maxConcurrentStreams?: number;
  /** Bytes a client may send on one stream before the server reads them. Default 1048576. */
  initialStreamWindowSize?: number;
  /** The same for all streams of a connection together. Default 4194304. */
  initialConnectionWindowSize?: number;
  /** Bytes of one (decoded) header block; a larger one is refused. Default 16384 (Node's HTTP/1.1 head limit). */
  maxHeaderListSize?: number;
  /** PING an idle connection this often, ms (0 = never). Default 30000. */
  keepAliveInterval?: number;
  /** A PING unanswered this long closes the connection, ms. Default 20000. */
  keepAliveTimeout?: number;
  /** Streams opened and reset before being served, held at once ("rapid reset"); more ends the connection. Default 20. */
  maxPendingAcceptResetStreams?: number;
  /** Streams the server reset for a client's protocol errors; more ends the connection. Default 1024. */
  maxLocalErrorResetStreams?: number;
}

export type ListenSubscriptionsHandler = (uris: string[]) => Promise<() => void>;

/** The default CORS `Access-Control-Allow-Headers` list (mcp-proxy 6.7). */
export declare const DEFAULT_ALLOWED_HEADERS: string[];

export interface StartHTTPServerOptions<T extends ServerLike = ServerLike> {
  port: number;
  host?: string;
  createServer: (request: IncomingMessage) => Promise<T> | T;
  /** Called per request (§ OAuth in the README); throwing a Response-like writes it verbatim. */
  authenticate?: (request: IncomingMessage) => Promise<AuthenticateResult> | AuthenticateResult;
  /**
   * Who an `authenticate` result is: a session is bound to the principal that created it,
   * and another principal's requests get 404 as if it did not exist. Default: an SDK
   * `AuthInfo`'s `clientId` with `extra.sub`/`extra.userId` when present (never the token,
   * which changes on refresh); any other result binds nothing. FastMCP-style `{ id }`
   * results: `principalOf: (auth) => auth.id`. `undefined` binds nothing. Not in mcp-proxy.
   */
  principalOf?: (auth: any) => string | undefined;
  apiKey?: string;
  oauth?: AuthConfig;
  cors?: boolean | CorsOptions;
  enableJsonResponse?: boolean;
  eventStore?: EventStoreOption;
  /** Cap of the default in-memory store per session (default 1000). */
  eventStoreMaxEvents?: number;
  /**
   * Bytes the default in-memory store keeps per session, oldest evicted first; an event
   * larger than this is sent but cannot be replayed (default 10 MiB). Not in mcp-proxy.
   */
  eventStoreMaxBytes?: number;
  /**
   * Sessions held at once (stateful sessions, legacy SSE connections, stateless exchanges in
   * flight); a new one beyond it → 503, logged (default 10000). Not in mcp-proxy.
   */
  maxSessions?: number;
  stateless?: boolean;
  streamEndpoint?: string | null;
  sseEndpoint?: string | null;
  onConnect?: (server: T) => Promise<void> | void;
  onClose?: (server: T) => Promise<void> | void;
  onUnhandledRequest?: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
  sslCert?: string;
  sslKey?: string;
  sslCa?: string;
  /** Bytes; `false` = unbounded (default 10 MiB). */
  maxBodySize?: number | false;
  /** Messages in one JSON-RPC batch; more → 400 -32600 (default 10000). Not in mcp-proxy. */
  maxBatchSize?: number;
  /**
   * Bytes an SSE stream may hold for a client reading slower than the server writes; beyond
   * it the stream is cut (the response breaks off, never ends cleanly) and the client resumes
   * with Last-Event-ID (default 16 MiB). Not in mcp-proxy.
   */
  sseMaxQueuedBytes?: number;
  /** Idle keep-alive connection timeout, ms (default 300000). */
  keepAliveTimeout?: number;
  /** A `: keepalive` comment on an SSE stream after this long without an event, ms (default 15000). Not in mcp-proxy. */
  sseKeepAliveInterval?: number;
  /**
   * A session with no request being served, none in flight and no stream attached for this
   * long is closed (`onClose` runs), ms; the countdown starts when the last stream drops.
   * Default 1800000 (30 minutes); `0` = never (as in mcp-proxy 6.7).
   */
  sessionIdleTimeout?: number;
  /**
   * Serve MCP 2026-07-28 requests on `streamEndpoint` beside 2025-era traffic (default true;
   * mcp-proxy 6.7). An SDK v2 server (`@modelcontextprotocol/server`) is served per request;
   * an SDK v1 server gets mcp-proxy 6.7's refusal, so 2026 clients fall back to `initialize`.
   */
  modern?: boolean;
  /**
   * Called for a `subscriptions/listen` stream that asks for resource subscriptions, with
   * the URIs it asked for; the function it returns runs when that stream ends.
   */
  onListenSubscriptions?: ListenSubscriptionsHandler;
  /** Open 2026-07-28 `subscriptions/listen` streams at most (default 1024); one more → `-32603`. Not in mcp-proxy. */
  maxListenStreams?: number;
  /**
   * HTTP/2 on the same port: h2c with prior knowledge on plain TCP, ALPN `h2` with TLS
   * (default on). `false` serves HTTP/1.1 only; an object sets the HTTP/2 settings. Not in mcp-proxy.
   */
  http2?: boolean | Http2Options;
  /** A request head must arrive within this many ms, else 408 and the connection closes (default 60000, as Node; 0 = no limit). */
  headersTimeout?: number;
  /** Head and body must arrive within this many ms of the head's start (a new connection's start for its first request), else 408 (default 300000, as Node; 0 = no limit). */
  requestTimeout?: number;
  /**
   * A request body (MCP endpoints and `onUnhandledRequest` routes alike) with no byte for this
   * many ms gets 408 and the connection closes (default 10000; 0 = no limit). Not in mcp-proxy.
   */
  bodyIdleTimeout?: number;
  /**
   * Bytes per second a request body must average once it has taken longer than
   * `bodyIdleTimeout`, else 408 and the connection closes (default 1024; 0 = no minimum).
   * Not in mcp-proxy.
   */
  minBodyRate?: number;
  /** Connections open at once; a new one beyond it is answered 503 and closed (default 10000). */
  maxConnections?: number;
  /**
   * Bind with SO_REUSEPORT (Linux, macOS, the BSDs), so several processes listen on one port
   * and the kernel spreads connections over them (default false). Not in mcp-proxy.
   */
  reusePort?: boolean;
  /**
   * Several instances on one Redis, behind a load balancer without session affinity: a
   * session's requests are forwarded to the instance that owns it (README "Several instances
   * on Redis", CONTRACT §14). `startHTTPServer` rejects when Redis cannot be reached.
   * Not in mcp-proxy.
   */
  cluster?: ClusterOptions;
  /**
   * Bytes of MCP request bodies still arriving, all connections together, counted as the
   * memory their buffers hold; a body that would cross it gets 503 (default 256 MiB;
   * `false` = no budget).
   */
  maxBufferedBodyBytes?: number | false;
  /** How long createServer + onConnect may take, ms (default 30000). Not in mcp-proxy. */
  callbackTimeout?: number;
  /**
   * DNS-rebinding protection: `Host` values answered (`name` = any port, `name:port` =
   * exactly). Default: `localhost`, `127.0.0.1`, `[::1]` when bound to a loopback host,
   * no check otherwise.
   */
  allowedHosts?: string[];
  /** Exact `Origin` values answered; default: an Origin whose host passes `allowedHosts`. */
  allowedOrigins?: string[];
}

export interface RunningServer extends SSEServer {
  /** The bound port (useful with `port: 0`). */
  port: number;
}

export declare function startHTTPServer<T extends ServerLike>(
  options: StartHTTPServerOptions<T>,
): Promise<RunningServer>;

/**
 * mcp-proxy's in-memory event store (SDK `EventStore` interface). Passed as `eventStore`,
 * it runs natively per session with its `maxEvents` cap.
 */
export declare class InMemoryEventStore {
  constructor(options?: { maxEvents?: number });
  readonly maxEvents: number;
  storeEvent(streamId: string, message: unknown): Promise<string>;
  getStreamIdForEventId(eventId: string): Promise<string | undefined>;
  replayEventsAfter(
    lastEventId: string,
    handlers: { send: (eventId: string, message: unknown) => Promise<void> },
  ): Promise<string>;
}

/**
 * Inside a request handler (a tool, say): answers the current HTTP exchange with this
 * Response-like object, e.g. a 403 with `WWW-Authenticate: Bearer error="insufficient_scope"`,
 * and throws to stop the handler. Works until something was written on that POST's stream.
 */
export declare function respondWith(response: ResponseLike): Promise<never>;

// ---------------------------------------------------------------------------------------------
// mcp-proxy 6.7.19's stdio-side exports (CONTRACT §13). They work on the application's own MCP
// SDK v2 objects (`@modelcontextprotocol/client` / `@modelcontextprotocol/server`); the types
// below spell out the members used, so these declarations need neither package to compile and
// an SDK `Client` / `Server` / `Transport` is accepted as it is.

/** An MCP SDK v2 `Client` (`@modelcontextprotocol/client`): the upstream side of a proxy. */
export interface UpstreamClient {
  connect(transport: any, options?: any): Promise<void>;
  close(): Promise<void>;
  getServerCapabilities(): any;
  getServerVersion(): any;
  getProtocolEra(): string | undefined;
  setNotificationHandler(method: any, handler: (notification: any) => any): void;
  listen(filter: any, options?: any): Promise<any>;
  subscribeResource(params: any, options?: any): Promise<any>;
  unsubscribeResource(params: any, options?: any): Promise<any>;
  callTool(params: any, options?: any): Promise<any>;
  listTools(params?: any, options?: any): Promise<any>;
  getPrompt(params: any, options?: any): Promise<any>;
  listPrompts(params?: any, options?: any): Promise<any>;
  listResources(params?: any, options?: any): Promise<any>;
  listResourceTemplates(params?: any, options?: any): Promise<any>;
  readResource(params: any, options?: any): Promise<any>;
  complete(params: any, options?: any): Promise<any>;
}

/** An MCP SDK v2 `Server` (`@modelcontextprotocol/server`): the downstream side of a proxy. */
export interface DownstreamServer {
  connect(transport: any): Promise<void>;
  setRequestHandler(method: any, handler: (request: any, ctx: any) => any): void;
  notification(notification: any, options?: any): Promise<void>;
  getNegotiatedProtocolVersion(): string | undefined;
  readonly transport?: unknown;
  onclose?: (() => void) | undefined;
}

/** The SDK's `ServerCapabilities`; handlers are registered for the ones present. */
export interface ProxyServerCapabilities {
  completions?: object;
  logging?: object;
  prompts?: { listChanged?: boolean };
  resources?: { listChanged?: boolean; subscribe?: boolean };
  tools?: { listChanged?: boolean };
  [key: string]: unknown;
}

/**
 * Wires `server` to forward every request it can serve to `client` (handlers from
 * `serverCapabilities`; progress, cancellation, per-connection `logging/setLevel` and resource
 * subscriptions carried across). Resolves once wired.
 */
export declare function proxyServer(options: {
  client: UpstreamClient;
  requestTimeout?: number;
  server: DownstreamServer;
  serverCapabilities: ProxyServerCapabilities;
}): Promise<void>;

/** Which upstream transport `startStdioServer` connects with. */
export declare const ServerType: { readonly HTTPStream: "HTTPStream"; readonly SSE: "SSE" };
export type ServerType = (typeof ServerType)[keyof typeof ServerType];

/** How the upstream connection picks a protocol revision (default `legacy`). */
export type UpstreamProtocol = "auto" | "legacy" | "modern";

/** The SDK `ClientOptions["versionNegotiation"]` for an `UpstreamProtocol`. */
export declare function resolveVersionNegotiation(
  upstreamProtocol?: UpstreamProtocol,
): { mode: "auto" } | { mode: { pin: "2026-07-28" } } | undefined;

/**
 * Serves the SSE or Streamable HTTP MCP server at `url` on this process's stdin/stdout
 * (2025-era stdio). Resolves to the connected stdio `Server`.
 */
export declare function startStdioServer<S extends DownstreamServer = DownstreamServer>(options: {
  initStdioServer?: () => Promise<S>;
  /** Bring your own upstream client; `upstreamProtocol` does not apply to it. */
  initStreamClient?: () => Promise<UpstreamClient>;
  serverType: ServerType;
  /** The SDK's SSE or Streamable HTTP client transport options (headers, authProvider, …). */
  transportOptions?: Record<string, unknown>;
  upstreamProtocol?: UpstreamProtocol;
  url: string;
}): Promise<S>;

/** An MCP SDK `Transport`, as `tapTransport` sees it. */
export interface TransportLike {
  start(): Promise<void>;
  send(message: any, options?: any): Promise<void>;
  close(): Promise<void>;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: any, extra?: any) => void) | undefined;
}

export type TransportEvent =
  | { type: "onerror"; error: Error }
  | { type: "onmessage"; message: any }
  | { type: "send"; message: any }
  | { type: "close" }
  | { type: "onclose" }
  | { type: "start" };

/** Reports every call and callback of `transport` to `eventHandler`; returns the same object. */
export declare function tapTransport<T extends TransportLike>(transport: T, eventHandler: (event: TransportEvent) => void): T;

/** One downstream consumer of an upstream client's notifications (every member optional). */
export interface UpstreamNotificationSink {
  loggingMessage?: (params: { level: string; logger?: string; data?: unknown; [key: string]: unknown }) => void;
  promptsListChanged?: () => void;
  resourcesListChanged?: () => void;
  resourceUpdated?: (params: { uri: string; [key: string]: unknown }) => void;
  toolsListChanged?: () => void;
}

/** One downstream connection's stake in the shared upstream client. */
export interface UpstreamLease {
  addResourceSubscription: (uri: string) => Promise<void>;
  owns: (uri: string) => boolean;
  release: () => void;
  removeResourceSubscription: (uri: string) => Promise<void>;
}

export interface UpstreamBridge {
  close: () => Promise<void>;
  subscribe: (sink: UpstreamNotificationSink) => UpstreamLease;
}

/** The one bridge of `client` (the first call fixes its `requestTimeout`). */
export declare function getUpstreamBridge(options: { client: UpstreamClient; requestTimeout?: number }): UpstreamBridge;

/** An `onListenSubscriptions` handler for a proxy fronting `client`: all or nothing. */
export declare function acquireListenSubscriptions(options: {
  client: UpstreamClient;
  requestTimeout?: number;
  uris: string[];
}): Promise<() => void>;

/** mcp-proxy's constructor argument: the API key and the `oauth` challenge parameters. */
export interface AuthenticationMiddlewareConfig {
  apiKey?: string;
  oauth?: AuthConfig;
}

/** mcp-proxy 6.7.19's API-key check and 401/403 challenge builder. */
export declare class AuthenticationMiddleware {
  constructor(config?: AuthenticationMiddlewareConfig);
  getScopeChallengeResponse(
    requiredScopes: string[],
    errorDescription?: string,
    requestId?: unknown,
  ): { body: string; headers: Record<string, string>; statusCode: number };
  getUnauthorizedResponse(options?: {
    error?: string;
    error_description?: string;
    error_uri?: string;
    scope?: string;
  }): { body: string; headers: Record<string, string> };
  validateRequest(req: IncomingMessage): boolean;
}
