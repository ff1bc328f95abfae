/**
 * Tests of the AMQP test broker (tests/servers/amqp_broker.ts) through the
 * real `@azure/service-bus` and `@azure/event-hubs` SDKs. Assertions use the
 * broker's counters and stored state, never timing (except lower bounds the
 * broker guarantees, such as "not before the scheduled time").
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import process from "node:process";
import { ServiceBusClient } from "@azure/service-bus";
import {
  earliestEventPosition,
  EventHubConsumerClient,
  EventHubProducerClient,
} from "@azure/event-hubs";
import { startAmqpBroker } from "../src/testing/servers/amqp_broker.ts";
import { withBroker } from "./_broker.ts";

const retryOptions = { maxRetries: 0, timeoutInMs: 5000 };

function fakeCredential(scopes: unknown[] = []) {
  return {
    getToken: (scope: string | string[]) => {
      scopes.push(scope);
      return Promise.resolve({
        token: "t",
        expiresOnTimestamp: Date.now() + 3_600_000,
      });
    },
  };
}

describe("startAmqpBroker", () => {
  it("delivers Service Bus messages once each, with their properties, over one connection", async () => {
    await withBroker({ queues: ["orders"] }, async (broker) => {
      const client = new ServiceBusClient(broker.connectionString(), {
        retryOptions,
      });
      try {
        const sender = client.createSender("orders");
        await sender.sendMessages({
          body: { id: 1 },
          messageId: "m-1",
          contentType: "application/json",
          correlationId: "c-1",
          subject: "created",
          timeToLive: 60_000,
          applicationProperties: { tenant: "t1", attempt: 2 },
        });
        await sender.sendMessages([{ body: "a" }, { body: "b" }, {
          body: "c",
        }]);
        assert.deepEqual(
          broker.messages("orders").map((m) => [m.sequenceNumber, m.body]),
          [[1, { id: 1 }], [2, "a"], [3, "b"], [4, "c"]],
        );
        const receiver = client.createReceiver("orders");
        const received = [];
        while (received.length < 4) {
          received.push(
            ...await receiver.receiveMessages(4 - received.length, {
              maxWaitTimeInMs: 2000,
            }),
          );
        }
        assert.deepEqual(received.map((m) => m.body), [
          { id: 1 },
          "a",
          "b",
          "c",
        ]);
        const first = received[0];
        assert.equal(first.messageId, "m-1");
        assert.equal(first.contentType, "application/json");
        assert.equal(first.correlationId, "c-1");
        assert.equal(first.subject, "created");
        assert.equal(first.timeToLive, 60_000);
        assert.deepEqual(first.applicationProperties, {
          tenant: "t1",
          attempt: 2,
        });
        assert.equal(first.deliveryCount, 0);
        assert.equal(first.sequenceNumber?.toNumber(), 1);
        assert.ok(first.enqueuedTimeUtc instanceof Date);
        assert.ok(first.lockedUntilUtc instanceof Date);
        // The broker assigns message ids the sender left out.
        for (const message of received.slice(1)) {
          assert.equal(typeof message.messageId, "string");
        }
        assert.equal(new Set(received.map((m) => m.lockToken)).size, 4);
        for (const message of received) await receiver.completeMessage(message);
        assert.deepEqual(broker.messages("orders"), []);
        const counters = broker.counters;
        assert.equal(counters.connections, 1);
        assert.equal(counters.senderAttaches, 1);
        assert.equal(counters.receiverAttaches, 1);
        assert.equal(counters.transfers, 2);
        assert.equal(counters.messages, 4);
        assert.equal(counters.completed, 4);
        await receiver.close();
      } finally {
        await client.close();
      }
      await broker.idle();
    });
  });

  it("redelivers an abandoned message and dead-letters a rejected one", async () => {
    await withBroker({ queues: ["jobs"] }, async (broker) => {
      const client = new ServiceBusClient(broker.connectionString(), {
        retryOptions,
      });
      try {
        await client.createSender("jobs").sendMessages([{ body: "retry" }, {
          body: "poison",
        }]);
        const receiver = client.createReceiver("jobs");
        const [retry, poison] = await receiver.receiveMessages(2, {
          maxWaitTimeInMs: 2000,
        });
        await receiver.abandonMessage(retry);
        await receiver.deadLetterMessage(poison, {
          deadLetterReason: "bad",
          deadLetterErrorDescription: "unparseable",
        });
        const [again] = await receiver.receiveMessages(1, {
          maxWaitTimeInMs: 2000,
        });
        assert.equal(again.body, "retry");
        assert.equal(again.deliveryCount, 1);
        assert.equal(again.sequenceNumber?.toNumber(), 1);
        await receiver.completeMessage(again);
        assert.deepEqual(
          broker.messages("jobs/$DeadLetterQueue").map((m) => m.body),
          ["poison"],
        );
        const counters = broker.counters;
        assert.equal(counters.abandoned, 1);
        assert.equal(counters.deadLettered, 1);
        assert.equal(counters.completed, 1);
        await receiver.close();
      } finally {
        await client.close();
      }
    });
  });

  it("holds a scheduled message until its enqueue time and cancels another", async () => {
    await withBroker({ queues: ["later"] }, async (broker) => {
      const client = new ServiceBusClient(broker.connectionString(), {
        retryOptions,
      });
      try {
        const sender = client.createSender("later");
        const at = new Date(Date.now() + 400);
        const [kept] = await sender.scheduleMessages({ body: "kept" }, at);
        const [cancelled] = await sender.scheduleMessages(
          { body: "cancelled" },
          new Date(Date.now() + 60_000),
        );
        assert.deepEqual(
          broker.messages("later").map((m) => [m.body, m.state]),
          [["kept", "scheduled"], ["cancelled", "scheduled"]],
        );
        await sender.cancelScheduledMessages(cancelled);
        assert.deepEqual(broker.messages("later").map((m) => m.body), ["kept"]);
        const receiver = client.createReceiver("later", {
          receiveMode: "receiveAndDelete",
        });
        const received = [];
        while (received.length === 0) {
          received.push(
            ...await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 }),
          );
        }
        // The broker guarantees the lower bound: never visible before `at`.
        assert.ok(Date.now() >= at.getTime());
        assert.equal(received[0].body, "kept");
        assert.equal(received[0].sequenceNumber?.toNumber(), kept.toNumber());
        assert.deepEqual(broker.messages("later"), []);
        await receiver.close();
      } finally {
        await client.close();
      }
    });
  });

  it("renews a lock and settles through $management", async () => {
    await withBroker(
      { queues: ["locks"], lockDurationMs: 60_000 },
      async (broker) => {
        const client = new ServiceBusClient(broker.connectionString(), {
          retryOptions,
        });
        try {
          await client.createSender("locks").sendMessages({ body: "x" });
          const receiver = client.createReceiver("locks");
          const [message] = await receiver.receiveMessages(1, {
            maxWaitTimeInMs: 2000,
          });
          const before = message.lockedUntilUtc!.getTime();
          const renewed = await receiver.renewMessageLock(message);
          assert.ok(renewed.getTime() >= before);
          assert.equal(broker.messages("locks")[0].state, "locked");
          assert.ok(broker.counters.managementRequests >= 1);
          await receiver.completeMessage(message);
          assert.deepEqual(broker.messages("locks"), []);
          await receiver.close();
        } finally {
          await client.close();
        }
      },
    );
  });

  it("answers Event Hubs properties and keeps a partition key on one partition", async () => {
    await withBroker({ eventHubs: { telemetry: 4 } }, async (broker) => {
      const producer = new EventHubProducerClient(
        broker.connectionString("telemetry"),
        { retryOptions },
      );
      try {
        const properties = await producer.getEventHubProperties();
        assert.equal(properties.name, "telemetry");
        assert.deepEqual(properties.partitionIds, ["0", "1", "2", "3"]);
        for (let i = 0; i < 5; i++) {
          await producer.sendBatch([{ body: `k${i}` }], {
            partitionKey: "device-7",
          });
        }
        await producer.sendBatch([{ body: "direct" }], { partitionId: "2" });
        const keyed = broker.events("telemetry").filter((e) =>
          e.partitionKey === "device-7"
        );
        assert.equal(keyed.length, 5);
        assert.equal(new Set(keyed.map((e) => e.partitionId)).size, 1);
        assert.deepEqual(
          broker.events("telemetry", "2").filter((e) => e.body === "direct")
            .length,
          1,
        );
        const partition = await producer.getPartitionProperties(
          keyed[0].partitionId,
        );
        assert.equal(partition.lastEnqueuedSequenceNumber, 4);
        assert.equal(partition.isEmpty, false);
        assert.equal(broker.counters.connections, 1);
      } finally {
        await producer.close();
      }
    });
  });

  it("delivers stored and new events to an Event Hubs consumer", async () => {
    await withBroker({ eventHubs: { hub: 2 } }, async (broker) => {
      const producer = new EventHubProducerClient(
        broker.connectionString("hub"),
        {
          retryOptions,
        },
      );
      const consumer = new EventHubConsumerClient(
        "$Default",
        broker.connectionString("hub"),
        { retryOptions },
      );
      try {
        await producer.sendBatch([{ body: "stored" }], { partitionId: "0" });
        const bodies: unknown[] = [];
        let sentLive = false;
        await new Promise<void>((resolve, reject) => {
          const subscription = consumer.subscribe({
            processEvents: async (events) => {
              for (const event of events) bodies.push(event.body);
              if (bodies.length === 1 && !sentLive) {
                sentLive = true;
                await producer.sendBatch([{ body: "live" }], {
                  partitionId: "1",
                });
              }
              if (bodies.length === 2) {
                await subscription.close();
                resolve();
              }
            },
            processError: (error) => Promise.resolve(reject(error)),
          }, { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 });
        });
        assert.deepEqual(bodies.sort(), ["live", "stored"]);
      } finally {
        await consumer.close();
        await producer.close();
      }
    });
  });

  it("refuses unknown queues and event hubs as MessagingEntityNotFound", async () => {
    await withBroker(
      { queues: ["q"], eventHubs: { hub: 1 } },
      async (broker) => {
        const client = new ServiceBusClient(broker.connectionString(), {
          retryOptions,
        });
        const producer = new EventHubProducerClient(
          broker.connectionString("nohub"),
          { retryOptions },
        );
        try {
          await assert.rejects(
            client.createSender("noqueue").sendMessages({ body: 1 }),
            { code: "MessagingEntityNotFound" },
          );
          await assert.rejects(producer.getEventHubProperties(), {
            code: "MessagingEntityNotFoundError",
          });
          assert.equal(broker.counters.notFound, 1);
        } finally {
          await producer.close();
          await client.close();
        }
      },
    );
  });

  it("rejects transfers over maxMessageSizeBytes and beyond maxQueueLength", async () => {
    await withBroker(
      { queues: ["q"], maxMessageSizeBytes: 1024 },
      async (broker) => {
        const client = new ServiceBusClient(broker.connectionString(), {
          retryOptions,
        });
        try {
          const sender = client.createSender("q");
          await assert.rejects(
            sender.sendMessages({ body: "x".repeat(2000) }),
            {
              code: "MessageSizeExceeded",
            },
          );
          broker.maxQueueLength = 1;
          await sender.sendMessages({ body: "fits" });
          await assert.rejects(sender.sendMessages({ body: "full" }), {
            code: "QuotaExceeded",
          });
          assert.deepEqual(broker.messages("q").map((m) => m.body), ["fits"]);
          assert.equal(broker.counters.rejectedTransfers, 2);
          assert.equal(broker.counters.connections, 1);
        } finally {
          await client.close();
        }
      },
    );
  });

  it("refuses every token when told to, and SAS tokens signed with another key", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const wrongKey = new ServiceBusClient(
        broker.connectionString().replace(
          /SharedAccessKey=[^;]*/,
          "SharedAccessKey=b3RoZXIta2V5",
        ),
        { retryOptions },
      );
      try {
        await assert.rejects(
          wrongKey.createSender("q").createMessageBatch(),
          { code: "UnauthorizedAccess" },
        );
      } finally {
        await wrongKey.close();
      }
      broker.refuseTokens = true;
      const refused = new ServiceBusClient(broker.connectionString(), {
        retryOptions,
      });
      try {
        await assert.rejects(
          refused.createSender("q").createMessageBatch(),
          { code: "UnauthorizedAccess" },
        );
      } finally {
        await refused.close();
      }
      const counters = broker.counters;
      assert.equal(counters.putTokens, 2);
      assert.equal(counters.refusedTokens, 2);
      assert.equal(counters.senderAttaches, 0);
    });
  });

  it("drops open connections on request and serves the reconnect", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const client = new ServiceBusClient(broker.connectionString(), {
        retryOptions: { maxRetries: 0, timeoutInMs: 1000 },
      });
      try {
        const sender = client.createSender("q");
        await sender.sendMessages({ body: "before" });
        assert.equal(broker.dropConnections(), 1);
        await broker.idle();
        assert.equal(broker.counters.openConnections, 0);
        // The SDK reconnects on the next send (it may first fail while it
        // notices the reset: that error is the caller's to see).
        let sent = false;
        for (let attempt = 0; attempt < 3 && !sent; attempt++) {
          try {
            await sender.sendMessages({ body: "after" });
            sent = true;
          } catch {
            // retried below
          }
        }
        assert.ok(sent);
        assert.equal(broker.counters.connections, 2);
        assert.equal(broker.counters.dropped, 1);
        assert.deepEqual(
          broker.messages("q").map((m) => m.body).filter((b) => b === "before"),
          ["before"],
        );
      } finally {
        await client.close();
      }
    });
  });

  it("disconnect() resolves once the client saw the end, so its next send goes out on a new connection", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const client = new ServiceBusClient(broker.connectionString(), {
        retryOptions: { maxRetries: 0, timeoutInMs: 2000 },
      });
      try {
        const sender = client.createSender("q");
        await sender.sendMessages({ body: "before" });
        // Repeated: a reset (dropConnections) makes such sends fail or wait
        // out the SDK's timeout about half of the time.
        for (let i = 0; i < 20; i++) {
          assert.equal(await broker.disconnect(), 1);
          assert.equal(broker.counters.openConnections, 0);
          await sender.sendMessages({ body: i });
        }
        assert.equal(broker.counters.connections, 21);
        assert.equal(broker.counters.dropped, 20);
        assert.equal(broker.messages("q").length, 21);
      } finally {
        await client.close();
      }
    });
  });

  it("refuses only the next refuseNextTokens put-tokens", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const client = new ServiceBusClient(broker.connectionString(), {
        retryOptions,
      });
      try {
        broker.refuseNextTokens = 1;
        await assert.rejects(
          client.createSender("q").createMessageBatch(),
          { code: "UnauthorizedAccess" },
        );
        await client.createSender("q").sendMessages({ body: "accepted" });
        assert.equal(broker.refuseNextTokens, 0);
        assert.equal(broker.counters.refusedTokens, 1);
        assert.throws(() => {
          broker.refuseNextTokens = -1;
        }, RangeError);
      } finally {
        await client.close();
      }
    });
  });

  it("copies what is sent or scheduled to a topic to each subscription", async () => {
    await withBroker(
      { topics: { t: ["a", "b"] }, queues: ["q"] },
      async (broker) => {
        const client = new ServiceBusClient(broker.connectionString(), {
          retryOptions,
        });
        try {
          const sender = client.createSender("t");
          await sender.sendMessages([{ body: 1 }, { body: 2 }]);
          await sender.scheduleMessages(
            { body: "later" },
            new Date(Date.now() + 60_000),
          );
          broker.createTopic("t", ["c"]);
          await sender.sendMessages({ body: 3 });
          for (const name of ["a", "b"]) {
            assert.deepEqual(
              broker.messages(`t/Subscriptions/${name}`).map((m) => [
                m.body,
                m.state,
              ]),
              [[1, "available"], [2, "available"], ["later", "scheduled"], [
                3,
                "available",
              ]],
            );
          }
          assert.deepEqual(
            broker.messages("t/Subscriptions/c").map((m) => m.body),
            [3],
          );
          assert.deepEqual(broker.messages("q"), []);
          assert.throws(() => broker.messages("t"), /name a subscription/);
          // A topic is not a source.
          await assert.rejects(
            client.createReceiver("t").receiveMessages(1, {
              maxWaitTimeInMs: 200,
            }),
            { code: "MessagingEntityNotFound" },
          );
        } finally {
          await client.close();
        }
      },
    );
  });

  it("grants no more deliveries than the receiver's credit, so unreceived messages stay available", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const client = new ServiceBusClient(broker.connectionString(), {
        retryOptions,
      });
      try {
        await client.createSender("q").sendMessages(
          Array.from({ length: 20 }, (_, i) => ({ body: i })),
        );
        const receiver = client.createReceiver("q");
        const received = await receiver.receiveMessages(4, {
          maxWaitTimeInMs: 1000,
        });
        assert.equal(received.length, 4);
        assert.equal(broker.counters.deliveries, 4);
        assert.deepEqual(
          broker.messages("q").map((m) => m.state).filter((s) =>
            s === "locked"
          ),
          ["locked", "locked", "locked", "locked"],
        );
        for (const message of received) await receiver.completeMessage(message);
        await broker.settled("q", 4);
        assert.equal(broker.messages("q").length, 16);
      } finally {
        await client.close();
      }
    });
  });

  it("records dead-letter reasons, serves deferred messages by sequence number, and counts links per entity", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const client = new ServiceBusClient(broker.connectionString(), {
        retryOptions,
      });
      try {
        await client.createSender("q").sendMessages([{ body: "a" }, {
          body: "b",
        }]);
        const receiver = client.createReceiver("q");
        const [a, b] = await receiver.receiveMessages(2, {
          maxWaitTimeInMs: 1000,
        });
        await receiver.deadLetterMessage(a, {
          deadLetterReason: "why",
          deadLetterErrorDescription: "because",
        });
        await receiver.deferMessage(b);
        const [dead] = broker.messages("q/$deadletterqueue");
        assert.equal(dead.deadLetterReason, "why");
        assert.equal(dead.deadLetterErrorDescription, "because");
        const [deferred] = await receiver.receiveDeferredMessages([
          b.sequenceNumber!,
        ]);
        assert.equal(deferred.body, "b");
        // Settled through $management: the lock token was not reordered.
        await receiver.deadLetterMessage(deferred, {
          deadLetterReason: "late",
          deadLetterErrorDescription: "",
        });
        assert.deepEqual(
          broker.messages("q/$DeadLetterQueue").map((m) => [
            m.body,
            m.deadLetterReason,
          ]),
          [["a", "why"], ["b", "late"]],
        );
        assert.deepEqual(
          broker.settlements("q").map((s) => s.outcome),
          ["deadLettered", "deferred", "deadLettered"],
        );
        assert.deepEqual(broker.entityCounters("q"), {
          senderLinks: 1,
          receiverLinks: 1,
          openSenderLinks: 1,
          openReceiverLinks: 1,
          connections: 1,
          duplicatesDropped: 0,
        });
        assert.equal(broker.entityCounters("other").senderLinks, 0);
      } finally {
        await client.close();
      }
    });
  });

  it("locks sessions to one receiver link and keeps their state", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const client = new ServiceBusClient(broker.connectionString(), {
        retryOptions,
      });
      try {
        await client.createSender("q").sendMessages([
          { body: 1, sessionId: "a" },
          { body: 2, sessionId: "b" },
          { body: 3, sessionId: "a" },
          { body: 4 },
        ]);
        const a = await client.acceptSession("q", "a");
        assert.equal(a.sessionId, "a");
        await assert.rejects(client.acceptSession("q", "a"), {
          code: "SessionCannotBeLocked",
        });
        const got = await a.receiveMessages(5, { maxWaitTimeInMs: 300 });
        assert.deepEqual(got.map((m) => m.body), [1, 3]);
        for (const message of got) await a.completeMessage(message);
        await a.setSessionState("s1");
        assert.equal(await a.getSessionState(), "s1");
        assert.equal(
          Buffer.from(broker.sessionState("q", "a")!).toString(),
          '"s1"',
        );
        await a.renewSessionLock();
        const next = await client.acceptNextSession("q");
        assert.equal(next.sessionId, "b");
        const [two] = await next.receiveMessages(5, { maxWaitTimeInMs: 300 });
        assert.equal(two.body, 2);
        await next.close();
        await a.close();
        // b's message went back when its receiver closed; no plain receiver
        // gets a session's message.
        const plain = client.createReceiver("q");
        const rest = await plain.receiveMessages(5, { maxWaitTimeInMs: 300 });
        assert.deepEqual(rest.map((m) => m.body), [4]);
        assert.equal(broker.counters.sessionsAccepted, 2);
        assert.equal(broker.counters.sessionLockRenewals, 1);
        assert.equal(broker.messages("q")[0].sessionId, "b");
      } finally {
        await client.close();
      }
    });
  });

  it("ends a session receiver's link when its session lock expires", async () => {
    await withBroker({ queues: ["q"], lockDurationMs: 200 }, async (broker) => {
      const client = new ServiceBusClient(broker.connectionString(), {
        retryOptions,
      });
      try {
        await client.createSender("q").sendMessages({
          body: 1,
          sessionId: "a",
        });
        // No automatic renewal: the lock runs out.
        const a = await client.acceptSession("q", "a", {
          maxAutoLockRenewalDurationInMs: 0,
        });
        // Taken again as soon as the broker let the first lock go.
        const second = await new Promise<string>((resolve) => {
          const retry = () =>
            client.acceptSession("q", "a", {
              maxAutoLockRenewalDurationInMs: 0,
            }).then(
              (receiver) => resolve(receiver.sessionId),
              () => setTimeout(retry, 50),
            );
          retry();
        });
        assert.equal(second, "a");
        assert.equal(broker.counters.sessionsAccepted, 2);
        await a.close();
      } finally {
        await client.close();
      }
    });
  });

  it("serves a new connection only after handshakeDelayMs", async () => {
    await withBroker(
      { queues: ["q"], handshakeDelayMs: 150 },
      async (broker) => {
        const client = new ServiceBusClient(broker.connectionString(), {
          retryOptions,
        });
        try {
          const started = Date.now();
          await client.createSender("q").sendMessages({ body: 1 });
          assert.ok(Date.now() - started >= 150);
          assert.equal(broker.handshakeDelayMs, 150);
          assert.throws(() => (broker.handshakeDelayMs = -1), RangeError);
        } finally {
          await client.close();
        }
      },
    );
  });

  it("serves TLS on localhost to the TokenCredential constructors", async () => {
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    try {
      await withBroker(
        { queues: ["q"], eventHubs: { hub: 2 }, tls: true },
        async (broker) => {
          assert.match(broker.fullyQualifiedNamespace, /^localhost:\d+$/);
          const scopes: unknown[] = [];
          const client = new ServiceBusClient(
            broker.fullyQualifiedNamespace,
            fakeCredential(scopes),
            { retryOptions },
          );
          const producer = new EventHubProducerClient(
            broker.fullyQualifiedNamespace,
            "hub",
            fakeCredential(scopes),
            { retryOptions },
          );
          try {
            await client.createSender("q").sendMessages({ body: "over tls" });
            const properties = await producer.getEventHubProperties();
            assert.deepEqual(properties.partitionIds, ["0", "1"]);
          } finally {
            await producer.close();
            await client.close();
          }
          assert.deepEqual(broker.messages("q").map((m) => m.body), [
            "over tls",
          ]);
          assert.ok(scopes.length >= 2);
          assert.equal(broker.counters.connections, 2);
        },
      );
    } finally {
      if (previous === undefined) {
        delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      } else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
    }
  });

  it("stop() closes the connections clients still hold", async () => {
    const broker = await startAmqpBroker({ queues: ["q"] });
    // A raw socket: the SDKs' own close() can hang when the connection
    // drops during it, which is not what this test is about.
    const socket = net.connect(broker.port, "127.0.0.1");
    const closed = new Promise<void>((resolve) =>
      socket.once("close", () => resolve())
    );
    socket.on("error", () => {});
    try {
      // The broker answers an AMQP SASL header: it has accepted the socket.
      const answered = new Promise<void>((resolve) =>
        socket.once("data", () => resolve())
      );
      socket.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]));
      await answered;
      assert.equal(broker.counters.openConnections, 1);
      await broker.stop();
      await closed;
      assert.equal(broker.counters.openConnections, 0);
    } finally {
      socket.destroy();
      await broker.stop();
    }
  });
});
