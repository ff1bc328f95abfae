import { ManagedEventHubProducer } from "../../src/event_hubs/mod.ts";
import { startLocalEventHubs } from "../../src/testing/servers/mod.ts";

// A namespace on 127.0.0.1; against Azure, your `connectionString` instead.
await using local = await startLocalEventHubs({ hubs: ["telemetry"] });

await using hub = new ManagedEventHubProducer({
  connectionString: local.connectionString,
  eventHubName: "telemetry",
});

// Events with the same partition key land on one partition, in order.
await hub.sendBody({ celsius: 21.5 }, { partitionKey: "device-7" });
await hub.sendBodies([{ celsius: 21.6 }, { celsius: 21.7 }], {
  partitionKey: "device-7",
});

console.log(local.events("telemetry").map((event) => event.body));
// [ { celsius: 21.5 }, { celsius: 21.6 }, { celsius: 21.7 } ]
