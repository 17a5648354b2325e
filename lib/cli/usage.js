"use strict";
// What the command line prints about itself: the short usage (on a usage error, to stderr) and
// the `--help` text (to stdout), both built from the flag table so they cannot drift from it.
// They name the command as it was invoked (`mcp-proxy` through the drop-in alias).
const path = require("node:path");
const { FLAGS, envName } = require("./flags");

const WIDTH = 100;
const INDENT = "      ";

function commandName() {
  const invoked = process.argv[1] ? path.basename(process.argv[1], ".js") : "";
  return invoked === "mcp-proxy" ? "mcp-proxy" : "mcp-proxy-native";
}

function usage(name = commandName()) {
  return [
    `Usage: ${name} [options] -- <command> [args...]`,
    `   or: ${name} [options] <command> [args...]`,
    "",
    "Examples:",
    `  ${name} --port 8080 -- node server.js --port 3000`,
    `  ${name} node server.js`,
  ].join("\n");
}

/** `text` in lines of at most WIDTH columns, each after INDENT. */
function wrap(text) {
  const lines = [];
  let line = INDENT;
  for (const word of text.split(" ")) {
    if (line.length + word.length + 1 > WIDTH && line.trim()) {
      lines.push(line.trimEnd());
      line = INDENT;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines;
}

function flagHelp(flag) {
  const value = flag.type === "boolean" ? "" : flag.type === "array" ? " <value...>" : " <value>";
  const names = flag.type === "boolean" && flag.default === true ? `--${flag.name}, --no-${flag.name}` : `--${flag.name}${value}`;
  const shown = flag.default === undefined ? "" : ` [default: ${typeof flag.default === "string" ? JSON.stringify(flag.default) : flag.default}]`;
  return [`  ${names}`, ...wrap(`${flag.describe}.${shown} [env:${envName(flag.name)}]`)];
}

function helpText(name = commandName()) {
  return [
    "Serves a stdio MCP server over Streamable HTTP (/mcp, both protocol eras), HTTP+SSE",
    "(/sse, /messages) and /ping. Everything after -- is the command and its arguments.",
    "",
    usage(name),
    "",
    "Options (kebab-case spellings work too, e.g. --api-key):",
    ...FLAGS.flatMap(flagHelp),
    "  --help",
    `${INDENT}Show this help.`,
    "  --version",
    `${INDENT}Show the version.`,
    "",
  ].join("\n");
}

module.exports = { usage, helpText };
