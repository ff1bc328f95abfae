/**
 * Event Grid publishing: {@linkcode EventGridPublisher} sends to several
 * named topics, each with its own endpoint, credential (key, SAS token or
 * Entra ID) and schema (Event Grid or CloudEvents), through one SDK
 * `EventGridPublisherClient` per topic kept for the publisher's life.
 * `send(topic, events)` takes the SDK's event shapes and splits a long list,
 * in order, into requests under the service's 1 MB limit;
 * `emitEvent(topic, event)` fills `id`, the time and `dataVersion`. Errors
 * follow the package's model (`AuthenticationFailed`, `EntityNotFound`,
 * `RequestFailed`, `ConnectionFailed`, `OperationTimeout`, with the SDK's
 * `RestError` as `cause`). Loads `@azure/eventgrid` (and no other Azure
 * SDK). Test against `startLocalEventGrid` from `./testing/servers`, or
 * with `RecordingEventGridPublisher` from `./testing`. The guide is
 * `docs/event_grid.md`.
 *
 * @example Publishing to a local endpoint
 * ```ts
 * import { EventGridPublisher } from "@azure-clients/toolbox/event-grid";
 * import { startLocalEventGrid } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const grid = await startLocalEventGrid({ topics: ["orders"] });
 * const publisher = new EventGridPublisher({
 *   topics: { orders: grid.topicOptions("orders") },
 * });
 * try {
 *   await publisher.emitEvent("orders", {
 *     eventType: "Order.Placed",
 *     subject: "orders/1",
 *     data: { id: 1 },
 *   });
 *   assert.deepEqual(grid.events("orders").map((e) => e.data), [{ id: 1 }]);
 * } finally {
 *   await publisher.close();
 *   await grid.close();
 * }
 * ```
 *
 * @module
 */

// The publisher
export { EventGridPublisher } from "./event_grid_publisher.ts";

// Options and event shapes
export type {
  EmitEventGridEventInput,
  EmitEventInput,
  EventGridPublisherOptions,
  EventGridSchema,
  EventGridSendOptions,
  EventGridTopicOptions,
  SendEventInput,
} from "./options.ts";

// Errors callers catch: the package's, and the SDK's that pass through
export {
  AuthenticationFailed,
  ConnectionFailed,
  ConnectionLost,
  ConnectionsExhausted,
  EntityNotFound,
  OperationTimeout,
  PoolClosed,
  PoolError,
  RequestFailed,
} from "../pool/errors.ts";
export type { RequestFailedOptions } from "../pool/errors.ts";
export { RestError } from "@azure/core-rest-pipeline";
