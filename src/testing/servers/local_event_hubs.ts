/**
 * `startLocalEventHubs`: an Event Hubs namespace on 127.0.0.1 that the real
 * `@azure/event-hubs` SDK (and `ManagedEventHubProducer`) talks to.
 *
 * @module
 */

import type { AmqpBroker, BrokerEvent } from "./amqp_broker.ts";
import type { LocalAmqpFaults, LocalAmqpStats } from "./local_amqp.ts";
import { faultsOf, loadBroker, statsOf } from "./_local_amqp.ts";
import {
  checkLatencyOption,
  checkNames,
  checkOptions,
  describe,
} from "./_options.ts";

const OWNER = "startLocalEventHubs";

/**
 * Options of {@linkcode startLocalEventHubs}: the event hubs to create.
 *
 * @example Two hubs of eight partitions
 * ```ts
 * import type { LocalEventHubsOptions } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const options: LocalEventHubsOptions = { hubs: ["telemetry", "audit"], partitionCount: 8 };
 * assert.equal(options.partitionCount, 8);
 * ```
 */
export interface LocalEventHubsOptions {
  /**
   * Event hub names.
   * @default {[]}
   */
  hubs?: readonly string[];
  /**
   * Partitions of each hub, with ids `"0"`, `"1"`, ….
   * @default {4}
   */
  partitionCount?: number;
  /**
   * A one-way network latency, in seconds, added to every chunk in each
   * direction by a loopback TCP proxy in front of the server (a round trip
   * costs twice this), so that round trips, and the Nagle's algorithm of a
   * client's socket, show as on a network. Given (even 0), `connectionString`
   * points at the proxy and `setLatency()` can change it later; not given,
   * clients connect to the server directly.
   * @default {0}
   */
  latencySeconds?: number;
}

/** An event a local event hub holds. */
export interface LocalEvent {
  /** The partition it landed on. */
  partitionId: string;
  /** Its sequence number in the partition, from 0. */
  sequenceNumber: number;
  /** The partition key it was sent with, if any. */
  partitionKey: string | undefined;
  /** The body as the SDK decoded it (JSON values parsed). */
  body: unknown;
  /** Application properties (`EventData.properties`). */
  properties: Record<string, unknown>;
  /** The message id, if one was set. */
  messageId: unknown;
  /** The content type, if one was set. */
  contentType: string | undefined;
  /** The correlation id, if one was set. */
  correlationId: unknown;
}

/**
 * A running local Event Hubs namespace; see {@linkcode startLocalEventHubs}.
 * The fault controls ({@linkcode LocalAmqpFaults}) act on its connections.
 */
export interface LocalEventHubs extends LocalAmqpFaults, AsyncDisposable {
  /**
   * A SAS connection string for the namespace (no `EntityPath`: name the hub
   * in the client), with `UseDevelopmentEmulator=true` so that the SDKs use
   * plain AMQP on 127.0.0.1.
   */
  readonly connectionString: string;
  /** The port on 127.0.0.1 (the latency proxy's, with `latencySeconds`). */
  readonly port: number;
  /** The partition ids of every hub. */
  readonly partitionIds: readonly string[];
  /**
   * The events a hub holds (events are never removed), partition by
   * partition, each in sequence-number order.
   *
   * @param hub The hub name.
   * @param partitionId Only this partition.
   * @returns A snapshot of the events.
   * @throws {RangeError} When no such hub exists.
   */
  events(hub: string, partitionId?: string): LocalEvent[];
  /**
   * Counters since the server started.
   *
   * @returns A fresh snapshot.
   */
  stats(): LocalAmqpStats;
  /**
   * Stops the server: closes every connection, the listener and every timer.
   * Close your clients first. Calling it again does nothing.
   *
   * @returns When the listener is closed.
   */
  close(): Promise<void>;
}

function toEvent(event: BrokerEvent): LocalEvent {
  return {
    partitionId: event.partitionId,
    sequenceNumber: event.sequenceNumber,
    partitionKey: event.partitionKey,
    body: event.body,
    properties: event.applicationProperties,
    messageId: event.message.message_id,
    contentType: event.message.content_type,
    correlationId: event.message.correlation_id,
  };
}

/**
 * Starts an Event Hubs namespace on 127.0.0.1 and an ephemeral port, in this
 * process, on Deno, Node.js and Bun. The real `@azure/event-hubs` SDK talks
 * to it through `connectionString`: hub and partition properties, sends to
 * the gateway (spread round-robin, or by a hash of the partition key) or to a
 * partition, and `EventHubConsumerClient` reading from any position. It is a
 * test server, not an emulator: no checkpoints, no consumer-group limits, no
 * retention. It loads the npm package `rhea` (a dev dependency of your
 * tests) when called.
 *
 * @param options The hubs and their partition count.
 * @returns The running server; `close()` it when the test ends.
 * @throws {TypeError} When an option is unknown or `hubs` is not a list of
 * names.
 * @throws {RangeError} When `partitionCount` is not a positive integer.
 * @throws {Error} When `rhea` cannot be loaded.
 *
 * @example Events with one partition key land on one partition
 * ```ts
 * import { startLocalEventHubs } from "@azure-clients/toolbox/testing/servers";
 * import { ManagedEventHubProducer } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const hubs = await startLocalEventHubs({ hubs: ["telemetry"], partitionCount: 2 });
 * const producer = new ManagedEventHubProducer({
 *   connectionString: hubs.connectionString,
 *   eventHubName: "telemetry",
 * });
 * try {
 *   await producer.sendBodies([{ c: 21.5 }, { c: 21.7 }], { partitionKey: "device-7" });
 *   const events = hubs.events("telemetry");
 *   assert.deepEqual(events.map((e) => e.body), [{ c: 21.5 }, { c: 21.7 }]);
 *   assert.equal(new Set(events.map((e) => e.partitionId)).size, 1);
 * } finally {
 *   await producer.close();
 *   await hubs.close();
 * }
 * ```
 */
export async function startLocalEventHubs(
  options?: LocalEventHubsOptions,
): Promise<LocalEventHubs> {
  const given = checkOptions<LocalEventHubsOptions>(OWNER, options, [
    "hubs",
    "partitionCount",
    "latencySeconds",
  ]);
  const names = checkNames(OWNER, "hubs", given.hubs);
  const partitionCount = given.partitionCount ?? 4;
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(
      `Cannot start ${OWNER} as 'partitionCount' must be a positive integer: received ${
        describe(partitionCount)
      }`,
    );
  }
  const latency = checkLatencyOption(OWNER, given.latencySeconds);
  const startAmqpBroker = await loadBroker(OWNER);
  const broker: AmqpBroker = await startAmqpBroker({
    eventHubs: Object.fromEntries(names.map((name) => [name, partitionCount])),
    latencyMs: latency === undefined ? undefined : latency * 1000,
  });
  const self: LocalEventHubs = {
    ...faultsOf(broker, OWNER),
    connectionString: broker.connectionString(),
    port: broker.port,
    partitionIds: Object.freeze(
      Array.from({ length: partitionCount }, (_, i) => String(i)),
    ),
    events: (hub: string, partitionId?: string) =>
      broker.events(hub, partitionId).map(toEvent),
    stats: () => statsOf(broker),
    close: () => broker.stop(),
    [Symbol.asyncDispose]: () => broker.stop(),
  };
  return self;
}
