// mcp-proxy 6.7's public surface (CONTRACT §1, §2): what `startHTTPServer` resolves to and the
// options it accepts. Typed calls: `tsc --noEmit` checks the declarations as well.
import { afterEach, describe, expect, it } from "vitest";
import { startHTTPServer, type SSEServer, type ServerNotifier } from "../index.js";
import { exampleServer } from "./helpers.js";

let running: SSEServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe("startHTTPServer's result and 6.7 options", () => {
  it("resolves to { close, notify }; notify is a working no-op ServerNotifier", async () => {
    running = await startHTTPServer({
      port: 0,
      host: "127.0.0.1",
      createServer: async () => exampleServer().server,
      // Accepted and typed as in mcp-proxy 6.7.
      modern: true,
      onListenSubscriptions: async () => () => {},
      sessionIdleTimeout: 60_000,
    });
    expect(typeof running.close).toBe("function");
    const notify: ServerNotifier = running.notify;
    expect(Object.keys(notify).sort()).toEqual(["promptsChanged", "resourceUpdated", "resourcesChanged", "toolsChanged"]);
    expect(notify.toolsChanged()).toBeUndefined();
    expect(notify.promptsChanged()).toBeUndefined();
    expect(notify.resourcesChanged()).toBeUndefined();
    expect(notify.resourceUpdated("file:///a.txt")).toBeUndefined();
    expect(() => notify.resourceUpdated(42 as unknown as string)).toThrow(TypeError);
  });
});
