"use strict";
// The `mcp-proxy-native` / `mcp-proxy` command: parse the line, start the native stdio proxy
// (lib/cli/run.js), say where it listens, and end the process the way a supervisor can act on.
//
// Exit codes (CONTRACT §13):
//   0    a SIGINT/SIGTERM shutdown that completed (the child is SIGKILLed if it outlives
//        --gracefulShutdownTimeout, so the proxy never leaves it orphaned)
//   1    the proxy could not start (spawn, handshake, bind, TLS files, --tunnel), or the child
//        exited while the proxy was serving (6.7.19 stays up answering "Not connected")
//   2    the command line is wrong (unknown flag, bad value, no command); the usage is printed
//   130  a second SIGINT during shutdown: the process dies of SIGINT at once (as 6.7.19);
//        a second SIGTERM likewise dies of SIGTERM (143)
const fs = require("node:fs");
const path = require("node:path");
const { parseCommandLine, UsageError } = require("./parse");
const { toRunConfig } = require("./config");
const { usage, helpText } = require("./usage");
const { loadPipenet, openTunnel } = require("./tunnel");
const { installShutdown } = require("./shutdown");

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

const version = () => JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")).version;

const out = (line) => process.stdout.write(`${line}\n`);
const err = (line) => process.stderr.write(`${line}\n`);

// A reader that went away (`mcp-proxy … | head`) must not crash the proxy with EPIPE: what
// it prints is for people, the proxy's job is the HTTP side.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});

/** Prints a usage error and sets exit code 2; other errors go on up. */
function usageError(error) {
  if (!(error instanceof UsageError)) throw error;
  err(`Error: ${error.message}`);
  err(usage());
  process.exitCode = EXIT_USAGE;
  return undefined;
}

/** The line, or undefined after answering --help/--version or a usage error. */
function readLine(argv, env) {
  let parsed;
  try {
    parsed = parseCommandLine(argv, env);
  } catch (error) {
    return usageError(error);
  }
  if (parsed.help) out(helpText());
  if (parsed.version) out(version());
  if (parsed.help || parsed.version) return undefined;
  if (parsed.ignored.length > 0) {
    err(`[mcp-proxy] ignoring ${parsed.ignored.join(" ")}: with --, the command is what follows it`);
  }
  try {
    return { parsed, config: toRunConfig(parsed, { env, version: version() }) };
  } catch (error) {
    return usageError(error);
  }
}

/** Checks what can fail before a child exists: TLS files (6.7.19's message) and --tunnel. */
async function preflight(config, options) {
  for (const file of [config.sslCa, config.sslCert, config.sslKey]) {
    if (file === undefined) continue;
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch (error) {
      throw new Error(`Failed to read certificate file '${file}': ${error.message}`);
    }
  }
  return options.tunnel ? { pipenet: (await loadPipenet()).pipenet } : undefined;
}

function startFailed(error, debug) {
  err(`could not start the proxy: ${debug && error?.stack ? error.stack : (error?.message ?? String(error))}`);
  process.exit(EXIT_FAILURE);
}

async function main(argv = process.argv.slice(2), env = process.env) {
  const line = readLine(argv, env);
  if (!line) return;
  const { parsed, config } = line;
  const { options } = parsed;

  let tunnelModule;
  let proxy;
  try {
    tunnelModule = await preflight(config, options);
    const { runStdioProxy } = require("./run");
    proxy = await runStdioProxy(config);
  } catch (error) {
    return startFailed(error, config.debug);
  }

  // One write: the line and the URLs arrive together for whoever reads them.
  out([`starting server on port ${proxy.port}`, ...proxy.urls.map((url) => `  ${url}`)].join("\n"));

  let tunnel;
  if (tunnelModule) {
    try {
      tunnel = await openTunnel(tunnelModule, { port: proxy.port, subdomain: options.tunnelSubdomain, log: out });
    } catch (error) {
      await proxy.close(options.gracefulShutdownTimeout).catch(() => {});
      return startFailed(error, config.debug);
    }
  }

  installShutdown({ proxy, tunnel, graceMs: options.gracefulShutdownTimeout, log: out, warn: err });
}

module.exports = { main, EXIT_USAGE, EXIT_FAILURE };
