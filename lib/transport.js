"use strict";
// The SDK `Transport` a session's MCP server is connected to (CONTRACT §4.5). It only
// carries JSON text to and from Rust, which decides where each message goes.
// It deliberately has no `type` property: FastMCP starts 5-second pings when it sees one.

class NativeTransport {
  /**
   * @param native the NativeServer
   * @param key the session key Rust knows this session by
   * @param sessionId the Mcp-Session-Id, undefined when stateless
   */
  constructor(native, key, sessionId) {
    this._native = native;
    this._key = key;
    this._closed = false;
    this.sessionId = sessionId ?? undefined;
    this.onmessage = undefined;
    this.onclose = undefined;
    this.onerror = undefined;
  }

  async start() {}

  async send(message, options) {
    const related = options?.relatedRequestId;
    this._native.send(this._key, JSON.stringify(message), related === undefined ? null : JSON.stringify(related));
  }

  async close() {
    if (this._closed) return;
    this._closed = true;
    this._native.closeSession(this._key);
    this.onclose?.();
  }
}

module.exports = { NativeTransport };
