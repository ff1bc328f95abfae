/**
 * What the local Service Bus and Event Hubs servers share: their fault
 * controls and their counters.
 *
 * @module
 */

/**
 * Faults a test can inject into a local AMQP server
 * ({@linkcode startLocalServiceBus}, {@linkcode startLocalEventHubs}) to see
 * how its clients invalidate and recover, and a network latency to see what
 * round trips cost them. Each lasts until undone.
 *
 * @example Refusing the next token
 * ```ts
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import { ServiceBusClient } from "@azure/service-bus";
 * import assert from "node:assert/strict";
 *
 * const bus = await startLocalServiceBus({ queues: ["jobs"] });
 * const client = new ServiceBusClient(bus.connectionString, {
 *   retryOptions: { maxRetries: 0 },
 * });
 * try {
 *   bus.refuseTokens({ count: 1 });
 *   const sender = client.createSender("jobs");
 *   await assert.rejects(sender.sendMessages({ body: "refused" }), {
 *     code: "UnauthorizedAccess",
 *   });
 *   await sender.sendMessages({ body: "accepted" });
 *   assert.equal(bus.stats().refusedTokens, 1);
 *   assert.deepEqual(bus.messages("jobs").map((m) => m.body), ["accepted"]);
 * } finally {
 *   await client.close();
 *   await bus.close();
 * }
 * ```
 */
export interface LocalAmqpFaults {
  /**
   * Ends every open client connection, as a network failure or a service
   * restart would. Resolves once each client has seen its connection end
   * (its socket answered the server's FIN), so a client's next operation
   * opens a new connection instead of going out on the dead one. New
   * connections are served as usual.
   *
   * @returns How many connections were ended.
   */
  dropConnections(): Promise<number>;
  /**
   * Answers CBS put-token requests (the authentication of every link) with
   * 401, which the SDKs report as `UnauthorizedAccess`: until
   * {@linkcode acceptTokens}, or for the next `count` requests only.
   *
   * @param options `count`: refuse only this many requests.
   * @throws {RangeError} When `count` is not a positive integer.
   */
  refuseTokens(options?: { count?: number }): void;
  /** Accepts put-token requests again (undoes {@linkcode refuseTokens}). */
  acceptTokens(): void;
  /**
   * Holds every new connection this long before serving it (SASL, open,
   * authentication and attach all start later), as a slow network or service
   * would; 0 undoes it. Connections already open are not affected.
   *
   * @param seconds The delay.
   * @throws {RangeError} When `seconds` is not a finite number >= 0.
   */
  delayHandshakes(seconds: number): void;
  /**
   * Changes the one-way latency that the server's proxy adds to every chunk
   * in each direction (a round trip costs twice this); chunks already on
   * their way keep their delay and their order. Only for a server started
   * with `latencySeconds` (0 is fine): without it, clients connect to the
   * server directly and there is no proxy to slow down.
   *
   * @param seconds The one-way delay; 0 forwards at once.
   * @throws {RangeError} When `seconds` is not a finite number >= 0.
   * @throws {Error} When the server was started without `latencySeconds`.
   */
  setLatency(seconds: number): void;
}

/**
 * A snapshot of a local AMQP server's counters, since it started.
 *
 * @example Counting connections
 * ```ts
 * import { startLocalEventHubs } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const hubs = await startLocalEventHubs({ hubs: ["telemetry"] });
 * assert.deepEqual(hubs.stats().connections, 0);
 * await hubs.close();
 * ```
 */
export interface LocalAmqpStats {
  /** Client connections accepted. */
  connections: number;
  /** Client connections open now. */
  openConnections: number;
  /** Connections ended by `dropConnections()`. */
  droppedConnections: number;
  /** CBS put-token requests (one per link a client opens). */
  putTokens: number;
  /** Put-token requests refused. */
  refusedTokens: number;
  /** Links opened to send to a queue, topic, event hub or partition. */
  senderLinks: number;
  /** Links opened to receive from a queue, subscription or partition. */
  receiverLinks: number;
  /** Messages or events stored (a topic's copies count once each). */
  stored: number;
  /**
   * Messages that Service Bus duplicate detection accepted but did not store
   * again (always 0 on Event Hubs).
   */
  duplicatesDropped: number;
}
