"use strict";
// The application's own MCP SDK v2 packages (`@modelcontextprotocol/client`, `.../server` and
// its `./stdio` entry), for `startStdioServer`, the one stdio export that builds SDK objects
// itself (the others work on the `Client`/`Server` the application hands them). One copy, the
// application's: looked up as lib/modernSdk.js looks up the server package (from the working
// directory, the entry script and require.main, then from this package), ESM build first since
// the SDK is an ES module package and an application importing it gets that build; loaded once
// per specifier and cached. Both packages are optional peer dependencies: nothing here loads
// unless `startStdioServer` is called.
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");
const { pathToFileURL } = require("node:url");

function bases() {
  const found = [process.cwd()];
  for (const file of [process.argv[1], require.main?.filename]) {
    if (typeof file === "string" && file) found.push(path.dirname(path.resolve(file)));
  }
  found.push(__dirname);
  return [...new Set(found)];
}

/** The root directory and package.json of `name`, as Node resolves it from `base`. */
function findPackage(name, base) {
  let entry;
  try {
    entry = createRequire(path.join(base, "noop.js")).resolve(name);
  } catch {
    return undefined;
  }
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      if (pkg.name === name) return { dir, pkg, entry };
    } catch {
      // not the package root yet
    }
  }
  return undefined;
}

/** `exports[subpath]`'s ESM file, or undefined. */
function esmFile({ dir, pkg }, subpath) {
  const target = pkg.exports?.[subpath]?.import;
  const file = typeof target === "string" ? target : target?.default;
  return typeof file === "string" ? path.join(dir, file) : undefined;
}

const cache = new Map();

/**
 * The application's module `name` + `subpath` (e.g. "@modelcontextprotocol/server", "./stdio").
 * Rejects with an Error naming the package when the application has none.
 */
function loadAppModule(name, subpath = ".") {
  const key = `${name}\0${subpath}`;
  if (!cache.has(key)) {
    const load = (async () => {
      for (const base of bases()) {
        const found = findPackage(name, base);
        if (!found) continue;
        const file = esmFile(found, subpath);
        if (file) return import(pathToFileURL(file).href);
        const specifier = subpath === "." ? name : `${name}/${subpath.slice(2)}`;
        return createRequire(path.join(base, "noop.js"))(specifier);
      }
      throw new Error(`startStdioServer needs ${name} (MCP SDK v2) installed beside your application: npm install ${name}`);
    })();
    cache.set(key, load);
    // A failed lookup is retried on the next call (the package may be installed by then).
    load.catch(() => cache.delete(key));
  }
  return cache.get(key);
}

module.exports = { loadAppModule };
