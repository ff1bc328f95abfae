/**
 * Tests of src/clients/event_hubs.ts through the real `@azure/event-hubs` SDK
 * against the local AMQP broker (tests/servers/amqp_broker.ts). Reuse,
 * recycling and recovery are proven with the broker's counters and the pool's
 * stats, never with timing.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { MessagingError } from "@azure/event-hubs";
import {
  EventHubProducer,
  isEventHubConnectionError,
  ManagedEventHubProducer,
  type ManagedEventHubProducerOptions,
} from "../src/event_hubs/mod.ts";
import {
  AuthenticationFailed,
  ConnectionFailed,
  ConnectionLost,
  EntityNotFound,
  PoolClosed,
} from "../src/pool/errors.ts";
import type { AmqpBroker } from "../src/testing/servers/amqp_broker.ts";
import { withBroker } from "./_broker.ts";

const clientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 2000 } };
const KEY = "dGVzdC1icm9rZXIta2V5";

function managed(
  broker: AmqpBroker,
  options: Partial<ManagedEventHubProducerOptions> = {},
): ManagedEventHubProducer {
  return new ManagedEventHubProducer({
    connectionString: broker.connectionString(),
    eventHubName: "hub",
    clientOptions,
    closeTimeoutSeconds: 1,
    ...options,
  });
}

describe("ManagedEventHubProducer", () => {
  it("checks its options at construction and never echoes a key", () => {
    const connectionString =
      `Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=${KEY};UseDevelopmentEmulator=true`;
    const cases: [Record<string, unknown>, RegExp, ErrorConstructor][] = [
      [{ eventHubName: "hub" }, /no credential was given/, TypeError],
      [{ connectionString }, /'eventHubName' is missing/, TypeError],
      [
        {
          namespace: "ns.servicebus.windows.net",
          connectionString,
          eventHubName: "hub",
        },
        /'namespace' and 'connectionString'/,
        TypeError,
      ],
      [
        {
          namespace: "ns.servicebus.windows.net",
          credential: { nope: true },
          eventHubName: "hub",
        },
        /'credential' must be a TokenCredential/,
        TypeError,
      ],
      [
        { connectionString, eventHubName: "hub", maxSize: 1.5 },
        /maxSize/,
        RangeError,
      ],
    ];
    for (const [options, pattern, type] of cases) {
      assert.throws(
        () => new ManagedEventHubProducer(options as never),
        (error: Error) => {
          assert.ok(error instanceof type, `${error.name}: ${error.message}`);
          assert.match(error.message, pattern);
          assert.doesNotMatch(error.message, new RegExp(KEY));
          return true;
        },
      );
    }
  });

  it("reads the hub's properties and opens the send link on readiness, without writing an event", async () => {
    await withBroker({ eventHubs: { hub: 2 } }, async (broker) => {
      const producer = managed(broker);
      try {
        assert.equal(await producer.pool.warm(1), 1);
        const counters = broker.counters;
        assert.equal(counters.connections, 1);
        assert.equal(counters.managementRequests, 1);
        assert.equal(counters.senderAttaches, 1);
        assert.equal(counters.events, 0);
        // The first send after warm() opens no link: it finds it open.
        await producer.sendBody("first", { partitionKey: "k" });
        assert.equal(broker.counters.senderAttaches, 1);
        assert.equal(broker.counters.connections, 1);
        assert.equal(broker.counters.events, 1);
      } finally {
        await producer.close();
      }
    });
  });

  it("keeps a partition key on one partition and sends to a partition id", async () => {
    await withBroker({ eventHubs: { hub: 4 } }, async (broker) => {
      const producer = managed(broker);
      try {
        for (let i = 0; i < 6; i++) {
          await producer.sendBody({ i }, {
            partitionKey: "device-7",
            properties: { seq: i },
            contentType: "application/json",
          });
        }
        await producer.sendBody("pinned", { partitionId: "3" });
        const keyed = broker.events("hub").filter((e) =>
          e.partitionKey === "device-7"
        );
        assert.deepEqual(
          keyed.map((e) => e.body),
          [0, 1, 2, 3, 4, 5].map((i) => ({ i })),
        );
        assert.equal(new Set(keyed.map((e) => e.partitionId)).size, 1);
        assert.deepEqual(keyed.map((e) => e.applicationProperties.seq), [
          0,
          1,
          2,
          3,
          4,
          5,
        ]);
        assert.deepEqual(
          broker.events("hub", "3").map((e) => e.body).filter((b) =>
            b === "pinned"
          ),
          ["pinned"],
        );
        await assert.rejects(
          producer.sendBody("x", { partitionKey: "a", partitionId: "1" }),
          TypeError,
        );
        assert.equal(broker.counters.connections, 1);
      } finally {
        await producer.close();
      }
    });
  });

  it("splits sendEvents into batches when one is full, and sends EventData as given", async () => {
    await withBroker(
      { eventHubs: { hub: 2 }, maxEventSizeBytes: 4096 },
      async (broker) => {
        const producer = managed(broker);
        try {
          const bodies = Array.from(
            { length: 20 },
            (_, i) => `${i}`.padEnd(600, "."),
          );
          const transfersBefore = broker.counters.transfers;
          await producer.sendBodies(bodies, { partitionKey: "k" });
          const batches = broker.counters.transfers - transfersBefore;
          assert.ok(batches >= 3 && batches < 20, `${batches} batches`);
          assert.deepEqual(broker.events("hub").map((e) => e.body), bodies);
          await producer.sendBatch([
            { body: "a", properties: { kind: "x" } },
            { body: "b", messageId: "b-1" },
          ], { partitionId: "1" });
          const last = broker.events("hub", "1").slice(-2);
          assert.deepEqual(last.map((e) => e.body), ["a", "b"]);
          assert.deepEqual(last[0].applicationProperties, { kind: "x" });
          assert.equal(last[1].message.message_id, "b-1");
          // An event that fits no batch: a message-level error, the producer stays.
          await assert.rejects(
            producer.sendBodies(["x".repeat(5000)]),
            (error: MessagingError) => error.code === "MessageTooLargeError",
          );
          await assert.rejects(
            producer.sendBatch("nope" as never),
            TypeError,
          );
          const transfers = broker.counters.transfers;
          await producer.sendBodies([]);
          assert.equal(broker.counters.transfers, transfers, "nothing sent");
          assert.equal(producer.pool.stats().connectionsCreated, 1);
          assert.equal(producer.pool.stats().connectionsClosed, 0);
        } finally {
          await producer.close();
        }
      },
    );
  });

  it("serves 1,000 concurrent sends over at most maxSize connections, each event stored once", async () => {
    await withBroker({ eventHubs: { hub: 4 } }, async (broker) => {
      const producer = managed(broker, { maxSize: 2, clientLimit: 100 });
      try {
        await Promise.all(
          Array.from({ length: 1000 }, (_, i) => producer.sendBody({ i })),
        );
        assert.ok(broker.counters.connections <= 2);
        assert.ok(producer.pool.stats().connectionsCreated <= 2);
        const seen = broker.events("hub").map((e) =>
          (e.body as { i: number }).i
        );
        assert.equal(seen.length, 1000);
        assert.equal(new Set(seen).size, 1000);
      } finally {
        await producer.close();
      }
    });
  });

  it("recovers from dropped connections without losing a sent event or a caller's error", async () => {
    await withBroker({ eventHubs: { hub: 2 } }, async (broker) => {
      const producer = managed(broker, {
        maxSize: 2,
        clientOptions: { retryOptions: { maxRetries: 0, timeoutInMs: 1000 } },
      });
      try {
        broker.dropConnectionsAfter(100);
        const results = await Promise.allSettled(
          Array.from(
            { length: 300 },
            (_, i) => producer.sendBody({ i }),
          ),
        );
        assert.ok(broker.counters.dropped > 0);
        const stored = new Set(
          broker.events("hub").map((e) => (e.body as { i: number }).i),
        );
        let failed = 0;
        results.forEach((result, i) => {
          if (result.status === "fulfilled") {
            assert.ok(
              stored.has(i),
              `event ${i} was reported sent but is not stored`,
            );
          } else {
            failed++;
            // Every failure reaches its caller typed: ConnectionLost for an
            // event in flight on a dropped connection (not resent: Event
            // Hubs has no duplicate detection), a connection error from the
            // SDK, or ConnectionFailed when a reopen failed during the drop.
            const error = result.reason;
            assert.ok(
              error instanceof ConnectionLost ||
                error instanceof ConnectionFailed ||
                isEventHubConnectionError(error),
              `${error?.name} ${error?.code} ${error?.message}`,
            );
          }
        });
        await Promise.all(
          Array.from(
            { length: 50 },
            (_, i) => producer.sendBody({ after: i }),
          ),
        );
        if (failed > 0) assert.ok(producer.pool.stats().connectionsClosed > 0);
        assert.ok(broker.counters.connections > 1);
      } finally {
        await producer.close();
      }
      await broker.idle();
    });
  });

  it("fails callers at once with AuthenticationFailed for refused tokens and EntityNotFound for an unknown hub", async () => {
    await withBroker({ eventHubs: { hub: 1 } }, async (broker) => {
      broker.refuseTokens = true;
      const refused = managed(broker, { maxSize: 2 });
      const unknown = managed(broker, { eventHubName: "nohub" });
      try {
        const started = Date.now();
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () => refused.sendBody("x")),
        );
        for (const result of results) {
          const error = (result as PromiseRejectedResult).reason;
          assert.ok(error instanceof AuthenticationFailed, String(error));
          assert.equal(
            (error.cause as MessagingError).code,
            "UnauthorizedError",
          );
        }
        assert.ok(Date.now() - started < 2_000);
        assert.ok(
          broker.counters.putTokens <= 3,
          `${broker.counters.putTokens} put-tokens`,
        );
        broker.refuseTokens = false;
        await assert.rejects(
          unknown.sendBody("x"),
          (error: EntityNotFound) =>
            error instanceof EntityNotFound && error.entity === "nohub" &&
            error.code === "ENTITY_NOT_FOUND" &&
            /event hub 'nohub' on 127\.0\.0\.1:\d+/.test(error.message) &&
            (error.cause as MessagingError).code ===
              "MessagingEntityNotFoundError",
        );
        assert.equal(broker.counters.events, 0);
      } finally {
        await refused.close();
        await unknown.close();
      }
    });
  });

  it("recycles a producer idle for maxIdleSeconds and closes everything on close()", async () => {
    await withBroker({ eventHubs: { hub: 1 } }, async (broker) => {
      const producer = managed(broker, { maxIdleSeconds: 0.2 });
      await producer.sendBody("first");
      await broker.idle();
      assert.equal(producer.pool.stats().connectionsClosed, 1);
      await producer.sendBody("second");
      assert.equal(broker.counters.connections, 2);
      await producer.close();
      await broker.idle();
      const stats = producer.pool.stats();
      assert.equal(stats.connectionsClosed, stats.connectionsCreated);
      await assert.rejects(producer.sendBody("late"), PoolClosed);
    });
  });

  it("passes abortSignal on: an aborted send writes nothing", async () => {
    await withBroker({ eventHubs: { hub: 1 } }, async (broker) => {
      const producer = managed(broker);
      try {
        const reason = new Error("stop");
        await assert.rejects(
          producer.sendBodies(["x"], {
            abortSignal: AbortSignal.abort(reason),
          }),
          (error) => error === reason,
        );
        assert.equal(broker.counters.connections, 0);
      } finally {
        await producer.close();
      }
    });
  });

  it("connects with a TokenCredential over TLS", async () => {
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    try {
      await withBroker({ eventHubs: { hub: 2 }, tls: true }, async (broker) => {
        const scopes: unknown[] = [];
        const producer = new ManagedEventHubProducer({
          namespace: broker.fullyQualifiedNamespace,
          eventHubName: "hub",
          credential: {
            getToken: (scope) => {
              scopes.push(scope);
              return Promise.resolve({
                token: "t",
                expiresOnTimestamp: Date.now() + 3_600_000,
              });
            },
          },
          clientOptions,
        });
        try {
          await producer.sendBody("over tls");
        } finally {
          await producer.close();
        }
        assert.deepEqual(broker.events("hub").map((e) => e.body), ["over tls"]);
        assert.ok(scopes.length >= 1);
      });
    } finally {
      if (previous === undefined) {
        delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      } else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
    }
  });
});

describe("isEventHubConnectionError", () => {
  it("tells broken connections from message-level answers", () => {
    const coded = (code: string) =>
      Object.assign(new MessagingError(code), { code });
    for (
      const code of [
        "ConnectionForcedError",
        "ServiceCommunicationError",
        "OperationTimeoutError",
        "ServiceUnavailableError",
        "UnauthorizedError",
        "SystemError",
      ]
    ) {
      assert.equal(isEventHubConnectionError(coded(code)), true, code);
    }
    for (
      const code of [
        "MessageTooLargeError",
        "QuotaExceededError",
        "MessagingEntityNotFoundError",
        "ServerBusyError",
        "ArgumentError",
      ]
    ) {
      assert.equal(isEventHubConnectionError(coded(code)), false, code);
    }
    assert.equal(
      isEventHubConnectionError(
        new Error("The underlying AMQP connection is closed."),
      ),
      true,
    );
  });
});

describe("EventHubProducer", () => {
  it("sends over one producer and closes it", async () => {
    await withBroker({ eventHubs: { hub: 2 } }, async (broker) => {
      const hub = new EventHubProducer({
        connectionString: broker.connectionString("hub"),
        clientOptions,
      });
      try {
        assert.equal(hub.eventHubName, "hub");
        await hub.sendBody("one", { partitionKey: "k" });
        await hub.sendBodies(["two", "three"], { partitionKey: "k" });
        await hub.sendBatch([{ body: "four" }], { partitionKey: "k" });
        const events = broker.events("hub");
        assert.deepEqual(events.map((e) => e.body), [
          "one",
          "two",
          "three",
          "four",
        ]);
        assert.equal(new Set(events.map((e) => e.partitionId)).size, 1);
        assert.equal(broker.counters.connections, 1);
      } finally {
        await hub.close();
      }
      await broker.idle();
      await assert.rejects(hub.sendBody("late"), /closed/);
    });
  });
});
