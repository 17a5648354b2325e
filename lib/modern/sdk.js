"use strict";
// The application's own copy of `@modelcontextprotocol/server` (SDK v2), never a second one:
// the SDK tells its `McpServer`/`Server` apart with `instanceof`, so the handler that serves
// a server must come from the very module that built it.
//
// Where it is looked up: from the directory Node was started in (`process.cwd()`), then
// from the entry script (`process.argv[1]`) and `require.main`, the places an application's
// `node_modules` are found from. Each found package gives two copies, its ESM build (tried
// first: the SDK is an ES module package) and its CommonJS build; a server is served by the
// copy whose classes it is an instance of. It is an optional peer dependency: applications
// on SDK v1 (FastMCP ≤ 4) never load it.
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");
const { pathToFileURL } = require("node:url");

const SDK = "@modelcontextprotocol/server";

function bases() {
  const found = [process.cwd()];
  for (const file of [process.argv[1], require.main?.filename]) {
    if (typeof file === "string" && file) found.push(path.dirname(path.resolve(file)));
  }
  return [...new Set(found)];
}

/** The package directory above a resolved entry file. */
function packageDir(file) {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      if (pkg.name === SDK) return { dir, pkg };
    } catch {
      // not a package root; keep climbing
    }
  }
  return undefined;
}

/** Loaders of every copy of the SDK the application can see, most likely first. */
function candidates() {
  const loaders = [];
  const seen = new Set();
  for (const base of bases()) {
    let entry;
    let req;
    try {
      req = createRequire(path.join(base, "noop.js"));
      entry = req.resolve(SDK);
    } catch {
      continue;
    }
    const root = packageDir(entry);
    const esm = root?.pkg.exports?.["."]?.import;
    const esmEntry = typeof esm === "string" ? esm : esm?.default;
    if (root && esmEntry) {
      const file = path.join(root.dir, esmEntry);
      if (!seen.has(file)) {
        seen.add(file);
        loaders.push(() => import(pathToFileURL(file).href));
      }
    }
    if (!seen.has(entry)) {
      seen.add(entry);
      loaders.push(() => req(SDK));
    }
  }
  return loaders;
}

/** The SDK copies, loaded on demand. */
class SdkCopies {
  constructor() {
    this._loaders = undefined;
    this._loaded = [];
    /** The load in progress (loads run one after another). */
    this._loading = undefined;
    /** The first copy's load, shared by the requests that wait for it. */
    this._first = undefined;
    this.preferred = undefined;
  }

  /**
   * The next copy not loaded yet, or undefined. Loads one at a time: requests that arrive
   * together while a copy is loading wait for it rather than skipping to the next one (or
   * finding none left and refusing a request the SDK could serve).
   */
  _loadNext() {
    const next = (this._loading ?? Promise.resolve()).then(() => this._loadOne());
    this._loading = next;
    return next;
  }

  async _loadOne() {
    this._loaders ??= candidates();
    while (this._loaders.length > 0) {
      const load = this._loaders.shift();
      try {
        const sdk = await load();
        if (typeof sdk.createMcpHandler === "function" && typeof sdk.McpServer === "function") {
          this._loaded.push(sdk);
          return sdk;
        }
      } catch (error) {
        console.error(`[mcp-proxy] error loading ${SDK}`, error);
      }
    }
    return undefined;
  }

  /** The copy to try first: the one that served last, else the first found. */
  first() {
    if (this.preferred) return Promise.resolve(this.preferred);
    // Requests arriving together while the first copy loads all wait for that one load.
    this._first ??= this._loadNext().then((sdk) => {
      this.preferred ??= sdk ?? this._loaded[0];
      return this.preferred;
    });
    return this._first;
  }

  /** The copy whose classes built `server`, loading further copies as needed. */
  async owning(server) {
    const owns = (sdk) => server instanceof sdk.McpServer || server instanceof sdk.Server;
    for (;;) {
      // Checked again after each load: a concurrent request may have loaded the owner.
      const found = this._loaded.find(owns);
      if (found) return found;
      if (!(await this._loadNext())) return this._loaded.find(owns);
    }
  }
}

module.exports = { SdkCopies, SDK };
