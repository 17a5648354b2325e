"use strict";
// How a running proxy ends. Three ways in:
// - SIGINT/SIGTERM: `proxy.close(graceMs)` stops accepting, closes the sessions, closes the
//   child's stdin, SIGTERMs it and SIGKILLs it after --gracefulShutdownTimeout; then exit 0.
//   Teardown runs once whatever arrives next (6.7.19's createGracefulShutdown guard). The
//   same signal a second time ends the process at once with that signal's default action (a
//   shell shows 130 for a second Ctrl-C), as 6.7.19's `process.once` does; the child is
//   SIGKILLed first, so even this way out leaves nothing running (6.7.19 leaves it to stdin's
//   end). The other signal during a shutdown changes nothing (SIGINT then SIGTERM: one close).
// - The child exits on its own: exit 1, so a supervisor restarts the proxy (6.7.19 stays up
//   answering "Not connected" for ever). The native side has logged `child exited with …`.
// - A close that hangs despite the SIGKILL (the native side stuck): a watchdog exits 1 after
//   the grace period plus WATCHDOG_SLACK_MS.

/** How long past --gracefulShutdownTimeout the watchdog waits before giving up on close(). */
const WATCHDOG_SLACK_MS = 3000;

const SIGNALS = ["SIGINT", "SIGTERM"];

/** SIGKILL, ignoring a child that is already gone. */
function killChild(pid) {
  if (!pid) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function installShutdown({ proxy, tunnel, graceMs, log, warn }) {
  let stopping = false;
  const received = new Set();

  const finish = (exitCode) => {
    const watchdog = setTimeout(() => {
      warn(`[mcp-proxy] shutdown did not finish within ${graceMs + WATCHDOG_SLACK_MS}ms; exiting`);
      process.exit(1);
    }, graceMs + WATCHDOG_SLACK_MS);
    watchdog.unref();
    Promise.resolve()
      .then(() => tunnel?.close())
      .catch((error) => warn(`[mcp-proxy] error closing the tunnel: ${error?.message ?? error}`))
      .then(() => proxy.close(graceMs))
      .then(
        () => process.exit(exitCode),
        (error) => {
          warn(`[mcp-proxy] error during shutdown: ${error?.message ?? error}`);
          process.exit(1);
        },
      );
  };

  const onSignal = (signal) => {
    const again = received.has(signal);
    received.add(signal);
    if (stopping && !again) return;
    if (stopping) {
      // The second signal: no more waiting. Dying of the signal itself (not exit(130)) keeps
      // WIFSIGNALED for the parent, which is how shells and supervisors see a Ctrl-C.
      for (const name of SIGNALS) process.off(name, onSignal);
      killChild(proxy.childPid);
      process.kill(process.pid, signal);
      return;
    }
    stopping = true;
    log("received shutdown signal; shutting down");
    finish(0);
  };
  for (const name of SIGNALS) process.on(name, onSignal);

  proxy.childExit.then(
    () => {
      if (stopping) return;
      stopping = true;
      finish(1);
    },
    (error) => {
      if (stopping) return;
      stopping = true;
      warn(`[mcp-proxy] lost the child: ${error?.message ?? error}`);
      finish(1);
    },
  );
}

module.exports = { installShutdown, WATCHDOG_SLACK_MS };
