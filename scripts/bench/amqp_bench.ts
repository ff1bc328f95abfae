/**
 * Sends through the managed Service Bus sender and Event Hubs producer versus
 * a new SDK client per send, against the local AMQP test broker with its
 * handshake delay at 0 ms (loopback: the cost of connect, SASL, CBS and
 * attach only) and at 700 ms (the seed's figure for a new client's first
 * send against Azure).
 *
 * Run: `deno bench -A scripts/bench/amqp_bench.ts` (or `deno task bench:micro`).
 * Each group's baseline is "new client per send", so the summary reads as
 * "managed is N× faster". Parameters come from the environment, with these
 * defaults: AMQP_BENCH_DELAY_MS=700 (the slow group's handshake delay),
 * AMQP_BENCH_SLOW_N=3 (iterations of the slow new-client rows).
 *
 * @module
 */

import process from "node:process";
import { EventHubProducerClient } from "@azure/event-hubs";
import { ServiceBusClient } from "@azure/service-bus";
import { ManagedEventHubProducer } from "../../src/event_hubs/mod.ts";
import { ManagedServiceBusSender } from "../../src/service_bus/mod.ts";
import { startAmqpBroker } from "../../src/testing/servers/amqp_broker.ts";

const slowDelayMs = Number(process.env.AMQP_BENCH_DELAY_MS ?? 700);
const slowN = Number(process.env.AMQP_BENCH_SLOW_N ?? 3);
const clientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 10_000 } };
console.log(
  `amqp_bench: AMQP_BENCH_DELAY_MS=${slowDelayMs} AMQP_BENCH_SLOW_N=${slowN}`,
);

for (const delayMs of [0, slowDelayMs]) {
  const broker = await startAmqpBroker({
    queues: ["q"],
    eventHubs: { hub: 2 },
    handshakeDelayMs: delayMs,
  });
  const sender = new ManagedServiceBusSender({
    connectionString: broker.connectionString(),
    queueName: "q",
    maxSize: 1,
    clientOptions,
  });
  const producer = new ManagedEventHubProducer({
    connectionString: broker.connectionString(),
    eventHubName: "hub",
    maxSize: 1,
    clientOptions,
  });
  // The pools are warmed first: the managed rows measure a send on an open
  // connection, which is what callers get after the first one.
  await sender.pool.warm(1);
  await producer.pool.warm(1);
  const slow = delayMs > 0 ? { n: slowN, warmup: 1 } : {};

  Deno.bench({
    name: `ManagedServiceBusSender.sendMessage, handshake ${delayMs} ms`,
    group: `servicebus-${delayMs}`,
    async fn() {
      await sender.sendBody("bench");
    },
  });
  Deno.bench({
    name: `new ServiceBusClient per send, handshake ${delayMs} ms`,
    group: `servicebus-${delayMs}`,
    baseline: true,
    ...slow,
    async fn() {
      const client = new ServiceBusClient(
        broker.connectionString(),
        clientOptions,
      );
      try {
        await client.createSender("q").sendMessages({ body: "bench" });
      } finally {
        await client.close();
      }
    },
  });
  Deno.bench({
    name: `ManagedEventHubProducer.sendEvent, handshake ${delayMs} ms`,
    group: `eventhubs-${delayMs}`,
    async fn() {
      await producer.sendBody("bench");
    },
  });
  Deno.bench({
    name: `new EventHubProducerClient per send, handshake ${delayMs} ms`,
    group: `eventhubs-${delayMs}`,
    baseline: true,
    ...slow,
    async fn() {
      const client = new EventHubProducerClient(
        broker.connectionString(),
        "hub",
        clientOptions,
      );
      try {
        await client.sendBatch([{ body: "bench" }]);
      } finally {
        await client.close();
      }
    },
  });
  // Not a measurement: closes the pools and the broker once this delay's
  // rows are done (deno bench runs benches in registration order; the
  // closes are idempotent, so the extra warmup call is harmless).
  Deno.bench({
    name: `(teardown of the handshake ${delayMs} ms broker)`,
    group: `teardown-${delayMs}`,
    n: 1,
    warmup: 1,
    async fn() {
      await sender.close();
      await producer.close();
      await broker.stop();
    },
  });
}
