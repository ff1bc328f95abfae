/**
 * `ManagedServiceBus` as a pool of connections for many entities, through the
 * real `@azure/service-bus` SDK against the local AMQP broker. Connection and
 * link counts come from the broker's counters (per entity too), never from
 * timing.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ServiceBusError } from "@azure/service-bus";
import {
  isServiceBusConnectionError,
  ManagedServiceBus,
  type ManagedServiceBusOptions,
  ServiceBusClientConnector,
} from "../src/service_bus/mod.ts";
import {
  isNamespaceConnectionError,
  isServiceBusLinkError,
} from "../src/service_bus/_link_errors.ts";
import { AuthenticationFailed, EntityNotFound } from "../src/pool/errors.ts";
import type { AmqpBroker } from "../src/testing/servers/amqp_broker.ts";
import { withBroker } from "./_broker.ts";

const clientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 2000 } };
const ENTITIES = ["q0", "q1", "q2", "q3", "q4", "t5"];

function managed(
  broker: AmqpBroker,
  options: Partial<ManagedServiceBusOptions> = {},
): ManagedServiceBus {
  return new ManagedServiceBus({
    connectionString: broker.connectionString(),
    clientOptions,
    closeTimeoutSeconds: 1,
    ...options,
  });
}

describe("ManagedServiceBus", () => {
  it("serves 6 entities x 500 concurrent sends over at most maxSize 3 connections, each message stored once", async () => {
    await withBroker({
      queues: ENTITIES.slice(0, 5),
      topics: { t5: ["s"] },
    }, async (broker) => {
      const bus = managed(broker, { maxSize: 3 });
      try {
        await Promise.all(
          ENTITIES.flatMap((entity) =>
            Array.from(
              { length: 500 },
              (_, i) =>
                bus.sender(entity).sendBody({ entity, i }, {
                  messageId: `${entity}-${i}`,
                }),
            )
          ),
        );
        const counters = broker.counters;
        assert.ok(counters.connections <= 3, `${counters.connections}`);
        assert.ok(bus.stats().connectionsCreated <= 3);
        for (const entity of ENTITIES) {
          const path = entity === "t5" ? "t5/Subscriptions/s" : entity;
          const ids = broker.messages(path).map((m) => m.messageId);
          assert.equal(ids.length, 500, entity);
          assert.equal(new Set(ids).size, 500, `${entity} has duplicates`);
          // One sender link per entity per connection, never more.
          const links = broker.entityCounters(entity);
          assert.ok(links.connections <= 3, `${entity}: ${links.connections}`);
          assert.equal(links.senderLinks, links.connections, entity);
        }
      } finally {
        await bus.close();
      }
      // The links closed with their connections.
      await broker.idle();
      for (const entity of ENTITIES) {
        assert.equal(broker.entityCounters(entity).openSenderLinks, 0);
      }
    });
  });

  it("keeps one sender link per entity for the connection's life", async () => {
    await withBroker({ queues: ["a", "b"] }, async (broker) => {
      const bus = managed(broker, { maxSize: 1 });
      try {
        for (let round = 0; round < 5; round++) {
          await bus.sender("a").sendBody(round);
          await bus.sender("b").sendBodies([round, round]);
        }
        assert.equal(broker.counters.connections, 1);
        assert.equal(broker.entityCounters("a").senderLinks, 1);
        assert.equal(broker.entityCounters("b").senderLinks, 1);
        assert.equal(broker.entityCounters("a").openSenderLinks, 1);
        await bus.use((client) =>
          assert.equal(bus.connector.senderLinkCount(client), 2)
        );
      } finally {
        await bus.close();
      }
    });
  });

  it("counts clientLimit per connection across entities", async () => {
    await withBroker({ queues: ["a", "b"] }, async (broker) => {
      const bus = managed(broker, { maxSize: 2, clientLimit: 1 });
      try {
        // Two callers on different entities cannot share a connection
        // with clientLimit 1: the second opens the second connection.
        const leaseA = await bus.getClient();
        await bus.sender("b").sendBody("b");
        assert.equal(bus.stats().connectionsCreated, 2);
        assert.equal(bus.stats().size, 2);
        leaseA.release();
        await Promise.all(
          Array.from(
            { length: 20 },
            (_, i) => bus.sender(i % 2 ? "a" : "b").sendBody(i),
          ),
        );
        assert.equal(broker.counters.connections, 2);
      } finally {
        await bus.close();
      }
    });
  });

  it("a link error drops only that link: a missing entity leaves the connection serving others", async () => {
    await withBroker({ queues: ["a"] }, async (broker) => {
      const bus = managed(broker, { maxSize: 1 });
      try {
        await bus.sender("a").sendBody("first");
        for (let i = 0; i < 3; i++) {
          await assert.rejects(
            bus.sender("missing").sendBody("x"),
            (error: EntityNotFound) =>
              error instanceof EntityNotFound && error.entity === "missing" &&
              (error.cause as ServiceBusError).code ===
                "MessagingEntityNotFound",
          );
        }
        await bus.sender("a").sendBody("second");
        assert.equal(broker.counters.connections, 1);
        assert.equal(bus.stats().connectionsClosed, 0);
        assert.equal(broker.entityCounters("a").senderLinks, 1);
        // The failed link is not kept: each try attached anew.
        assert.equal(broker.counters.notFound, 3);
        assert.deepEqual(broker.messages("a").map((m) => m.body), [
          "first",
          "second",
        ]);
      } finally {
        await bus.close();
      }
    });
  });

  it("a dropped connection is replaced, and every entity sends again on the new one", async () => {
    await withBroker({ queues: ["a", "b"] }, async (broker) => {
      const bus = managed(broker, { maxSize: 1 });
      try {
        await bus.sender("a").sendBody(1);
        await bus.sender("b").sendBody(1);
        assert.equal(await broker.disconnect(), 1);
        await bus.sender("a").sendBody(2);
        await bus.sender("b").sendBody(2);
        assert.equal(broker.counters.connections, 2);
        assert.equal(broker.entityCounters("a").connections, 2);
        assert.equal(broker.entityCounters("b").connections, 2);
        assert.equal(broker.messages("a").length, 2);
        assert.equal(broker.messages("b").length, 2);
      } finally {
        await bus.close();
      }
    });
  });

  it("readiness opens the link of the entity used last and writes nothing", async () => {
    await withBroker({ queues: ["a", "b"] }, async (broker) => {
      const bus = managed(broker, { maxSize: 3 });
      try {
        // Before any entity is used, a new connection has nothing to prove.
        assert.equal(await bus.pool.warm(1), 1);
        assert.equal(broker.counters.senderAttaches, 0);
        await bus.sender("b").sendBody("x");
        assert.equal(await bus.pool.warm(2), 2);
        assert.equal(broker.entityCounters("b").senderLinks, 2);
        assert.equal(broker.entityCounters("a").senderLinks, 0);
        assert.deepEqual(broker.messages("b").map((m) => m.body), ["x"]);
        assert.equal(broker.counters.transfers, 1);
      } finally {
        await bus.close();
      }
    });
  });

  it("fails callers at once with AuthenticationFailed when tokens are refused, without a retry storm", async () => {
    await withBroker({ queues: ["a"] }, async (broker) => {
      const bus = managed(broker, { maxSize: 3, acquireTimeoutSeconds: 30 });
      try {
        await bus.sender("a").sendBody("ok");
        await bus.close();
      } finally {
        await bus.close();
      }
      broker.refuseTokens = true;
      const before = broker.counters.putTokens;
      const second = managed(broker, { maxSize: 3, acquireTimeoutSeconds: 30 });
      try {
        // Every connection is proven by the link of the entity its callers
        // named, so the refusal is an open failure, not each caller's.
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, () => second.sender("a").sendBody("x")),
        );
        for (const result of results) {
          assert.equal(result.status, "rejected");
          const error = (result as PromiseRejectedResult).reason;
          assert.ok(error instanceof AuthenticationFailed, String(error));
          assert.equal(
            (error.cause as ServiceBusError).code,
            "UnauthorizedAccess",
          );
        }
        // The refused open answers every waiting caller; the breaker then
        // fails newcomers at once: one attempt, not one per caller.
        assert.ok(
          broker.counters.putTokens - before <= 3,
          `${broker.counters.putTokens - before} put-tokens`,
        );
        assert.deepEqual(broker.messages("a").map((m) => m.body), ["ok"]);
      } finally {
        await second.close();
      }
    });
  });
});

describe("ServiceBusClientConnector", () => {
  it("tells link errors from connection errors: a detached link condemns the link, not the connection", () => {
    const link = [
      new ServiceBusError("DetachForcedError: detached", "GeneralError"),
      new ServiceBusError("no such queue", "MessagingEntityNotFound"),
      new ServiceBusError("disabled", "MessagingEntityDisabled"),
      new Error(
        'The sender for "q" has been closed and can no longer be used. Please create a new sender.',
      ),
    ];
    for (const error of link) {
      assert.equal(isServiceBusLinkError(error), true, String(error));
      assert.equal(isNamespaceConnectionError(error), false, String(error));
    }
    const connection = [
      new ServiceBusError("lost", "ServiceCommunicationProblem"),
      new ServiceBusError("refused", "UnauthorizedAccess"),
      new Error("The underlying AMQP connection is closed."),
    ];
    for (const error of connection) {
      assert.equal(isServiceBusLinkError(error), false, String(error));
      assert.equal(isNamespaceConnectionError(error), true, String(error));
    }
    // The entity-bound sender's pool still replaces its client on a detach.
    assert.equal(isServiceBusConnectionError(link[0]), true);
  });

  it("drops a link after a link error once its last caller leaves, and keeps it otherwise", async () => {
    const connector = new ServiceBusClientConnector({
      connectionString:
        "Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
    });
    const client = await connector.create(new AbortController().signal);
    try {
      const senders: unknown[] = [];
      await connector.withSender(client, "a", (sender) => {
        senders.push(sender);
        return Promise.resolve();
      });
      await connector.withSender(client, "a", (sender) => {
        senders.push(sender);
        return Promise.resolve();
      });
      assert.equal(senders[0], senders[1]);
      assert.equal(connector.senderLinkCount(client), 1);
      const detached = new ServiceBusError(
        "DetachForcedError: x",
        "GeneralError",
      );
      let release!: () => void;
      const holding = connector.withSender(
        client,
        "a",
        () => new Promise<void>((resolve) => (release = resolve)),
      );
      await assert.rejects(
        connector.withSender(client, "a", () => Promise.reject(detached)),
        (error) => error === detached,
      );
      // Dropped from the cache at once; the holder still has its sender.
      assert.equal(connector.senderLinkCount(client), 0);
      release();
      await holding;
      await connector.withSender(client, "a", (sender) => {
        senders.push(sender);
        return Promise.resolve();
      });
      assert.notEqual(senders[2], senders[0]);
      assert.equal(connector.senderLinkCount(client), 1);
      // Another kind of error keeps the link.
      await assert.rejects(
        connector.withSender(client, "a", () => Promise.reject(new Error("x"))),
      );
      assert.equal(connector.senderLinkCount(client), 1);
    } finally {
      await connector.close(client);
    }
    await assert.rejects(
      connector.withSender(client, "a", () => Promise.resolve()),
      /the client is closed/,
    );
  });
});
