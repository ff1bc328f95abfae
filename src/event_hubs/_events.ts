/**
 * How the Event Hubs producers check what they are given to send and send
 * it (internal; never re-exported): the SDK's `EventData` for `sendBatch`,
 * bodies for the conveniences (`sendBody`, `sendBodies`).
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
import type { SendBatchOptions, SendBodyOptions } from "./options.ts";

/** Every key of {@linkcode SendBatchOptions} (and of `SendBodiesOptions`). */
export const SEND_BATCH_KEYS: readonly string[] = keysOf<
  SendBatchOptions
>()(["partitionKey", "partitionId", "abortSignal", "acquireTimeoutSeconds"]);

/** Every key of {@linkcode SendBodyOptions}. */
export const SEND_BODY_KEYS: readonly string[] = keysOf<SendBodyOptions>()([
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
 * Checks a send's options: known keys, a signal, not both a partition key
 * and a partition id.
 *
 * @param what The operation, for messages.
 * @param options The caller's options.
 * @param known The keys it may have.
 * @throws {TypeError} For an unknown key, or both `partitionKey` and
 * `partitionId`.
 * @throws {unknown} The signal's reason when it is aborted already.
 */
export function checkEventOptions(
  what: string,
  options: SendBatchOptions | undefined,
  known: readonly string[],
): void {
  if (options === undefined) return;
  checkOperationOptions(what, options, known);
  if (options.partitionKey !== undefined && options.partitionId !== undefined) {
    throw new TypeError(
      `Cannot ${what} as 'partitionKey' and 'partitionId' were both given: pass one`,
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
  options: SendBodyOptions | undefined,
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
 * Checks what `sendBatch` was given: a list of `EventData`, as the SDK's
 * `sendBatch` takes.
 *
 * @param events What the caller gave.
 * @returns The events.
 * @throws {TypeError} When it is not a list, or an element is not an
 * `EventData` (a bare body: use `sendBody`), naming its position; or for an
 * `EventDataBatch`, which belongs to the SDK producer that made it.
 */
export function sdkEvents(events: unknown): readonly EventData[] {
  if (!Array.isArray(events)) {
    const batch = typeof events === "object" && events !== null &&
      typeof (events as { tryAdd?: unknown }).tryAdd === "function";
    throw new TypeError(
      batch
        ? "Cannot send a batch as an EventDataBatch belongs to the SDK producer that made it: send it through getProducer() (lease.client.sendBatch(batch)), or pass the events as a list"
        : `Cannot send a batch as it takes a list of EventData ({ body, properties?, ... }), as the SDK's sendBatch does: received ${
          describeValue(events)
        }; to send one value as the body, use sendBody`,
    );
  }
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (typeof event !== "object" || event === null || !("body" in event)) {
      throw new TypeError(
        `Cannot send a batch as event #${i} is not an EventData ({ body, properties?, ... }): received ${
          describeValue(event)
        }; to send values as bodies, use sendBodies`,
      );
    }
  }
  return events as EventData[];
}

/**
 * Sends `events` in as few batches as the link's size limit allows (the
 * SDK sends a list as one batch and refuses a list too large for it).
 *
 * @param producer The SDK producer.
 * @param events The events (at least one).
 * @param options Where they go.
 * @param abortSignal Cancels the sends.
 * @returns When the service accepted them.
 * @throws {MessagingError} `MessageTooLargeError` when one event does not
 * fit in an empty batch, or what the SDK threw. If a later batch fails, the
 * batches before it were sent.
 */
export async function sendBatched(
  producer: EventHubProducerClient,
  events: readonly EventData[],
  options: SendBatchOptions | undefined,
  abortSignal: AbortSignal | undefined,
): Promise<void> {
  const batchOptions = {
    partitionKey: options?.partitionKey,
    partitionId: options?.partitionId,
    abortSignal,
  };
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
    await producer.sendBatch(batch, { abortSignal });
    batch = await producer.createBatch(batchOptions);
    i--; // this event goes in the new batch
  }
  if (batch.count > 0) {
    await producer.sendBatch(batch, { abortSignal });
  }
}
