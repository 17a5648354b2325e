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
    /** The write of the last notification sent, which the next response waits for. */
    this._lastWritten = undefined;
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
    const isResponse = message.method === undefined;
    // Most responses follow no notification: they go out in this call, with no promise hop.
    if (isResponse && this._lastWritten !== undefined) await this._afterNotificationsWritten();
    if (!this._eventStore) {
      if (isResponse) this._native.send(this._key, json, related);
      else this._lastWritten = this._native.sendWritten(this._key, json, related, null);
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
    if (isResponse) this._native.sendStored(this._key, json, related, String(eventId));
    else this._lastWritten = this._native.sendWritten(this._key, json, related, String(eventId));
  }

  /**
   * Before a response: the notifications sent before it are in the client's socket, and the
   * event loop has turned once. With Node's http a written event is in the socket when `send`
   * returns, so a client in the same process (FastMCP's tests) reads a progress before the
   * result; the SDK client drops a progress it reads in the same chunk as the result. Here
   * Rust writes on another thread, so the response waits for the last notification's write
   * (core written.rs) and a turn in which the client can read it (about 1 ms). Only responses
   * wait: a tool sending notifications in a loop is not slowed to one round trip each.
   */
  async _afterNotificationsWritten() {
    const last = this._lastWritten;
    this._lastWritten = undefined;
    await last.catch(() => {});
    // A timer, not setImmediate: the event loop then polls (up to 1 ms) before the response is
    // queued, so a client in this process reads the notification first even when the machine is
    // busy; setImmediate alone lost one in 40 calls on a loaded CI machine.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }

  async close() {
    if (this._closed) return;
    this._closed = true;
    this._native.closeSession(this._key);
    this.onclose?.();
  }
}

module.exports = { NativeTransport };
