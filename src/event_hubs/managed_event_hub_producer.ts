/**
 * The pooled Event Hubs producer.
 *
 * @module
 */

import type { EventData, EventHubProducerClient } from "@azure/event-hubs";
import { amqpConnectionKeys } from "../managed/_amqp.ts";
import { describeValue, pick } from "../managed/_checks.ts";
import type { ManagedLease } from "../managed/lease.ts";
import { ManagedClient } from "../managed/managed_client.ts";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import { MANAGED_POOL_OPTION_KEYS } from "../managed/_pool_options.ts";
import { isEventHubConnectionError } from "./connection_error.ts";
import { EventHubProducerConnector } from "./connector.ts";
import type {
  EventHubConnectionOptions,
  ManagedEventHubProducerOptions,
  SendEventOptions,
  SendEventsOptions,
} from "./options.ts";
import {
  checkEventOptions,
  eventList,
  SEND_EVENT_KEYS,
  SEND_EVENTS_KEYS,
  sendBatched,
  toEvent,
} from "./_events.ts";
import { resolveEventHub } from "./_producer.ts";

/**
 * A pool of Event Hubs producers: callers share up to `maxSize` producers
 * (AMQP connections), at most `clientLimit` at a time each. A producer is
 * opened ahead of demand, proven by reading the hub's properties (no event is
 * written), recycled after `maxIdleSeconds` idle, and replaced when an
 * operation fails with a connection error
 * ({@linkcode isEventHubConnectionError}); other errors reach the caller and
 * leave the producer in the pool.
 *
 * @example Constructing and closing (nothing is opened)
 * ```ts
 * import { ManagedEventHubProducer } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const hub = new ManagedEventHubProducer({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   eventHubName: "telemetry",
 * });
 * assert.equal(hub.stats().size, 0);
 * await hub.close();
 * assert.equal(hub.pool.closed, true);
 * ```
 *
 * @example Sending (needs an Event Hubs namespace)
 * ```ts ignore
 * import { ManagedEventHubProducer } from "@azure-clients/toolbox/event-hubs";
 * import { DefaultAzureCredential } from "@azure/identity";
 *
 * const hub = new ManagedEventHubProducer({
 *   namespace: "myns.servicebus.windows.net",
 *   eventHubName: "telemetry",
 *   credential: new DefaultAzureCredential(),
 * });
 * await hub.sendEvent({ celsius: 21.5 }, { partitionKey: "device-7" });
 * await hub.sendEvents([{ celsius: 21.6 }, { celsius: 21.7 }], { partitionKey: "device-7" });
 * await hub.close();
 * ```
 */
export class ManagedEventHubProducer
  extends ManagedClient<EventHubProducerClient, EventHubProducerConnector> {
  /**
   * Checks the options and makes the pool; opens nothing.
   *
   * @param options The connection and the pool's options.
   * @throws {TypeError} When an option is unknown, missing or invalid, or two
   * credentials are given (the message names the options, never a key).
   * @throws {RangeError} When a pool option is out of range (the message
   * names the option and the value).
   */
  constructor(options: ManagedEventHubProducerOptions) {
    const settings = resolveEventHub(
      "ManagedEventHubProducer",
      options,
      MANAGED_POOL_OPTION_KEYS,
    );
    super(
      "ManagedEventHubProducer",
      new EventHubProducerConnector(
        pick(
          options,
          amqpConnectionKeys("eventHubName"),
        ) as EventHubConnectionOptions,
      ),
      options,
      {
        maxIdleSeconds: 220,
        maxLifespanSeconds: Infinity,
        createTimeoutSeconds: 30,
        name: `eventhubs:${settings.host}/${settings.entity}`,
        isConnectionError: isEventHubConnectionError,
      },
    );
  }

  /**
   * Sends one event.
   *
   * @param body The body (the SDK encodes it; JSON values as JSON).
   * @param options Where it goes, its properties, and cancellation.
   * @returns When the service accepted the event.
   * @throws {TypeError} For an unknown option, or when both `partitionKey`
   * and `partitionId` are given.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When opening a producer failed (`cause` is the
   * SDK's error).
   * @throws {PoolClosed} After `close()`.
   * @throws {MessagingError} What the SDK threw (a connection error also
   * replaces the producer).
   *
   * @example Sending with a partition key (needs an Event Hubs namespace)
   * ```ts ignore
   * await hub.sendEvent({ celsius: 21.5 }, { partitionKey: "device-7" });
   * ```
   */
  async sendEvent(body: unknown, options?: SendEventOptions): Promise<void> {
    checkEventOptions("send an event", options, SEND_EVENT_KEYS);
    await this.#send([toEvent(body, options)], options);
  }

  /**
   * Sends events in as few batches as the link's size limit allows, on one
   * pooled producer. If a batch fails, the batches before it were sent.
   *
   * @param bodies The bodies.
   * @param options Where they go, and cancellation.
   * @returns How many batches were sent.
   * @throws {TypeError} For an unknown option, or when `bodies` is not an
   * array.
   * @throws {MessagingError} With code `MessageTooLargeError` when one event
   * does not fit in an empty batch, or what the SDK threw.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When opening a producer failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Sending a list (needs an Event Hubs namespace)
   * ```ts ignore
   * const batches = await hub.sendEvents([{ n: 1 }, { n: 2 }], { partitionKey: "device-7" });
   * ```
   */
  async sendEvents(
    bodies: readonly unknown[],
    options?: SendEventsOptions,
  ): Promise<number> {
    checkEventOptions("send events", options, SEND_EVENTS_KEYS);
    if (!Array.isArray(bodies)) {
      throw new TypeError(
        `Cannot send events as 'bodies' must be an array: received ${
          describeValue(bodies)
        }`,
      );
    }
    return await this.#send(bodies.map((body) => ({ body })), options);
  }

  /**
   * Sends `EventData` as given (body, properties, ids), batched like
   * `sendEvents`.
   *
   * @param data One event or a list.
   * @param options Where they go, and cancellation.
   * @returns How many batches were sent.
   * @throws {TypeError} For an unknown option, or when `data` is not an
   * `EventData` or a list of them.
   * @throws {MessagingError} What the SDK threw.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When opening a producer failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Sending an event with properties (needs an Event Hubs namespace)
   * ```ts ignore
   * await hub.sendEventData({ body: { n: 1 }, properties: { source: "edge" } });
   * ```
   */
  async sendEventData(
    data: EventData | readonly EventData[],
    options?: SendEventsOptions,
  ): Promise<number> {
    checkEventOptions("send event data", options, SEND_EVENTS_KEYS);
    return await this.#send(eventList(data), options);
  }

  async #send(
    events: readonly EventData[],
    options: SendEventsOptions | undefined,
  ): Promise<number> {
    if (events.length === 0) return 0;
    return await this.operation(
      (producer) => sendBatched(producer, events, options),
      options,
    );
  }

  /**
   * Takes a pooled SDK producer until the lease is released (or disposed
   * with `await using`).
   *
   * @param options A signal, and a bound on the acquire.
   * @returns The lease; `lease.client` is the `EventHubProducerClient`.
   * @throws {TypeError} For an unknown option.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When opening a producer failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Holding a producer (needs an Event Hubs namespace)
   * ```ts ignore
   * await using lease = await hub.getProducer();
   * const batch = await lease.client.createBatch();
   * ```
   */
  getProducer(
    options?: ManagedOperationOptions,
  ): Promise<ManagedLease<EventHubProducerClient>> {
    return this.lease(options);
  }
}
