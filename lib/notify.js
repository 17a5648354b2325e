"use strict";
// `notify`, the `ServerNotifier` `startHTTPServer` resolves with (mcp-proxy 6.7, CONTRACT §12):
// it publishes list-changed and resource-updated events to open MCP 2026-07-28
// `subscriptions/listen` streams. Until that leg serves listen streams, every method is a
// working no-op with the SDK's signature, as mcp-proxy 6.7's own stub is when the leg is off.

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
