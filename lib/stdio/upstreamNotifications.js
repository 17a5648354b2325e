"use strict";
// `getUpstreamBridge` and `acquireListenSubscriptions`: the fan-out of one upstream SDK
// `Client`'s notifications to every downstream connection that shares it, with per-connection
// resource subscriptions refcounted upstream and, against a 2026-07-28 upstream, the
// `subscriptions/listen` stream kept open (reopened within a budget when it drops). Ported from
// mcp-proxy 6.7.19 src/upstreamNotifications.ts (MIT, (c) Frank Fiegel / punkpeye); behaviour,
// log lines and timings are 6.7.19's (its upstreamNotifications tests run against this in
// __test__/mcp-proxy-67/). Works on the application's Client: no SDK is loaded here.

/**
 * One bridge per upstream Client: `setNotificationHandler` is last-writer-wins, so registering
 * per connection would leave only the newest one hearing anything.
 */
const bridges = new WeakMap();

/** Reopen backoff: 250 ms × 2^attempt, at most 6 attempts per drop storm. */
const LISTEN_REOPEN_BASE_DELAY = 250;
const MAX_LISTEN_REOPEN_ATTEMPTS = 6;
/** A stream that lived this long was healthy: its drop starts a fresh budget. */
const LISTEN_STABLE_AFTER = 30_000;
/** The budget refills after this long unspent; a give-up retries once after it too. */
const LISTEN_REOPEN_BUDGET_REFILL = 60_000;
/** `close()` waits at most this long for queued upstream work (the CLI's budget is 5 s). */
const CLOSE_TEARDOWN_TIMEOUT = 1_000;

function createBridge({ client, requestTimeout }) {
  const sinks = new Set();

  const fanOut = (key, invoke) => {
    for (const sink of sinks) {
      if (!sink[key]) continue;
      try {
        invoke(sink);
      } catch (error) {
        // One failing downstream connection must not stop delivery to the rest.
        console.error(`[mcp-proxy] error forwarding ${key}`, error);
      }
    }
  };

  client.setNotificationHandler("notifications/message", async (n) => {
    fanOut("loggingMessage", (sink) => sink.loggingMessage?.(n.params));
  });
  client.setNotificationHandler("notifications/resources/updated", async (n) => {
    fanOut("resourceUpdated", (sink) => sink.resourceUpdated?.(n.params));
  });
  client.setNotificationHandler("notifications/tools/list_changed", async () => {
    fanOut("toolsListChanged", (sink) => sink.toolsListChanged?.());
  });
  client.setNotificationHandler("notifications/prompts/list_changed", async () => {
    fanOut("promptsListChanged", (sink) => sink.promptsListChanged?.());
  });
  client.setNotificationHandler("notifications/resources/list_changed", async () => {
    fanOut("resourcesListChanged", (sink) => sink.resourcesListChanged?.());
  });

  const isModern = () => client.getProtocolEra() === "modern";
  const timeout = requestTimeout ? { timeout: requestTimeout } : undefined;

  /** URI → how many leases want it. */
  const refcounts = new Map();
  let closed = false;
  let lastReopenAttemptAt = 0;
  let refillTimer;
  let reopenAttempts = 0;
  let subscription;

  // Every mutation runs through one queue: opening a stream is not atomic, and concurrent
  // subscribers would each open their own and leak all but the last.
  let queue = Promise.resolve();
  const enqueue = (work) => {
    queue = queue.then(work, work);
    return queue;
  };

  // Unref'd: nothing on the close path awaits the backoff, and a ref'd timer would hold the
  // process past the CLI's graceful-shutdown budget.
  const delayReopen = (ms) =>
    new Promise((resolve) => {
      setTimeout(resolve, ms).unref();
    });

  /** The listen filter is fixed at open time: a new URI set means a new stream (new first, then close the old). */
  const reopenListenStream = async () => {
    if (closed) return;
    const capabilities = client.getServerCapabilities();
    const previous = subscription;
    const opened = await client.listen(
      {
        promptsListChanged: Boolean(capabilities?.prompts?.listChanged),
        resourcesListChanged: Boolean(capabilities?.resources?.listChanged),
        resourceSubscriptions: [...refcounts.keys()],
        toolsListChanged: Boolean(capabilities?.tools?.listChanged),
      },
      timeout,
    );
    subscription = opened;
    const openedAt = Date.now();

    // A terminated stream is never live, whatever ended it; only 'remote' (an unexpected drop)
    // is chased. 'local' is our close, 'graceful' the server ending it on purpose.
    void opened.closed
      .then(async (reason) => {
        if (closed || subscription !== opened) return;
        subscription = undefined;
        if (reason !== "remote") {
          if (reason === "graceful") {
            console.error(
              "[mcp-proxy] upstream ended the subscriptions/listen stream; change notifications are off until a new downstream connection or a resource-subscription change opens another",
            );
          }
          return;
        }
        if (Date.now() - openedAt >= LISTEN_STABLE_AFTER) reopenAttempts = 0;
        await reopenUntilLive();
      })
      .catch((error) => {
        console.error("[mcp-proxy] could not reopen upstream subscriptions/listen stream", error);
      });

    await previous?.close();
  };

  const ensureListenStream = () =>
    enqueue(async () => {
      if (!isModern() || subscription) return;
      await reopenListenStream();
    });

  /** Spends the reopen budget until a stream is live again (an attempt can itself fail). */
  const reopenUntilLive = async () => {
    if (Date.now() - lastReopenAttemptAt >= LISTEN_REOPEN_BUDGET_REFILL) reopenAttempts = 0;
    let spent = 0;
    while (!closed && reopenAttempts < MAX_LISTEN_REOPEN_ATTEMPTS) {
      const delay = LISTEN_REOPEN_BASE_DELAY * 2 ** reopenAttempts;
      reopenAttempts++;
      spent++;
      lastReopenAttemptAt = Date.now();
      console.error(
        `[mcp-proxy] reopening upstream subscriptions/listen stream in ${delay}ms (attempt ${reopenAttempts}/${MAX_LISTEN_REOPEN_ATTEMPTS})`,
      );
      await delayReopen(delay);
      if (closed) return;
      try {
        await ensureListenStream();
        return;
      } catch (error) {
        console.error("[mcp-proxy] could not reopen upstream subscriptions/listen stream", error);
      }
    }
    // A caller that found the budget already spent tried nothing and reports nothing.
    if (closed || spent === 0) return;
    console.error(
      `[mcp-proxy] gave up reopening the upstream subscriptions/listen stream after ${spent} attempts; change notifications are off, retrying in ${LISTEN_REOPEN_BUDGET_REFILL}ms`,
    );
    // Scheduled, not left to the next caller: a single long-lived connection would otherwise
    // stay deaf for good.
    if (refillTimer === undefined) {
      refillTimer = setTimeout(() => {
        refillTimer = undefined;
        void reopenUntilLive();
      }, LISTEN_REOPEN_BUDGET_REFILL);
      refillTimer.unref();
    }
  };

  // Already inside the queue: these call reopenListenStream directly (enqueuing would deadlock).
  const subscribeUpstream = async (uri) => {
    if (isModern()) return reopenListenStream();
    await client.subscribeResource({ uri }, timeout);
  };
  const unsubscribeUpstream = async (uri) => {
    if (isModern()) return reopenListenStream();
    await client.unsubscribeResource({ uri }, timeout);
  };

  return {
    close: async () => {
      closed = true;
      sinks.clear();
      refcounts.clear();
      clearTimeout(refillTimer);
      refillTimer = undefined;
      // A later getUpstreamBridge(client) builds a fresh bridge rather than this closed one.
      bridges.delete(client);
      const drained = enqueue(async () => {
        await subscription?.close();
        subscription = undefined;
      }).catch((error) => {
        console.error("[mcp-proxy] error tearing down the upstream subscriptions/listen stream", error);
      });
      await Promise.race([
        drained,
        new Promise((resolve) => {
          setTimeout(resolve, CLOSE_TEARDOWN_TIMEOUT).unref();
        }),
      ]);
    },
    subscribe: (sink) => {
      sinks.add(sink);
      // The first sink opens a modern upstream's stream; a failure degrades notifications, never
      // the connection, and starts the retry loop (no stream means no `closed` observer would).
      ensureListenStream().catch((error) => {
        console.error("[mcp-proxy] could not open upstream subscriptions/listen stream", error);
        void reopenUntilLive();
      });

      const owned = new Set();
      // Queued so the refcount change and its upstream call are one step: a release racing a
      // re-subscribe must not send a late unsubscribe for a URI that is wanted again.
      const removeResourceSubscription = (uri) =>
        enqueue(async () => {
          if (!owned.delete(uri)) return;
          const remaining = (refcounts.get(uri) ?? 1) - 1;
          if (remaining > 0) {
            refcounts.set(uri, remaining);
            return;
          }
          refcounts.delete(uri);
          await unsubscribeUpstream(uri);
        });

      return {
        addResourceSubscription: (uri) =>
          enqueue(async () => {
            if (owned.has(uri)) return;
            owned.add(uri);
            const existing = refcounts.get(uri) ?? 0;
            refcounts.set(uri, existing + 1);
            if (existing > 0) return;
            try {
              await subscribeUpstream(uri);
            } catch (error) {
              // Roll back: never unsubscribe later what the upstream never accepted.
              owned.delete(uri);
              refcounts.delete(uri);
              throw error;
            }
          }),
        owns: (uri) => owned.has(uri),
        release: () => {
          sinks.delete(sink);
          for (const uri of [...owned]) {
            removeResourceSubscription(uri).catch((error) => {
              console.error(`[mcp-proxy] error releasing upstream subscription for ${uri}`, error);
            });
          }
        },
        removeResourceSubscription,
      };
    },
  };
}

/**
 * An `onListenSubscriptions` hook for a proxy fronting `client`: all or nothing (allSettled, so
 * a failure never strands URIs still queued behind it), returning the release.
 */
async function acquireListenSubscriptions({ client, requestTimeout, uris }) {
  const lease = getUpstreamBridge({ client, requestTimeout }).subscribe({});
  const outcomes = await Promise.allSettled(uris.map((uri) => lease.addResourceSubscription(uri)));
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  if (failed) {
    lease.release();
    throw failed.reason;
  }
  return () => {
    lease.release();
  };
}

/** The bridge of `client`; the first call fixes its requestTimeout. */
function getUpstreamBridge({ client, requestTimeout }) {
  const existing = bridges.get(client);
  if (existing) return existing;
  const bridge = createBridge({ client, requestTimeout });
  bridges.set(client, bridge);
  return bridge;
}

module.exports = { acquireListenSubscriptions, getUpstreamBridge };
