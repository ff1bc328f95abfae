/**
 * Tests of the latency knob of `./testing/servers` (`latencySeconds`,
 * `setLatency`): the loopback proxy in front of each local server adds its
 * delay to every round trip, keeps the order of what passes through it, and
 * lets the fault controls reach the clients as before. The latency
 * assertions are generous bounds on one round trip (a send through a 50 ms
 * one-way delay cannot finish in under 100 ms; without it, it takes far
 * less); everything else is counted.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CosmosClient } from "@azure/cosmos";
import { EventHubProducerClient } from "@azure/event-hubs";
import { ServiceBusClient } from "@azure/service-bus";
import { ManagedServiceBusSender } from "../src/service_bus/mod.ts";
import {
  startLocalCosmos,
  startLocalEventHubs,
  startLocalServiceBus,
} from "../src/testing/servers/mod.ts";

// Fail fast instead of retrying for minutes when a test goes wrong.
const clientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 5000 } };

/** The quickest of `times` runs of `fn`, in milliseconds. */
async function fastest(
  times: number,
  fn: () => Promise<unknown>,
): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await fn();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

describe("startLocalServiceBus with latencySeconds", () => {
  it("makes one SDK send on an open link take at least one round trip (2 x 50 ms), and far less at 0", async () => {
    const bus = await startLocalServiceBus({
      queues: ["orders"],
      latencySeconds: 0.05,
    });
    const client = new ServiceBusClient(bus.connectionString, clientOptions);
    try {
      const sender = client.createSender("orders");
      await sender.sendMessages({ body: "opens the link" });
      const slow = await fastest(
        3,
        () => sender.sendMessages({ body: "slow" }),
      );
      assert.ok(slow >= 100, `a send took ${slow} ms through a 50 ms latency`);
      bus.setLatency(0);
      const quick = await fastest(
        3,
        () => sender.sendMessages({ body: "quick" }),
      );
      assert.ok(quick < 50, `a send took ${quick} ms without latency`);
      assert.equal(bus.messages("orders").length, 7);
    } finally {
      await client.close();
      await bus.close();
    }
  });

  it("keeps the order of 40 concurrent sends on one link", async () => {
    const bus = await startLocalServiceBus({
      queues: ["orders"],
      latencySeconds: 0.03,
    });
    const client = new ServiceBusClient(bus.connectionString, clientOptions);
    try {
      const sender = client.createSender("orders");
      await sender.sendMessages({ body: -1 });
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 40; i++) {
        sends.push(sender.sendMessages({ body: i }));
      }
      await Promise.all(sends);
      assert.deepEqual(
        bus.messages("orders").map((m) => m.body),
        [-1, ...Array.from({ length: 40 }, (_, i) => i)],
      );
    } finally {
      await client.close();
      await bus.close();
    }
  });

  it("drops connections through the proxy: the client reconnects and nothing is lost", async () => {
    const bus = await startLocalServiceBus({
      queues: ["orders"],
      latencySeconds: 0.01,
    });
    const sender = new ManagedServiceBusSender({
      connectionString: bus.connectionString,
      queueName: "orders",
      clientOptions,
    });
    try {
      await sender.sendBody("before");
      assert.equal(await bus.dropConnections(), 1);
      assert.equal(bus.stats().openConnections, 0);
      await sender.sendBody("after");
      assert.equal(bus.stats().connections, 2);
      assert.equal(bus.stats().droppedConnections, 1);
      assert.deepEqual(
        bus.messages("orders").map((m) => m.body),
        ["before", "after"],
      );
    } finally {
      await sender.close();
      await bus.close();
    }
  });

  it("refuses tokens through the proxy", async () => {
    const bus = await startLocalServiceBus({
      queues: ["jobs"],
      latencySeconds: 0,
    });
    const client = new ServiceBusClient(bus.connectionString, clientOptions);
    try {
      bus.refuseTokens({ count: 1 });
      const sender = client.createSender("jobs");
      await assert.rejects(sender.sendMessages({ body: "refused" }), {
        code: "UnauthorizedAccess",
      });
      await sender.sendMessages({ body: "accepted" });
      assert.equal(bus.stats().refusedTokens, 1);
      assert.deepEqual(bus.messages("jobs").map((m) => m.body), ["accepted"]);
    } finally {
      await client.close();
      await bus.close();
    }
  });

  it("closes its proxy's connections on close, leaving none open", async () => {
    const bus = await startLocalServiceBus({
      queues: ["q"],
      latencySeconds: 0.005,
    });
    const client = new ServiceBusClient(bus.connectionString, clientOptions);
    try {
      await client.createSender("q").sendMessages({ body: 1 });
      assert.equal(bus.stats().openConnections, 1);
    } finally {
      await client.close();
      await bus.close();
    }
    assert.equal(bus.stats().openConnections, 0);
  });

  it("refuses a bad latency, and setLatency on a server started without one", async () => {
    for (const value of [-1, NaN, Infinity, "20"]) {
      await assert.rejects(
        startLocalServiceBus({ latencySeconds: value as number }),
        (error: unknown) => {
          assert.ok(
            error instanceof RangeError,
            `latencySeconds ${String(value)}`,
          );
          assert.match(
            error.message,
            /^Cannot start startLocalServiceBus as 'latencySeconds' must be a finite number of seconds >= 0: received /,
          );
          return true;
        },
      );
    }
    const bus = await startLocalServiceBus({ queues: ["q"] });
    try {
      assert.throws(
        () => bus.setLatency(0.02),
        /^Error: Cannot set the latency: start startLocalServiceBus with 'latencySeconds' \(0 is fine\)/,
      );
    } finally {
      await bus.close();
    }
    const proxied = await startLocalServiceBus({ latencySeconds: 0 });
    try {
      assert.throws(
        () => proxied.setLatency(-0.5),
        /^RangeError: Cannot set the latency as 'seconds' must be a finite number of seconds >= 0: received -0.5$/,
      );
    } finally {
      await proxied.close();
    }
  });
});

describe("startLocalEventHubs with latencySeconds", () => {
  it("makes one SDK sendBatch take at least one round trip (2 x 50 ms), and far less at 0", async () => {
    const hubs = await startLocalEventHubs({
      hubs: ["telemetry"],
      partitionCount: 1,
      latencySeconds: 0.05,
    });
    const producer = new EventHubProducerClient(
      hubs.connectionString,
      "telemetry",
      clientOptions,
    );
    try {
      await producer.sendBatch([{ body: "opens the link" }]);
      const slow = await fastest(
        3,
        () => producer.sendBatch([{ body: "slow" }]),
      );
      assert.ok(slow >= 100, `a send took ${slow} ms through a 50 ms latency`);
      hubs.setLatency(0);
      const quick = await fastest(
        3,
        () => producer.sendBatch([{ body: "quick" }]),
      );
      assert.ok(quick < 50, `a send took ${quick} ms without latency`);
      assert.equal(hubs.events("telemetry").length, 7);
    } finally {
      await producer.close();
      await hubs.close();
    }
  });

  it("drops connections through the proxy: the next send opens a new one", async () => {
    const hubs = await startLocalEventHubs({
      hubs: ["telemetry"],
      latencySeconds: 0.01,
    });
    const producer = new EventHubProducerClient(
      hubs.connectionString,
      "telemetry",
      clientOptions,
    );
    try {
      await producer.sendBatch([{ body: "before" }]);
      assert.equal(await hubs.dropConnections(), 1);
      await producer.sendBatch([{ body: "after" }]);
      assert.equal(hubs.stats().connections, 2);
      assert.deepEqual(
        hubs.events("telemetry").map((e) => e.body).sort(),
        ["after", "before"],
      );
    } finally {
      await producer.close();
      await hubs.close();
    }
  });
});

describe("startLocalCosmos with latencySeconds", () => {
  it("makes one point read take at least one round trip (2 x 50 ms), and far less at 0", async () => {
    const server = await startLocalCosmos({
      containers: [{ database: "shop", container: "orders" }],
      latencySeconds: 0.05,
    });
    const client = new CosmosClient(server.clientOptions());
    try {
      const container = client.database("shop").container("orders");
      await container.items.create({ id: "o-1", pk: "c-1" });
      const read = () => container.item("o-1", "c-1").read();
      const slow = await fastest(3, read);
      assert.ok(slow >= 100, `a read took ${slow} ms through a 50 ms latency`);
      server.setLatency(0);
      const quick = await fastest(3, read);
      assert.ok(quick < 50, `a read took ${quick} ms without latency`);
      assert.equal(server.stats().tlsConnections >= 1, true);
    } finally {
      client.dispose();
      await server.close();
    }
  });

  it("stops and restarts through the proxy: requests fail while stopped, then succeed", async () => {
    const server = await startLocalCosmos({ latencySeconds: 0.005 });
    const client = new CosmosClient(server.clientOptions());
    try {
      await client.databases.createIfNotExists({ id: "shop" });
      await server.stop();
      assert.equal(server.listening, false);
      await assert.rejects(client.database("shop").read());
      await server.restart();
      const { statusCode } = await client.databases.createIfNotExists({
        id: "shop",
      });
      assert.equal(statusCode, 201);
    } finally {
      client.dispose();
      await server.close();
    }
  });

  it("refuses setLatency on a server started without latencySeconds", async () => {
    const server = await startLocalCosmos();
    try {
      assert.throws(
        () => server.setLatency(0.01),
        /^Error: Cannot set the latency: start startLocalCosmos with 'latencySeconds'/,
      );
    } finally {
      await server.close();
    }
  });
});
