import { ManagedServiceBus } from "../../src/service_bus/mod.ts";
import { startLocalServiceBus } from "../../src/testing/servers/mod.ts";

// A namespace on 127.0.0.1; against Azure, your `connectionString` instead.
await using local = await startLocalServiceBus({ queues: ["orders"] });

await using bus = new ManagedServiceBus({
  connectionString: local.connectionString,
});

// Send a body, with the message's properties.
await bus.sender("orders").sendBody({ id: 1, total: 42 }, {
  messageId: "order-1",
  subject: "placed",
});

// Receive with a peek-lock, and settle each message.
await using receiver = await bus.receiver({ queueName: "orders" });
for (const message of await receiver.receive(10, { maxWaitTimeSeconds: 1 })) {
  console.log(message.messageId, message.body); // order-1 { id: 1, total: 42 }
  await receiver.complete(message);
}
