/**
 * Event Hubs: a pooled `ManagedEventHubProducer`, its connector, the unpooled
 * `EventHub`, and their options. Loads `@azure/event-hubs` only.
 *
 * @example Checking a connection error
 * ```ts
 * import { isEventHubsConnectionError } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isEventHubsConnectionError(new TypeError("bad input")), false);
 * ```
 *
 * @module
 */

// Event Hubs
export {
  EventHub,
  EventHubProducerConnector,
  isEventHubsConnectionError,
  ManagedEventHubProducer,
} from "./_event_hubs.ts";
export type {
  EventHubConnectionOptions,
  EventHubOptions,
  ManagedEventHubProducerOptions,
  ProducerLease,
  SendEventOptions,
  SendEventsOptions,
} from "./_event_hubs.ts";
