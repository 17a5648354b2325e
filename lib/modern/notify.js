"use strict";
// `notify`, the `ServerNotifier` `startHTTPServer` resolves with (mcp-proxy 6.7, CONTRACT §12):
// it publishes list-changed and resource-updated events to open MCP 2026-07-28
// `subscriptions/listen` streams (held in Rust, lib/modern/handler.js passes them on). With no such
// stream open, or the leg off, every method is a working no-op, as mcp-proxy 6.7's stub is.

/**
 * @param publish `(kind, uri?) => void`, the sink for events; none = drop them
 * @returns `{ toolsChanged, promptsChanged, resourcesChanged, resourceUpdated(uri) }`
 */
function createNotifier(publish = () => {}) {
  return Object.freeze({
    toolsChanged() {
      publish("toolsChanged");
    },
    promptsChanged() {
      publish("promptsChanged");
    },
    resourcesChanged() {
      publish("resourcesChanged");
    },
    resourceUpdated(uri) {
      if (typeof uri !== "string") throw new TypeError("notify.resourceUpdated(uri): uri must be a string");
      publish("resourceUpdated", uri);
    },
  });
}

module.exports = { createNotifier };
