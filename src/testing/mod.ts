/**
 * Helpers for testing code that uses `azure-clients-toolbox`: recording
 * doubles of the managed Service Bus sender, the Event Hubs producer, the
 * Event Grid publisher and the Blob Storage client for unit tests that start
 * no server, and, for code built on the pool, a fake clock that drives its
 * timers without sleeping, a connector wrapper that injects faults, and a
 * seeded random source to replay a run. Loads no Azure SDK and no server:
 * the local backends the real SDKs talk to are in `./testing/servers`.
 *
 * Guide: [testing](https://github.com/azure-clients/toolbox/blob/main/docs/testing.md).
 *
 * @example Faking time for a pool
 * ```ts
 * import { FakeClock } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new FakeClock();
 * clock.tick(1000);
 * assert.equal(clock.now(), 1000);
 * ```
 *
 * @module
 */

export { FakeClock, flushMicrotasks } from "./fake_clock.ts";
export { FaultyConnector, InjectedFault } from "./faulty_connector.ts";
export type {
  ConnectorCounts,
  FaultCounts,
  FaultKind,
  FaultStep,
  FaultyConnectorOptions,
} from "./faulty_connector.ts";
export { seededRandom } from "./seeded_random.ts";
export { RecordingServiceBusSender } from "./recording_service_bus_sender.ts";
export type {
  RecordedServiceBusCall,
  RecordedServiceBusMessage,
  ServiceBusMessageSender,
} from "./recording_service_bus_sender.ts";
export { RecordingEventHubProducer } from "./recording_event_hub_producer.ts";
export type {
  EventHubEventProducer,
  RecordedEvent,
  RecordedEventHubCall,
} from "./recording_event_hub_producer.ts";
export { RecordingEventGridPublisher } from "./recording_event_grid_publisher.ts";
export type {
  EventGridEventPublisher,
  RecordedEventGridCall,
  RecordingEventGridPublisherOptions,
} from "./recording_event_grid_publisher.ts";
export { RecordingBlobStorage } from "./recording_blob_storage.ts";
export type {
  BlobStore,
  RecordedBlob,
  RecordedBlobCall,
  RecordingBlobStorageOptions,
} from "./recording_blob_storage.ts";
