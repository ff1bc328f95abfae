import { EventGridPublisher } from "../../src/event_grid/mod.ts";
import { startLocalEventGrid } from "../../src/testing/servers/mod.ts";

// A topic on 127.0.0.1; against Azure, each topic's `endpoint` and `key`.
await using local = await startLocalEventGrid({ topics: ["orders"] });

await using grid = new EventGridPublisher({
  topics: { orders: local.topicOptions("orders") },
});
await grid.emitEvent("orders", {
  eventType: "Order.Placed",
  subject: "orders/1",
  data: { id: 1 },
});

console.log(local.events("orders").map((event) => event.eventType));
// [ "Order.Placed" ]
