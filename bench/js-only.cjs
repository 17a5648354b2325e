"use strict";
// This package's JS and the SDK server per tools/call, with no Rust, no sockets, no HTTP:
// lib/native.js is replaced by a fake NativeServer, and the script raises the events Rust
// would (create, message, close) through startHTTPServer's dispatch, one call at a time.
// For instruction counts that a busy machine does not change:
//   valgrind --tool=callgrind node bench/js-only.cjs stateful 1000   (and 4000: the
//   difference / 3000 is the cost per call, start-up excluded)
// and for CPU time per call after a warm-up (WARM=20000 node bench/js-only.cjs stateful 40000).
// argv: stateful|stateless CALLS. LIB_ROOT=dir loads dir/lib instead (a copy, for A/B).
const path = require("node:path");

const root = path.join(__dirname, "..");
const libRoot = process.env.LIB_ROOT ?? root;
const [mode = "stateful", callsArg = "1000"] = process.argv.slice(2);

let dispatch;
/** What the call in progress waits for: ready (create), resolve (its response), closed. */
let waiting = null;
const fake = {
  port: 0,
  stopWithEnvironment() {},
  serverReady(_token, outcome) {
    waiting?.ready?.(outcome);
    return true;
  },
  send(_key, json) {
    const w = waiting;
    waiting = null;
    w.resolve(json);
    return true;
  },
  sessionClosed() {
    waiting?.closed?.();
  },
  closeSession() {},
  close: async () => {},
};
require.cache[path.join(libRoot, "lib/native.js")] = {
  id: "native",
  filename: "native",
  loaded: true,
  exports: {
    start: async (_options, d) => {
      dispatch = d;
      return fake;
    },
  },
};
const { startHTTPServer } = require(path.join(libRoot, "lib/startHTTPServer.js"));

const headersText =
  "host\n127.0.0.1:1\ncontent-type\napplication/json\naccept\napplication/json, text/event-stream\nmcp-protocol-version\n2025-06-18\n";
const head = {
  method: "POST",
  url: "/mcp",
  httpVersion: "1.1",
  rawHeaders: headersText.split("\n").slice(0, -1),
  remoteAddress: "127.0.0.1",
  remotePort: 1,
  encrypted: false,
  exchange: 1,
};

(async () => {
  const { createServer, callBody } = await import(path.join(root, "bench/echo-server.mjs"));
  await startHTTPServer({ createServer, host: "127.0.0.1", port: 0, stateless: mode === "stateless" });
  let token = 1;
  const create = (session) =>
    new Promise((ready) => {
      waiting = { ready };
      const reason = mode === "stateless" ? "stateless" : "initialize";
      dispatch({ kind: "create", token: token++, session, sessionId: session, reason, request: head });
    });
  const call = (session, id) =>
    new Promise((resolve) => {
      waiting = { resolve };
      dispatch({ kind: "message", session, body: callBody(id), headersText, url: "http://127.0.0.1:1/mcp" });
    });
  const close = (session) =>
    new Promise((closed) => {
      waiting = { closed };
      dispatch({ kind: "close", token: token++, session });
    });

  let n = 0;
  // Stateful: one session (the SDK answers tools/call without initialize); stateless: a
  // server per call, created, called and closed as Rust's events make it.
  const one =
    mode === "stateful"
      ? () => call("s1", ++n)
      : async () => {
          const session = `stateless-${++n}`;
          await create(session);
          await call(session, n);
          await close(session);
        };
  if (mode === "stateful") await create("s1");
  for (let i = 0; i < Number(process.env.WARM ?? 0); i++) await one();
  const calls = Number(callsArg);
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await one();
  const cpu = process.cpuUsage(before);
  console.log(`${mode}: ${calls} calls, ${((cpu.user + cpu.system) / calls).toFixed(2)} us CPU per call`);
})();
