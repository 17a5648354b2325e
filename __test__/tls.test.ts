// HTTPS with sslCert/sslKey/sslCa (rustls): a throwaway CA and server certificate made here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readFileSync } from "node:fs";
import { Agent, fetch as undiciFetch } from "undici";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { serve } from "./helpers.js";

let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mcp-tls-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=Test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  writeFileSync(file("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "ext.cnf");
  writeFileSync(file("junk.pem"), "this is not PEM\n");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("HTTPS", () => {
  it("serves the SDK client over TLS, trusted through the CA", async () => {
    const running = await serve({ sslCert: file("server.pem"), sslKey: file("server.key"), sslCa: file("ca.pem") });
    try {
      const dispatcher = new Agent({ connect: { ca: readFileSync(file("ca.pem")) } });
      const url = new URL(`https://127.0.0.1:${running.port}/mcp`);
      const client = new Client({ name: "tls", version: "1" });
      await client.connect(
        new StreamableHTTPClientTransport(url, {
          fetch: ((input: string | URL, init?: RequestInit) =>
            undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch,
        }),
      );
      const result = await client.callTool({ name: "echo", arguments: { text: "secure" } });
      expect(result.content).toEqual([{ type: "text", text: "secure" }]);
      await client.close();
      // Without the CA the certificate is refused: this really is TLS with our chain.
      await expect(fetch(`https://127.0.0.1:${running.port}/ping`)).rejects.toThrow();
    } finally {
      await running.close();
    }
  });

  it("tells the request handler the connection is encrypted", async () => {
    let encrypted: unknown;
    const running = await serve({
      sslCert: file("server.pem"),
      sslKey: file("server.key"),
      onUnhandledRequest: async (req, res) => {
        encrypted = (req.socket as { encrypted?: boolean }).encrypted;
        res.writeHead(204).end();
      },
    });
    try {
      const dispatcher = new Agent({ connect: { ca: readFileSync(file("ca.pem")) } });
      const res = await undiciFetch(`https://127.0.0.1:${running.port}/custom`, { dispatcher });
      expect(res.status).toBe(204);
      expect(encrypted).toBe(true);
    } finally {
      await running.close();
    }
  });

  it.each([
    ["sslCert", () => ({ sslCert: file("missing.pem"), sslKey: file("server.key") }), "missing.pem"],
    ["sslKey", () => ({ sslCert: file("server.pem"), sslKey: file("missing.key") }), "missing.key"],
    ["sslCa", () => ({ sslCert: file("server.pem"), sslKey: file("server.key"), sslCa: file("junk.pem") }), "junk.pem"],
    ["sslCert (not PEM)", () => ({ sslCert: file("junk.pem"), sslKey: file("server.key") }), "junk.pem"],
    ["sslKey (wrong key)", () => ({ sslCert: file("server.pem"), sslKey: file("ca.key") }), "ca.key"],
  ])("rejects the start promise naming a bad %s file", async (_what, options, name) => {
    await expect(serve(options())).rejects.toThrow(name);
  });
});
