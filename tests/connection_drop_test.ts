/**
 * Sends in flight when the server resets every connection, through the
 * managed Service Bus and Event Hubs clients with the real SDKs, counted
 * from the local broker's records, not from timing: no send is lost (a send
 * that succeeded is stored), no Service Bus send is rejected (one in flight
 * on a dropped connection is sent once more on a new one), and the only
 * duplicates are messages that were in flight when a connection dropped
 * (stored, with their acknowledgement lost with the connection): the
 * resend adds no other. Every caller hears by its deadline.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ManagedServiceBus,
  ManagedServiceBusSender,
} from "../src/service_bus/mod.ts";
import { ManagedEventHubProducer } from "../src/event_hubs/mod.ts";
import { ConnectionLost } from "../src/pool/errors.ts";
import { startLocalServiceBus } from "../src/testing/servers/local_service_bus.ts";
import { withBroker } from "./_broker.ts";

/** The default run: sends, callers, and the sends at whose start every connection is reset. */
const TOTAL = 600;
const DEFAULT_SHAPE: DropShape = {
  total: TOTAL,
  concurrency: 100,
  dropsAt: [200, 400],
};
/** Each send's own deadline, and the bound on every caller's wait. */
const OPERATION_TIMEOUT_SECONDS = 5;

/** How a drop run is sized. */
interface DropShape {
  total: number;
  concurrency: number;
  /** Every connection is reset when these sends start. */
  dropsAt: readonly number[];
}

interface DropRun {
  /** Sends that resolved. */
  sent: Set<number>;
  /** Sends that rejected, with their errors. */
  rejected: Map<number, unknown>;
  /**
   * Sends a reset may have caught: those in flight at a reset, and those
   * started after it until one started after it succeeded (until then the
   * client may not have heard of the reset yet).
   */
  inFlightAtDrop: Set<number>;
  /** The longest any caller waited, in ms. */
  longestMs: number;
}

/** Runs the shape's sends, resetting every connection at its drop points. */
async function dropRun(
  server: { dropConnections(): number | Promise<number> },
  send: (i: number) => Promise<void>,
  shape: DropShape = DEFAULT_SHAPE,
): Promise<DropRun> {
  const { total, concurrency, dropsAt } = shape;
  const run: DropRun = {
    sent: new Set(),
    rejected: new Map(),
    inFlightAtDrop: new Set(),
    longestMs: 0,
  };
  const inFlight = new Set<number>();
  let next = 0;
  let lastDrop = -1;
  let caught = false;
  const resets: Promise<number>[] = [];
  const worker = async () => {
    while (next < total) {
      const i = next++;
      if (dropsAt.includes(i)) {
        for (const j of inFlight) run.inFlightAtDrop.add(j);
        resets.push(Promise.resolve(server.dropConnections()));
        lastDrop = i;
        caught = true;
      }
      if (caught) run.inFlightAtDrop.add(i);
      inFlight.add(i);
      const started = performance.now();
      try {
        await send(i);
        run.sent.add(i);
        if (i >= lastDrop) caught = false;
      } catch (error) {
        run.rejected.set(i, error);
      } finally {
        inFlight.delete(i);
        run.longestMs = Math.max(run.longestMs, performance.now() - started);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  for (const reset of await Promise.all(resets)) {
    assert.ok(reset > 0, "a connection was reset");
  }
  return run;
}

/** A queue 'q' on a server that can reset every connection. */
interface ResettableQueue {
  connectionString: string;
  dropConnections(): number | Promise<number>;
  messages(queue: string): { messageId?: unknown }[];
}

/** Runs `fn` against queue 'q' on the in-process broker or the local Service Bus. */
async function withQueue(
  server: "broker" | "startLocalServiceBus",
  fn: (queue: ResettableQueue) => Promise<void>,
): Promise<void> {
  if (server === "broker") {
    return await withBroker({ queues: ["q"] }, (broker) =>
      fn({
        connectionString: broker.connectionString(),
        dropConnections: () => broker.dropConnections(),
        messages: (queue) => broker.messages(queue),
      }));
  }
  const local = await startLocalServiceBus({ queues: ["q"] });
  try {
    await fn(local);
  } finally {
    await local.close();
  }
}

/** How many times each id was stored. */
function storedCounts(ids: unknown[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const id of ids) {
    const i = Number(String(id).replace(/^m-/, ""));
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return counts;
}

/** The promises every drop run keeps. */
function assertNothingLostOrAdded(
  label: string,
  run: DropRun,
  counts: Map<number, number>,
): void {
  for (const i of run.sent) {
    assert.ok(counts.has(i), `${label}: send ${i} succeeded but is not stored`);
  }
  for (const [i, n] of counts) {
    if (n > 1) {
      assert.ok(
        run.inFlightAtDrop.has(i),
        `${label}: ${i} stored ${n} times but was not in flight at a drop`,
      );
      assert.equal(n, 2, `${label}: ${i} stored ${n} times`);
    }
  }
  assert.ok(
    run.longestMs < (OPERATION_TIMEOUT_SECONDS + 1) * 1000,
    `${label}: a caller waited ${Math.round(run.longestMs)} ms`,
  );
}

describe("Sends in flight when every connection is reset", () => {
  // The last: the local Service Bus (TLS) resetting 4 connections at once,
  // whose close events reach the client one by one: on Node.js and Bun a
  // resend sent at once went out on a connection already reset, and failed.
  for (
    const [maxSize, shape, server] of [
      [1, DEFAULT_SHAPE, "broker"],
      [3, DEFAULT_SHAPE, "broker"],
      [
        4,
        { total: 1500, concurrency: 250, dropsAt: [500, 1000] },
        "startLocalServiceBus",
      ],
    ] as const
  ) {
    it(`ManagedServiceBusSender (maxSize ${maxSize}, ${shape.concurrency} callers, ${server}) rejects none, loses none, and duplicates only what was in flight`, async () => {
      await withQueue(server, async (broker) => {
        const sender = new ManagedServiceBusSender({
          connectionString: broker.connectionString,
          queueName: "q",
          maxSize,
          operationTimeoutSeconds: OPERATION_TIMEOUT_SECONDS,
        });
        try {
          // Every connection open, so that each reset catches maxSize.
          assert.equal(await sender.pool.warm(maxSize), maxSize);
          const run = await dropRun(
            broker,
            (i) => sender.sendMessages({ body: i, messageId: `m-${i}` }),
            shape,
          );
          assert.deepEqual([...run.rejected.values()], [], "rejected");
          assert.equal(run.sent.size, shape.total);
          const counts = storedCounts(
            broker.messages("q").map((m) => m.messageId),
          );
          assertNothingLostOrAdded("sender", run, counts);
          assert.equal(counts.size, shape.total);
          assert.ok(sender.stats().connectionsClosed >= 2, "replaced");
        } finally {
          await sender.close();
        }
      });
    });
  }

  it("ManagedServiceBus keeps the same promises for a body sent without a messageId (one is given)", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const bus = new ManagedServiceBus({
        connectionString: broker.connectionString(),
        maxSize: 2,
        operationTimeoutSeconds: OPERATION_TIMEOUT_SECONDS,
      });
      try {
        const run = await dropRun(
          broker,
          (i) => bus.sender("q").sendBody(i),
        );
        assert.deepEqual([...run.rejected.values()], [], "rejected");
        const stored = broker.messages("q");
        // A resent copy keeps the id its first attempt carried.
        const idsOf = new Map<number, Set<unknown>>();
        for (const m of stored) {
          const i = m.body as number;
          (idsOf.get(i) ?? idsOf.set(i, new Set()).get(i)!).add(m.messageId);
        }
        for (const [i, ids] of idsOf) assert.equal(ids.size, 1, `${i}`);
        const counts = new Map(
          [...idsOf.keys()].map((i) => [
            i,
            stored.filter((m) => m.body === i).length,
          ]),
        );
        assertNothingLostOrAdded("bus", run, counts);
        assert.equal(counts.size, TOTAL);
      } finally {
        await bus.close();
      }
    });
  });

  it("ManagedEventHubProducer loses none and resends none by default: a send caught by a drop is ConnectionLost", async () => {
    await withBroker({ eventHubs: { h: 2 } }, async (broker) => {
      const producer = new ManagedEventHubProducer({
        connectionString: broker.connectionString(),
        eventHubName: "h",
        maxSize: 2,
        operationTimeoutSeconds: OPERATION_TIMEOUT_SECONDS,
      });
      try {
        const run = await dropRun(
          broker,
          (i) => producer.sendBatch([{ body: i, messageId: `m-${i}` }]),
        );
        for (const [i, error] of run.rejected) {
          assert.ok(error instanceof ConnectionLost, `${i}: ${String(error)}`);
          assert.ok(run.inFlightAtDrop.has(i), `${i} was not in flight`);
        }
        const counts = storedCounts(
          broker.events("h").map((e) => e.message.message_id),
        );
        assertNothingLostOrAdded("producer", run, counts);
        for (const [i, n] of counts) assert.equal(n, 1, `${i} resent`);
      } finally {
        await producer.close();
      }
    });
  });

  it("ManagedEventHubProducer with resendOnConnectionLoss rejects none, and duplicates only what was in flight", async () => {
    await withBroker({ eventHubs: { h: 2 } }, async (broker) => {
      const producer = new ManagedEventHubProducer({
        connectionString: broker.connectionString(),
        eventHubName: "h",
        maxSize: 2,
        operationTimeoutSeconds: OPERATION_TIMEOUT_SECONDS,
        resendOnConnectionLoss: true,
      });
      try {
        const run = await dropRun(
          broker,
          (i) => producer.sendBatch([{ body: i, messageId: `m-${i}` }]),
        );
        assert.deepEqual([...run.rejected.values()], [], "rejected");
        const counts = storedCounts(
          broker.events("h").map((e) => e.message.message_id),
        );
        assertNothingLostOrAdded("producer", run, counts);
        assert.equal(counts.size, TOTAL);
      } finally {
        await producer.close();
      }
    });
  });
});
