/**
 * Run as a child process by tests/event_grid_local_server_test.ts: starts
 * the local Event Grid, publishes through an `EventGridPublisher`, closes
 * the publisher (then counts the server's open connections), closes the
 * server, and prints what it saw. It must then exit by itself: a socket or
 * timer left by either would keep it alive, and the parent would kill it.
 */

import { EventGridPublisher } from "../src/event_grid/mod.ts";
import { startLocalEventGrid } from "../src/testing/servers/mod.ts";

const grid = await startLocalEventGrid({ topics: ["orders"] });
const publisher = new EventGridPublisher({
  topics: { orders: grid.topicOptions("orders") },
  operationTimeoutSeconds: 600,
});
const event = { eventType: "T", subject: "s", data: {} };
await publisher.emitEvent("orders", event);
await publisher.send("orders", [
  { ...event, dataVersion: "1" },
  { ...event, dataVersion: "1" },
]);
await publisher.close();
// The server sees the publisher's keep-alive socket close (bounded wait).
for (let i = 0; i < 200 && grid.stats().openConnections > 0; i++) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
console.log(
  `orders: ${
    grid.events("orders").length
  } event(s), open connections after the publisher closed: ${grid.stats().openConnections}`,
);
await grid.close();
console.log("all closed");
