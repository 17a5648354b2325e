// The answers to malformed 2026-07-28 requests (CONTRACT §12 "Bad input"): for each case
// the SDK v2 handler itself (createMcpHandler, in process) is the oracle, and the server
// must answer the same status and JSON-RPC body. Rust answers the ladder without creating a
// server; what only the SDK's schema can word goes to the SDK, still before createServer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMcpHandler } from "@modelcontextprotocol/server";
import { serve, until, type Running } from "./helpers";
import { modernServer } from "./fixtures/modernServer";

const PV = "io.modelcontextprotocol/protocolVersion";
const CAPS = "io.modelcontextprotocol/clientCapabilities";
const ENV = { [PV]: "2026-07-28", [CAPS]: {} };
const H = { "mcp-protocol-version": "2026-07-28" };

interface Case {
  name: string;
  body: unknown;
  headers: Record<string, string>;
  /** The server is created (the request got past the ladder). */
  served?: boolean;
}

const request = (method: string, params: Record<string, unknown> = {}, id: unknown = 1) => ({
  jsonrpc: "2.0",
  id,
  method,
  params: { _meta: ENV, ...params },
});
const list = (meta: unknown) => ({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: meta } });
const call = (args: Record<string, unknown>, name = "geo") => request("tools/call", { name, arguments: args });
const callHeaders = { ...H, "mcp-method": "tools/call", "mcp-name": "geo" };

const cases: Case[] = [
  { name: "missing clientCapabilities", body: list({ [PV]: "2026-07-28" }), headers: { ...H, "mcp-method": "tools/list" } },
  { name: "protocolVersion not a string", body: list({ [PV]: 5, [CAPS]: {} }), headers: { ...H, "mcp-method": "tools/list" } },
  { name: "clientCapabilities not an object", body: list({ ...ENV, [CAPS]: "x" }), headers: { ...H, "mcp-method": "tools/list" } },
  { name: "clientInfo without version", body: list({ ...ENV, "io.modelcontextprotocol/clientInfo": { name: "a" } }), headers: { ...H, "mcp-method": "tools/list" } },
  { name: "unknown logLevel", body: list({ ...ENV, "io.modelcontextprotocol/logLevel": "loud" }), headers: { ...H, "mcp-method": "tools/list" } },
  { name: "boolean progressToken", body: list({ ...ENV, progressToken: true }), headers: { ...H, "mcp-method": "tools/list" } },
  { name: "header version differs from _meta", body: request("tools/list"), headers: { "mcp-protocol-version": "2025-06-18", "mcp-method": "tools/list" } },
  { name: "Mcp-Method differs", body: request("tools/list"), headers: { ...H, "mcp-method": "tools/call" } },
  { name: "Mcp-Method missing", body: request("tools/list"), headers: H },
  { name: "MCP-Protocol-Version missing", body: request("tools/list"), headers: { "mcp-method": "tools/list" } },
  { name: "Mcp-Name missing", body: call({ region: "eu" }), headers: { ...H, "mcp-method": "tools/call" } },
  { name: "Mcp-Name differs", body: call({ region: "eu" }), headers: { ...callHeaders, "mcp-name": "other" } },
  { name: "Mcp-Name broken base64", body: call({ region: "eu" }), headers: { ...callHeaders, "mcp-name": "=?base64?!!?=" } },
  { name: "Mcp-Name base64 and OWS", body: call({ region: "eu" }), headers: { ...callHeaders, "mcp-name": " =?base64?Z2Vv?= ", "mcp-param-region": "eu" }, served: true },
  { name: "Mcp-Param missing", body: call({ region: "eu" }), headers: callHeaders, served: true },
  { name: "Mcp-Param broken base64", body: call({ region: "eu" }), headers: { ...callHeaders, "mcp-param-region": "=?base64?%%?=" }, served: true },
  { name: "Mcp-Param differs", body: call({ region: "eu" }), headers: { ...callHeaders, "mcp-param-region": "us" }, served: true },
  { name: "Mcp-Param not UTF-8 base64", body: call({ region: "eu" }), headers: { ...callHeaders, "mcp-param-region": "=?base64?/w==?=" }, served: true },
  { name: "unknown version", body: list({ ...ENV, [PV]: "2027-01-01" }), headers: { "mcp-protocol-version": "2027-01-01", "mcp-method": "tools/list" } },
  { name: "v999.0.0", body: list({ ...ENV, [PV]: "v999.0.0" }), headers: { "mcp-protocol-version": "v999.0.0", "mcp-method": "tools/list" } },
  { name: "2025 version in _meta", body: list({ ...ENV, [PV]: "2025-06-18" }), headers: { "mcp-protocol-version": "2025-06-18", "mcp-method": "tools/list" } },
  { name: "modern header, no _meta", body: { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }, headers: { ...H, "mcp-method": "tools/list" } },
  { name: "modern header, _meta without the claim", body: list({ [CAPS]: {} }), headers: { ...H, "mcp-method": "tools/list" } },
  { name: "initialize with a modern header", body: { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "a", version: "1" } } }, headers: H },
  { name: "initialize with an envelope", body: request("initialize"), headers: { ...H, "mcp-method": "initialize" } },
  { name: "ping", body: request("ping"), headers: { ...H, "mcp-method": "ping" } },
  { name: "logging/setLevel", body: request("logging/setLevel", { level: "info" }), headers: { ...H, "mcp-method": "logging/setLevel" } },
  { name: "resources/subscribe", body: request("resources/subscribe", { uri: "test://readme" }), headers: { ...H, "mcp-method": "resources/subscribe" } },
  { name: "unknown method", body: request("foo/bar"), headers: { ...H, "mcp-method": "foo/bar" }, served: true },
  { name: "claim in a body that is not JSON-RPC", body: { id: 1, method: "tools/list", params: { _meta: ENV } }, headers: { ...H, "mcp-method": "tools/list" } },
  { name: "batch with a modern request and a broken one", body: [request("tools/list"), { jsonrpc: "2.0" }], headers: H },
  { name: "batch with a modern request", body: [request("tools/list")], headers: { ...H, "mcp-method": "tools/list" } },
  { name: "notification", body: { jsonrpc: "2.0", method: "notifications/cancelled", params: { _meta: ENV, requestId: 1 } }, headers: {} },
  { name: "notification with a 2025 version", body: { jsonrpc: "2.0", method: "notifications/x", params: { _meta: { ...ENV, [PV]: "2025-06-18" } } }, headers: {} },
  { name: "listen without a filter", body: request("subscriptions/listen"), headers: { ...H, "mcp-method": "subscriptions/listen" } },
  { name: "listen with a broken filter", body: request("subscriptions/listen", { notifications: { toolsListChanged: "yes" } }), headers: { ...H, "mcp-method": "subscriptions/listen" } },
  // Two faults at once: the envelope's schema is checked before the headers, so the answer
  // is the SDK's -32602 for the envelope, not -32020 for the header.
  ...[
    { what: "roots not an object", meta: { ...ENV, [CAPS]: { roots: 5 } } },
    { what: "roots.listChanged not a boolean", meta: { ...ENV, [CAPS]: { roots: { listChanged: "yes" } } } },
    { what: "sampling.context not an object", meta: { ...ENV, [CAPS]: { sampling: { context: [] } } } },
    { what: "elicitation an array", meta: { ...ENV, [CAPS]: { elicitation: [] } } },
    { what: "elicitation.form.applyDefaults not a boolean", meta: { ...ENV, [CAPS]: { elicitation: { form: { applyDefaults: 1 } } } } },
    { what: "an experimental capability not an object", meta: { ...ENV, [CAPS]: { experimental: { x: 1 } } } },
    { what: "an extension that is null", meta: { ...ENV, [CAPS]: { extensions: { x: null } } } },
    { what: "clientCapabilities an array", meta: { ...ENV, [CAPS]: [] } },
    { what: "clientInfo.title a number", meta: { ...ENV, "io.modelcontextprotocol/clientInfo": { name: "a", version: "1", title: 5 } } },
    { what: "clientInfo icon without src", meta: { ...ENV, "io.modelcontextprotocol/clientInfo": { name: "a", version: "1", icons: [{}] } } },
    { what: "clientInfo icon with an unknown theme", meta: { ...ENV, "io.modelcontextprotocol/clientInfo": { name: "a", version: "1", icons: [{ src: "x", theme: "blue" }] } } },
    { what: "a fractional progressToken", meta: { ...ENV, progressToken: 1.5 } },
  ].map(({ what, meta }) => ({
    name: `${what}, and the version header differs`,
    body: list(meta),
    headers: { "mcp-protocol-version": "2025-06-18", "mcp-method": "tools/list" },
  })),
  // Valid envelopes the SDK's schema accepts (unknown keys are dropped): the header fault wins.
  ...[
    { what: "unknown capability keys", meta: { ...ENV, [CAPS]: { foo: 1, roots: { listChanged: true, bar: 2 } } } },
    { what: "empty elicitation", meta: { ...ENV, [CAPS]: { elicitation: {} } } },
    { what: "a full clientInfo", meta: { ...ENV, "io.modelcontextprotocol/clientInfo": { name: "a", version: "1", title: "A", websiteUrl: "https://a", description: "d", icons: [{ src: "x", sizes: ["16x16"], theme: "dark", mimeType: "image/png" }] } } },
  ].map(({ what, meta }) => ({
    name: `${what}, and Mcp-Method differs`,
    body: list(meta),
    headers: { ...H, "mcp-method": "tools/call" },
  })),
  // Header bytes beyond ASCII reach the SDK as Node gives them (latin-1, one char per byte),
  // so a UTF-8 "é" in a header is "Ã©" and a latin-1 "é" is "é" (fetch sends these strings as
  // latin-1 bytes). The spec asks for =?base64?…?= there; a client that sends raw bytes gets
  // mcp-proxy 6.7.19's answer.
  { name: "Mcp-Param as a latin-1 byte", body: call({ region: "éu" }), headers: { ...callHeaders, "mcp-param-region": "\u00e9u" }, served: true },
  { name: "Mcp-Param as UTF-8 bytes", body: call({ region: "éu" }), headers: { ...callHeaders, "mcp-param-region": "\u00c3\u00a9u" }, served: true },
  { name: "Mcp-Name as UTF-8 bytes", body: call({ region: "eu" }, "géo"), headers: { ...callHeaders, "mcp-name": "g\u00c3\u00a9o" } },
  { name: "Mcp-Name as a latin-1 byte", body: call({ region: "eu" }, "géo"), headers: { ...callHeaders, "mcp-name": "g\u00e9o" }, served: true },
  { name: "string id echoed", body: request("tools/list", {}, "abc"), headers: { "mcp-protocol-version": "2025-11-25", "mcp-method": "tools/list" } },
];

let r: Running;
let created = 0;
const oracle = createMcpHandler(() => modernServer(), { legacy: "reject", onerror() {} });

beforeAll(async () => {
  r = await serve({
    createServer: async () => {
      created++;
      return modernServer();
    },
  });
});
afterAll(() => r.close());

async function fromOracle(c: Case): Promise<{ status: number; body: unknown }> {
  const res = await oracle.fetch(
    new Request("http://127.0.0.1/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...c.headers },
      body: JSON.stringify(c.body),
    }),
  );
  const text = await res.text();
  return { status: res.status, body: text === "" ? "" : JSON.parse(text) };
}

describe("malformed 2026-07-28 requests get the SDK's answers", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const before = created;
      const res = await fetch(r.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...c.headers },
        body: JSON.stringify(c.body),
      });
      const text = await res.text();
      const ours = { status: res.status, body: text === "" ? "" : JSON.parse(text) };
      expect(ours).toEqual(await fromOracle(c));
      if (ours.body !== "") expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      // Only requests past the ladder create a server (listen refusals never reach one).
      expect(created - before).toBe(c.served ? 1 : 0);
    });
  }

  it("leaves nothing allocated and no server open", async () => {
    await until(() => r.closed.length === r.opened.length, "every served request closed");
  });
});
