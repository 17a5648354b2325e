// The in-process ceiling: the same echo server connected to an SDK Client through
// InMemoryTransport, no HTTP at all. N concurrent callTool loops; every result is checked.
// Stateful modes (sse, json) share one connected session, as an HTTP session does. For
// stateless, each call builds a fresh server and transport pair and sends the tools/call
// (no initialize), which is what a stateless HTTP server does per request. For 2026-07-28
// ("modern") it is the SDK v2 handler itself (`createMcpHandler`, what both this package and
// mcp-proxy 6.7.19 serve 2026 requests through) fed Fetch Requests in process: the most any
// HTTP layer serving through that handler can reach on this core.
// argv: --mode M --concurrency 50,1 --warmup S --duration S ; prints one JSON line.
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { createMcpHandler } from "@modelcontextprotocol/server";
import { createModernServer, createServer, echoText, MODERN_HEADERS, modernCallBody } from "./echo-server.mjs";

const { values } = parseArgs({
  options: {
    mode: { type: "string", default: "sse" },
    concurrency: { type: "string", default: "50,1" },
    warmup: { type: "string", default: "2" },
    duration: { type: "string", default: "5" },
  },
});

const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
const server = createServer();
await server.connect(serverTransport);
const client = new Client({ name: "bench-ceiling", version: "1.0.0" });
await client.connect(clientTransport);

/** One stateless call: a fresh server and InMemoryTransport pair per request. */
async function statelessCall(id, text) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const perRequest = createServer();
  await perRequest.connect(serverSide);
  const answer = new Promise((resolve) => {
    clientSide.onmessage = resolve;
  });
  await clientSide.start();
  await clientSide.send({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { text } } });
  const message = await answer;
  await perRequest.close();
  if (message.id !== id) throw new Error("wrong id");
  return message.result;
}

/** One 2026-07-28 call through the SDK's handler: a Request as an HTTP layer builds it
 * (headers, body, abort signal), the parsed body beside it, the answer read to its end. */
const modernHandler = createMcpHandler(() => createModernServer(), { legacy: "reject" });
const MODERN_REQUEST_HEADERS = {
  host: "127.0.0.1",
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  ...MODERN_HEADERS,
};
async function modernCall(id) {
  const body = modernCallBody(id);
  const request = new Request("http://127.0.0.1/mcp", {
    method: "POST",
    headers: MODERN_REQUEST_HEADERS,
    body,
    signal: new AbortController().signal,
  });
  const response = await modernHandler.fetch(request, { parsedBody: JSON.parse(body) });
  const message = JSON.parse(await response.text());
  if (response.status !== 200 || message.id !== id) throw new Error("wrong answer");
  return message.result;
}

const CALLS = { stateless: statelessCall, modern: modernCall };
const call = CALLS[values.mode] ?? ((_id, text) => client.callTool({ name: "echo", arguments: { text } }));

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

let nextId = 1;

async function run(concurrency, seconds, record) {
  const latencies = [];
  let errors = 0;
  let ok = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const id = nextId++;
      const text = echoText(id);
      try {
        const result = await call(id, text);
        if (result.content?.length === 1 && result.content[0].text === text && !result.isError) ok++;
        else errors++;
      } catch {
        errors++;
      }
      if (record) latencies.push(performance.now() - t0);
    }
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return {
    connections: concurrency,
    requests: ok + errors,
    ok,
    rps: ok / wall,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    serverCpu: (cpu.user + cpu.system) / 1e6 / wall,
  };
}

const out = [];
for (const concurrency of values.concurrency.split(",").map(Number)) {
  await run(concurrency, Number(values.warmup), false);
  out.push(await run(concurrency, Number(values.duration), true));
}
await client.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
