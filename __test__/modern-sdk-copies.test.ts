// Which copy of `@modelcontextprotocol/server` serves 2026-07-28 requests (lib/modern/sdk.js):
// the application's own, loaded once on the first request, whoever asks meanwhile.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { McpServer } from "@modelcontextprotocol/server";

const require = createRequire(import.meta.url);
const { SdkCopies } = require("../lib/modern/sdk.js");

describe("the SDK copies", () => {
  it("give every request that asks while the first copy loads that same copy", async () => {
    // Requests handled in one tick all ask before the first load settles. They used to take
    // the next copy each, and those after the last copy got none (and the v1 refusal).
    const copies = new SdkCopies();
    const found = await Promise.all(Array.from({ length: 5 }, () => copies.first()));
    expect(found[0]?.McpServer).toBeTypeOf("function");
    for (const sdk of found) expect(sdk).toBe(found[0]);
  });

  it("find the copy that built a server, whoever loaded it", async () => {
    const copies = new SdkCopies();
    const server = new McpServer({ name: "s", version: "1" });
    const owners = await Promise.all(Array.from({ length: 5 }, () => copies.owning(server)));
    for (const owner of owners) expect(server).toBeInstanceOf(owner.McpServer);
  });
});
