/**
 * Topics on every Service Bus client (`ManagedServiceBusSender`,
 * `ServiceBus`, `ManagedServiceBus`), through the real `@azure/service-bus`
 * SDK against the local AMQP broker, and the options that name an entity.
 * Fan-out is proven with the broker's stored messages and settlements.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ManagedServiceBus,
  ManagedServiceBusSender,
  ServiceBus,
  ServiceBusSenderConnector,
} from "../src/service_bus/mod.ts";
import {
  type AmqpBroker,
  startAmqpBroker,
} from "../src/testing/servers/amqp_broker.ts";

const clientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 2000 } };
const KEY = "dGVzdC1icm9rZXIta2V5";
const CONNECTION_STRING =
  `Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=${KEY};UseDevelopmentEmulator=true`;

async function withBroker(
  fn: (broker: AmqpBroker) => Promise<void>,
): Promise<void> {
  const broker = await startAmqpBroker({
    queues: ["q"],
    topics: { events: ["billing", "audit"] },
    maxMessageSizeBytes: 4096,
  });
  try {
    await fn(broker);
  } finally {
    await broker.stop();
  }
}

/** The three ways to send to a topic, each with the same two operations. */
function topicSenders(broker: AmqpBroker) {
  const connectionString = broker.connectionString();
  const sender = new ManagedServiceBusSender({
    connectionString,
    topicName: "events",
    clientOptions,
    closeTimeoutSeconds: 1,
  });
  const bus = new ServiceBus({
    connectionString,
    topicName: "events",
    clientOptions,
    closeTimeoutSeconds: 1,
  });
  const namespace = new ManagedServiceBus({
    connectionString,
    clientOptions,
    closeTimeoutSeconds: 1,
  });
  return {
    cases: [
      ["ManagedServiceBusSender", sender],
      ["ServiceBus", bus],
      ["ManagedServiceBus.sender", namespace.sender("events")],
    ] as const,
    close: () => Promise.all([sender.close(), bus.close(), namespace.close()]),
  };
}

describe("Topics", () => {
  it("every sender's messages reach both subscriptions exactly once, with their properties", async () => {
    await withBroker(async (broker) => {
      const { cases, close } = topicSenders(broker);
      try {
        for (const [name, sender] of cases) {
          await sender.sendBody({ from: name }, {
            messageId: `${name}-1`,
            subject: "created",
            correlationId: "c-1",
            applicationProperties: { tenant: "t1" },
          });
          await sender.sendBodies([`${name}-a`, `${name}-b`]);
        }
        for (const subscription of ["billing", "audit"]) {
          const path = `events/Subscriptions/${subscription}`;
          const stored = broker.messages(path);
          assert.deepEqual(
            stored.map((m) => m.body),
            cases.flatMap((
              [name],
            ) => [{ from: name }, `${name}-a`, `${name}-b`]),
            path,
          );
          for (const [name] of cases) {
            const first = stored.find((m) => m.messageId === `${name}-1`)!;
            assert.equal(first.message.subject, "created");
            assert.equal(first.message.correlation_id, "c-1");
            assert.deepEqual(first.applicationProperties, { tenant: "t1" });
          }
        }
        // Each copy is received and completed once, on each subscription.
        const reader = new ManagedServiceBus({
          connectionString: broker.connectionString(),
          clientOptions,
        });
        try {
          for (const subscriptionName of ["billing", "audit"]) {
            await using receiver = await reader.receiver({
              topicName: "events",
              subscriptionName,
            }, { maxWaitTimeSeconds: 1 });
            const seen: unknown[] = [];
            while (seen.length < 9) {
              const batch = await receiver.receive(9);
              assert.ok(batch.length > 0, `${subscriptionName} stalled`);
              for (const message of batch) {
                seen.push(message.body);
                await receiver.complete(message);
              }
            }
            const path = `events/Subscriptions/${subscriptionName}`;
            assert.deepEqual(broker.messages(path), []);
            const settlements = broker.settlements(path);
            assert.equal(settlements.length, 9);
            assert.equal(
              new Set(settlements.map((s) => s.sequenceNumber)).size,
              9,
            );
          }
        } finally {
          await reader.close();
        }
      } finally {
        await close();
      }
    });
  });

  it("every sender schedules to a topic with delaySeconds, one scheduled copy per subscription", async () => {
    await withBroker(async (broker) => {
      const { cases, close } = topicSenders(broker);
      try {
        const before = Date.now();
        for (const [name, sender] of cases) {
          await sender.sendBody(name, { delaySeconds: 60 });
        }
        const after = Date.now();
        for (const subscription of ["billing", "audit"]) {
          const stored = broker.messages(
            `events/Subscriptions/${subscription}`,
          );
          assert.deepEqual(stored.map((m) => m.body), cases.map(([n]) => n));
          for (const message of stored) {
            assert.equal(message.state, "scheduled");
            const at = message.scheduledEnqueueTimeUtc!.getTime();
            assert.ok(at >= before + 60_000 - 1 && at <= after + 60_000 + 1);
          }
        }
      } finally {
        await close();
      }
    });
  });

  it("every sender packs sendMessages to a topic into as few batches as the size limit allows", async () => {
    await withBroker(async (broker) => {
      const { cases, close } = topicSenders(broker);
      try {
        const bodies = Array.from(
          { length: 20 },
          (_, i) => `${i}`.padEnd(600, "."),
        );
        for (const [name, sender] of cases) {
          const transfersBefore = broker.counters.transfers;
          await sender.sendBodies(bodies);
          const batches = broker.counters.transfers - transfersBefore;
          assert.ok(batches >= 3 && batches < 20, `${name}: ${batches}`);
        }
        for (const subscription of ["billing", "audit"]) {
          assert.deepEqual(
            broker.messages(`events/Subscriptions/${subscription}`).map((m) =>
              m.body
            ),
            [...bodies, ...bodies, ...bodies],
          );
        }
      } finally {
        await close();
      }
    });
  });

  it("a ServiceBus for a topic receives from the subscription it names", async () => {
    await withBroker(async (broker) => {
      const bus = new ServiceBus({
        connectionString: broker.connectionString(),
        topicName: "events",
        clientOptions,
      });
      try {
        assert.equal(bus.entityName, "events");
        await bus.sendBody("hello");
        await assert.rejects(bus.receiver(), /'subscriptionName' is missing/);
        await using receiver = await bus.receiver({
          subscriptionName: "audit",
          maxWaitTimeSeconds: 1,
        });
        const [message] = await receiver.receive(1);
        assert.equal(message.body, "hello");
        await receiver.complete(message);
        assert.deepEqual(broker.messages("events/Subscriptions/audit"), []);
        assert.equal(broker.messages("events/Subscriptions/billing").length, 1);
      } finally {
        await bus.close();
      }
    });
  });
});

describe("Entity options", () => {
  const classes: [string, (options: Record<string, unknown>) => unknown][] = [
    ["ManagedServiceBusSender", (o) => new ManagedServiceBusSender(o)],
    ["ServiceBus", (o) => new ServiceBus(o)],
    ["ServiceBusSenderConnector", (o) => new ServiceBusSenderConnector(o)],
  ];

  it("queueName and topicName together are a TypeError naming both", () => {
    for (const [name, make] of classes) {
      assert.throws(
        () =>
          make({
            connectionString: CONNECTION_STRING,
            queueName: "q",
            topicName: "t",
          }),
        (error: Error) => {
          assert.ok(error instanceof TypeError, name);
          assert.equal(
            error.message,
            `Cannot create ${name} as 'queueName' and 'topicName' are both given: give exactly one`,
          );
          return true;
        },
      );
    }
  });

  it("neither queueName nor topicName is a TypeError naming both, unless the connection string has EntityPath", () => {
    for (const [name, make] of classes) {
      assert.throws(
        () => make({ connectionString: CONNECTION_STRING }),
        (error: Error) => {
          assert.ok(error instanceof TypeError, name);
          assert.match(
            error.message,
            new RegExp(
              `^Cannot create ${name} as neither 'queueName' nor 'topicName' is given`,
            ),
          );
          assert.doesNotMatch(error.message, new RegExp(KEY));
          return true;
        },
      );
      assert.throws(
        () =>
          make({
            namespace: "myns.servicebus.windows.net",
            credential: { getToken: () => Promise.resolve(null) },
          }),
        /neither 'queueName' nor 'topicName' is given/,
      );
      make({ connectionString: `${CONNECTION_STRING};EntityPath=events` });
      make({ connectionString: CONNECTION_STRING, topicName: "events" });
    }
  });

  it("an unknown key is a TypeError listing topicName among the known ones", () => {
    for (const [name, make] of classes) {
      assert.throws(
        () =>
          make({ connectionString: CONNECTION_STRING, topicname: "events" }),
        (error: Error) => {
          assert.ok(error instanceof TypeError, name);
          assert.match(
            error.message,
            new RegExp(
              `^Cannot create ${name} as 'topicname' is not an option \\(did you mean 'topicName'\\?\\)`,
            ),
          );
          return true;
        },
      );
    }
  });

  it("ManagedServiceBus refuses an entity option and unknown keys by name", () => {
    for (const key of ["queueName", "topicName"]) {
      assert.throws(
        () =>
          new ManagedServiceBus({
            connectionString: CONNECTION_STRING,
            [key]: "x",
          } as never),
        new RegExp(
          `Cannot create ManagedServiceBus as '${key}' is not an option: it serves every entity`,
        ),
      );
    }
    assert.throws(
      () =>
        new ManagedServiceBus({
          connectionString: CONNECTION_STRING,
          maxsize: 3,
        } as never),
      /Cannot create ManagedServiceBus as 'maxsize' is not an option \(did you mean 'maxSize'\?\)/,
    );
    assert.throws(
      () =>
        new ManagedServiceBus({
          connectionString: CONNECTION_STRING,
          clientLimit: 0,
        }),
      (error: Error) =>
        error instanceof RangeError &&
        /^Cannot create ManagedServiceBus as 'clientLimit'/.test(error.message),
    );
    const bus = new ManagedServiceBus({
      connectionString: `${CONNECTION_STRING};EntityPath=q`,
    });
    assert.throws(() => bus.sender(""), /'entityName' must be a non-empty/);
    assert.equal(bus.sender("a"), bus.sender("a"));
  });

  it("receivers and processors check their source by name", async () => {
    const bus = new ManagedServiceBus({ connectionString: CONNECTION_STRING });
    try {
      const cases: [unknown, RegExp][] = [
        [{ queueName: "q", topicName: "t" }, /'queueName' and 'topicName'/],
        [{}, /neither 'queueName' nor 'topicName'/],
        [{ topicName: "t" }, /'subscriptionName' must be a non-empty string/],
        [
          { queueName: "q", subscriptionName: "s" },
          /'subscriptionName' goes with 'topicName'/,
        ],
        [{ queue: "q" }, /'queue' is not an option/],
        ["q", /its source must be/],
      ];
      for (const [source, pattern] of cases) {
        await assert.rejects(
          bus.receiver(source as never),
          (e: Error) => e instanceof TypeError && pattern.test(e.message),
        );
        await assert.rejects(
          bus.acceptNextSession(source as never),
          (e: Error) => e instanceof TypeError && pattern.test(e.message),
        );
        assert.throws(
          () => bus.processMessages(source as never, () => {}),
          (e: Error) => e instanceof TypeError && pattern.test(e.message),
        );
      }
      assert.throws(
        () =>
          bus.processMessages({ queueName: "q" }, () => {}, {
            maxConcurrentCall: 2,
          } as never),
        /'maxConcurrentCall' is not an option \(did you mean 'maxConcurrentCalls'\?\)/,
      );
      assert.throws(
        () =>
          bus.processMessages({ queueName: "q" }, () => {}, {
            maxConcurrentCalls: 0,
          }),
        RangeError,
      );
      await assert.rejects(
        bus.receiver({ queueName: "q" }, { maxMessage: 2 } as never),
        /'maxMessage' is not an option \(did you mean 'maxMessages'\?\)/,
      );
    } finally {
      await bus.close();
    }
  });
});
