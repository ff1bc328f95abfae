/**
 * How the Event Hubs clients turn bodies and options into events and send
 * them (internal; never re-exported).
 *
 * @module
 */

import {
  type EventData,
  type EventHubProducerClient,
  MessagingError,
} from "@azure/event-hubs";
import { checkOperationOptions } from "../managed/_pool_options.ts";
import { describeValue, keysOf } from "../managed/_checks.ts";
import type { SendEventOptions, SendEventsOptions } from "./options.ts";

/** Every key of {@linkcode SendEventsOptions}. */
export const SEND_EVENTS_KEYS: readonly string[] = keysOf<
  SendEventsOptions
>()(["partitionKey", "partitionId", "abortSignal", "acquireTimeoutSeconds"]);

/** Every key of {@linkcode SendEventOptions}. */
export const SEND_EVENT_KEYS: readonly string[] = keysOf<SendEventOptions>()([
  "partitionKey",
  "partitionId",
  "abortSignal",
  "acquireTimeoutSeconds",
  "properties",
  "contentType",
  "messageId",
  "correlationId",
]);

/**
 * Checks a send's options before anything is sent: no unknown key, a real
 * signal, one of `partitionKey` and `partitionId`, not aborted yet.
 *
 * @param what The action, for messages ("send an event").
 * @param options The caller's options.
 * @param known Every key the options may set.
 * @throws {TypeError} For an unknown key, a bad signal, or both partition options.
 * @throws {unknown} The signal's reason when it is aborted already.
 */
export function checkEventOptions(
  what: string,
  options: SendEventsOptions | undefined,
  known: readonly string[],
): void {
  checkOperationOptions(what, options, known);
  if (
    options?.partitionKey !== undefined && options.partitionId !== undefined
  ) {
    throw new TypeError(
      "Cannot send events as 'partitionKey' and 'partitionId' were both given: pass one",
    );
  }
}

/**
 * Makes the SDK event for `body` with the properties of `options`.
 *
 * @param body The body.
 * @param options The event's properties.
 * @returns The event.
 */
export function toEvent(
  body: unknown,
  options: SendEventOptions | undefined,
): EventData {
  const event: EventData = { body };
  if (options === undefined) return event;
  if (options.properties !== undefined) {
    event.properties = { ...options.properties };
  }
  if (options.contentType !== undefined) {
    event.contentType = options.contentType;
  }
  if (options.messageId !== undefined) event.messageId = options.messageId;
  if (options.correlationId !== undefined) {
    event.correlationId = options.correlationId;
  }
  return event;
}

/**
 * Sends `events` in as few batches as the link's size limit allows.
 *
 * @param producer The SDK producer.
 * @param events The events.
 * @param options Where they go, and cancellation.
 * @returns How many batches were sent.
 * @throws {MessagingError} `MessageTooLargeError` when one event does not fit
 * in an empty batch, or what the SDK threw.
 */
export async function sendBatched(
  producer: EventHubProducerClient,
  events: readonly EventData[],
  options: SendEventsOptions | undefined,
): Promise<number> {
  const batchOptions = {
    partitionKey: options?.partitionKey,
    partitionId: options?.partitionId,
    abortSignal: options?.abortSignal,
  };
  let batches = 0;
  let batch = await producer.createBatch(batchOptions);
  for (let i = 0; i < events.length; i++) {
    if (batch.tryAdd(events[i])) continue;
    if (batch.count === 0) {
      throw Object.assign(
        new MessagingError(
          `Cannot send event #${i}: it does not fit in a batch of ${batch.maxSizeInBytes} bytes`,
        ),
        { code: "MessageTooLargeError", retryable: false },
      );
    }
    await producer.sendBatch(batch, { abortSignal: options?.abortSignal });
    batches++;
    batch = await producer.createBatch(batchOptions);
    i--; // retry this event in the new batch
  }
  if (batch.count > 0) {
    await producer.sendBatch(batch, { abortSignal: options?.abortSignal });
    batches++;
  }
  return batches;
}

/**
 * Reads `sendEventData`'s argument as a list.
 *
 * @param data One event or a list.
 * @returns The list.
 * @throws {TypeError} When `data` is not an `EventData` or a list.
 */
export function eventList(
  data: EventData | readonly EventData[],
): readonly EventData[] {
  if (Array.isArray(data)) return data;
  if (typeof data !== "object" || data === null || !("body" in data)) {
    throw new TypeError(
      `Cannot send event data as it must be an EventData (an object with a body) or an array of them: received ${
        describeValue(data)
      }`,
    );
  }
  return [data as EventData];
}
