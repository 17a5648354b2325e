import type { IncomingMessage, ServerResponse } from "node:http";

/** What `createServer` returns: an MCP SDK `Server` or anything with `connect`/`close`. */
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

export interface SSEServer {
  close: () => Promise<void>;
}

export interface StartHTTPServerOptions<T extends ServerLike = ServerLike> {
  port: number;
  host?: string;
  createServer: (request: IncomingMessage) => Promise<T> | T;
  authenticate?: (request: IncomingMessage) => Promise<unknown>;
  apiKey?: string;
  oauth?: AuthConfig;
  cors?: boolean | CorsOptions;
  enableJsonResponse?: boolean;
  eventStore?: EventStoreOption;
  /** Cap of the default in-memory store per session (default 1000). */
  eventStoreMaxEvents?: number;
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
  /** Idle keep-alive connection timeout, ms (default 300000). */
  keepAliveTimeout?: number;
  /** Idle session reaping, ms (default 30 minutes). Not in mcp-proxy. */
  sessionIdleTimeout?: number;
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
export declare function respondWith(response: {
  status: number;
  statusText?: string;
  headers: unknown;
  text?: () => Promise<string>;
}): Promise<never>;
