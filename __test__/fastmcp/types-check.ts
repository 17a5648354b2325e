// Compile-time check: FastMCP 4's declarations resolve `mcp-proxy` to this package's types.
import { FastMCP, type CorsOptions } from "fastmcp4";

const cors: CorsOptions = { origin: ["http://localhost:3000"], credentials: true };
export const server = new FastMCP({ name: "typed", version: "1.0.0" });
export { cors };
