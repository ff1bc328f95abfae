/**
 * How the Service Bus clients turn bodies and options into messages and send
 * them (internal; never re-exported).
 *
 * @module
 */

import {
  ServiceBusError,
  type ServiceBusMessage,
  type ServiceBusSender,
} from "@azure/service-bus";
import { describeValue, keysOf } from "../managed/_checks.ts";
import { checkOperationOptions } from "../managed/_pool_options.ts";
import type { SendMessageOptions, SendMessagesOptions } from "./options.ts";

/** Every key of {@linkcode SendMessageOptions}. */
export const SEND_MESSAGE_KEYS: readonly string[] = keysOf<
  SendMessageOptions
>()([
  "delaySeconds",
  "messageId",
  "contentType",
  "correlationId",
  "subject",
  "sessionId",
  "partitionKey",
  "timeToLiveSeconds",
  "applicationProperties",
  "abortSignal",
  "acquireTimeoutSeconds",
]);

/** Every key of `SendMessagesOptions`. */
export const SEND_MESSAGES_KEYS: readonly string[] = SEND_MESSAGE_KEYS.filter(
  (key) => key !== "messageId" && key !== "delaySeconds",
);

/**
 * Makes the SDK message for `body` with the properties of `options`.
 *
 * @param body The body.
 * @param options The message's properties.
 * @returns The message.
 * @throws {RangeError} When `timeToLiveSeconds` is not positive.
 */
export function toMessage(
  body: unknown,
  options: SendMessageOptions | undefined,
): ServiceBusMessage {
  const message: ServiceBusMessage = { body };
  if (options === undefined) return message;
  if (options.messageId !== undefined) message.messageId = options.messageId;
  if (options.contentType !== undefined) {
    message.contentType = options.contentType;
  }
  if (options.correlationId !== undefined) {
    message.correlationId = options.correlationId;
  }
  if (options.subject !== undefined) message.subject = options.subject;
  if (options.sessionId !== undefined) message.sessionId = options.sessionId;
  if (options.partitionKey !== undefined) {
    message.partitionKey = options.partitionKey;
  }
  if (options.timeToLiveSeconds !== undefined) {
    const ttl = options.timeToLiveSeconds;
    if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0) {
      throw new RangeError(
        `Cannot send a message as 'timeToLiveSeconds' must be a positive number of seconds: received ${
          describeValue(ttl)
        }`,
      );
    }
    message.timeToLive = Math.round(ttl * 1000);
  }
  if (options.applicationProperties !== undefined) {
    message.applicationProperties = { ...options.applicationProperties };
  }
  return message;
}

/**
 * Reads `delaySeconds`.
 *
 * @param options The caller's options.
 * @returns The delay in milliseconds (0 for none).
 * @throws {RangeError} When `delaySeconds` is negative or not finite.
 */
export function delayMs(options: SendMessageOptions | undefined): number {
  const delay = options?.delaySeconds ?? 0;
  if (typeof delay !== "number" || !Number.isFinite(delay) || delay < 0) {
    throw new RangeError(
      `Cannot send a message as 'delaySeconds' must be a number of seconds >= 0: received ${
        describeValue(delay)
      }`,
    );
  }
  return delay * 1000;
}

/**
 * Sends one message, or schedules it `delay` ms from now.
 *
 * @param sender The SDK sender.
 * @param message The message.
 * @param delay Milliseconds from now; 0 sends at once.
 * @param abortSignal Cancels the send.
 * @returns When the service accepted it.
 */
export async function sendOne(
  sender: ServiceBusSender,
  message: ServiceBusMessage,
  delay: number,
  abortSignal: AbortSignal | undefined,
): Promise<void> {
  if (delay > 0) {
    await sender.scheduleMessages(message, new Date(Date.now() + delay), {
      abortSignal,
    });
  } else {
    await sender.sendMessages(message, { abortSignal });
  }
}

/**
 * Sends `messages` in as few batches as the link's size limit allows.
 *
 * @param sender The SDK sender.
 * @param messages The messages.
 * @param abortSignal Cancels the sends.
 * @returns How many batches were sent.
 * @throws {ServiceBusError} `MessageSizeExceeded` when one message does not
 * fit in an empty batch, or what the SDK threw.
 */
export async function sendBatched(
  sender: ServiceBusSender,
  messages: ServiceBusMessage[],
  abortSignal: AbortSignal | undefined,
): Promise<number> {
  let batches = 0;
  let batch = await sender.createMessageBatch({ abortSignal });
  for (let i = 0; i < messages.length; i++) {
    if (batch.tryAddMessage(messages[i])) continue;
    if (batch.count === 0) {
      throw new ServiceBusError(
        `Cannot send message #${i}: it does not fit in a batch of ${batch.maxSizeInBytes} bytes`,
        "MessageSizeExceeded",
      );
    }
    await sender.sendMessages(batch, { abortSignal });
    batches++;
    batch = await sender.createMessageBatch({ abortSignal });
    i--; // retry this message in the new batch
  }
  if (batch.count > 0) {
    await sender.sendMessages(batch, { abortSignal });
    batches++;
  }
  return batches;
}

/**
 * Checks the options of `sendMessage` and builds its message, before any
 * pooled client is taken.
 *
 * @param body The body.
 * @param options The caller's options.
 * @returns The message and its delay in milliseconds (0 for none).
 * @throws {TypeError} For an unknown option.
 * @throws {RangeError} When `delaySeconds` or `timeToLiveSeconds` is out of
 * range.
 * @throws {unknown} The signal's reason when it is aborted already.
 */
export function prepareOne(
  body: unknown,
  options: SendMessageOptions | undefined,
): { message: ServiceBusMessage; delay: number } {
  checkOperationOptions("send a message", options, SEND_MESSAGE_KEYS);
  return { message: toMessage(body, options), delay: delayMs(options) };
}

/**
 * Checks the options of `sendMessages` and builds its messages.
 *
 * @param bodies The bodies.
 * @param options Properties every message gets.
 * @returns The messages (none for an empty list).
 * @throws {TypeError} For an unknown option, or when `bodies` is not an array.
 * @throws {RangeError} When `timeToLiveSeconds` is out of range.
 * @throws {unknown} The signal's reason when it is aborted already.
 */
export function prepareMany(
  bodies: readonly unknown[],
  options: SendMessagesOptions | undefined,
): ServiceBusMessage[] {
  checkOperationOptions("send messages", options, SEND_MESSAGES_KEYS);
  if (!Array.isArray(bodies)) {
    throw new TypeError(
      `Cannot send messages as 'bodies' must be an array: received ${
        describeValue(bodies)
      }`,
    );
  }
  return bodies.map((body) => toMessage(body, options));
}
