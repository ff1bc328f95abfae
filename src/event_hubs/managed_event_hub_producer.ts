/**
 * The pooled Event Hubs producer.
 *
 * @module
 */

import type { EventHubProducerClient } from "@azure/event-hubs";
import {
  AMQP_CLIENT_LIMIT,
  amqpConnectionKeys,
  FOLLOWED_OPERATION_KEYS,
  followedOperations,
} from "../managed/_amqp.ts";
import { pick } from "../managed/_checks.ts";
import type { ManagedLease } from "../managed/lease.ts";
import { ManagedClient } from "../managed/managed_client.ts";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import { MANAGED_POOL_OPTION_KEYS } from "../managed/_pool_options.ts";
import { isEventHubConnectionError } from "./connection_error.ts";
import { EventHubProducerConnector } from "./connector.ts";
import type {
  EventDataInput,
  EventHubConnectionOptions,
  ManagedEventHubProducerOptions,
  SendBatchOptions,
  SendBodiesOptions,
  SendBodyOptions,
} from "./options.ts";
import { resolveEventHub } from "./_producer.ts";
import { Producing } from "./_sending.ts";

/**
 * A pool of Event Hubs producers: callers share up to `maxSize` producers
 * (AMQP connections), at most `clientLimit` at a time each. A producer is
 * opened ahead of demand, proven by reading the hub's properties and opening
 * its send link (no event is written, and the first send finds the link
 * open), recycled after `maxIdleSeconds` idle, and replaced when an
 * operation fails with a connection error
 * ({@linkcode isEventHubConnectionError}) or its connection dies on its own
 * (a reset or closed socket is noticed at once); other errors reach the
 * caller and leave the producer in the pool. Each send is bounded by
 * `operationTimeoutSeconds`; one whose connection died while it was in
 * flight fails with `ConnectionLost`, or is sent once more when
 * `resendOnConnectionLoss` is on (Event Hubs has no duplicate detection).
 *
 * `sendBatch` takes the SDK's `EventData`, as the SDK's method of that name
 * does; `sendBody` and `sendBodies` take bodies.
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
 * await hub.sendBody({ celsius: 21.5 }, { partitionKey: "device-7" });
 * await hub.sendBatch([{ body: { celsius: 21.6 }, properties: { unit: "C" } }], { partitionKey: "device-7" });
 * await hub.close();
 * ```
 */
export class ManagedEventHubProducer
  extends ManagedClient<EventHubProducerClient, EventHubProducerConnector> {
  readonly #producing: Producing;

  /**
   * Checks the options and makes the pool; opens nothing.
   *
   * @param options The connection, the pool's options and how sends are
   * bounded.
   * @throws {TypeError} When an option is unknown, missing or invalid, or two
   * credentials are given (the message names the options, never a key).
   * @throws {RangeError} When a pool option or `operationTimeoutSeconds` is
   * out of range (the message names the option and the value).
   */
  constructor(options: ManagedEventHubProducerOptions) {
    const owner = "ManagedEventHubProducer";
    const settings = resolveEventHub(owner, options, [
      ...MANAGED_POOL_OPTION_KEYS,
      ...FOLLOWED_OPERATION_KEYS,
    ]);
    const { timeoutMs, resend } = followedOperations(owner, options, false);
    super(
      owner,
      new EventHubProducerConnector(
        pick(
          options,
          amqpConnectionKeys("eventHubName"),
        ) as EventHubConnectionOptions,
      ),
      options,
      {
        clientLimit: AMQP_CLIENT_LIMIT,
        maxIdleSeconds: 220,
        maxLifespanSeconds: Infinity,
        createTimeoutSeconds: 30,
        name: `eventhubs:${settings.host}/${settings.entity}`,
        isConnectionError: isEventHubConnectionError,
      },
    );
    this.followOperations(timeoutMs);
    const producing: Producing = this.#producing = new Producing(
      (fn, options, what) =>
        this.followed(fn, options, {
          what,
          resend,
          translate: (error) => producing.outcome(error, what),
        }),
      `event hub '${settings.entity}' on ${settings.host}`,
      settings.entity,
    );
  }

  /** The event hub it sends to. */
  get eventHubName(): string {
    return this.connector.eventHubName;
  }

  /**
   * Sends a list of `EventData`, as the SDK's
   * `EventHubProducerClient.sendBatch` does: each event keeps its body,
   * properties and ids, and the list goes as one batch (a list too large
   * for one batch fails with the SDK's error; `sendBodies` splits).
   *
   * @param events The events (`{ body, properties?, ... }`).
   * @param options Where they go (`partitionKey` or `partitionId`),
   * cancellation, and a bound on the wait for a producer.
   * @returns When the service accepted every event.
   * @throws {TypeError} When `events` is not a list of `EventData` (a bare
   * body: use `sendBody`), for an unknown option, or for both a partition key
   * and a partition id.
   * @throws {EntityNotFound} When the event hub does not exist.
   * @throws {AuthenticationFailed} When the service refused the credential.
   * @throws {OperationTimeout} When the service did not answer within
   * `operationTimeoutSeconds`.
   * @throws {ConnectionLost} When the connection died mid-send and the
   * events were not sent again.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When the namespace could not be reached.
   * @throws {PoolClosed} After `close()`.
   * @throws {MessagingError} Any other answer of the SDK
   * (`MessageTooLargeError` when one event does not fit in an empty batch).
   *
   * @example The SDK's event shape (needs an Event Hubs namespace)
   * ```ts ignore
   * await hub.sendBatch([{ body: { n: 1 }, properties: { source: "edge" } }], { partitionKey: "device-7" });
   * ```
   */
  sendBatch(events: EventDataInput, options?: SendBatchOptions): Promise<void> {
    return this.#producing.sendBatch(events, options);
  }

  /**
   * Sends one value as an event's body, with the properties of `options`.
   * (The Python toolbox's `send_event`.)
   *
   * @param body The body (the SDK encodes it; JSON values as JSON).
   * @param options Where it goes, its properties, and cancellation.
   * @returns When the service accepted the event.
   * @throws {TypeError} For an unknown option, or when both `partitionKey`
   * and `partitionId` are given.
   * @throws {EntityNotFound} When the event hub does not exist.
   * @throws {AuthenticationFailed} When the service refused the credential.
   * @throws {OperationTimeout} When the service did not answer in time.
   * @throws {ConnectionLost} When the connection died mid-send and the
   * event was not sent again.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When the namespace could not be reached.
   * @throws {PoolClosed} After `close()`.
   * @throws {MessagingError} Any other answer of the SDK.
   *
   * @example Sending with a partition key (needs an Event Hubs namespace)
   * ```ts ignore
   * await hub.sendBody({ celsius: 21.5 }, { partitionKey: "device-7" });
   * ```
   */
  sendBody(body: unknown, options?: SendBodyOptions): Promise<void> {
    return this.#producing.sendBody(body, options);
  }

  /**
   * Sends each value as an event's body, in as few batches as the link's
   * size limit allows, on one pooled producer. If a batch fails, the batches
   * before it were sent.
   *
   * @param bodies The bodies.
   * @param options Where they go, and cancellation.
   * @returns When the service accepted every event.
   * @throws {TypeError} For an unknown option, or when `bodies` is not an
   * array.
   * @throws {MessagingError} With code `MessageTooLargeError` when one event
   * does not fit in an empty batch, or any other answer of the SDK.
   * @throws {EntityNotFound} When the event hub does not exist.
   * @throws {OperationTimeout} When the service did not answer in time.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When the namespace could not be reached.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Sending a list (needs an Event Hubs namespace)
   * ```ts ignore
   * await hub.sendBodies([{ n: 1 }, { n: 2 }], { partitionKey: "device-7" });
   * ```
   */
  sendBodies(
    bodies: readonly unknown[],
    options?: SendBodiesOptions,
  ): Promise<void> {
    return this.#producing.sendBodies(bodies, options);
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
