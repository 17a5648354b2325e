// The package's declarations as a TypeScript consumer sees them: a fresh project with the
// package installed in node_modules (its declaration files and package.json, as npm unpacks
// them) and @types/node beside it, type-checked by this repo's TypeScript (7.x) with a tsconfig
// that does NOT list `types: ["node"]` (TypeScript 6+ no longer loads @types automatically).
// The declarations must pull in Node's types themselves, and `authenticate`'s documented result
// shapes must be checked (`@ts-expect-error` lines fail the build when nothing is wrong there).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.join(__dirname, "..");
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");

const ESM_CONSUMER = `import { startHTTPServer, respondWith, InMemoryEventStore } from "mcp-proxy-native";
import type { AuthenticateResult, AuthConfig, CorsOptions, SSEServer } from "mcp-proxy-native";

const oauth: AuthConfig = { protectedResource: { resource: "https://mcp.example.com" }, realm: "r" };
const cors: CorsOptions = { origin: ["https://app.example"], credentials: true };

const running = await startHTTPServer({
  port: 0,
  oauth,
  cors,
  eventStore: new InMemoryEventStore({ maxEvents: 10 }),
  createServer: async (req) => {
    // req is node:http's IncomingMessage, not any.
    const peer: string | undefined = req.socket.remoteAddress;
    // @ts-expect-error: IncomingMessage has no such member
    req.notAMember;
    return { connect: async (_transport: unknown) => {}, close: async () => {}, peer };
  },
  authenticate: async (req) => {
    const header: string | undefined = req.headers.authorization;
    if (!header) return { authenticated: false, error: "no token", wwwAuthenticate: 'Bearer realm="r"' };
    if (header === "Bearer sdk") return { token: "t", clientId: "c", scopes: ["read"], expiresAt: 1 };
    if (header === "Bearer none") return undefined;
    return { id: "user-1", role: "admin" };
  },
  onUnhandledRequest: async (req, res) => {
    res.writeHead(404, { "content-type": "text/plain" }).end(req.url);
  },
});
const closer: SSEServer = running;
await closer.close();

const denied: AuthenticateResult = { authenticated: false };
// @ts-expect-error: error is a message string
const badError: AuthenticateResult = { authenticated: false, error: 401 };
// @ts-expect-error: wwwAuthenticate is the header's value, one string
const badHeader: AuthenticateResult = { authenticated: false, wwwAuthenticate: ["Bearer"] };
// @ts-expect-error: a denial says authenticated: false, not a string
const badFlag: AuthenticateResult = { authenticated: "no" };
// @ts-expect-error: an AuthInfo's scopes are strings
const badScopes: AuthenticateResult = { token: "t", clientId: "c", scopes: "read" };
export { denied, badError, badHeader, badFlag, badScopes };

// @ts-expect-error: authenticate answers with a result, not a number
await startHTTPServer({ port: 0, createServer: async () => ({ connect: async () => {}, close: async () => {} }), authenticate: async () => 42 });

export async function tool(): Promise<never> {
  return respondWith(new Response("no", { status: 403, headers: { "www-authenticate": "Bearer" } }));
}

// mcp-proxy 6.7.19's stdio exports compile without the MCP SDK installed (CONTRACT §13).
import { AuthenticationMiddleware, ServerType, resolveVersionNegotiation, startStdioServer, tapTransport, getUpstreamBridge } from "mcp-proxy-native";
import type { UpstreamProtocol, UpstreamClient, TransportLike } from "mcp-proxy-native";
const middleware = new AuthenticationMiddleware({ apiKey: "k", oauth: { realm: "r" } });
const challenge: { body: string; headers: Record<string, string> } = middleware.getUnauthorizedResponse({ error: "invalid_token" });
const era: UpstreamProtocol = "auto";
const negotiation = resolveVersionNegotiation(era);
// @ts-expect-error: not a ServerType
const badType: ServerType = "HTTP";
export function wire(client: UpstreamClient, transport: TransportLike) {
  tapTransport(transport, (event) => event.type);
  getUpstreamBridge({ client }).subscribe({ toolsListChanged: () => {} }).release();
  return startStdioServer({ serverType: ServerType.SSE, url: "http://127.0.0.1:1/sse" });
}
export { challenge, negotiation, badType };
`;

const CJS_CONSUMER = `import native = require("mcp-proxy-native");
export const start: typeof native.startHTTPServer = native.startHTTPServer;
`;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "mcp-proxy-types-"));
  const pkg = path.join(dir, "node_modules", "mcp-proxy-native");
  mkdirSync(pkg, { recursive: true });
  for (const file of ["package.json", "index.d.ts", "index.d.mts"]) copyFileSync(path.join(root, file), path.join(pkg, file));
  mkdirSync(path.join(dir, "node_modules", "@types"));
  symlinkSync(path.join(root, "node_modules", "@types", "node"), path.join(dir, "node_modules", "@types", "node"), "dir");
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function typecheck(files: Record<string, string>, compilerOptions: Record<string, unknown>): string {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const tsconfig = {
    compilerOptions: { module: "nodenext", target: "es2022", strict: true, noEmit: true, ...compilerOptions },
    files: Object.keys(files),
  };
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  return `${result.stdout}${result.stderr}`.trim() + (result.status === 0 ? "" : `\n(exit ${result.status})`);
}

describe("the declarations in a consumer whose tsconfig has no types: [\"node\"]", () => {
  it.each([false, true])("ESM and CommonJS consumers compile (skipLibCheck: %s), with authenticate's result checked", (skipLibCheck) => {
    expect(typecheck({ "consumer.mts": ESM_CONSUMER, "consumer.cts": CJS_CONSUMER }, { skipLibCheck })).toBe("");
  }, 60_000);
});
