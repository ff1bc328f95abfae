/**
 * Tests of src/clients/service_bus.ts through the real `@azure/service-bus`
 * SDK against the local AMQP broker (tests/servers/amqp_broker.ts). Reuse,
 * recycling and recovery are proven with the broker's counters and the pool's
 * stats, never with timing.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { ServiceBusError } from "@azure/service-bus";
import {
  isServiceBusConnectionError,
  ManagedServiceBusSender,
  type ManagedServiceBusSenderOptions,
  ServiceBus,
} from "../src/service_bus/mod.ts";
import {
  AuthenticationFailed,
  ConnectionFailed,
  PoolClosed,
} from "../src/pool/errors.ts";
import type { AmqpBroker } from "../src/testing/servers/amqp_broker.ts";
import { withBroker } from "./_broker.ts";

const clientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 2000 } };
const KEY = "dGVzdC1icm9rZXIta2V5";

function managed(
  broker: AmqpBroker,
  options: Partial<ManagedServiceBusSenderOptions> = {},
): ManagedServiceBusSender {
  return new ManagedServiceBusSender({
    connectionString: broker.connectionString(),
    queueName: "q",
    clientOptions,
    closeTimeoutSeconds: 1,
    ...options,
  });
}

function fakeCredential(log: string[] = []) {
  return {
    getToken: () => {
      log.push("getToken");
      return Promise.resolve({
        token: "t",
        expiresOnTimestamp: Date.now() + 3_600_000,
      });
    },
    close: () => {
      log.push("close");
      return Promise.resolve();
    },
  };
}

describe("ManagedServiceBusSender", () => {
  it("checks its options at construction and never echoes a key", () => {
    const connectionString =
      `Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=${KEY};UseDevelopmentEmulator=true`;
    const cases: [Record<string, unknown>, RegExp, ErrorConstructor][] = [
      [{ queueName: "q" }, /no credential was given/, TypeError],
      [
        { connectionString, credential: fakeCredential(), queueName: "q" },
        /only one of/,
        TypeError,
      ],
      [
        {
          namespace: connectionString,
          credential: fakeCredential(),
          queueName: "q",
        },
        /'namespace' must be a host name/,
        TypeError,
      ],
      [
        {
          connectionString: "Endpoint=sb://h/;SharedAccessKey=" + KEY,
          queueName: "q",
        },
        /lacks SharedAccessKeyName/,
        TypeError,
      ],
      [
        { connectionString },
        /neither 'queueName' nor 'topicName' is given/,
        TypeError,
      ],
      [
        {
          connectionString: connectionString + ";EntityPath=a",
          queueName: "b",
        },
        /differs from the connection string's EntityPath/,
        TypeError,
      ],
      [
        { connectionString, queueName: "q", credentialFactory: "no" },
        /only one of/,
        TypeError,
      ],
      [
        { connectionString, queueName: "q", clientLimit: 0 },
        /clientLimit/,
        RangeError,
      ],
      [
        { connectionString, queueName: "q", maxIdleSeconds: -1 },
        /maxIdleSeconds/,
        RangeError,
      ],
      [
        { connectionString, queueName: "q", closeTimeoutSeconds: 0 },
        /closeTimeoutSeconds/,
        RangeError,
      ],
    ];
    for (const [options, pattern, type] of cases) {
      assert.throws(
        () => new ManagedServiceBusSender(options as never),
        (error: Error) => {
          assert.ok(error instanceof type, `${error.name}: ${error.message}`);
          assert.match(error.message, pattern);
          assert.doesNotMatch(error.message, new RegExp(KEY));
          return true;
        },
      );
    }
  });

  it("opens the sender link on readiness without writing to the queue", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const sender = managed(broker);
      try {
        assert.equal(await sender.pool.warm(1), 1);
        const counters = broker.counters;
        assert.equal(counters.connections, 1);
        assert.equal(counters.senderAttaches, 1);
        assert.equal(counters.transfers, 0);
        assert.deepEqual(broker.messages("q"), []);
      } finally {
        await sender.close();
      }
    });
  });

  it("sends a message with its properties, received once by the peek-lock helper", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const sender = managed(broker);
      const bus = new ServiceBus({
        connectionString: broker.connectionString(),
        queueName: "q",
        clientOptions,
      });
      try {
        await sender.sendBody({ order: 17 }, {
          messageId: "order-17",
          contentType: "application/json",
          correlationId: "corr-1",
          subject: "created",
          timeToLiveSeconds: 90,
          applicationProperties: { tenant: "t1", attempt: 3 },
        });
        await using receiver = await bus.receiver({ maxWaitTimeSeconds: 2 });
        const [message] = await receiver.receive(1);
        assert.deepEqual(message.body, { order: 17 });
        assert.equal(message.messageId, "order-17");
        assert.equal(message.contentType, "application/json");
        assert.equal(message.correlationId, "corr-1");
        assert.equal(message.subject, "created");
        assert.equal(message.timeToLive, 90_000);
        assert.deepEqual(message.applicationProperties, {
          tenant: "t1",
          attempt: 3,
        });
        await receiver.complete(message);
        assert.deepEqual(broker.messages("q"), []);
      } finally {
        await bus.close();
        await sender.close();
      }
    });
  });

  it("schedules a message when delaySeconds is set", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const sender = managed(broker);
      try {
        const before = Date.now();
        await sender.sendBody("later", { delaySeconds: 30 });
        const after = Date.now();
        const [stored] = broker.messages("q");
        assert.equal(stored.state, "scheduled");
        const at = stored.scheduledEnqueueTimeUtc!.getTime();
        assert.ok(at >= before + 30_000 - 1 && at <= after + 30_000 + 1);
        await assert.rejects(
          sender.sendBody("x", { delaySeconds: -1 }),
          RangeError,
        );
      } finally {
        await sender.close();
      }
    });
  });

  it("packs sendMessages into as few batches as the size limit allows", async () => {
    await withBroker(
      { queues: ["q"], maxMessageSizeBytes: 4096 },
      async (broker) => {
        const sender = managed(broker);
        try {
          const bodies = Array.from(
            { length: 20 },
            (_, i) => `${i}`.padEnd(600, "."),
          );
          const transfersBefore = broker.counters.transfers;
          await sender.sendBodies(bodies);
          const batches = broker.counters.transfers - transfersBefore;
          assert.ok(batches >= 3 && batches < 20, `${batches} batches`);
          assert.deepEqual(broker.messages("q").map((m) => m.body), bodies);
          // A message that fits no batch: a message-level error, the client stays.
          await assert.rejects(
            sender.sendBodies(["x".repeat(5000)]),
            (error: ServiceBusError) => error.code === "MessageSizeExceeded",
          );
          const transfers = broker.counters.transfers;
          await sender.sendBodies([]);
          assert.equal(broker.counters.transfers, transfers, "nothing sent");
          const stats = sender.pool.stats();
          assert.equal(stats.connectionsCreated, 1);
          assert.equal(stats.connectionsClosed, 0);
        } finally {
          await sender.close();
        }
      },
    );
  });

  it("serves 2,000 concurrent sends over at most maxSize connections, each message stored and received once", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const sender = managed(broker, { maxSize: 3, clientLimit: 100 });
      const bus = new ServiceBus({
        connectionString: broker.connectionString(),
        queueName: "q",
        clientOptions,
      });
      try {
        await Promise.all(
          Array.from({ length: 2000 }, (_, i) =>
            sender.sendBody({ i }, {
              messageId: `m-${i}`,
              applicationProperties: { i },
            })),
        );
        assert.ok(
          broker.counters.connections <= 3,
          JSON.stringify([broker.counters, sender.pool.stats()]),
        );
        assert.ok(sender.pool.stats().connectionsCreated <= 3);
        assert.equal(broker.counters.messages, 2000);
        await using receiver = await bus.receiver({
          receiveMode: "receiveAndDelete",
          maxMessages: 500,
          maxWaitTimeSeconds: 2,
        });
        const seen = new Set<string>();
        while (seen.size < 2000) {
          const batch = await receiver.receive(500);
          assert.ok(batch.length > 0, `stalled at ${seen.size}`);
          for (const message of batch) {
            const i = (message.body as { i: number }).i;
            assert.equal(message.messageId, `m-${i}`);
            assert.deepEqual(message.applicationProperties, { i });
            assert.ok(!seen.has(`m-${i}`), `m-${i} twice`);
            seen.add(`m-${i}`);
          }
        }
        assert.deepEqual(broker.messages("q"), []);
      } finally {
        await bus.close();
        await sender.close();
      }
    });
  });

  it("keeps its client after a quota error, a message-level answer", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const sender = managed(broker);
      try {
        broker.maxQueueLength = 1;
        await sender.sendBody("fits");
        await assert.rejects(
          sender.sendBody("full"),
          (error: ServiceBusError) => error.code === "QuotaExceeded",
        );
        broker.maxQueueLength = Infinity;
        await sender.sendBody("fits again");
        assert.equal(broker.counters.connections, 1);
        assert.equal(sender.pool.stats().connectionsClosed, 0);
      } finally {
        await sender.close();
      }
    });
  });

  it("recovers from dropped connections without losing a sent message or a caller's error", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const sender = managed(broker, {
        maxSize: 3,
        clientOptions: { retryOptions: { maxRetries: 0, timeoutInMs: 1000 } },
      });
      try {
        broker.dropConnectionsAfter(150);
        const results = await Promise.allSettled(
          Array.from(
            { length: 400 },
            (_, i) => sender.sendBody(i, { messageId: `m-${i}` }),
          ),
        );
        assert.equal(broker.counters.dropped > 0, true);
        const stored = new Set(broker.messages("q").map((m) => m.messageId));
        let failed = 0;
        results.forEach((result, i) => {
          if (result.status === "fulfilled") {
            assert.ok(
              stored.has(`m-${i}`),
              `m-${i} was reported sent but is not stored`,
            );
          } else {
            failed++;
            // Every failure reaches its caller typed: a connection error from
            // the SDK, or ConnectionFailed when a reopen failed during the drop.
            const error = result.reason;
            assert.ok(
              error instanceof ConnectionFailed ||
                isServiceBusConnectionError(error),
              `${error?.name} ${error?.code} ${error?.message}`,
            );
          }
        });
        // The pool replaced the broken clients and serves again.
        await Promise.all(
          Array.from(
            { length: 50 },
            (_, i) => sender.sendBody(`after-${i}`),
          ),
        );
        const stats = sender.pool.stats();
        if (failed > 0) {
          assert.ok(stats.connectionsClosed > 0, JSON.stringify(stats));
        }
        assert.ok(broker.counters.connections > 1);
      } finally {
        await sender.close();
      }
      await broker.idle();
    });
  });

  it("fails callers at once with AuthenticationFailed when tokens are refused, without a retry storm", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      broker.refuseTokens = true;
      const sender = managed(broker, { acquireTimeoutSeconds: 30, maxSize: 3 });
      try {
        const started = Date.now();
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, () => sender.sendBody("x")),
        );
        for (const result of results) {
          assert.equal(result.status, "rejected");
          const error = (result as PromiseRejectedResult).reason;
          assert.ok(error instanceof AuthenticationFailed, String(error));
          assert.equal(error.code, "AUTHENTICATION_FAILED");
          assert.equal(error.statusCode, 401);
          assert.match(error.message, /queue 'q' on 127\.0\.0\.1:\d+/);
          assert.equal(
            (error.cause as ServiceBusError).code,
            "UnauthorizedAccess",
          );
        }
        // One refused open answers every waiting caller: no retries until
        // the deadline, and no storm.
        assert.ok(Date.now() - started < 2_000);
        assert.ok(
          broker.counters.putTokens <= 3,
          `${broker.counters.putTokens} put-tokens`,
        );
        assert.equal(sender.stats().breakerState, "open");
        assert.deepEqual(broker.messages("q"), []);
      } finally {
        await sender.close();
      }
    });
  });

  it("recycles a client idle for maxIdleSeconds", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const sender = managed(broker, { maxIdleSeconds: 0.2 });
      try {
        await sender.sendBody("first");
        // The pool's idle timer closes the connection: the broker sees it go.
        await broker.idle();
        assert.equal(sender.pool.stats().connectionsClosed, 1);
        await sender.sendBody("second");
        assert.equal(broker.counters.connections, 2);
        assert.deepEqual(broker.messages("q").map((m) => m.body), [
          "first",
          "second",
        ]);
      } finally {
        await sender.close();
      }
    });
  });

  it("close() closes every connection it opened and refuses later sends", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const sender = managed(broker, { maxSize: 3, clientLimit: 2 });
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => sender.sendBody(i)),
      );
      assert.ok(broker.counters.openConnections >= 1);
      await sender.close();
      await broker.idle();
      const stats = sender.pool.stats();
      assert.equal(stats.connectionsClosed, stats.connectionsCreated);
      await assert.rejects(sender.sendBody("late"), PoolClosed);
    });
  });

  it("passes abortSignal on: an aborted send writes nothing", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const sender = managed(broker);
      try {
        const reason = new Error("stop");
        await assert.rejects(
          sender.sendBody("x", { abortSignal: AbortSignal.abort(reason) }),
          (error) => error === reason,
        );
        await assert.rejects(
          sender.sendBodies(["x"], {
            abortSignal: AbortSignal.abort(reason),
          }),
          (error) => error === reason,
        );
        assert.deepEqual(broker.messages("q"), []);
        assert.equal(broker.counters.connections, 0);
      } finally {
        await sender.close();
      }
    });
  });

  it("connects with a TokenCredential or a credentialFactory over TLS", async () => {
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    try {
      await withBroker({ queues: ["q"], tls: true }, async (broker) => {
        const shared: string[] = [];
        const withCredential = new ManagedServiceBusSender({
          namespace: broker.fullyQualifiedNamespace,
          queueName: "q",
          credential: fakeCredential(shared),
          clientOptions,
        });
        const made: string[] = [];
        const withFactory = new ManagedServiceBusSender({
          namespace: broker.fullyQualifiedNamespace,
          queueName: "q",
          credentialFactory: () => fakeCredential(made),
          clientOptions,
        });
        try {
          await withCredential.sendBody("shared");
          await withFactory.sendBody("made");
        } finally {
          await withCredential.close();
          await withFactory.close();
        }
        assert.deepEqual(broker.messages("q").map((m) => m.body), [
          "shared",
          "made",
        ]);
        // The shared credential is the caller's; the made one is closed with its client.
        assert.ok(shared.includes("getToken") && !shared.includes("close"));
        assert.equal(made.at(-1), "close");
      });
    } finally {
      if (previous === undefined) {
        delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      } else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
    }
  });
});

describe("isServiceBusConnectionError", () => {
  it("tells broken connections from message-level answers", () => {
    const connection = [
      new ServiceBusError("lost", "ServiceCommunicationProblem"),
      new ServiceBusError("no answer", "ServiceTimeout"),
      new ServiceBusError("refused", "UnauthorizedAccess"),
      new ServiceBusError(
        "ConnectionForcedError: closed by the service",
        "GeneralError",
      ),
      new Error("The underlying AMQP connection is closed."),
      // core-amqp's translation of an undefined error: a link or connection
      // that went away without saying why.
      new Error("Unknown error encountered."),
      new Error(
        'The sender for "q" has been closed and can no longer be used. Please create a new sender.',
      ),
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
      new Error("wrapped", {
        cause: new ServiceBusError("lost", "ServiceCommunicationProblem"),
      }),
    ];
    const other = [
      new ServiceBusError("too large", "MessageSizeExceeded"),
      new ServiceBusError("full", "QuotaExceeded"),
      new ServiceBusError("no such queue", "MessagingEntityNotFound"),
      new ServiceBusError("busy", "ServiceBusy"),
      new ServiceBusError("InvalidOperationError: nope", "GeneralError"),
      Object.assign(new Error("aborted"), { name: "AbortError" }),
      new TypeError("bad argument"),
      "a string",
      undefined,
    ];
    for (const error of connection) {
      assert.equal(isServiceBusConnectionError(error), true, String(error));
    }
    for (const error of other) {
      assert.equal(isServiceBusConnectionError(error), false, String(error));
    }
  });
});

describe("ServiceBus", () => {
  it("receives with peek-lock, redelivers an abandoned message, and ends iteration on close", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const bus = new ServiceBus({
        connectionString: broker.connectionString("q"),
        clientOptions,
      });
      try {
        assert.equal(bus.queueName, "q");
        await bus.sendBodies(["a", "b", "c"]);
        await bus.sendBody("d", { subject: "last" });
        const receiver = await bus.receiver({
          maxMessages: 2,
          maxWaitTimeSeconds: 1,
        });
        const bodies: unknown[] = [];
        let abandoned = false;
        for await (const message of receiver) {
          if (message.body === "b" && !abandoned) {
            abandoned = true;
            await receiver.abandon(message);
            continue;
          }
          bodies.push(message.body);
          if (message.body === "c") {
            await receiver.deadLetter(message, { reason: "test" });
          } else await receiver.complete(message);
          if (bodies.length === 4) await receiver.close();
        }
        assert.deepEqual(bodies.slice().sort(), ["a", "b", "c", "d"]);
        assert.equal(receiver.closed, true);
        assert.deepEqual(broker.messages("q"), []);
        assert.deepEqual(
          broker.messages("q/$DeadLetterQueue").map((m) => m.body),
          ["c"],
        );
        assert.equal(broker.counters.connections, 1);
      } finally {
        await bus.close();
      }
      await broker.idle();
      await assert.rejects(bus.sendBody("late"), /closed/);
    });
  });
});
