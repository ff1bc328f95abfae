/**
 * Runs a test against a fresh local AMQP broker and stops it however the
 * test ends: the one helper the Service Bus, Event Hubs and broker tests
 * share.
 *
 * @module
 */

import {
  type AmqpBroker,
  type AmqpBrokerOptions,
  startAmqpBroker,
} from "../src/testing/servers/amqp_broker.ts";

/**
 * Starts a broker with `options`, runs `fn` with it, then stops it.
 *
 * @param options The broker's queues, hubs and limits.
 * @param fn The test body.
 */
export async function withBroker(
  options: AmqpBrokerOptions,
  fn: (broker: AmqpBroker) => Promise<void>,
): Promise<void> {
  const broker = await startAmqpBroker(options);
  try {
    await fn(broker);
  } finally {
    await broker.stop();
  }
}
