import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ManagedServiceBusSender } from "../../src/service_bus/mod.ts";
import type { ServiceBusMessageSender } from "../../src/testing/mod.ts";
import {
  type LocalServiceBus,
  startLocalServiceBus,
} from "../../src/testing/servers/mod.ts";

// The code under test: publishes each valid order to the "orders" queue.
async function placeOrder(
  sender: ServiceBusMessageSender,
  order: { id: string; total: number },
): Promise<void> {
  if (!(order.total > 0)) throw new RangeError(`Order ${order.id} is empty`);
  await sender.sendBody(order, { messageId: order.id, subject: "placed" });
}

describe("placeOrder", () => {
  let bus: LocalServiceBus;
  let sender: ManagedServiceBusSender;

  before(async () => {
    bus = await startLocalServiceBus({ queues: ["orders"] });
    sender = new ManagedServiceBusSender({
      connectionString: bus.connectionString,
      queueName: "orders",
    });
  });
  after(async () => {
    await sender.close(); // clients first, then the server
    await bus.close();
  });

  it("puts the order on the queue", async () => {
    await placeOrder(sender, { id: "o-1", total: 42 });
    const message = bus.messages("orders").at(-1);
    assert.deepEqual(message?.body, { id: "o-1", total: 42 });
    assert.equal(message?.messageId, "o-1");
    assert.equal(message?.subject, "placed");
  });

  it("sends on a new connection after the old one dropped", async () => {
    const connections = bus.stats().connections;
    await bus.dropConnections();
    await placeOrder(sender, { id: "o-2", total: 7 });
    assert.equal(bus.stats().connections, connections + 1);
    assert.equal(bus.messages("orders").at(-1)?.messageId, "o-2");
  });
});
