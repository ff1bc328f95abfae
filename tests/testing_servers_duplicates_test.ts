/**
 * Tests of duplicate detection in `startLocalServiceBus`
 * (`duplicateDetection`), with the real `@azure/service-bus` SDK: a message
 * whose id was stored within the window is acknowledged but not stored
 * again, per queue or topic, counted per entity and in total; without the
 * option every message is stored.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ServiceBusClient } from "@azure/service-bus";
import {
  type LocalServiceBus,
  startLocalServiceBus,
} from "../src/testing/servers/mod.ts";

// Fail fast instead of retrying for minutes when a test goes wrong.
const clientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 5000 } };

async function withClient(
  bus: LocalServiceBus,
  fn: (client: ServiceBusClient) => Promise<void>,
): Promise<void> {
  const client = new ServiceBusClient(bus.connectionString, clientOptions);
  try {
    await fn(client);
  } finally {
    await client.close();
    await bus.close();
  }
}

describe("startLocalServiceBus with duplicateDetection", () => {
  it("acknowledges a second message with the same id within the window but stores it once", async () => {
    const bus = await startLocalServiceBus({
      queues: ["orders"],
      duplicateDetection: { windowSeconds: 60 },
    });
    await withClient(bus, async (client) => {
      const sender = client.createSender("orders");
      await sender.sendMessages({ body: 1, messageId: "order-1" });
      await sender.sendMessages({ body: 2, messageId: "order-1" });
      await sender.sendMessages({ body: 3, messageId: "order-2" });
      assert.deepEqual(
        bus.messages("orders").map((m) => [m.messageId, m.body]),
        [["order-1", 1], ["order-2", 3]],
      );
      assert.equal(bus.entityStats("orders").duplicatesDropped, 1);
      assert.equal(bus.stats().duplicatesDropped, 1);
      assert.equal(bus.stats().stored, 2);
    });
  });

  it("stores the same id again once the window has passed", async () => {
    const bus = await startLocalServiceBus({
      queues: ["orders"],
      duplicateDetection: { windowSeconds: 0.2 },
    });
    await withClient(bus, async (client) => {
      const sender = client.createSender("orders");
      await sender.sendMessages({ body: "first", messageId: "order-1" });
      // Stored before the acknowledgement came back: 200 ms after it, the
      // id is surely out of the window.
      const acknowledged = performance.now();
      await sender.sendMessages({ body: "inside", messageId: "order-1" });
      const left = acknowledged + 200 - performance.now();
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
      await sender.sendMessages({ body: "after", messageId: "order-1" });
      await sender.sendMessages({ body: "inside again", messageId: "order-1" });
      assert.deepEqual(
        bus.messages("orders").map((m) => m.body),
        ["first", "after"],
      );
      assert.equal(bus.entityStats("orders").duplicatesDropped, 2);
    });
  });

  it("drops duplicates inside one batch, and on a topic before copying to its subscriptions", async () => {
    const bus = await startLocalServiceBus({
      topics: { events: ["billing", "audit"] },
      duplicateDetection: {},
    });
    await withClient(bus, async (client) => {
      await client.createSender("events").sendMessages([
        { body: "x", messageId: "e-1" },
        { body: "x again", messageId: "e-1" },
        { body: "y", messageId: "e-2" },
      ]);
      for (const subscription of ["billing", "audit"]) {
        assert.deepEqual(
          bus.messages(`events/Subscriptions/${subscription}`).map((m) =>
            m.body
          ),
          ["x", "y"],
        );
      }
      assert.equal(bus.entityStats("events").duplicatesDropped, 1);
    });
  });

  it("detects duplicates only on the entities named, and never for messages without an id", async () => {
    const bus = await startLocalServiceBus({
      queues: ["orders", "logs"],
      duplicateDetection: { entities: ["orders"] },
    });
    await withClient(bus, async (client) => {
      const logs = client.createSender("logs");
      await logs.sendMessages({ body: 1, messageId: "same" });
      await logs.sendMessages({ body: 2, messageId: "same" });
      const orders = client.createSender("orders");
      await orders.sendMessages({ body: "no id" });
      await orders.sendMessages({ body: "no id" });
      assert.equal(bus.messages("logs").length, 2);
      assert.equal(bus.messages("orders").length, 2);
      assert.equal(bus.stats().duplicatesDropped, 0);
    });
  });

  it("stores every message when the option is not given", async () => {
    const bus = await startLocalServiceBus({ queues: ["orders"] });
    await withClient(bus, async (client) => {
      const sender = client.createSender("orders");
      await sender.sendMessages({ body: 1, messageId: "order-1" });
      await sender.sendMessages({ body: 2, messageId: "order-1" });
      assert.deepEqual(bus.messages("orders").map((m) => m.body), [1, 2]);
      assert.equal(bus.entityStats("orders").duplicatesDropped, 0);
    });
  });

  it("refuses a malformed duplicateDetection, naming the option and the value", async () => {
    const cases: [unknown, RegExp][] = [
      [
        true,
        /^TypeError: Cannot start startLocalServiceBus as 'duplicateDetection' must be an object: received true$/,
      ],
      [
        { window: 60 },
        /^TypeError: Cannot start startLocalServiceBus: unknown option 'duplicateDetection\.window' \(known: windowSeconds, entities\)$/,
      ],
      [
        { windowSeconds: 0 },
        /^RangeError: Cannot start startLocalServiceBus as 'duplicateDetection\.windowSeconds' must be a positive number: received 0$/,
      ],
      [
        { entities: ["order"] },
        /^RangeError: Cannot start startLocalServiceBus as 'duplicateDetection\.entities' names "order", which is not one of its queues or topics$/,
      ],
    ];
    for (const [duplicateDetection, message] of cases) {
      await assert.rejects(
        startLocalServiceBus({
          queues: ["orders"],
          duplicateDetection: duplicateDetection as never,
        }),
        message,
      );
    }
  });
});
