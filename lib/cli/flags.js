"use strict";
// The command line's flags: mcp-proxy 6.7.19's (same names, types and defaults, see
// shared/reference/mcp-proxy-cli.md §1.1) plus ours (`--perSession`, `--maxChildren`). One
// table drives the parser, the environment fallback (`MCP_PROXY_<UPPER_SNAKE>`) and `--help`.

/** A value the flag cannot take: the parser turns it into "invalid value for <flag>", exit 2. */
class BadValue extends Error {}

const number = (min, { integer = false, max = Number.MAX_SAFE_INTEGER } = {}) => (text) => {
  const value = text.trim() === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const what = integer ? "an integer" : "a number";
    throw new BadValue(`expected ${what} ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}`);
  }
  return value;
};

const millis = number(0);

const string = (text) => text;

/** A path on the HTTP server: it has to start with "/" or no request could ever reach it. */
const path = (text) => {
  if (!text.startsWith("/")) throw new BadValue('expected a path starting with "/"');
  return text;
};

const oneOf = (...choices) => (text) => {
  if (!choices.includes(text)) throw new BadValue(`expected one of: ${choices.join(", ")}`);
  return text;
};

/** "true"/"false" as yargs reads them (`--debug=true`, `MCP_PROXY_DEBUG=false`). */
const boolean = (text) => {
  if (text === "true") return true;
  if (text === "false") return false;
  throw new BadValue("expected true or false");
};

/**
 * type: "string" (one value), "boolean" (`--x`, `--no-x`, `--x=true|false`), "array"
 * (repeatable; as with yargs, an occurrence takes the values up to the next flag or `--`).
 */
const FLAGS = [
  { name: "apiKey", type: "string", parse: string, describe: "Require this key in the X-API-Key header (the key never reaches the child)" },
  { name: "connectionTimeout", type: "string", parse: millis, default: 60_000, describe: "Timeout (ms) for the child's opening handshake" },
  { name: "corsAddAllowedHeader", type: "array", parse: string, describe: "Add a header to Access-Control-Allow-Headers (repeatable)" },
  { name: "debug", type: "boolean", default: false, describe: "Report the child's dropped output and other stdio events" },
  { name: "endpoint", type: "string", parse: path, describe: "Path of the served endpoint: --server's one, else the stream endpoint (explicit --sseEndpoint/--streamEndpoint win)" },
  { name: "eventStore", type: "boolean", default: true, describe: "Resumability store per stream session (--no-eventStore turns it off)" },
  { name: "eventStoreMaxEvents", type: "string", parse: number(1, { integer: true }), default: 1000, describe: "Events kept per session by the event store" },
  { name: "gracefulShutdownTimeout", type: "string", parse: millis, default: 5000, describe: "After SIGINT/SIGTERM: how long (ms) the child has to exit before SIGKILL" },
  { name: "host", type: "string", parse: string, default: "::", describe: "Address to listen on" },
  { name: "keepAliveTimeout", type: "string", parse: millis, default: 300_000, describe: "HTTP keep-alive timeout (ms)" },
  { name: "maxBodySize", type: "string", parse: number(0, { integer: true }), default: 10_485_760, describe: "Largest request body (bytes) on the stream endpoint, 413 beyond; 0 = no limit" },
  { name: "maxChildren", type: "string", parse: number(1, { integer: true }), default: 64, describe: "With --perSession: most children at once (503 beyond)" },
  { name: "modern", type: "boolean", default: true, describe: "Serve MCP 2026-07-28 on the stream endpoint too (--no-modern: 2025 only)" },
  { name: "perSession", type: "boolean", default: false, describe: "One child per 2025 session, spawned at its initialize" },
  { name: "port", type: "string", parse: number(0, { integer: true, max: 65_535 }), default: 8080, describe: "Port to listen on (0: any free port)" },
  { name: "requestTimeout", type: "string", parse: millis, default: 300_000, describe: "Timeout (ms) of each request forwarded to the child (0: 60000, as mcp-proxy)" },
  { name: "server", type: "string", parse: oneOf("sse", "stream"), describe: "Serve only sse (/sse + /messages) or stream (/mcp); both by default" },
  { name: "sessionIdleTimeout", type: "string", parse: millis, default: 1_800_000, describe: "Close a stream session idle this long (ms); 0 = never" },
  { name: "shell", type: "boolean", default: false, describe: "Run the command through the shell" },
  { name: "sseEndpoint", type: "string", parse: path, default: "/sse", describe: "Path of the legacy SSE endpoint" },
  { name: "sslCa", type: "string", parse: string, describe: "CA certificates file (PEM)" },
  { name: "sslCert", type: "string", parse: string, describe: "Certificate chain file (PEM); serves HTTPS" },
  { name: "sslKey", type: "string", parse: string, describe: "Private key file (PEM)" },
  { name: "stateless", type: "boolean", default: false, describe: "Stateless Streamable HTTP (no sessions; GET and DELETE get 405)" },
  { name: "streamEndpoint", type: "string", parse: path, default: "/mcp", describe: "Path of the Streamable HTTP endpoint" },
  { name: "tunnel", type: "boolean", default: false, describe: "Expose the proxy through tunnel.gla.ma (needs the pipenet package installed)" },
  { name: "tunnelSubdomain", type: "string", parse: string, describe: "Subdomain to ask the tunnel for" },
  { name: "upstreamProtocol", type: "string", parse: oneOf("legacy", "auto", "modern"), default: "legacy", describe: "Protocol era spoken to the child: legacy, auto (probe server/discover) or modern" },
];

/** `apiKey` → `api-key`: yargs accepts both spellings of every flag. */
const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `apiKey` → `MCP_PROXY_API_KEY`. */
const envName = (name) => `MCP_PROXY_${kebab(name).replace(/-/g, "_").toUpperCase()}`;

const BY_SPELLING = new Map();
for (const flag of FLAGS) {
  BY_SPELLING.set(flag.name, flag);
  BY_SPELLING.set(kebab(flag.name), flag);
}

/** The flag spelled `spelling` (camelCase or kebab-case), or undefined. */
const findFlag = (spelling) => BY_SPELLING.get(spelling);

module.exports = { FLAGS, BadValue, boolean, findFlag, envName, kebab };
