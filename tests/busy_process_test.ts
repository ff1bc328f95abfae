/**
 * Opens on a busy process (issue 20, item 1): hundreds of concurrent callers
 * each spend a few milliseconds of CPU around their operation, so the opens
 * that the burst starts compete with them for the event loop and take far
 * longer than the first open, which ran on an idle loop. The service is not
 * slow, so the pool must abort none of them: it opens at most `maxSize`
 * connections, no open fails, and the circuit breaker stays closed. Real
 * SDKs against the local servers of `./testing/servers`, in this process.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ManagedCosmos } from "../src/cosmos/mod.ts";
import { ManagedServiceBusSender } from "../src/service_bus/mod.ts";
import type { PoolStats } from "../src/pool/stats.ts";
import {
  startLocalCosmos,
  startLocalServiceBus,
} from "../src/testing/servers/mod.ts";

/** Callers in the burst. */
const CALLERS = 200;
/** The CPU each caller spends before its operation and again after it, in ms. */
const CPU_MS = 3;
/** Small enough that the burst needs every connection the pool may open. */
const MAX_SIZE = 3;
const CLIENT_LIMIT = 40;

/** Keeps this process busy for `ms`, as a request handler parsing and rendering would. */
function cpu(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: the event loop can run nothing else meanwhile
  }
}

/** Lets the event loop turn, so that each caller arrives in a task of its own. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Runs CALLERS callers, each arriving in its own task: CPU, the operation
 * (with CPU on its result), done.
 *
 * @returns How many callers succeeded, and the first failure's text.
 */
async function burst(
  operation: (i: number) => Promise<void>,
): Promise<{ ok: number; failures: string[] }> {
  const outcomes = await Promise.allSettled(
    Array.from({ length: CALLERS }, async (_, i) => {
      await nextTask();
      cpu(CPU_MS);
      await operation(i);
    }),
  );
  const failures = outcomes.flatMap((o) =>
    o.status === "rejected" ? [String(o.reason)] : []
  );
  return { ok: CALLERS - failures.length, failures };
}

/** The pool's figures that say whether an open was given up on. */
function verdict(stats: PoolStats) {
  return {
    connectionsCreatedAtMostMaxSize: stats.connectionsCreated <= MAX_SIZE,
    opensFailed: stats.opensFailed,
    breakerState: stats.breakerState,
    lastOpenError: stats.lastOpenError,
  };
}

const EXPECTED = {
  connectionsCreatedAtMostMaxSize: true,
  opensFailed: 0,
  breakerState: "closed",
  lastOpenError: undefined,
};

describe("Opens on a busy process", () => {
  it("ManagedCosmos serves a burst of CPU-bound callers with at most maxSize clients, aborting no open", async () => {
    const server = await startLocalCosmos({
      containers: [{ database: "shop", container: "orders" }],
    });
    const cosmos = new ManagedCosmos({
      ...server.connectionOptions(),
      databaseName: "shop",
      containerName: "orders",
      maxSize: MAX_SIZE,
      clientLimit: CLIENT_LIMIT,
    });
    try {
      // The first open runs on an idle loop: it sets the pace opens are judged by.
      await cosmos.use((c) => c.items.upsert({ id: "first", pk: "p" }));
      const result = await burst((i) =>
        cosmos.use(async (c) => {
          const { resource } = await c.items.upsert({ id: `o-${i}`, pk: "p" });
          assert.equal(resource?.id, `o-${i}`);
          cpu(CPU_MS);
        })
      );
      const stats = cosmos.pool.stats();
      assert.deepEqual(
        { ok: result.ok, firstFailure: result.failures[0] },
        { ok: CALLERS, firstFailure: undefined },
      );
      assert.deepEqual(
        verdict(stats),
        EXPECTED,
        `${stats.connectionsCreated} clients created, ${stats.opensFailed} opens failed`,
      );
      assert.ok(stats.connectionsCreated >= 2, "the burst needed more clients");
    } finally {
      await cosmos.close();
      await server.close();
    }
  });

  it("ManagedServiceBusSender serves a burst of CPU-bound callers with at most maxSize connections, aborting no open", async () => {
    const bus = await startLocalServiceBus({ queues: ["orders"] });
    const sender = new ManagedServiceBusSender({
      connectionString: bus.connectionString,
      queueName: "orders",
      maxSize: MAX_SIZE,
      clientLimit: CLIENT_LIMIT,
      clientOptions: { retryOptions: { maxRetries: 0, timeoutInMs: 30_000 } },
    });
    try {
      await sender.sendBody({ i: -1 }, { messageId: "first" });
      const result = await burst(async (i) => {
        await sender.sendBody({ i }, { messageId: `m-${i}` });
        cpu(CPU_MS);
      });
      const stats = sender.pool.stats();
      assert.deepEqual(
        { ok: result.ok, firstFailure: result.failures[0] },
        { ok: CALLERS, firstFailure: undefined },
      );
      assert.deepEqual(
        verdict(stats),
        EXPECTED,
        `${stats.connectionsCreated} connections created, ${stats.opensFailed} opens failed`,
      );
      assert.ok(stats.connectionsCreated >= 2, "the burst needed more clients");
      assert.equal(bus.messages("orders").length, CALLERS + 1);
    } finally {
      await sender.close();
      await bus.close();
    }
  });
});
