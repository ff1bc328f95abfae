/**
 * How the Service Bus clients check what they are given to send and send it
 * (internal; never re-exported): the SDK's own shapes for the methods that
 * share the SDK's names (`sendMessages`, `scheduleMessages`), bodies for the
 * conveniences (`sendBody`, `sendBodies`).
 *
 * @module
 */

import {
  ServiceBusError,
  type ServiceBusMessage,
  type ServiceBusSender,
} from "@azure/service-bus";
import { describeValue, keysOf } from "../managed/_checks.ts";
import {
  checkOperationOptions,
  OPERATION_OPTION_KEYS,
} from "../managed/_pool_options.ts";
import type { SendBodiesOptions, SendBodyOptions } from "./options.ts";

/** Every key of {@linkcode SendBodyOptions}. */
export const SEND_BODY_KEYS: readonly string[] = keysOf<SendBodyOptions>()([
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

/** Every key of `SendBodiesOptions`. */
export const SEND_BODIES_KEYS: readonly string[] = SEND_BODY_KEYS.filter(
  (key) => key !== "messageId" && key !== "delaySeconds",
);

/** The message of a caller who gave something else than a message. */
const NOT_A_MESSAGE =
  "a ServiceBusMessage ({ body, messageId?, subject?, ... }, as the SDK takes)";

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
  options: SendBodyOptions | undefined,
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
export function delayMs(options: SendBodyOptions | undefined): number {
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
 * Gives a message a `messageId` if it has none, so that a resend after a
 * lost connection carries the same id as the first attempt (a namespace with
 * duplicate detection then drops the copy). Without one the service would
 * assign an id of its own, so the caller sees no difference.
 *
 * @param message The message.
 * @returns The message, or a copy with an id.
 */
export function withMessageId(message: ServiceBusMessage): ServiceBusMessage {
  return message.messageId === undefined
    ? { ...message, messageId: crypto.randomUUID() }
    : message;
}

/**
 * Checks what `sendMessages` or `scheduleMessages` was given: one
 * `ServiceBusMessage` or a list of them, as the SDK takes.
 *
 * @param what The operation, for messages (`send messages`).
 * @param messages What the caller gave.
 * @param withIds Whether messages without an id get one
 * ({@linkcode withMessageId}).
 * @returns The messages (copies only where an id was added).
 * @throws {TypeError} When something is not a message (a body given where a
 * message belongs, a batch, an empty value), naming its position.
 */
export function sdkMessages(
  what: string,
  messages: unknown,
  withIds: boolean,
): ServiceBusMessage[] {
  if (isBatch(messages)) {
    throw new TypeError(
      `Cannot ${what} as a ServiceBusMessageBatch belongs to the SDK sender that made it: send it through getSender() (lease.client.sendMessages(batch)), or pass the messages as a list`,
    );
  }
  const list = Array.isArray(messages) ? messages : [messages];
  const checked: ServiceBusMessage[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const message = list[i];
    if (
      typeof message !== "object" || message === null || !("body" in message)
    ) {
      throw new TypeError(
        `Cannot ${what} as ${
          Array.isArray(messages) ? `message #${i}` : "the message"
        } is not ${NOT_A_MESSAGE}: received ${
          describeValue(message)
        }; to send a value as the body, use sendBody (or sendBodies for a list)`,
      );
    }
    checked[i] = withIds
      ? withMessageId(message as ServiceBusMessage)
      : message as ServiceBusMessage;
  }
  return checked;
}

function isBatch(value: unknown): boolean {
  return typeof value === "object" && value !== null &&
    typeof (value as { tryAddMessage?: unknown }).tryAddMessage === "function";
}

/**
 * Sends messages: one as it is, several in as few batches as the link's
 * size limit allows (the SDK sends a list as one batch and refuses a list
 * too large for it).
 *
 * @param sender The SDK sender.
 * @param messages The messages (at least one).
 * @param abortSignal Cancels the sends.
 * @returns When the service accepted them.
 * @throws {ServiceBusError} `MessageSizeExceeded` when one message does not
 * fit in an empty batch, or what the SDK threw. If a later batch fails, the
 * batches before it were sent.
 */
export async function sendAll(
  sender: ServiceBusSender,
  messages: ServiceBusMessage[],
  abortSignal: AbortSignal | undefined,
): Promise<void> {
  if (messages.length === 1) {
    return await sender.sendMessages(
      messages[0],
      abortSignal === undefined ? undefined : { abortSignal },
    );
  }
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
    batch = await sender.createMessageBatch({ abortSignal });
    i--; // this message goes in the new batch
  }
  if (batch.count > 0) await sender.sendMessages(batch, { abortSignal });
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
export async function sendOrSchedule(
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
    await sender.sendMessages(
      message,
      abortSignal === undefined ? undefined : { abortSignal },
    );
  }
}

/**
 * Checks the options of `sendBody` and builds its message, before any
 * pooled client is taken.
 *
 * @param body The body.
 * @param options The caller's options.
 * @param withId Whether the message gets an id when the caller gave none.
 * @returns The message and its delay in milliseconds (0 for none).
 * @throws {TypeError} For an unknown option.
 * @throws {RangeError} When `delaySeconds` or `timeToLiveSeconds` is out of
 * range.
 * @throws {unknown} The signal's reason when it is aborted already.
 */
export function prepareBody(
  body: unknown,
  options: SendBodyOptions | undefined,
  withId: boolean,
): { message: ServiceBusMessage; delay: number } {
  if (options !== undefined) {
    checkOperationOptions("send a message", options, SEND_BODY_KEYS);
  }
  const message = toMessage(body, options);
  return {
    message: withId ? withMessageId(message) : message,
    delay: delayMs(options),
  };
}

/**
 * Checks the options of `sendBodies` and builds its messages.
 *
 * @param bodies The bodies.
 * @param options Properties every message gets.
 * @param withIds Whether each message gets an id.
 * @returns The messages (none for an empty list).
 * @throws {TypeError} For an unknown option, or when `bodies` is not an array.
 * @throws {RangeError} When `timeToLiveSeconds` is out of range.
 * @throws {unknown} The signal's reason when it is aborted already.
 */
export function prepareBodies(
  bodies: readonly unknown[],
  options: SendBodiesOptions | undefined,
  withIds: boolean,
): ServiceBusMessage[] {
  checkOperationOptions("send messages", options, SEND_BODIES_KEYS);
  if (!Array.isArray(bodies)) {
    throw new TypeError(
      `Cannot send messages as 'bodies' must be an array: received ${
        describeValue(bodies)
      }`,
    );
  }
  return bodies.map((body) => {
    const message = toMessage(body, options);
    return withIds ? withMessageId(message) : message;
  });
}

/**
 * Checks the options of `sendMessages`, `scheduleMessages` or
 * `cancelScheduledMessages` (a signal and an acquire bound).
 *
 * @param what The operation, for messages.
 * @param options The caller's options.
 * @throws {TypeError} For an unknown option.
 * @throws {unknown} The signal's reason when it is aborted already.
 */
export function checkMessagesOptions(
  what: string,
  options: object | undefined,
): void {
  if (options !== undefined) {
    checkOperationOptions(what, options, OPERATION_OPTION_KEYS);
  }
}
