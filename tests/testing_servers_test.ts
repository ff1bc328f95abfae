/**
 * Tests of `./testing/servers` (src/testing/servers/mod.ts) written as a user
 * would, from its JSDoc: the managed clients and the plain Azure SDKs against
 * `startLocalServiceBus`, `startLocalEventHubs` and `startLocalCosmos`, the
 * fault controls, and a child process that starts and closes every server
 * and must then exit on its own. Assertions use stored state, counters and
 * pool stats, never timing.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { CosmosClient } from "@azure/cosmos";
import { ServiceBusClient } from "@azure/service-bus";
import { ManagedCosmos } from "../src/cosmos/mod.ts";
import { ManagedEventHubProducer } from "../src/event_hubs/mod.ts";
import { ManagedServiceBusSender } from "../src/service_bus/mod.ts";
import { AuthenticationFailed, ConnectionFailed } from "../mod.ts";
import {
  type LocalEventHubs,
  type LocalServiceBus,
  startLocalCosmos,
  startLocalEventHubs,
  startLocalServiceBus,
} from "../src/testing/servers/mod.ts";

// Fail fast instead of retrying for minutes when a test goes wrong.
const clientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 5000 } };

async function withBus(
  options: Parameters<typeof startLocalServiceBus>[0],
  fn: (bus: LocalServiceBus) => Promise<void>,
): Promise<void> {
  const bus = await startLocalServiceBus(options);
  try {
    await fn(bus);
  } finally {
    await bus.close();
  }
}

async function withHubs(
  options: Parameters<typeof startLocalEventHubs>[0],
  fn: (hubs: LocalEventHubs) => Promise<void>,
): Promise<void> {
  const hubs = await startLocalEventHubs(options);
  try {
    await fn(hubs);
  } finally {
    await hubs.close();
  }
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

describe("startLocalServiceBus", () => {
  it("takes 1,000 messages from ManagedServiceBusSender and hands each back exactly once", async () => {
    await withBus({ queues: ["orders"] }, async (bus) => {
      const sender = new ManagedServiceBusSender({
        connectionString: bus.connectionString,
        queueName: "orders",
        clientOptions,
      });
      const client = new ServiceBusClient(bus.connectionString, clientOptions);
      try {
        const ids = Array.from({ length: 1000 }, (_, i) => `order-${i}`);
        await Promise.all(
          ids.map((id, i) => sender.sendBody({ i }, { messageId: id })),
        );
        const stored = bus.messages("orders");
        assert.equal(stored.length, 1000);
        assert.deepEqual(
          stored.map((m) => m.messageId).sort(),
          [...ids].sort(),
        );
        assert.ok(stored.every((m) => m.state === "available"));

        const receiver = client.createReceiver("orders");
        const seen = new Map<string, number>();
        while (seen.size < 1000) {
          const batch = await receiver.receiveMessages(200, {
            maxWaitTimeInMs: 2000,
          });
          assert.ok(batch.length > 0, `stalled after ${seen.size} messages`);
          for (const message of batch) {
            const id = String(message.messageId);
            seen.set(id, (seen.get(id) ?? 0) + 1);
            assert.deepEqual(message.body, { i: Number(id.slice(6)) });
            await receiver.completeMessage(message);
          }
        }
        assert.deepEqual([...seen.values()].filter((n) => n !== 1), []);
        assert.deepEqual(
          await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 }),
          [],
        );
        assert.deepEqual(bus.messages("orders"), []);
      } finally {
        await client.close();
        await sender.close();
      }
    });
  });

  it("copies each message sent to a topic to every subscription, and each subscription hands it out once", async () => {
    await withBus(
      { topics: { events: ["billing", "audit"] }, queues: ["other"] },
      async (bus) => {
        const sender = new ManagedServiceBusSender({
          connectionString: bus.connectionString,
          queueName: "events",
          clientOptions,
        });
        const client = new ServiceBusClient(
          bus.connectionString,
          clientOptions,
        );
        try {
          await sender.sendBody("one", { subject: "placed" });
          await sender.sendBodies(["two", "three"]);
          for (const name of ["billing", "audit"]) {
            const entity = `events/Subscriptions/${name}`;
            assert.deepEqual(bus.messages(entity).map((m) => m.body), [
              "one",
              "two",
              "three",
            ]);
            assert.equal(bus.messages(entity)[0].subject, "placed");
          }
          assert.deepEqual(bus.messages("other"), []);
          const receiver = client.createReceiver("events", "billing", {
            receiveMode: "receiveAndDelete",
          });
          const received = await receiver.receiveMessages(10, {
            maxWaitTimeInMs: 500,
          });
          assert.deepEqual(received.map((m) => m.body), [
            "one",
            "two",
            "three",
          ]);
          assert.deepEqual(bus.messages("events/Subscriptions/billing"), []);
          assert.equal(bus.messages("events/Subscriptions/audit").length, 3);
          assert.throws(() => bus.messages("events"), RangeError);
          assert.throws(() => bus.messages("nothing"), RangeError);
        } finally {
          await client.close();
          await sender.close();
        }
      },
    );
  });

  it("rejects unknown options and malformed entity names, naming them", async () => {
    const cases: [unknown, RegExp][] = [
      [
        { queue: ["a"] },
        /unknown option 'queue' \(known: queues, topics, lockDurationSeconds, latencySeconds, duplicateDetection\)/,
      ],
      [{ queues: "orders" }, /'queues' must be an array of non-empty strings/],
      [{ queues: [""] }, /'queues' must be an array/],
      [{ topics: ["t"] }, /'topics' must map topic names/],
      [{ topics: { t: "s" } }, /'topics\.t' must be an array/],
      [{ topics: { t: ["a/b"] } }, /must not contain '\/'/],
      [42, /options must be an object: received 42/],
    ];
    for (const [options, pattern] of cases) {
      await assert.rejects(
        startLocalServiceBus(options as never),
        (error: Error) => {
          assert.ok(error instanceof TypeError, String(error));
          assert.match(error.message, /^Cannot start startLocalServiceBus/);
          assert.match(error.message, pattern);
          return true;
        },
      );
    }
  });

  it("dropConnections() ends every pooled connection, and the managed sender's next sends go out on new ones", async () => {
    await withBus({ queues: ["orders"] }, async (bus) => {
      const sender = new ManagedServiceBusSender({
        connectionString: bus.connectionString,
        queueName: "orders",
        clientLimit: 1,
        maxSize: 3,
        clientOptions,
      });
      try {
        assert.equal(await sender.pool.warm(3), 3);
        await Promise.all([1, 2, 3].map((i) => sender.sendBody(i)));
        const opened = bus.stats().connections;
        assert.equal(opened, 3);
        assert.equal(await bus.dropConnections(), 3);
        assert.equal(bus.stats().openConnections, 0);
        await Promise.all([4, 5, 6].map((i) => sender.sendBody(i)));
        const stats = bus.stats();
        assert.equal(stats.droppedConnections, 3);
        // The dead ones were retired at once; new ones opened on demand, one
        // at a time (a send may finish before the next open does).
        assert.ok(
          stats.connections > opened && stats.connections <= opened + 3,
          `${stats.connections} connections`,
        );
        assert.ok(stats.openConnections >= 1 && stats.openConnections <= 3);
        assert.deepEqual(
          bus.messages("orders").map((m) => m.body).sort(),
          [1, 2, 3, 4, 5, 6],
        );
      } finally {
        await sender.close();
      }
    });
  });

  it("refused tokens fail the managed sender with AuthenticationFailed until they are accepted again", async () => {
    await withBus({ queues: ["orders"] }, async (bus) => {
      const sender = new ManagedServiceBusSender({
        connectionString: bus.connectionString,
        queueName: "orders",
        breakerProbeSeconds: 0.05,
        clientOptions,
      });
      try {
        bus.refuseTokens();
        for (let i = 0; i < 2; i++) {
          await assert.rejects(
            sender.sendBody("refused"),
            (error: unknown) => {
              assert.ok(error instanceof AuthenticationFailed, String(error));
              assert.equal(codeOf(error.cause), "UnauthorizedAccess");
              return true;
            },
          );
        }
        assert.ok(bus.stats().refusedTokens >= 1);
        bus.acceptTokens();
        // Served again from the breaker's next probe on.
        const started = Date.now();
        for (;;) {
          try {
            await sender.sendBody("accepted");
            break;
          } catch (error) {
            assert.ok(error instanceof AuthenticationFailed, String(error));
            assert.ok(Date.now() - started < 2_000, "served again in time");
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
        assert.deepEqual(bus.messages("orders").map((m) => m.body), [
          "accepted",
        ]);
        assert.ok(sender.pool.stats().opensFailed >= 1);
        assert.equal(sender.pool.stats().readyConnections, 1);
      } finally {
        await sender.close();
      }
    });
  });

  it("refuseTokens({ count }) refuses only that many put-tokens", async () => {
    await withBus({ queues: ["orders"] }, async (bus) => {
      const sender = new ManagedServiceBusSender({
        connectionString: bus.connectionString,
        queueName: "orders",
        initialBackoffSeconds: 0.01,
        clientOptions,
      });
      try {
        bus.refuseTokens({ count: 1 });
        // The pool's first open is refused; the caller waits for its next one.
        await sender.sendBody("accepted");
        assert.equal(bus.stats().refusedTokens, 1);
        assert.equal(sender.pool.stats().opensFailed, 1);
        await sender.sendBody("again");
        assert.equal(bus.stats().refusedTokens, 1);
        assert.deepEqual(bus.messages("orders").map((m) => m.body), [
          "accepted",
          "again",
        ]);
      } finally {
        await sender.close();
      }
    });
  });

  it("a drop while tokens are refused makes the pool replace the client, and a new client serves once tokens are accepted", async () => {
    await withBus({ queues: ["orders"] }, async (bus) => {
      const sender = new ManagedServiceBusSender({
        connectionString: bus.connectionString,
        queueName: "orders",
        breakerProbeSeconds: 0.05,
        clientOptions,
      });
      try {
        await sender.sendBody("first");
        bus.refuseTokens();
        await bus.dropConnections();
        // The SDK reconnects inside the same client; its new link is refused,
        // an auth failure the pool treats as a broken connection.
        await assert.rejects(
          sender.sendBody("refused"),
          (error: unknown) =>
            error instanceof AuthenticationFailed &&
            codeOf(error.cause) === "UnauthorizedAccess",
        );
        // The dropped client was retired, and the refused opens closed.
        const stats = sender.pool.stats();
        assert.equal(stats.readyConnections, 0, "the client was not retired");
        assert.equal(
          stats.connectionsClosed + stats.closingConnections,
          stats.connectionsCreated,
        );
        assert.ok(stats.opensFailed >= 1);
        bus.acceptTokens();
        // Served again from the breaker's next probe on.
        const started = Date.now();
        for (;;) {
          try {
            await sender.sendBody("second");
            break;
          } catch (error) {
            assert.ok(error instanceof AuthenticationFailed, String(error));
            assert.ok(Date.now() - started < 2_000, "served again in time");
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
        assert.deepEqual(bus.messages("orders").map((m) => m.body), [
          "first",
          "second",
        ]);
      } finally {
        await sender.close();
      }
    });
  });

  it("delayed handshakes make opening a client outlast createTimeoutSeconds, until the delay is lifted", async () => {
    await withBus({ queues: ["orders"] }, async (bus) => {
      const sender = new ManagedServiceBusSender({
        connectionString: bus.connectionString,
        queueName: "orders",
        createTimeoutSeconds: 0.3,
        initialBackoffSeconds: 0.01,
        closeTimeoutSeconds: 1,
        clientOptions,
      });
      try {
        bus.delayHandshakes(3);
        await assert.rejects(sender.sendBody("late"), ConnectionFailed);
        bus.delayHandshakes(0);
        assert.equal(await sender.pool.warm(1), 1);
        await sender.sendBody("on time");
        assert.deepEqual(bus.messages("orders").map((m) => m.body), [
          "on time",
        ]);
      } finally {
        await sender.close();
      }
    });
  });

  it("rejects malformed fault arguments with a RangeError naming them", async () => {
    await withBus({}, (bus) => {
      assert.throws(
        () => bus.refuseTokens({ count: 0 }),
        /'count'.*: received 0/,
      );
      assert.throws(() => bus.delayHandshakes(-1), /'seconds'.*: received -1/);
      assert.throws(() => bus.delayHandshakes(NaN), RangeError);
      return Promise.resolve();
    });
  });
});

describe("startLocalEventHubs", () => {
  it("keeps the events of each hub per partition, as the managed producer routed them", async () => {
    await withHubs(
      { hubs: ["telemetry", "audit"], partitionCount: 3 },
      async (hubs) => {
        const producer = new ManagedEventHubProducer({
          connectionString: hubs.connectionString,
          eventHubName: "telemetry",
          clientOptions,
        });
        try {
          assert.deepEqual(
            await producer.use((p) => p.getPartitionIds()),
            ["0", "1", "2"],
          );
          assert.deepEqual(hubs.partitionIds, ["0", "1", "2"]);
          await producer.sendBodies([{ n: 1 }, { n: 2 }], {
            partitionKey: "device-7",
          });
          await producer.sendBody({ n: 3 }, {
            partitionId: "2",
            properties: { unit: "celsius" },
            messageId: "e-3",
          });
          const keyed = hubs.events("telemetry").filter((e) =>
            e.partitionKey === "device-7"
          );
          assert.deepEqual(keyed.map((e) => e.body), [{ n: 1 }, { n: 2 }]);
          assert.equal(new Set(keyed.map((e) => e.partitionId)).size, 1);
          const [third] = hubs.events("telemetry", "2").filter((e) =>
            e.partitionKey === undefined
          );
          assert.deepEqual(third.body, { n: 3 });
          assert.deepEqual(third.properties, { unit: "celsius" });
          assert.equal(third.messageId, "e-3");
          assert.deepEqual(hubs.events("audit"), []);
          assert.throws(() => hubs.events("nohub"), RangeError);
        } finally {
          await producer.close();
        }
      },
    );
  });

  it("dropConnections() and refused tokens: the managed producer fails with AuthenticationFailed, then recovers on a new connection", async () => {
    await withHubs({ hubs: ["telemetry"] }, async (hubs) => {
      const producer = new ManagedEventHubProducer({
        connectionString: hubs.connectionString,
        eventHubName: "telemetry",
        initialBackoffSeconds: 0.01,
        clientOptions,
      });
      const fresh = new ManagedEventHubProducer({
        connectionString: hubs.connectionString,
        eventHubName: "telemetry",
        breakerProbeSeconds: 0.05,
        clientOptions,
      });
      try {
        await producer.sendBody("before");
        assert.equal(await hubs.dropConnections(), 1);
        await producer.sendBody("after the drop");
        assert.equal(hubs.stats().connections, 2);

        hubs.refuseTokens();
        await assert.rejects(
          fresh.sendBody("refused"),
          (error: unknown) => {
            assert.ok(error instanceof AuthenticationFailed, String(error));
            assert.equal(codeOf(error.cause), "UnauthorizedError");
            return true;
          },
        );
        hubs.acceptTokens();
        assert.equal(await fresh.pool.warm(1), 1);
        await fresh.sendBody("accepted");
        assert.deepEqual(
          hubs.events("telemetry").map((e) => e.body).sort(),
          ["accepted", "after the drop", "before"],
        );
      } finally {
        await Promise.all([producer.close(), fresh.close()]);
      }
    });
  });

  it("rejects unknown options and a bad partition count", async () => {
    await assert.rejects(
      startLocalEventHubs({ hub: ["x"] } as never),
      /unknown option 'hub' \(known: hubs, partitionCount, latencySeconds\)/,
    );
    await assert.rejects(
      startLocalEventHubs({ partitionCount: 0 }),
      (error: Error) =>
        error instanceof RangeError &&
        /'partitionCount' must be a positive integer: received 0/.test(
          error.message,
        ),
    );
  });
});

describe("startLocalCosmos", () => {
  it("serves ManagedCosmos and a plain CosmosClient through agents that trust its certificate, and nothing process-wide", async () => {
    const tlsSetting = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    const server = await startLocalCosmos({
      containers: [{
        database: "shop",
        container: "orders",
        partitionKeyPath: "/customerId",
      }],
    });
    const cosmos = new ManagedCosmos({
      ...server.connectionOptions(),
      databaseName: "shop",
      containerName: "orders",
    });
    const plain = new CosmosClient(server.clientOptions());
    const untrusting = new CosmosClient({
      endpoint: server.endpoint,
      key: server.key,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    try {
      assert.match(server.endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
      await Promise.all(
        Array.from(
          { length: 20 },
          (_, i) =>
            cosmos.use((c) =>
              c.items.create({ id: `o-${i}`, customerId: `c-${i % 2}` })
            ),
        ),
      );
      const { resources } = await plain.database("shop").container("orders")
        .items.query<{ id: string }>({
          query: "SELECT c.id FROM c WHERE c.customerId = @c",
          parameters: [{ name: "@c", value: "c-1" }],
        }).fetchAll();
      assert.equal(resources.length, 10);
      // A client without the server's agent does not trust its certificate.
      await assert.rejects(
        untrusting.getDatabaseAccount(),
        (error: unknown) =>
          /CERT|SELF_SIGNED|certificate/i.test(String(codeOf(error) ?? error)),
      );
      assert.equal(process.env.NODE_TLS_REJECT_UNAUTHORIZED, tlsSetting);
      assert.ok(server.stats().tlsConnections >= 2);
    } finally {
      untrusting.dispose();
      plain.dispose();
      await cosmos.close();
      await server.close();
    }
  });

  it("stop() fails requests with connection errors; restart() serves on the same port with the containers re-created", async () => {
    const server = await startLocalCosmos({
      containers: [{ database: "shop", container: "orders" }],
    });
    const cosmos = new ManagedCosmos({
      ...server.connectionOptions(),
      databaseName: "shop",
      containerName: "orders",
      initialBackoffSeconds: 0.01,
    });
    try {
      await cosmos.use((c) => c.items.create({ id: "a", pk: "p" }));
      const endpoint = server.endpoint;
      await server.stop();
      assert.equal(server.listening, false);
      await assert.rejects(cosmos.use((c) => c.item("a", "p").read()));
      assert.ok(
        cosmos.pool.stats().connectionsClosed >= 1,
        "no client was invalidated",
      );
      await server.restart();
      assert.equal(server.listening, true);
      assert.equal(server.endpoint, endpoint);
      const { statusCode } = await cosmos.use((c) => c.item("a", "p").read());
      assert.equal(statusCode, 404); // in-memory data did not survive
      await cosmos.use((c) => c.items.create({ id: "b", pk: "p" }));
    } finally {
      await cosmos.close();
      await server.close();
    }
    await assert.rejects(server.restart(), /closed/);
  });

  it("rejects unknown options and malformed containers", async () => {
    await assert.rejects(
      startLocalCosmos({ databases: [] } as never),
      /unknown option 'databases' \(known: containers, latencySeconds\)/,
    );
    await assert.rejects(
      startLocalCosmos({ containers: [{ database: "d" }] } as never),
      /'containers' must be an array of \{ database, container, partitionKeyPath\? \}/,
    );
    await assert.rejects(
      startLocalCosmos({
        containers: [{ database: "d", container: "c", partitionKeyPath: "pk" }],
      }),
      TypeError,
    );
  });
});

describe("the local servers in a process of their own", () => {
  it("start, serve a real SDK client, close, and let the process exit by itself", () => {
    const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !==
      "undefined";
    const extension = import.meta.url.endsWith(".ts") ? "ts" : "js";
    const child = fileURLToPath(
      new URL(`./_servers_exit_child.${extension}`, import.meta.url),
    );
    const args = isDeno ? ["run", "-A", "--no-check", child] : [child];
    const result = spawnSync(process.execPath, args, {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(
      result.signal,
      null,
      `the child was killed after 20 s: a handle kept it alive\n${result.stdout}\n${result.stderr}`,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /service bus: 1 message\(s\)/);
    assert.match(result.stdout, /event hubs: 1 event\(s\)/);
    assert.match(result.stdout, /cosmos: 1 item\(s\)/);
    assert.match(
      result.stdout,
      /service bus through the proxy: 2 message\(s\)/,
    );
    assert.match(result.stdout, /event hubs through the proxy: 1 event\(s\)/);
    assert.match(result.stdout, /cosmos through the proxy: 1 item\(s\)/);
    assert.match(result.stdout, /all closed/);
  });
});
