// The one MCP server every implementation serves: an SDK McpServer with an `echo` tool.
// The HTTP servers, the mcp-proxy run and the in-process ceiling all build it from here.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServerV2 } from "@modelcontextprotocol/server";
import { z } from "zod";

export function createServer() {
  const server = new McpServer({ name: "bench-echo", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes its text", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  return server;
}

/** The same echo server built with SDK v2 (`@modelcontextprotocol/server`), which serves 2026-07-28. */
export function createModernServer() {
  const server = new McpServerV2({ name: "bench-echo", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes its text", inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  return server;
}

export const ECHO_TEXT = "hello from the mcp-proxy-native benchmark";
export const PROTOCOL_VERSION = "2025-06-18";

/** The text the echo tool is asked to return for request `id` (so a misrouted answer fails). */
export const echoText = (id) => `${ECHO_TEXT} #${id}`;

/** A tools/call echo request; JSON-RPC ids are unique among a session's requests in flight. */
export function callBody(id) {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "echo", arguments: { text: echoText(id) } },
  });
}

export const MODERN_VERSION = "2026-07-28";

/** The headers a 2026-07-28 client sends with tools/call echo (SEP-2243). */
export const MODERN_HEADERS = {
  "mcp-protocol-version": MODERN_VERSION,
  "mcp-method": "tools/call",
  "mcp-name": "echo",
};

/** A 2026-07-28 tools/call echo: stateless, the client's envelope in `_meta`. */
export function modernCallBody(id) {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: {
      name: "echo",
      arguments: { text: echoText(id) },
      _meta: {
        "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { name: "bench-load", version: "1.0.0" },
      },
    },
  });
}

export const INITIALIZE_BODY = JSON.stringify({
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: "bench-load", version: "1.0.0" },
  },
});

export const INITIALIZED_BODY = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });

/** The JSON-RPC messages in a response body: a JSON document, or the data lines of an SSE stream. */
export function messagesOf(body) {
  const text = body.trimStart();
  if (text.startsWith("{") || text.startsWith("[")) {
    const parsed = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : [parsed];
  }
  const messages = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""))
      .join("\n");
    if (data) messages.push(JSON.parse(data));
  }
  return messages;
}

/** True when the body carries exactly the echo result for request `id` (a fast wrong answer fails). */
export function isEchoResult(body, id) {
  try {
    return messagesOf(body).some(
      (m) =>
        m.jsonrpc === "2.0" &&
        m.id === id &&
        m.error === undefined &&
        m.result?.isError !== true &&
        m.result?.content?.length === 1 &&
        m.result.content[0].type === "text" &&
        m.result.content[0].text === echoText(id),
    );
  } catch {
    return false;
  }
}
