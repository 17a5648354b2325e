// Preloaded (node -r) into each proxy process of the `--cli` bench: SIGUSR2 runs a full GC, so
// RSS per idle session is read after one in every implementation alike (needs --expose-gc).
process.on("SIGUSR2", () => globalThis.gc?.());
