/**
 * Internal helpers of the local Service Bus and Event Hubs servers: loading
 * the broker, and the fault controls and counters they share.
 *
 * @module
 */

import type { AmqpBroker } from "./amqp_broker.ts";
import type { LocalAmqpFaults, LocalAmqpStats } from "./local_amqp.ts";
import { checkLatencySeconds, describe } from "./_options.ts";

/**
 * Loads the broker only when a server starts, so that importing
 * `./testing/servers` needs neither `rhea` nor `@vercel/cosmosdb-server`.
 *
 * @param owner The function called, for the message.
 * @returns `startAmqpBroker`.
 * @throws {Error} When `rhea` cannot be loaded (the cause says why).
 */
export async function loadBroker(
  owner: string,
): Promise<typeof import("./amqp_broker.ts").startAmqpBroker> {
  try {
    return (await import("./amqp_broker.ts")).startAmqpBroker;
  } catch (cause) {
    throw new Error(
      `Cannot start ${owner}: loading the npm package 'rhea' failed (install it as a dev dependency)`,
      { cause },
    );
  }
}

/**
 * The fault controls of a local server, over its broker.
 *
 * @param broker The broker.
 * @param owner The function that started it, for messages.
 * @returns The controls.
 */
export function faultsOf(broker: AmqpBroker, owner: string): LocalAmqpFaults {
  return {
    dropConnections: () => broker.disconnect(),
    refuseTokens(options?: { count?: number }): void {
      const count = options?.count;
      if (count === undefined) {
        broker.refuseTokens = true;
        return;
      }
      if (!Number.isInteger(count) || count < 1) {
        throw new RangeError(
          `Cannot refuse tokens as 'count' must be a positive integer: received ${
            describe(count)
          }`,
        );
      }
      broker.refuseNextTokens = count;
    },
    acceptTokens(): void {
      broker.refuseTokens = false;
      broker.refuseNextTokens = 0;
    },
    delayHandshakes(seconds: number): void {
      if (
        typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0
      ) {
        throw new RangeError(
          `Cannot delay handshakes as 'seconds' must be a finite number >= 0: received ${
            describe(seconds)
          }`,
        );
      }
      broker.handshakeDelayMs = seconds * 1000;
    },
    setLatency(seconds: number): void {
      const checked = checkLatencySeconds(
        "set the latency",
        "seconds",
        seconds,
      );
      if (broker.latencyMs === undefined) {
        throw new Error(
          `Cannot set the latency: start ${owner} with 'latencySeconds' (0 is fine) to put a delaying proxy in front of it`,
        );
      }
      broker.latencyMs = checked * 1000;
    },
  };
}

/**
 * A fresh snapshot of a broker's counters.
 *
 * @param broker The broker.
 * @returns The counters.
 */
export function statsOf(broker: AmqpBroker): LocalAmqpStats {
  const counters = broker.counters;
  return {
    connections: counters.connections,
    openConnections: counters.openConnections,
    droppedConnections: counters.dropped,
    putTokens: counters.putTokens,
    refusedTokens: counters.refusedTokens,
    senderLinks: counters.senderAttaches,
    receiverLinks: counters.receiverAttaches,
    stored: counters.messages + counters.events,
    duplicatesDropped: counters.duplicatesDropped,
  };
}
