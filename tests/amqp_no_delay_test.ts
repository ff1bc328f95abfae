/**
 * Every AMQP connection a managed client opens runs with TCP no-delay:
 * without it a send written while another is unacknowledged waits for that
 * acknowledgement (Nagle's algorithm), so two sends in flight cost two round
 * trips. The SDKs leave it off; the test's control is a plain SDK client,
 * whose socket must stay as the SDK made it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { EventHubProducerClient } from "@azure/event-hubs";
import { ServiceBusClient } from "@azure/service-bus";
import { ManagedEventHubProducer } from "../src/event_hubs/mod.ts";
import {
  ManagedServiceBus,
  ManagedServiceBusSender,
} from "../src/service_bus/mod.ts";
import { withBroker } from "./_broker.ts";

/** Records the sockets on which no-delay was turned on, while `fn` runs. */
async function recordingNoDelay(
  fn: (noDelay: Set<unknown>) => Promise<void>,
): Promise<void> {
  const noDelay = new Set<unknown>();
  const prototype = net.Socket.prototype;
  const original = prototype.setNoDelay;
  prototype.setNoDelay = function (this: net.Socket, enable?: boolean) {
    if (enable !== false) noDelay.add(this);
    return original.call(this, enable);
  };
  try {
    await fn(noDelay);
  } finally {
    prototype.setNoDelay = original;
  }
}

/** The client-side socket of an SDK object's AMQP connection. */
function socketOf(sdkObject: unknown): unknown {
  const holder = sdkObject as {
    _context?: { connection?: { _connection?: { socket?: unknown } } };
    _connectionContext?: {
      connection?: { _connection?: { socket?: unknown } };
    };
  };
  const context = holder._context ?? holder._connectionContext;
  const socket = context?.connection?._connection?.socket;
  assert.ok(socket !== undefined, "the SDK's socket was found");
  return socket;
}

describe("AMQP connections of the managed clients", () => {
  it("run with TCP no-delay, where a plain SDK client's do not", async () => {
    await withBroker(
      { queues: ["q"], eventHubs: { h: 1 } },
      async (broker) => {
        await recordingNoDelay(async (noDelay) => {
          const connectionString = broker.connectionString();
          const sender = new ManagedServiceBusSender({
            connectionString,
            queueName: "q",
          });
          const bus = new ManagedServiceBus({ connectionString });
          const producer = new ManagedEventHubProducer({
            connectionString,
            eventHubName: "h",
          });
          const plain = new ServiceBusClient(connectionString);
          const plainProducer = new EventHubProducerClient(
            connectionString,
            "h",
          );
          try {
            await sender.sendBody("managed");
            await bus.sender("q").sendBody("bus");
            await producer.sendBody("managed");
            await plain.createSender("q").sendMessages({ body: "plain" });
            await plainProducer.sendBatch([{ body: "plain" }]);
            {
              await using lease = await sender.getSender();
              assert.ok(noDelay.has(socketOf(lease.client)), "sender");
            }
            {
              await using lease = await bus.getClient();
              assert.ok(noDelay.has(socketOf(lease.client)), "bus");
            }
            {
              await using lease = await producer.getProducer();
              assert.ok(noDelay.has(socketOf(lease.client)), "producer");
            }
            // The control: the SDK alone leaves Nagle's algorithm on.
            assert.ok(!noDelay.has(socketOf(plain)), "plain client");
            assert.ok(!noDelay.has(socketOf(plainProducer)), "plain producer");
          } finally {
            await Promise.allSettled([
              sender.close(),
              bus.close(),
              producer.close(),
              plain.close(),
              plainProducer.close(),
            ]);
          }
        });
      },
    );
  });

  it("keeps no-delay on the connection the SDK makes to replace a dropped one", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      await recordingNoDelay(async (noDelay) => {
        const bus = new ManagedServiceBus({
          connectionString: broker.connectionString(),
          maxSize: 1,
        });
        try {
          await using lease = await bus.getClient();
          const client = lease.client;
          await client.createSender("q").sendMessages({ body: 1 });
          await broker.disconnect();
          // The SDK reconnects on its own for a client still in use.
          await client.createSender("q").sendMessages({ body: 2 });
          assert.ok(noDelay.has(socketOf(client)), "the new connection");
          assert.equal(broker.counters.connections, 2);
        } finally {
          await bus.close();
        }
      });
    });
  });
});
