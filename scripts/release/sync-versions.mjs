#!/usr/bin/env node
// `npm version X` runs this (the "version" script): every platform package (npm/*/package.json)
// and the main package's optionalDependencies on them take the main package's new version, so
// a release never pairs JavaScript with a binary of another version (lib/addon/loader.js refuses that).
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (file) => JSON.parse(readFileSync(file, "utf8"));
const write = (file, value) => writeFileSync(file, JSON.stringify(value, null, 2) + "\n");

const mainPath = path.join(root, "package.json");
const main = read(mainPath);
for (const dir of readdirSync(path.join(root, "npm"))) {
  const file = path.join(root, "npm", dir, "package.json");
  const pkg = read(file);
  pkg.version = main.version;
  write(file, pkg);
  main.optionalDependencies[pkg.name] = main.version;
}
write(mainPath, main);
console.log(`platform packages and optionalDependencies set to ${main.version}`);
