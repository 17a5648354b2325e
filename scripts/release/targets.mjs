// The platforms that ship a binary and how each is built on a Linux x64 machine: the Rust target
// (with the glibc version cargo-zigbuild links against, as `.2.17`), the file cargo writes, and
// extra flags for the C code (ring, mimalloc) where Zig's compiler needs them.
// lib/addon/platform.js names the same platforms for the loader; npm/<platform>/ holds each package.
export const TARGETS = {
  "linux-x64-gnu": { rust: "x86_64-unknown-linux-gnu", glibc: "2.17", file: "libmcp_proxy_native.so" },
  "linux-arm64-gnu": { rust: "aarch64-unknown-linux-gnu", glibc: "2.17", file: "libmcp_proxy_native.so" },
  "linux-x64-musl": { rust: "x86_64-unknown-linux-musl", file: "libmcp_proxy_native.so" },
  "linux-arm64-musl": { rust: "aarch64-unknown-linux-musl", file: "libmcp_proxy_native.so" },
  "darwin-x64": { rust: "x86_64-apple-darwin", file: "libmcp_proxy_native.dylib" },
  "darwin-arm64": { rust: "aarch64-apple-darwin", file: "libmcp_proxy_native.dylib" },
  // mimalloc's Windows code prints __DATE__, which Zig's clang refuses (-Werror=date-time).
  "win32-x64-gnu": { rust: "x86_64-pc-windows-gnu", file: "mcp_proxy_native.dll", cflags: "-Wno-error=date-time" },
};

/** What `cargo zigbuild --target` gets: the Rust target, glibc-versioned where it is glibc. */
export function zigTarget(platform) {
  const t = TARGETS[platform];
  return t.glibc ? `${t.rust}.${t.glibc}` : t.rust;
}
