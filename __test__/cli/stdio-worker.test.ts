// A command-line proxy started in a Worker thread that ends without close(): an env cleanup
// hook stops the server and the child, so no child process outlives the JS that owned it.
import { describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import path from "node:path";
import { alive, config } from "./stdio";
import { until } from "../helpers";

describe("a Worker thread running the command line's proxy", () => {
  it("takes the child with it when it ends", async () => {
    const run = path.join(__dirname, "..", "..", "lib", "cli", "run.js");
    const worker = new Worker(
      `const { runStdioProxy } = require(${JSON.stringify(run)});
       const { parentPort, workerData } = require("node:worker_threads");
       runStdioProxy(workerData).then((p) => parentPort.postMessage({ port: p.port, pid: p.childPid }));`,
      { eval: true, workerData: config() },
    );
    const { port, pid } = await new Promise<{ port: number; pid: number }>((resolve) => worker.once("message", resolve));
    expect((await fetch(`http://127.0.0.1:${port}/ping`)).status).toBe(200);
    expect(alive(pid)).toBe(true);
    await worker.terminate();
    await until(() => !alive(pid), "the child gone with the Worker");
    await expect(fetch(`http://127.0.0.1:${port}/ping`)).rejects.toThrow();
  });
});
