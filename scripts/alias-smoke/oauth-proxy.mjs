// FastMCP 4's OAuth proxy routes (/oauth/register, /oauth/consent, /oauth/token) read, limit and
// time their own request bodies (1 MiB, in FastMCP's onUnhandledRequest). Driven over raw
// sockets as FastMCP's own tests drive them (src/FastMCP.oauth-body-reader.test.ts): bodies that
// arrive slowly, chunked, split inside a UTF-8 character, cut off, or larger than the limit.
// Each case is reported on its own: { name: "ok" | "<what went wrong>" }. As in FastMCP's tests,
// the last chunk of a complete body comes with a half-close (`socket.end(lastChunk)`): the
// client still reads its 201 (__test__/half-close.test.ts).
import { FastMCP } from "fastmcp";
import { OAuthProxy } from "fastmcp/auth";
import { freePort, quietLogger, rawSocket, scenario, sleep, until } from "./common.mjs";

function head(port, path, contentType, framing, connection = "close") {
  return [`POST ${path} HTTP/1.1`, `Host: localhost:${port}`, `Content-Type: ${contentType}`, framing, `Connection: ${connection}`, "", ""].join(
    "\r\n",
  );
}
const chunk = (data) => Buffer.concat([Buffer.from(`${Buffer.byteLength(data).toString(16)}\r\n`), Buffer.from(data), Buffer.from("\r\n")]);
const REGISTER = JSON.stringify({ redirect_uris: ["https://client.example.com/callback"] });
const LIMIT = "Request body exceeds 1 MiB";

await scenario(async () => {
  const port = await freePort();
  const { logger, seen } = quietLogger();
  const proxy = new OAuthProxy({
    allowedRedirectUriPatterns: ["https://client.example.com/*"],
    baseUrl: `http://localhost:${port}`,
    scopes: ["openid", "profile"],
    upstreamAuthorizationEndpoint: "https://example.com/oauth/authorize",
    upstreamClientId: "test-client-id",
    upstreamClientSecret: "test-client-secret",
    upstreamTokenEndpoint: "https://example.com/oauth/token",
  });
  const server = new FastMCP({
    name: "alias-smoke-oauth",
    version: "1.0.0",
    logger,
    oauth: { authorizationServer: proxy.getAuthorizationServerMetadata(), enabled: true, proxy },
  });
  // FastMCP's tests spy on OutgoingMessage.prototype.end to see the 400 a body reader attempts
  // for a client that is already gone; the same spy here, on whatever class `res` is.
  let responseClass;
  server.getApp().get("/probe", (c) => {
    responseClass = Object.getPrototypeOf(c.env.outgoing);
    return c.text("probed");
  });
  await server.start({ transportType: "httpStream", httpStream: { host: "127.0.0.1", port } });
  const base = `http://localhost:${port}`;
  const cases = {};
  async function run(name, body) {
    try {
      await Promise.race([body(), sleep(8000).then(() => Promise.reject(new Error("no outcome within 8 s")))]);
      cases[name] = "ok";
    } catch (error) {
      cases[name] = String(error?.message ?? error);
    }
  }
  const expect = (condition, message) => {
    if (!condition) throw new Error(message);
  };
  const register = async () => {
    const res = await fetch(`${base}/oauth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: REGISTER });
    return res.status;
  };

  try {
    await fetch(`${base}/probe`).then((r) => r.text());
    const ends = [];
    const end = responseClass.end;
    responseClass.end = function (...args) {
      ends.push(String(args[0] ?? ""));
      return end.apply(this, args);
    };

    await run("a whole body: 201", async () => {
      const status = await register();
      expect(status === 201, `register answered ${status}`);
    });

    await run("a body in slow chunks: 201", async () => {
      const s = await rawSocket(port);
      s.socket.write(head(port, "/oauth/register", "application/json", `Content-Length: ${REGISTER.length}`));
      s.socket.write(REGISTER.slice(0, 10));
      await sleep(100);
      s.socket.end(REGISTER.slice(10)); // the final chunk completes the body
      await until(() => s.response.includes("201") && s.response.includes("client_id"), `201 with client_id, got ${JSON.stringify(s.response.slice(0, 200))}`, 3000);
    });

    await run("a UTF-8 character split across writes", async () => {
      const name = "Café 日本語 клиент";
      const body = Buffer.from(JSON.stringify({ client_name: name, redirect_uris: ["https://client.example.com/callback"] }));
      const at = body.indexOf(Buffer.from("é")) + 1;
      const s = await rawSocket(port);
      s.socket.write(head(port, "/oauth/register", "application/json", `Content-Length: ${body.length}`));
      s.socket.write(body.subarray(0, at));
      await sleep(100);
      s.socket.end(body.subarray(at));
      await until(() => s.response.includes("201") && s.response.includes(name), "201 echoing the client name", 3000);
    });

    await run("a chunked body split inside a UTF-8 character", async () => {
      const s = await rawSocket(port);
      s.socket.write(head(port, "/oauth/register", "application/json", "Transfer-Encoding: chunked"));
      s.socket.write(chunk('{"client_name":"Caf'));
      await sleep(50);
      s.socket.write(chunk('é 日本語 клиент","redirect_uris":["https://client.example.com/callback"]}'));
      s.socket.write("0\r\n\r\n");
      await until(() => s.response.includes("201") && s.response.includes("Café 日本語 клиент"), "201 echoing the client name", 3000);
    });

    for (const path of ["/oauth/register", "/oauth/consent", "/oauth/token"]) {
      await run(`a body cut off mid-way (${path}): the reader settles, the server goes on`, async () => {
        ends.length = 0;
        const s = await rawSocket(port);
        s.socket.write(head(port, path, "application/json", `Content-Length: ${REGISTER.length}`));
        s.socket.end(REGISTER.slice(0, 10));
        await until(() => ends.some((e) => e.includes("invalid_request")), "the route's 400 invalid_request (res.end)", 3000);
        expect((await register()) === 201, "the next request is not served");
      });
    }

    await run("a chunked body cut off before its last chunk: the server goes on", async () => {
      const s = await rawSocket(port);
      s.socket.write(head(port, "/oauth/token", "application/x-www-form-urlencoded", "Transfer-Encoding: chunked"));
      s.socket.write(chunk("grant_type=authorization_code&code=abc"));
      await sleep(50);
      s.socket.destroy();
      expect((await register()) === 201, "the next request is not served");
    });

    await run("over 1 MiB by Content-Length, trickled: 400 before the body is all sent", async () => {
      const declared = 4 * 1024 * 1024;
      const s = await rawSocket(port);
      s.socket.write(head(port, "/oauth/token", "application/x-www-form-urlencoded", `Content-Length: ${declared}`));
      const part = "x".repeat(256 * 1024);
      for (let i = 0; i < 6 && s.response.length === 0 && s.socket.writable; i++) {
        s.socket.write(part);
        await sleep(50);
      }
      await until(() => s.response.includes("400") && s.response.includes("invalid_request") && s.response.includes(LIMIT), `400 "${LIMIT}"`, 3000);
      expect(s.socket.bytesWritten < declared, "the whole declared body was sent first");
      s.socket.destroy();
    });

    await run("over 1 MiB on a keep-alive connection: 400, connection closed", async () => {
      const s = await rawSocket(port);
      s.socket.write(head(port, "/oauth/token", "application/x-www-form-urlencoded", `Content-Length: ${4 * 1024 * 1024}`, "keep-alive"));
      s.socket.write("x".repeat(1280 * 1024));
      await until(() => s.response.includes(LIMIT) && s.closed, `400 "${LIMIT}" and the connection closed`, 3000);
    });

    await run("over 1 MiB chunked (no Content-Length): 400, connection closed", async () => {
      const s = await rawSocket(port);
      s.socket.write(head(port, "/oauth/register", "application/json", "Transfer-Encoding: chunked"));
      const data = "a".repeat(256 * 1024);
      for (let sent = 0; sent < 1.5 * 1024 * 1024 && !s.socket.destroyed; sent += data.length) {
        s.socket.write(chunk(data));
        await sleep(10);
      }
      await until(() => s.response.includes("400") && s.response.includes(LIMIT) && s.closed, `400 "${LIMIT}" and the connection closed`, 5000);
    });

    await run("the server still serves MCP metadata afterwards", async () => {
      const res = await fetch(`${base}/.well-known/oauth-authorization-server`);
      expect(res.status === 200, `authorization server metadata answered ${res.status}`);
      const doc = await res.json();
      expect(doc.registration_endpoint === `${base}/oauth/register`, `registration_endpoint ${doc.registration_endpoint}`);
    });
    responseClass.end = end;
  } finally {
    await server.stop();
  }
  return { ok: Object.values(cases).every((c) => c === "ok"), cases, errors: seen.errors };
});
