"use strict";
// The command line's grammar, as mcp-proxy 6.7.19's yargs setup reads it (reference §1.1-1.2),
// written out so it can be exact and strict:
//
//   mcp-proxy-native [flags] -- <command> [args…]   everything after the first `--` is the
//                                                    child's, untouched; positionals before it
//                                                    are ignored (as 6.7.19)
//   mcp-proxy-native [flags] <command> [args…]      without `--`: the positionals are the
//                                                    command and its args; flags anywhere on
//                                                    the line are still the proxy's
//
// Where 6.7.19 is lenient we refuse (CONTRACT §13): an unknown flag outside the child's part, a
// flag without its value and a value the flag cannot take are usage errors (exit 2), not
// silently swallowed or turned into NaN. Every flag falls back to `MCP_PROXY_<UPPER_SNAKE>`
// from the environment; the command line wins.

const { FLAGS, BadValue, boolean, findFlag, envName } = require("./flags");

/** A command line the proxy cannot run: printed with the usage, exit 2. */
class UsageError extends Error {}

/** A token that can be a flag's value: not a flag itself (a negative number is a value). */
const isValue = (token) => token !== undefined && (!token.startsWith("-") || /^-\d/.test(token));

function convert(flag, text, where) {
  if (flag.type === "boolean") {
    try {
      return boolean(text);
    } catch (error) {
      throw new UsageError(`Invalid value for ${where}: ${JSON.stringify(text)} (${error.message})`);
    }
  }
  try {
    return flag.parse(text);
  } catch (error) {
    if (!(error instanceof BadValue)) throw error;
    throw new UsageError(`Invalid value for ${where}: ${JSON.stringify(text)} (${error.message})`);
  }
}

/** `--name`, `--name=value`, `--no-name`: the flag and what the token itself says. */
function splitFlag(token) {
  const body = token.slice(2);
  const eq = body.indexOf("=");
  const spelling = eq < 0 ? body : body.slice(0, eq);
  const inline = eq < 0 ? undefined : body.slice(eq + 1);
  const flag = findFlag(spelling);
  if (flag) return { flag, inline, negated: false, spelling };
  const positive = spelling.startsWith("no-") ? findFlag(spelling.slice(3)) : undefined;
  if (positive?.type === "boolean") return { flag: positive, inline, negated: true, spelling };
  return { flag: undefined, spelling };
}

/**
 * Reads the proxy's part of the line (before `--`). Returns the flags given and the positionals;
 * `at` is the index of the token being read, and each branch says how many it consumed.
 */
function readProxyPart(tokens) {
  const given = new Map();
  const positionals = [];
  for (let at = 0; at < tokens.length; at++) {
    const token = tokens[at];
    if (!token.startsWith("-") || token === "-") {
      positionals.push(token);
      continue;
    }
    if (!token.startsWith("--")) {
      throw new UsageError(`Unknown option: ${token} (the child's own flags go after --)`);
    }
    const { flag, inline, negated, spelling } = splitFlag(token);
    if (!flag) throw new UsageError(`Unknown option: --${spelling} (the child's own flags go after --)`);
    const where = `--${flag.name}`;
    if (flag.type === "boolean") {
      if (negated) {
        if (inline !== undefined) throw new UsageError(`--${spelling} takes no value`);
        given.set(flag.name, false);
      } else if (inline !== undefined) {
        given.set(flag.name, convert(flag, inline, where));
      } else if (tokens[at + 1] === "true" || tokens[at + 1] === "false") {
        // yargs reads `--debug false` as a value, not as the command "false".
        given.set(flag.name, tokens[++at] === "true");
      } else {
        given.set(flag.name, true);
      }
      continue;
    }
    if (flag.type === "array") {
      const values = given.get(flag.name) ?? [];
      if (inline !== undefined) {
        values.push(convert(flag, inline, where));
      } else {
        // Greedy, as yargs: `--corsAddAllowedHeader A B -- cmd` adds A and B.
        const start = at;
        while (isValue(tokens[at + 1])) values.push(convert(flag, tokens[++at], where));
        if (at === start) throw new UsageError(`${where} needs a value`);
      }
      given.set(flag.name, values);
      continue;
    }
    let text = inline;
    if (text === undefined) {
      if (!isValue(tokens[at + 1])) throw new UsageError(`${where} needs a value`);
      text = tokens[++at];
    }
    given.set(flag.name, convert(flag, text, where));
  }
  return { given, positionals };
}

/** The environment's `MCP_PROXY_*` value of every flag the line did not give. */
function fromEnvironment(given, env) {
  const options = {};
  const explicit = new Set(given.keys());
  for (const flag of FLAGS) {
    if (given.has(flag.name)) {
      options[flag.name] = given.get(flag.name);
      continue;
    }
    const name = envName(flag.name);
    const text = env[name];
    // An empty variable is an unset one (a blank MCP_PROXY_API_KEY must not mean "no auth").
    if (text === undefined || text === "") {
      options[flag.name] = flag.default;
      continue;
    }
    const value = convert(flag, text, name);
    options[flag.name] = flag.type === "array" ? [value] : value;
    explicit.add(flag.name);
  }
  return { options, explicit };
}

/**
 * Parses `argv` (without node and the script) with `env` as the fallback.
 * Returns `{ help: true }`, `{ version: true }`, or `{ options, explicit, command, args,
 * ignored }` where `explicit` names the flags given on the line or in the environment and
 * `ignored` lists positionals before `--` that lost to the command after it. Throws UsageError.
 */
function parseCommandLine(argv, env = process.env) {
  const separator = argv.indexOf("--");
  const proxyPart = separator < 0 ? argv : argv.slice(0, separator);
  const childPart = separator < 0 ? [] : argv.slice(separator + 1);
  if (proxyPart.includes("--help")) return { help: true };
  if (proxyPart.includes("--version")) return { version: true };

  const { given, positionals } = readProxyPart(proxyPart);
  const { options, explicit } = fromEnvironment(given, env);

  let command;
  let args = [];
  let ignored = [];
  if (childPart.length > 0) {
    [command, ...args] = childPart;
    ignored = positionals;
  } else if (positionals.length > 0) {
    [command, ...args] = positionals;
  } else if (env.MCP_PROXY_COMMAND) {
    // yargs' .env("MCP_PROXY") covers the positional too; 6.7.19 honours it.
    command = env.MCP_PROXY_COMMAND;
  }
  if (command === undefined || command === "") throw new UsageError("No command specified.");
  return { options, explicit, command, args, ignored };
}

module.exports = { parseCommandLine, UsageError };
