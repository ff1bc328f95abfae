/**
 * The options of the Event Hubs clients.
 *
 * @module
 */

import type { EventHubClientOptions } from "@azure/event-hubs";
import type { AmqpConnectionOptions } from "../managed/amqp_options.ts";
import type {
  ManagedOperationOptions,
  ManagedPoolOptions,
} from "../managed/pool_options.ts";

/**
 * Where an event hub is and how to authenticate: the AMQP connection fields
 * ({@linkcode AmqpConnectionOptions}) and the hub.
 *
 * @example Options with a connection string
 * ```ts
 * import type { EventHubConnectionOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: EventHubConnectionOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
 *   eventHubName: "telemetry",
 * };
 * assert.equal(options.eventHubName, "telemetry");
 * ```
 */
export interface EventHubConnectionOptions
  extends AmqpConnectionOptions<EventHubClientOptions> {
  /**
   * The event hub. May be left out when the connection string has
   * `EntityPath`.
   * @default {undefined}
   */
  eventHubName?: string;
}

/**
 * Options of `ManagedEventHubProducer`: the connection, then the pool
 * ({@linkcode ManagedPoolOptions}). Defaults follow the Python original:
 * `maxIdleSeconds` 220 (under Event Hubs' 240 s AMQP idle limit),
 * `maxLifespanSeconds` Infinity, `createTimeoutSeconds` 30, `name`
 * `"eventhubs:<host>/<eventHubName>"`.
 *
 * @example Tuning the pool
 * ```ts
 * import type { ManagedEventHubProducerOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: ManagedEventHubProducerOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
 *   eventHubName: "telemetry",
 *   maxSize: 2,
 * };
 * assert.equal(options.maxSize, 2);
 * ```
 */
export interface ManagedEventHubProducerOptions
  extends EventHubConnectionOptions, ManagedPoolOptions {}

/**
 * Options of `EventHubProducer`.
 *
 * @example A producer for one hub
 * ```ts
 * import type { EventHubProducerOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: EventHubProducerOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>;EntityPath=telemetry",
 * };
 * assert.ok(options.connectionString);
 * ```
 */
export type EventHubProducerOptions = EventHubConnectionOptions;

/**
 * Where events go and cancellation ({@linkcode ManagedOperationOptions}):
 * options of `sendEvents` and `sendEventData`.
 *
 * @example Keeping a device's events in order
 * ```ts
 * import type { SendEventsOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: SendEventsOptions = { partitionKey: "device-7" };
 * assert.equal(options.partitionKey, "device-7");
 * ```
 */
export interface SendEventsOptions extends ManagedOperationOptions {
  /**
   * Events with the same key land on the same partition (in order). Not
   * with `partitionId`.
   * @default {undefined}
   */
  partitionKey?: string;
  /**
   * Sends to this partition. Not with `partitionKey`.
   * @default {undefined}
   */
  partitionId?: string;
}

/**
 * Options of `sendEvent`: where the event goes, its properties, and
 * cancellation.
 *
 * @example An event with properties
 * ```ts
 * import type { SendEventOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: SendEventOptions = {
 *   partitionKey: "device-7",
 *   properties: { unit: "celsius" },
 * };
 * assert.equal(options.properties?.unit, "celsius");
 * ```
 */
export interface SendEventOptions extends SendEventsOptions {
  /**
   * Application properties of the event.
   * @default {undefined}
   */
  properties?: Record<string, unknown>;
  /**
   * The content type, for example `application/json`.
   * @default {undefined}
   */
  contentType?: string;
  /**
   * The message id.
   * @default {undefined}
   */
  messageId?: string;
  /**
   * The correlation id.
   * @default {undefined}
   */
  correlationId?: string;
}
