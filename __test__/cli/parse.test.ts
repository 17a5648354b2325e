// The command line's grammar (lib/cli/parse.js, lib/cli/config.js): mcp-proxy 6.7.19's flags,
// defaults, environment fallback and `--` rules (shared/reference/mcp-proxy-cli.md §1.1-1.2),
// and where we are strict instead of swallowing (CONTRACT §13). The same rules run end to end
// through the real bin in bin.test.ts.
import { describe, expect, it } from "vitest";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { parseCommandLine, UsageError } = require("../../lib/cli/parse.js");
const { toRunConfig } = require("../../lib/cli/config.js");
const { FLAGS, envName } = require("../../lib/cli/flags.js");

const parse = (argv: string[], env: Record<string, string> = {}) => parseCommandLine(argv, env);
const config = (argv: string[], env: Record<string, string> = {}) => toRunConfig(parse(argv, env), { env, version: "9.9.9" });
const usageError = (argv: string[], env: Record<string, string> = {}) => {
  try {
    toRunConfig(parse(argv, env), { env, version: "0" });
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`no usage error for ${argv.join(" ")}`);
};

describe("defaults (6.7.19's, plus ours)", () => {
  it("every flag has mcp-proxy 6.7.19's default", () => {
    const { options } = parse(["node", "s.js"]);
    expect(options).toEqual({
      apiKey: undefined,
      connectionTimeout: 60000,
      corsAddAllowedHeader: undefined,
      debug: false,
      endpoint: undefined,
      eventStore: true,
      eventStoreMaxEvents: 1000,
      gracefulShutdownTimeout: 5000,
      host: "::",
      keepAliveTimeout: 300000,
      maxBodySize: 10485760,
      maxChildren: 64,
      modern: true,
      perSession: false,
      port: 8080,
      requestTimeout: 300000,
      server: undefined,
      sessionIdleTimeout: 1800000,
      shell: false,
      sseEndpoint: "/sse",
      sslCa: undefined,
      sslCert: undefined,
      sslKey: undefined,
      stateless: false,
      streamEndpoint: "/mcp",
      tunnel: false,
      tunnelSubdomain: undefined,
      upstreamProtocol: "legacy",
    });
  });

  it("the run config carries every field of the agreed interface", () => {
    const c = config(["node", "s.js"], { PATH: "/bin" });
    expect(Object.keys(c).sort()).toEqual(
      [
        "command", "args", "shell", "env", "host", "port", "server", "sseEndpoint", "streamEndpoint", "stateless", "modern",
        "upstreamProtocol", "debug", "connectionTimeout", "requestTimeout", "keepAliveTimeout", "sessionIdleTimeout",
        "eventStore", "eventStoreMaxEvents", "maxBodySize", "corsAddAllowedHeader", "perSession", "maxChildren", "version",
      ].sort(),
    );
    expect(c).toMatchObject({ command: "node", args: ["s.js"], env: { PATH: "/bin" }, corsAddAllowedHeader: [], version: "9.9.9" });
  });
});

describe("the -- rules (reference §1.2)", () => {
  it("after --, the first token is the command and the rest its args, untouched", () => {
    const c = config(["--port", "9", "--", "node", "server.js", "--port", "3000", "--", "-x"]);
    expect(c).toMatchObject({ port: 9, command: "node", args: ["server.js", "--port", "3000", "--", "-x"] });
  });

  it("positionals before -- are ignored when a command follows it", () => {
    const p = parse(["node", "a.js", "--", "printf", "x"]);
    expect(p).toMatchObject({ command: "printf", args: ["x"], ignored: ["node", "a.js"] });
  });

  it("without --, positionals are the command and args, and known flags anywhere are the proxy's", () => {
    const c = config(["node", "s.js", "--port", "18088", "x"]);
    expect(c).toMatchObject({ port: 18088, command: "node", args: ["s.js", "x"] });
  });

  it("a bare -- with nothing after it falls back to the positionals", () => {
    expect(parse(["node", "s.js", "--"])).toMatchObject({ command: "node", args: ["s.js"] });
  });

  it("no command at all is a usage error", () => {
    expect(usageError([])).toBe("No command specified.");
    expect(usageError(["--port", "1", "--"])).toBe("No command specified.");
  });

  it("MCP_PROXY_COMMAND names the command when the line has none (yargs .env covers it)", () => {
    expect(parse([], { MCP_PROXY_COMMAND: "node" })).toMatchObject({ command: "node", args: [] });
    expect(parse(["cat"], { MCP_PROXY_COMMAND: "node" })).toMatchObject({ command: "cat" });
  });
});

describe("spellings and values (as yargs reads them)", () => {
  it("--flag value, --flag=value and kebab-case", () => {
    expect(config(["--api-key", "k", "--port=9", "--upstream-protocol=auto", "--", "x"])).toMatchObject({
      apiKey: "k",
      port: 9,
      upstreamProtocol: "auto",
    });
  });

  it("booleans: --x, --no-x, --x=false, --x false, kebab --no-event-store", () => {
    expect(parse(["--debug", "--stateless", "--", "x"]).options).toMatchObject({ debug: true, stateless: true });
    expect(parse(["--no-modern", "--no-event-store", "--", "x"]).options).toMatchObject({ modern: false, eventStore: false });
    expect(parse(["--modern=false", "--shell=true", "--", "x"]).options).toMatchObject({ modern: false, shell: true });
    expect(parse(["--debug", "false", "node"])).toMatchObject({ command: "node", options: { debug: false } });
  });

  it("--corsAddAllowedHeader repeats, and takes the values up to the next flag or --", () => {
    expect(config(["--corsAddAllowedHeader", "X-A", "--cors-add-allowed-header", "X-B", "--", "x"]).corsAddAllowedHeader).toEqual(["X-A", "X-B"]);
    expect(config(["--corsAddAllowedHeader", "X-A", "X-B", "--", "x"]).corsAddAllowedHeader).toEqual(["X-A", "X-B"]);
  });

  it("negative numbers are values, so a bad one names its flag", () => {
    expect(usageError(["--sessionIdleTimeout", "-1", "--", "x"])).toMatch(/--sessionIdleTimeout: "-1"/);
  });
});

describe("strict where 6.7.19 swallows (CONTRACT §13: exit 2 with the usage)", () => {
  it("an unknown flag before the command", () => {
    expect(usageError(["--foo", "bar", "node"])).toMatch(/Unknown option: --foo/);
    expect(usageError(["-p", "3", "node"])).toMatch(/Unknown option: -p/);
  });

  it("an unknown flag among the positionals (the child's flags belong after --)", () => {
    expect(usageError(["node", "s.js", "--verbose"])).toMatch(/Unknown option: --verbose .*after --/);
  });

  it("--no- on a flag that is not a boolean", () => {
    expect(usageError(["--no-port", "--", "x"])).toMatch(/Unknown option: --no-port/);
  });

  it.each([
    [["--port", "abc"], /--port: "abc"/],
    [["--port", "70000"], /--port: "70000"/],
    [["--port", "1.5"], /--port: "1.5"/],
    [["--port="], /--port: ""/],
    [["--server", "foo"], /--server: "foo" \(expected one of: sse, stream\)/],
    [["--upstreamProtocol", "new"], /--upstreamProtocol: "new"/],
    [["--eventStoreMaxEvents", "0"], /--eventStoreMaxEvents: "0"/],
    [["--maxBodySize", "-5"], /--maxBodySize: "-5"/],
    [["--maxChildren", "0"], /--maxChildren: "0"/],
    [["--requestTimeout", "soon"], /--requestTimeout: "soon"/],
    [["--debug=yes"], /--debug: "yes"/],
    [["--streamEndpoint", "mcp"], /--streamEndpoint: "mcp" \(expected a path starting with "\/"\)/],
    [["--no-debug=true"], /--no-debug takes no value/],
  ])("a bad value: %j", (flags, message) => {
    expect(usageError([...flags, "--", "x"])).toMatch(message);
  });

  it("a flag without its value (6.7.19 silently keeps the default)", () => {
    expect(usageError(["--host", "--", "x"])).toBe("--host needs a value");
    expect(usageError(["--port"])).toBe("--port needs a value");
    expect(usageError(["--corsAddAllowedHeader", "--debug", "--", "x"])).toBe("--corsAddAllowedHeader needs a value");
  });

  it("--help and --version win over everything else before --", () => {
    expect(parse(["--bogus", "--help"])).toEqual({ help: true });
    expect(parse(["--version", "node"])).toEqual({ version: true });
    expect(parse(["--", "node", "--help"])).toMatchObject({ command: "node", args: ["--help"] });
  });
});

describe("environment fallback MCP_PROXY_<UPPER_SNAKE>", () => {
  it("every flag reads its variable, and the command line wins", () => {
    expect(FLAGS.map((f: { name: string }) => envName(f.name))).toContain("MCP_PROXY_UPSTREAM_PROTOCOL");
    const env = {
      MCP_PROXY_PORT: "77",
      MCP_PROXY_DEBUG: "true",
      MCP_PROXY_CORS_ADD_ALLOWED_HEADER: "X-E",
      MCP_PROXY_PER_SESSION: "true",
      MCP_PROXY_MAX_CHILDREN: "3",
      MCP_PROXY_MODERN: "false",
    };
    expect(config(["node"], env)).toMatchObject({ port: 77, debug: true, corsAddAllowedHeader: ["X-E"], perSession: true, maxChildren: 3, modern: false });
    expect(config(["--port", "5", "--modern", "node"], env)).toMatchObject({ port: 5, modern: true });
  });

  it("a bad value names the variable", () => {
    expect(usageError(["node"], { MCP_PROXY_PORT: "x" })).toMatch(/MCP_PROXY_PORT: "x"/);
    expect(usageError(["node"], { MCP_PROXY_STATELESS: "yes" })).toMatch(/MCP_PROXY_STATELESS: "yes"/);
  });

  it("the API key is read from MCP_PROXY_API_KEY but never passed to the child", () => {
    const env = { MCP_PROXY_API_KEY: "secret", MCP_PROXY_PORT: "1", HOME: "/h" };
    const c = config(["node"], env);
    expect(c.apiKey).toBe("secret");
    expect(c.env).toEqual({ MCP_PROXY_PORT: "1", HOME: "/h" });
  });
});

describe("--endpoint and the two endpoint paths (6.7.19 ignores --endpoint; we honour it)", () => {
  it("with --server, it is that server's endpoint", () => {
    expect(config(["--server", "stream", "--endpoint", "/foo", "--", "x"])).toMatchObject({ server: "stream", streamEndpoint: "/foo" });
    expect(config(["--server", "sse", "--endpoint", "/events", "--", "x"])).toMatchObject({ server: "sse", sseEndpoint: "/events", streamEndpoint: "/mcp" });
  });

  it("with both served, it is the stream endpoint; SSE stays /sse", () => {
    expect(config(["--endpoint", "/foo", "--", "x"])).toMatchObject({ server: undefined, streamEndpoint: "/foo", sseEndpoint: "/sse" });
  });

  it("an explicit --streamEndpoint / --sseEndpoint wins over it (6.7.19's `?? endpoint` intent)", () => {
    expect(config(["--endpoint", "/foo", "--streamEndpoint", "/bar", "--", "x"]).streamEndpoint).toBe("/bar");
    expect(config(["--server", "sse", "--endpoint", "/foo", "--", "x"], { MCP_PROXY_SSE_ENDPOINT: "/s" }).sseEndpoint).toBe("/s");
  });

  it("two servers on one path, or on /messages, is a usage error", () => {
    expect(usageError(["--endpoint", "/sse", "--", "x"])).toMatch(/both \/sse/);
    expect(usageError(["--sseEndpoint", "/messages", "--", "x"])).toMatch(/\/messages/);
    expect(config(["--server", "stream", "--streamEndpoint", "/messages", "--", "x"]).streamEndpoint).toBe("/messages");
  });
});

describe("values passed as 6.7.19 means them", () => {
  it("--requestTimeout 0 is the SDK's 60 s default; --maxBodySize 0 and --sessionIdleTimeout 0 stay 0 (off)", () => {
    expect(config(["--requestTimeout", "0", "--maxBodySize", "0", "--sessionIdleTimeout", "0", "--", "x"])).toMatchObject({
      requestTimeout: 60000,
      maxBodySize: 0,
      sessionIdleTimeout: 0,
    });
  });
});
