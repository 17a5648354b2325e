"use strict";
// mcp-proxy's `InMemoryEventStore`, with the SDK `EventStore` interface. Passed as the
// `eventStore` option, it is not called at all: each session gets the same bounded store
// natively in Rust (NATIVE_STORE marks it). Used on its own, it works like mcp-proxy's.
const { randomUUID } = require("node:crypto");

const NATIVE_STORE = Symbol.for("mcp-proxy-native.InMemoryEventStore");
const DEFAULT_MAX_EVENTS = 1000;

class InMemoryEventStore {
  constructor(options = {}) {
    const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
    if (!Number.isInteger(maxEvents) || maxEvents < 1) throw new TypeError("maxEvents must be a positive integer");
    this.maxEvents = maxEvents;
    this[NATIVE_STORE] = true;
    /** eventId → { streamId, message }, in insertion order */
    this._events = new Map();
  }

  async storeEvent(streamId, message) {
    const eventId = `${streamId}_${Date.now()}_${randomUUID().slice(0, 8)}`;
    this._events.set(eventId, { streamId, message });
    if (this._events.size > this.maxEvents) {
      this._events.delete(this._events.keys().next().value);
    }
    return eventId;
  }

  async getStreamIdForEventId(eventId) {
    return this._events.get(eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId, { send }) {
    const last = this._events.get(lastEventId);
    if (!last) return "";
    let after = false;
    for (const [eventId, { streamId, message }] of this._events) {
      if (after && streamId === last.streamId) await send(eventId, message);
      if (eventId === lastEventId) after = true;
    }
    return last.streamId;
  }
}

function isNativeStore(store) {
  return Boolean(store && store[NATIVE_STORE]);
}

module.exports = { InMemoryEventStore, isNativeStore };
