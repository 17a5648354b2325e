"use strict";
// The SDK `Transport` a session's MCP server is connected to (CONTRACT §4.5). It only
// carries JSON text to and from Rust, which decides where each message goes.
// It deliberately has no `type` property: FastMCP starts 5-second pings when it sees one.

class NativeTransport {
  /**
   * @param native the NativeServer
   * @param key the session key Rust knows this session by
   * @param sessionId the Mcp-Session-Id, undefined when stateless
   * @param eventStore a user-supplied SDK EventStore, if any
   */
  constructor(native, key, sessionId, eventStore) {
    this._native = native;
    this._eventStore = eventStore;
    this._key = key;
    this._closed = false;
    this._started = false;
    this.sessionId = sessionId ?? undefined;
    this.onmessage = undefined;
    this.onclose = undefined;
    this.onerror = undefined;
  }

  /** Runs `callback` once `start()` was called (the server's handlers are set by then). */
  _whenStarted(callback) {
    if (this._started) callback();
    else this._onStart = callback;
  }

  async start() {
    this._started = true;
    this._onStart?.();
    this._onStart = undefined;
  }

  async send(message, options) {
    const relatedId = options?.relatedRequestId;
    const related = relatedId === undefined ? null : JSON.stringify(relatedId);
    const json = JSON.stringify(message);
    if (!this._eventStore) {
      this._native.send(this._key, json, related);
      return;
    }
    // A user-supplied store names the event before it goes out (SDK semantics).
    const streamId = this._native.streamFor(this._key, json, related);
    if (streamId === null) return;
    let eventId;
    try {
      eventId = await this._eventStore.storeEvent(streamId, message);
    } catch (error) {
      console.error("[mcp-proxy] error storing event", error);
      this._native.send(this._key, json, related);
      return;
    }
    this._native.sendStored(this._key, json, related, String(eventId));
  }

  async close() {
    if (this._closed) return;
    this._closed = true;
    this._native.closeSession(this._key);
    this.onclose?.();
  }
}

module.exports = { NativeTransport };
