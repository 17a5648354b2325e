// A server started in a Worker thread stops when the Worker ends (an env cleanup hook),
// instead of outliving the JS that answers for it.
import { describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import path from "node:path";

describe("Worker threads", () => {
  it("stops the server when its Worker terminates", async () => {
    const entry = path.join(__dirname, "..", "index.js");
    const worker = new Worker(
      `const { startHTTPServer } = require(${JSON.stringify(entry)});
       const { parentPort } = require("node:worker_threads");
       startHTTPServer({ port: 0, host: "127.0.0.1",
         createServer: async () => ({ connect: async () => {}, close: async () => {} }) })
         .then((s) => parentPort.postMessage(s.port));`,
      { eval: true },
    );
    const port = await new Promise<number>((resolve) => worker.once("message", resolve));
    expect((await fetch(`http://127.0.0.1:${port}/ping`)).status).toBe(200);
    await worker.terminate();
    let stopped = false;
    for (let i = 0; i < 100 && !stopped; i++) {
      stopped = await fetch(`http://127.0.0.1:${port}/ping`).then(
        () => false,
        () => true,
      );
      if (!stopped) await new Promise((r) => setTimeout(r, 20));
    }
    expect(stopped).toBe(true);
  });
});
