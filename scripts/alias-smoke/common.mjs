// Shared by the scenarios that scripts/alias-smoke.mjs copies into the fresh app directory and
// runs there (`node <scenario>.mjs`): they import `fastmcp`, `mcp-proxy` and the SDK from THAT
// directory's node_modules, i.e. from what the README's alias installed.
import { createServer } from "node:net";
import { connect } from "node:net";

export async function freePort() {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value (or throws `what` after `ms`). */
export async function until(check, what, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** FastMCP's `logger` option: quiet; warnings and errors kept for the result. */
export function quietLogger() {
  const seen = { warnings: [], errors: [] };
  return {
    seen,
    logger: {
      debug() {},
      info() {},
      log() {},
      warn: (...args) => seen.warnings.push(args.map(String).join(" ")),
      error: (...args) => seen.errors.push(args.map(String).join(" ")),
    },
  };
}

/** A raw TCP connection that collects everything the server sends. */
export async function rawSocket(port) {
  const socket = connect(port, "127.0.0.1");
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const state = { socket, response: "", closed: false };
  socket.on("data", (d) => (state.response += d));
  socket.on("error", () => {});
  socket.on("close", () => (state.closed = true));
  return state;
}

/** Runs `main`, prints `SCENARIO <json>`; exits 1 when it threw or its result says `ok: false`. */
export async function scenario(main) {
  try {
    const result = { ok: true, ...(await main()) };
    console.log(`SCENARIO ${JSON.stringify(result)}`);
    process.exit(result.ok ? 0 : 1);
  } catch (error) {
    console.log(`SCENARIO ${JSON.stringify({ ok: false, reason: String(error?.stack ?? error) })}`);
    process.exit(1);
  }
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}
