/**
 * `ManagedServiceBus.processMessages` through the real `@azure/service-bus`
 * SDK against the local AMQP broker: dropped connections, stopping mid-flight,
 * lock renewal, settlement by the handler. "Exactly once" is read from the
 * broker's settlement log; waits end on broker or handler events, never on a
 * sleep.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ManagedServiceBus,
  type MessageContext,
  type ProcessErrorInfo,
} from "../src/service_bus/mod.ts";
import {
  type AmqpBroker,
  type AmqpBrokerOptions,
  startAmqpBroker,
} from "../src/testing/servers/amqp_broker.ts";
import { seededRandom } from "./_seeded.ts";

async function withBus(
  options: AmqpBrokerOptions,
  fn: (bus: ManagedServiceBus, broker: AmqpBroker) => Promise<void>,
): Promise<void> {
  const broker = await startAmqpBroker(options);
  // No SDK retries, and the SDK's own 60 s operation timeout: a settlement
  // left to the SDK on a dying connection would outlast the test's waits.
  const bus = new ManagedServiceBus({
    connectionString: broker.connectionString(),
    clientOptions: { retryOptions: { maxRetries: 0 } },
    closeTimeoutSeconds: 1,
    initialBackoffSeconds: 0.05,
    maxBackoffSeconds: 0.5,
  });
  try {
    await fn(bus, broker);
  } finally {
    await bus.close();
    await broker.stop();
  }
}

/** A promise and its resolver (Node 20 has no Promise.withResolvers). */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Asserts that the queue settled each of `count` messages exactly once, as `outcome`. */
function assertSettledOnce(
  broker: AmqpBroker,
  queue: string,
  count: number,
  outcome: string,
  label: string,
): void {
  const settlements = broker.settlements(queue);
  const perMessage = new Map<number, string[]>();
  for (const s of settlements) {
    perMessage.set(s.sequenceNumber, [
      ...perMessage.get(s.sequenceNumber) ?? [],
      s.outcome,
    ]);
  }
  assert.equal(perMessage.size, count, label);
  for (const [sequenceNumber, outcomes] of perMessage) {
    assert.deepEqual(outcomes, [outcome], `${label}: #${sequenceNumber}`);
  }
}

describe("ManagedServiceBus.processMessages", () => {
  it("survives the broker dropping every connection twice, completing every message exactly once", async () => {
    const seed = Date.now() % 100_000;
    const random = seededRandom(seed);
    const label = `seed ${seed}`;
    await withBus(
      { queues: ["q"], lockDurationMs: 2000 },
      async (bus, broker) => {
        const total = 400;
        await bus.sender("q").sendBodies(
          Array.from({ length: total }, (_, i) => i),
        );
        // Two drops at seeded points: a FIN first, then a reset.
        const dropAt = [
          40 + Math.floor(random() * 80),
          200 + Math.floor(random() * 80),
        ];
        const delays = Array.from({ length: total }, () => random() * 4);
        let handled = 0;
        const errors: ProcessErrorInfo[] = [];
        const processor = bus.processMessages({ queueName: "q" }, async (m) => {
          handled++;
          if (handled === dropAt[0]) void broker.disconnect();
          if (handled === dropAt[1]) broker.dropConnections();
          await new Promise((r) => setTimeout(r, delays[m.body as number]));
        }, {
          maxConcurrentCalls: 8,
          settleTimeoutSeconds: 1,
          maxWaitTimeSeconds: 1,
          onError: (info) => errors.push(info),
        });
        try {
          await broker.settled("q", total, 60_000);
        } finally {
          await processor.stop();
        }
        assert.equal(broker.counters.dropped >= 2, true, label);
        assertSettledOnce(broker, "q", total, "completed", label);
        assert.deepEqual(broker.messages("q"), [], label);
        // The processor opened new connections after the drops.
        assert.ok(broker.entityCounters("q").connections >= 3, label);
        for (const info of errors) {
          assert.ok(
            ["receive", "settle", "renewLock", "connect"].includes(
              info.errorSource,
            ),
            `${label}: ${info.errorSource}`,
          );
        }
        assert.equal(processor.stats().errors, errors.length);
        assert.equal(processor.stats().inFlight, 0);
      },
    );
  });

  it("stopping mid-flight waits for running handlers and completes each of their messages once", async () => {
    await withBus({ queues: ["q"] }, async (bus, broker) => {
      await bus.sender("q").sendBodies(
        Array.from({ length: 20 }, (_, i) => i),
      );
      const gate = signal();
      const running = signal();
      let started = 0;
      const processor = bus.processMessages({ queueName: "q" }, async () => {
        if (++started === 4) running.resolve();
        await gate.promise;
      }, { maxConcurrentCalls: 4 });
      await running.promise;
      const stopped = processor.stop({ timeoutSeconds: 30 });
      assert.equal(processor.running, false);
      gate.resolve();
      await stopped;
      assert.equal(started, 4);
      assertSettledOnce(broker, "q", 4, "completed", "stop");
      const left = broker.messages("q");
      assert.equal(left.length, 16);
      assert.ok(left.every((m) => m.state === "available"));
      assert.equal(broker.counters.lockLost, 0);
      assert.equal(processor.stats().completed, 4);
    });
  });

  it("stopping abandons, once each, the messages of handlers that outlast timeoutSeconds", async () => {
    await withBus({ queues: ["q"] }, async (bus, broker) => {
      await bus.sender("q").sendBodies(
        Array.from({ length: 10 }, (_, i) => i),
      );
      const running = signal();
      const contexts: MessageContext[] = [];
      const aborted: boolean[] = [];
      const processor = bus.processMessages(
        { queueName: "q" },
        (_, context) => {
          contexts.push(context);
          if (contexts.length === 3) running.resolve();
          // Never finishes by itself; ends when the stop aborts it.
          return new Promise<void>((resolve) => {
            context.abortSignal.addEventListener("abort", () => {
              aborted.push(true);
              resolve();
            });
          });
        },
        { maxConcurrentCalls: 3 },
      );
      await running.promise;
      await processor.stop({ timeoutSeconds: 0.2 });
      assert.equal(aborted.length, 3);
      assertSettledOnce(broker, "q", 3, "abandoned", "stop timeout");
      for (const context of contexts) {
        assert.equal(context.settled, true);
        await assert.rejects(context.complete(), /settled already/);
      }
      assert.equal(broker.counters.lockLost, 0);
      assert.ok(broker.messages("q").every((m) => m.state === "available"));
      assert.equal(processor.stats().abandoned, 3);
    });
  });

  it("renews the lock of a message whose handler outlasts the lock", async () => {
    await withBus(
      { queues: ["q"], lockDurationMs: 400 },
      async (bus, broker) => {
        await bus.sender("q").sendBody("slow");
        const handled = signal();
        const processor = bus.processMessages({ queueName: "q" }, async () => {
          // Runs until the lock was renewed three times (over three lock
          // durations), checking the broker's counter now and then.
          while (broker.counters.lockRenewals < 3) {
            await new Promise((r) => setTimeout(r, 20));
          }
          handled.resolve();
        });
        try {
          await handled.promise;
          await broker.settled("q", 1);
        } finally {
          await processor.stop();
        }
        assert.equal(broker.counters.deliveries, 1);
        assertSettledOnce(broker, "q", 1, "completed", "renewal");
        assert.equal(broker.counters.lockLost, 0);
      },
    );
  });

  it("a handler that throws abandons its message and reports the error; one that settles itself is not settled again", async () => {
    await withBus({ queues: ["q"] }, async (bus, broker) => {
      await bus.sender("q").sendBodies(["fail-once", "dead", "defer"]);
      const errors: ProcessErrorInfo[] = [];
      const failure = new Error("handler failed");
      let failed = false;
      const processor = bus.processMessages(
        { queueName: "q" },
        async (m, c) => {
          if (m.body === "fail-once" && !failed) {
            failed = true;
            throw failure;
          }
          if (m.body === "dead") {
            await c.deadLetter({ reason: "r", description: "d" });
          }
          if (m.body === "defer") await c.defer();
        },
        { maxConcurrentCalls: 2, onError: (info) => errors.push(info) },
      );
      try {
        // abandon, deadLetter, defer, then the redelivered message's complete
        await broker.settled("q", 4);
      } finally {
        await processor.stop();
      }
      assert.deepEqual(
        errors.map((e) => [e.errorSource, e.error, e.message?.body]),
        [["handler", failure, "fail-once"]],
      );
      const outcomes = broker.settlements("q").map((s) => s.outcome).sort();
      assert.deepEqual(outcomes, [
        "abandoned",
        "completed",
        "deadLettered",
        "deferred",
      ]);
      const [dead] = broker.messages("q/$DeadLetterQueue");
      assert.equal(dead.deadLetterReason, "r");
      assert.equal(dead.deadLetterErrorDescription, "d");
      assert.deepEqual(
        broker.messages("q").map((m) => [m.body, m.state]),
        [["defer", "deferred"]],
      );
      assert.deepEqual(processor.stats(), {
        received: 4,
        completed: 1,
        abandoned: 1,
        deadLettered: 1,
        deferred: 1,
        inFlight: 0,
        errors: 1,
        reconnects: 0,
      });
    });
  });
});
