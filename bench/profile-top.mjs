// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the frames with the most self time,
// and the share of time by script. Usage: node bench/profile-top.mjs <file.cpuprofile> [N]
import { readFileSync } from "node:fs";

const [file, count = "25"] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfTicks = new Map();
for (const id of profile.samples) selfTicks.set(id, (selfTicks.get(id) ?? 0) + 1);
const total = profile.samples.length;

const shortUrl = (url) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/^.*node_modules\//, "")
    .replace(process.cwd() + "/", "");

const frames = new Map();
const scripts = new Map();
for (const [id, ticks] of selfTicks) {
  const { callFrame } = byId.get(id);
  const name = callFrame.functionName || "(anonymous)";
  const where = callFrame.url ? `${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}` : "";
  const key = where ? `${name} ${where}` : name;
  frames.set(key, (frames.get(key) ?? 0) + ticks);
  const script = callFrame.url ? shortUrl(callFrame.url).replace(/\/[^/]*$/, "/") : name;
  scripts.set(script, (scripts.get(script) ?? 0) + ticks);
}

const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
console.log(`${total} samples, ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`);
console.log("\nTop frames by self time:");
for (const [key, t] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  console.log(`${pct(t)}  ${key}`);
}
console.log("\nSelf time by script directory:");
for (const [key, t] of [...scripts].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${pct(t)}  ${key}`);
}
