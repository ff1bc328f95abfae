import assert from "node:assert/strict";
import { ManagedServiceBusSender } from "../../src/service_bus/mod.ts";
import { startLocalServiceBus } from "../../src/testing/servers/mod.ts";

Deno.test("a message sent through the managed sender reaches the queue", async () => {
  const bus = await startLocalServiceBus({ queues: ["orders"] });
  const sender = new ManagedServiceBusSender({
    connectionString: bus.connectionString,
    queueName: "orders",
  });
  try {
    await sender.sendBody({ id: "o-1" }, { messageId: "o-1" });
    assert.deepEqual(bus.messages("orders").map((m) => m.body), [{
      id: "o-1",
    }]);
  } finally {
    await sender.close();
    await bus.close();
  }
});
