/**
 * Run as a child process by tests/testing_servers_test.ts: starts each local
 * server, serves one real SDK client, closes both, and prints what it saw.
 * It must then exit by itself: a socket, timer or listener left by a server
 * would keep it alive, and the parent would kill it.
 */

import { CosmosClient } from "@azure/cosmos";
import { EventHubProducerClient } from "@azure/event-hubs";
import { ServiceBusClient } from "@azure/service-bus";
import {
  startLocalCosmos,
  startLocalEventHubs,
  startLocalServiceBus,
} from "../src/testing/servers/mod.ts";

const bus = await startLocalServiceBus({ queues: ["q"] });
const client = new ServiceBusClient(bus.connectionString);
await client.createSender("q").sendMessages({ body: "x" });
await client.close();
console.log(`service bus: ${bus.messages("q").length} message(s)`);
await bus.close();

const hubs = await startLocalEventHubs({ hubs: ["h"], partitionCount: 2 });
const producer = new EventHubProducerClient(hubs.connectionString, "h");
await producer.sendBatch([{ body: "x" }]);
await producer.close();
console.log(`event hubs: ${hubs.events("h").length} event(s)`);
await hubs.close();

const server = await startLocalCosmos({
  containers: [{ database: "d", container: "c" }],
});
// Not disposed on purpose: the server's close() must release the agent
// (and so the keep-alive socket) it handed out.
const cosmos = new CosmosClient(server.clientOptions());
const items = cosmos.database("d").container("c").items;
await items.create({ id: "1", pk: "a" });
const { resources } = await items.readAll().fetchAll();
console.log(`cosmos: ${resources.length} item(s)`);
await server.close();

// The same through each server's latency proxy, after a drop on the AMQP
// ones: the proxy's sockets and delay timers must not outlive close().
const slowBus = await startLocalServiceBus({
  queues: ["q"],
  latencySeconds: 0.005,
});
const slowClient = new ServiceBusClient(slowBus.connectionString);
await slowClient.createSender("q").sendMessages({ body: "x" });
await slowBus.dropConnections();
await slowClient.createSender("q").sendMessages({ body: "y" });
await slowClient.close();
console.log(
  `service bus through the proxy: ${slowBus.messages("q").length} message(s)`,
);
await slowBus.close();

const slowHubs = await startLocalEventHubs({
  hubs: ["h"],
  latencySeconds: 0.005,
});
const slowProducer = new EventHubProducerClient(
  slowHubs.connectionString,
  "h",
);
await slowProducer.sendBatch([{ body: "x" }]);
await slowProducer.close();
console.log(
  `event hubs through the proxy: ${slowHubs.events("h").length} event(s)`,
);
await slowHubs.close();

const slowServer = await startLocalCosmos({
  containers: [{ database: "d", container: "c" }],
  latencySeconds: 0.005,
});
// Not disposed either: close() must end the proxy's sockets too.
const slowCosmos = new CosmosClient(slowServer.clientOptions());
await slowCosmos.database("d").container("c").items.create({
  id: "1",
  pk: "a",
});
console.log("cosmos through the proxy: 1 item(s)");
await slowServer.close();

console.log("all closed");
