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

console.log("all closed");
