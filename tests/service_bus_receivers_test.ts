/**
 * `ManagedServiceBus` receivers (queues, subscriptions, dead-letter queues,
 * deferred messages) and session receivers, through the real
 * `@azure/service-bus` SDK against the local AMQP broker. Outcomes are read
 * from the broker's stored messages and settlements.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ServiceBusError } from "@azure/service-bus";
import { ManagedServiceBus } from "../src/service_bus/mod.ts";
import { ConnectionLost, OperationTimeout } from "../src/pool/errors.ts";
import {
  type AmqpBroker,
  type AmqpBrokerOptions,
  startAmqpBroker,
} from "../src/testing/servers/amqp_broker.ts";
import { seededRandom } from "./_seeded.ts";

const clientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 2000 } };

async function withBus(
  options: AmqpBrokerOptions,
  fn: (bus: ManagedServiceBus, broker: AmqpBroker) => Promise<void>,
): Promise<void> {
  const broker = await startAmqpBroker(options);
  const bus = new ManagedServiceBus({
    connectionString: broker.connectionString(),
    clientOptions,
    closeTimeoutSeconds: 1,
  });
  try {
    await fn(bus, broker);
  } finally {
    await bus.close();
    await broker.stop();
  }
}

describe("ManagedServiceBus receivers", () => {
  it("end a receive by maxWaitTimeSeconds and a second, even when the connection hangs", async () => {
    await withBus({ queues: ["q"] }, async (bus, broker) => {
      await using receiver = await bus.receiver({ queueName: "q" });
      // An empty receive opens the link: the receiver's first answer.
      assert.deepEqual(
        await receiver.receive(1, { maxWaitTimeSeconds: 0.2 }),
        [],
      );
      // The connection drops and every new one hangs in its handshake.
      broker.handshakeDelayMs = 60_000;
      broker.dropConnections();
      for (
        const [wait, receive] of [
          [1, () => receiver.receive(1, { maxWaitTimeSeconds: 1 })],
          [1, () => receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 })],
        ] as const
      ) {
        const started = performance.now();
        const outcome = await receive().then(
          (messages) => messages,
          (error: unknown) => error,
        );
        const ms = performance.now() - started;
        assert.ok(
          ms < (wait + 1) * 1000 + 500,
          `settled after ${Math.round(ms)} ms`,
        );
        // Nothing arrived in time, or the bound or the lost connection
        // ended it, named.
        assert.ok(
          Array.isArray(outcome) || outcome instanceof OperationTimeout ||
            outcome instanceof ConnectionLost,
          String(outcome),
        );
      }
      broker.handshakeDelayMs = 0;
    });
  });

  it("dead-lettered messages are readable from the dead-letter queue with their reason and description", async () => {
    await withBus({
      queues: ["q"],
      topics: { t: ["s"] },
    }, async (bus, broker) => {
      await bus.sender("q").sendBodies(["a", "b", "c"]);
      await bus.sender("t").sendBody("d");
      {
        await using receiver = await bus.receiver({ queueName: "q" }, {
          maxWaitTimeSeconds: 1,
        });
        const messages = await receiver.receive(3);
        assert.equal(messages.length, 3);
        await receiver.deadLetter(messages[0], {
          reason: "bad-input",
          description: "no order id",
        });
        await receiver.deadLetter(messages[1]);
        await receiver.complete(messages[2]);
      }
      {
        await using receiver = await bus.receiver({
          topicName: "t",
          subscriptionName: "s",
        }, { maxWaitTimeSeconds: 1 });
        const [message] = await receiver.receive(1);
        await receiver.deadLetter(message, { reason: "late" });
      }
      // The stored copies carry the properties, as the service sets them.
      const [stored] = broker.messages("q/$deadletterqueue");
      assert.equal(stored.deadLetterReason, "bad-input");
      assert.equal(
        stored.applicationProperties.DeadLetterErrorDescription,
        "no order id",
      );
      await using dead = await bus.receiver(
        { queueName: "q/$DeadLetterQueue" },
        { maxWaitTimeSeconds: 1 },
      );
      const received = await dead.receive(5);
      assert.deepEqual(
        received.map((m) => [
          m.body,
          m.deadLetterReason,
          m.deadLetterErrorDescription,
        ]),
        [["a", "bad-input", "no order id"], ["b", "", ""]],
      );
      for (const message of received) await dead.complete(message);
      assert.deepEqual(broker.messages("q"), []);
      assert.deepEqual(broker.messages("q/$DeadLetterQueue"), []);
      await using subscriptionDead = await bus.receiver(
        { queueName: "t/Subscriptions/s/$DeadLetterQueue" },
        { maxWaitTimeSeconds: 1 },
      );
      const [late] = await subscriptionDead.receive(1);
      assert.equal(late.body, "d");
      assert.equal(late.deadLetterReason, "late");
      await subscriptionDead.complete(late);
    });
  });

  it("a deferred message is received again by its sequence number, locked, and completed once", async () => {
    await withBus({ queues: ["q"] }, async (bus, broker) => {
      await bus.sender("q").sendBodies(["later", "now"]);
      await using receiver = await bus.receiver({ queueName: "q" }, {
        maxWaitTimeSeconds: 1,
      });
      const [later, now] = await receiver.receive(2);
      await receiver.defer(later);
      await receiver.complete(now);
      assert.deepEqual(
        broker.messages("q").map((m) => [m.body, m.state]),
        [["later", "deferred"]],
      );
      // Deferred messages are out of normal delivery.
      assert.deepEqual(
        await receiver.receive(1, { maxWaitTimeSeconds: 0.2 }),
        [],
      );
      const [again] = await receiver.receiveDeferredMessages([
        later.sequenceNumber,
      ]);
      assert.equal(again.body, "later");
      assert.equal(broker.messages("q")[0].state, "locked");
      // An abandoned deferred message stays deferred.
      await receiver.abandon(again);
      assert.equal(broker.messages("q")[0].state, "deferred");
      const [third] = await receiver.receiveDeferredMessages([
        later.sequenceNumber,
      ]);
      await receiver.complete(third);
      assert.deepEqual(broker.messages("q"), []);
      await assert.rejects(
        receiver.receiveDeferredMessages([later.sequenceNumber]),
        (error: ServiceBusError) => error.code === "MessageNotFound",
      );
      assert.deepEqual(
        broker.settlements("q").map((s) => [s.sequenceNumber, s.outcome]),
        [[1, "deferred"], [2, "completed"], [1, "abandoned"], [
          1,
          "completed",
        ]],
      );
    });
  });

  it("a session receiver gets only its session's messages, in order, whatever the interleaving", async () => {
    const seed = Date.now() % 100_000;
    const random = seededRandom(seed);
    await withBus({ queues: ["q"], topics: { t: ["s"] } }, async (bus) => {
      // A seeded interleaving of three sessions' messages.
      const sessions = ["s1", "s2", "s3"];
      const sent: Record<string, number[]> = { s1: [], s2: [], s3: [] };
      const bodies: [string, number][] = [];
      for (let i = 0; i < 60; i++) {
        const session = sessions[Math.floor(random() * sessions.length)];
        sent[session].push(i);
        bodies.push([session, i]);
      }
      for (const entity of ["q", "t"]) {
        for (const [sessionId, i] of bodies) {
          await bus.sender(entity).sendBody(i, { sessionId });
        }
      }
      for (
        const source of [{ queueName: "q" }, {
          topicName: "t",
          subscriptionName: "s",
        }]
      ) {
        for (const sessionId of ["s2", "s1"]) {
          await using session = await bus.acceptSession(source, sessionId, {
            maxWaitTimeSeconds: 0.5,
          });
          assert.equal(session.sessionId, sessionId);
          assert.ok(session.sessionLockedUntilUtc! > new Date());
          const got: number[] = [];
          for (;;) {
            const batch = await session.receive(7);
            if (batch.length === 0) break;
            for (const message of batch) {
              assert.equal(message.sessionId, sessionId, `seed ${seed}`);
              got.push(message.body as number);
              await session.complete(message);
            }
          }
          assert.deepEqual(got, sent[sessionId], `seed ${seed}`);
        }
        // The next session with messages is the one left.
        await using next = await bus.acceptNextSession(source, {
          maxWaitTimeSeconds: 0.5,
        });
        assert.equal(next.sessionId, "s3", `seed ${seed}`);
        const rest = await next.receive(100);
        assert.deepEqual(rest.map((m) => m.body), sent.s3, `seed ${seed}`);
        for (const message of rest) await next.complete(message);
      }
    });
  });

  it("a session is held by one receiver at a time; its state and lock are kept through $management", async () => {
    await withBus({ queues: ["q"] }, async (bus, broker) => {
      await bus.sender("q").sendBody("x", { sessionId: "cart" });
      const first = await bus.acceptSession({ queueName: "q" }, "cart", {
        maxWaitTimeSeconds: 0.5,
      });
      try {
        await assert.rejects(
          bus.acceptSession({ queueName: "q" }, "cart"),
          (error: ServiceBusError) => error.code === "SessionCannotBeLocked",
        );
        assert.equal(await first.getSessionState(), null);
        await first.setSessionState({ step: 2, items: ["milk"] });
        assert.deepEqual(await first.getSessionState(), {
          step: 2,
          items: ["milk"],
        });
        const before = first.sessionLockedUntilUtc!.getTime();
        const renewed = await first.renewSessionLock();
        assert.ok(renewed.getTime() >= before);
        assert.equal(broker.counters.sessionLockRenewals >= 1, true);
        // Not settled: the message goes back when the session is released.
        const [message] = await first.receive(1);
        assert.equal(message.body, "x");
      } finally {
        await first.close();
      }
      assert.equal(broker.messages("q")[0].state, "available");
      await using second = await bus.acceptSession({ queueName: "q" }, "cart", {
        maxWaitTimeSeconds: 0.5,
      });
      assert.deepEqual(await second.getSessionState(), {
        step: 2,
        items: ["milk"],
      });
      const [again] = await second.receive(1);
      assert.equal(again.deliveryCount, 1);
      await second.complete(again);
      await assert.rejects(
        bus.acceptNextSession({ queueName: "q" }),
        (error: ServiceBusError) => error.code === "ServiceTimeout",
      );
    });
  });

  it("close() closes the receivers and session receivers it opened", async () => {
    const broker = await startAmqpBroker({ queues: ["q"] });
    try {
      const bus = new ManagedServiceBus({
        connectionString: broker.connectionString(),
        clientOptions,
      });
      await bus.sender("q").sendBody("s", { sessionId: "a" });
      const receiver = await bus.receiver({ queueName: "q" });
      // Its link (and connection) opens with the first receive.
      assert.deepEqual(
        await receiver.receive(1, { maxWaitTimeSeconds: 0.1 }),
        [],
      );
      const session = await bus.acceptSession({ queueName: "q" }, "a");
      // The pool's connection, and one of each receiver's own.
      assert.equal(broker.counters.openConnections, 3);
      assert.equal(broker.counters.connections, 3);
      await bus.close();
      assert.equal(receiver.closed, true);
      assert.equal(session.closed, true);
      await broker.idle();
      await assert.rejects(
        bus.receiver({ queueName: "q" }),
        /ManagedServiceBus for 127\.0\.0\.1:\d+ is closed/,
      );
    } finally {
      await broker.stop();
    }
  });
});
