// A module resolve hook: `import "mcp-proxy"` (FastMCP's import) loads the module named by
// `register(…, { data: { target } })` instead, so the same FastMCP build runs over either
// implementation in the benchmark.
let target;

export function initialize(data) {
  target = data.target;
}

export async function resolve(specifier, context, next) {
  if (specifier === "mcp-proxy" && target) return next(target, context);
  return next(specifier, context);
}
