// mcp-proxy 6.7.19's protocolEras scenarios (its src/protocolEras.test.ts, which rebuilds the
// bin's wiring in process), run here through our real bin: the same fixtures (6.7.19's tsx stdio
// servers, __test__/mcp-proxy-67/fixtures/), the same official SDK v2 clients and assertions,
// with `mcp-proxy-native --upstreamProtocol … -- tsx <fixture>` in place of that wiring. The
// in-process originals run against our exports in __test__/mcp-proxy-67/protocolEras.test.ts.
import { afterEach, describe, expect, it, vi } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

const root = path.join(__dirname, "..", "..");
const BIN = path.join(root, "bin", "mcp-proxy-native.js");
const TSX = path.join(root, "node_modules", ".bin", "tsx");
const fixture = (name: string) => path.join(root, "__test__", "mcp-proxy-67", "fixtures", name);

const running: ChildProcess[] = [];
afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await gone;
  }
});

async function startBin(name: string, flags: string[] = [], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, "--port", "0", "--host", "127.0.0.1", ...flags, "--", TSX, fixture(name)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  running.push(child);
  let stdout = "";
  child.stdout.on("data", (d) => (stdout += d));
  return new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`bin exited ${code} before serving`)));
    child.stdout.on("data", () => {
      const match = /starting server on port (\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
  });
}

async function connect(port: number, protocol: "legacy" | "modern") {
  const client = new Client(
    { name: `${protocol}-client`, version: "1.0.0" },
    { capabilities: {}, versionNegotiation: protocol === "modern" ? { mode: { pin: "2026-07-28" } } : undefined },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
  return client;
}

const REJECT_LEGACY = { MCP_FIXTURE_LEGACY: "reject" };

describe("client era x upstream era, through the bin", () => {
  for (const protocol of ["legacy", "modern"] as const) {
    it(`serves a ${protocol} client fronting a 2025-era stdio server`, async () => {
      const port = await startBin("simple-stdio-server.ts");
      const client = await connect(port, protocol);
      expect(client.getProtocolEra()).toBe(protocol);
      expect((await client.listResources()).resources).toEqual([{ name: "Example Resource", uri: "file:///example.txt" }]);
      const read = await client.readResource({ uri: "file:///example.txt" });
      expect((read.contents[0] as { text: string }).text).toContain("This is the content of the example resource");
      await client.close();
    }, 30_000);

    it(`serves a ${protocol} client fronting a 2026-07-28 stdio server (--upstreamProtocol modern)`, async () => {
      // The fixture refuses a 2025 opening, so being served proves the 2026-07-28 negotiation.
      const port = await startBin("dual-era-stdio-server.ts", ["--upstreamProtocol", "modern"], REJECT_LEGACY);
      const client = await connect(port, protocol);
      expect((await client.listTools()).tools.map((t) => t.name)).toContain("whoami");
      const result = await client.callTool({ name: "whoami" });
      expect((result.content as { text: string }[])[0].text).toBe("served from the modern era");
      await client.close();
    }, 30_000);
  }

  it("serves both eras concurrently on one endpoint", async () => {
    const port = await startBin("simple-stdio-server.ts");
    const [legacy, modern] = await Promise.all([connect(port, "legacy"), connect(port, "modern")]);
    const [a, b] = await Promise.all([legacy.listResources(), modern.listResources()]);
    expect(b.resources).toEqual(a.resources);
    await Promise.all([legacy.close(), modern.close()]);
  }, 30_000);

  it("--upstreamProtocol auto falls back to the 2025 handshake with a 2025-era server", async () => {
    const port = await startBin("simple-stdio-server.ts", ["--upstreamProtocol", "auto"]);
    const client = await connect(port, "modern");
    expect((await client.listResources()).resources).toHaveLength(1);
    await client.close();
  }, 30_000);

  it("server/discover advertises the upstream server's identity and capabilities", async () => {
    const port = await startBin("simple-stdio-server.ts");
    const client = await connect(port, "modern");
    const discover = client.getDiscoverResult();
    expect(discover?.supportedVersions).toContain("2026-07-28");
    expect(discover?.capabilities).toEqual({ resources: { subscribe: true } });
    expect(discover?._meta?.["io.modelcontextprotocol/serverInfo"]).toMatchObject({ name: "example-server", version: "1.0.0" });
    await client.close();
  }, 30_000);

  it("--no-modern refuses 2026-07-28 traffic but still serves 2025-era clients", async () => {
    const port = await startBin("simple-stdio-server.ts", ["--no-modern"]);
    await expect(connect(port, "modern")).rejects.toThrow();
    const legacy = await connect(port, "legacy");
    expect((await legacy.listResources()).resources).toHaveLength(1);
    await legacy.close();
  }, 30_000);
});

describe("change notifications, through the bin", () => {
  const toolsChanged = (client: Client) =>
    new Promise<void>((resolve) => client.setNotificationHandler("notifications/tools/list_changed", async () => resolve()));

  for (const upstream of ["legacy", "modern"] as const) {
    const flags = ["--upstreamProtocol", upstream];
    const env = upstream === "modern" ? REJECT_LEGACY : {};

    it(`reach a 2025-era client from a ${upstream} upstream`, async () => {
      const port = await startBin("dual-era-stdio-server.ts", flags, env);
      const client = await connect(port, "legacy");
      const changed = toolsChanged(client);
      await client.callTool({ name: "trigger-list-changed" });
      await changed;
      await client.close();
    }, 30_000);

    it(`reach a 2026-07-28 client over subscriptions/listen from a ${upstream} upstream`, async () => {
      const port = await startBin("dual-era-stdio-server.ts", flags, env);
      const client = await connect(port, "modern");
      const changed = toolsChanged(client);
      const subscription = await client.listen({ toolsListChanged: true });
      expect(subscription.honoredFilter.toolsListChanged).toBe(true);
      await client.callTool({ name: "trigger-list-changed" });
      await changed;
      await subscription.close();
      await client.close();
    }, 30_000);
  }
});

describe("resource subscriptions from a 2026-07-28 client, through the bin", () => {
  it("delivers an upstream resources/updated for a subscribed URI", async () => {
    const port = await startBin("dual-era-stdio-server.ts");
    const client = await connect(port, "modern");
    const updates: string[] = [];
    client.setNotificationHandler("notifications/resources/updated", async (n) => {
      updates.push(n.params.uri);
    });
    const subscription = await client.listen({ resourceSubscriptions: ["file:///watched.txt"] });
    await client.callTool({ arguments: { uri: "file:///watched.txt" }, name: "trigger-resource-updated" });
    // listen filter → upstream resources/subscribe → the child's notification → this stream.
    await vi.waitFor(() => expect(updates).toEqual(["file:///watched.txt"]));
    await subscription.close();
    await client.close();
  }, 30_000);
});
