/**
 * A peek-lock queue receiver made by `ServiceBus.receiver`.
 *
 * @module
 */

import type {
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
} from "@azure/service-bus";
import { positiveSecondsMs } from "../managed/_amqp.ts";
import { checkAbortSignal } from "../managed/_pool_options.ts";
import {
  describeValue,
  keysOf,
  rejectUnknownKeys,
} from "../managed/_checks.ts";
import type { ReceiverOptions } from "./options.ts";

/** Every key of {@linkcode ReceiverOptions}. */
export const RECEIVER_OPTION_KEYS: readonly string[] = keysOf<
  ReceiverOptions
>()(["receiveMode", "maxMessages", "maxWaitTimeSeconds", "abortSignal"]);

const RECEIVE_KEYS = ["maxWaitTimeSeconds", "abortSignal"];
const DEAD_LETTER_KEYS = ["reason", "description"];

/**
 * A peek-lock queue receiver: iterate it with `for await`, settle each
 * message with `complete`, `abandon` or `deadLetter`, and close it (or
 * `await using`). Made by `ServiceBus.receiver`.
 *
 * @example Processing messages (needs a Service Bus namespace)
 * ```ts ignore
 * await using receiver = await bus.receiver();
 * for await (const message of receiver) {
 *   await handle(message.body);
 *   await receiver.complete(message);
 * }
 * ```
 */
export class ServiceBusQueueReceiver implements AsyncDisposable {
  /** The SDK receiver, for what this class does not wrap. */
  readonly receiver: ServiceBusReceiver;
  readonly #maxMessages: number;
  readonly #maxWaitMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #onClose: (receiver: ServiceBusQueueReceiver) => void;
  #closed = false;

  /**
   * Wraps an SDK receiver; use `ServiceBus.receiver` instead.
   *
   * @param receiver The SDK receiver.
   * @param options Fetch size, wait and signal.
   * @param onClose Called once when the receiver closes.
   * @throws {TypeError} For an unknown option.
   * @throws {RangeError} When `maxMessages` or `maxWaitTimeSeconds` is out of range.
   */
  constructor(
    receiver: ServiceBusReceiver,
    options: ReceiverOptions | undefined,
    onClose: (receiver: ServiceBusQueueReceiver) => void = () => {},
  ) {
    rejectUnknownKeys("create a receiver", options, RECEIVER_OPTION_KEYS);
    const maxMessages = options?.maxMessages ?? 10;
    if (!Number.isInteger(maxMessages) || maxMessages < 1) {
      throw new RangeError(
        `Cannot create a receiver as 'maxMessages' must be a positive integer: received ${
          describeValue(maxMessages)
        }`,
      );
    }
    checkAbortSignal("create a receiver", options?.abortSignal);
    this.receiver = receiver;
    this.#maxMessages = maxMessages;
    this.#maxWaitMs = positiveSecondsMs(
      "a receiver",
      "maxWaitTimeSeconds",
      options?.maxWaitTimeSeconds,
      5,
    );
    this.#signal = options?.abortSignal;
    this.#onClose = onClose;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Fetches up to `maxMessages` messages, waiting up to `maxWaitTimeSeconds`
   * for the first.
   *
   * @param maxMessages How many at most.
   * @param options The wait and a signal.
   * @returns The messages (possibly none).
   * @throws {TypeError} For an unknown option.
   * @throws {ServiceBusError} What the SDK threw.
   */
  receive(
    maxMessages = 1,
    options?: { maxWaitTimeSeconds?: number; abortSignal?: AbortSignal },
  ): Promise<ServiceBusReceivedMessage[]> {
    try {
      rejectUnknownKeys("receive", options, RECEIVE_KEYS);
    } catch (error) {
      return Promise.reject(error);
    }
    const waitMs = options?.maxWaitTimeSeconds === undefined
      ? this.#maxWaitMs
      : positiveSecondsMs(
        "a receive",
        "maxWaitTimeSeconds",
        options.maxWaitTimeSeconds,
        5,
      );
    return this.receiver.receiveMessages(maxMessages, {
      maxWaitTimeInMs: waitMs,
      abortSignal: options?.abortSignal ?? this.#signal,
    });
  }

  /**
   * Yields messages as they arrive, `maxMessages` per fetch, until the
   * receiver is closed (the loop ends) or its signal aborts (the loop
   * rejects with the signal's reason).
   *
   * @returns The iterator.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<
    ServiceBusReceivedMessage,
    void,
    undefined
  > {
    while (!this.#closed) {
      this.#signal?.throwIfAborted();
      let batch: ServiceBusReceivedMessage[];
      try {
        batch = await this.receive(this.#maxMessages);
      } catch (error) {
        if (this.#closed) return;
        this.#signal?.throwIfAborted();
        throw error;
      }
      for (const message of batch) yield message;
    }
  }

  /**
   * Completes a message: the queue deletes it.
   *
   * @param message A message from this receiver.
   * @returns When the service settled it.
   * @throws {ServiceBusError} For example `MessageLockLost`.
   */
  complete(message: ServiceBusReceivedMessage): Promise<void> {
    return this.receiver.completeMessage(message);
  }

  /**
   * Abandons a message: it is delivered again, with a higher delivery count.
   *
   * @param message A message from this receiver.
   * @returns When the service settled it.
   * @throws {ServiceBusError} For example `MessageLockLost`.
   */
  abandon(message: ServiceBusReceivedMessage): Promise<void> {
    return this.receiver.abandonMessage(message);
  }

  /**
   * Moves a message to the dead-letter queue.
   *
   * @param message A message from this receiver.
   * @param options The reason and description recorded with it.
   * @returns When the service settled it.
   * @throws {TypeError} For an unknown option.
   * @throws {ServiceBusError} For example `MessageLockLost`.
   */
  deadLetter(
    message: ServiceBusReceivedMessage,
    options?: { reason?: string; description?: string },
  ): Promise<void> {
    try {
      rejectUnknownKeys("dead-letter a message", options, DEAD_LETTER_KEYS);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.receiver.deadLetterMessage(message, {
      deadLetterReason: options?.reason ?? "",
      deadLetterErrorDescription: options?.description ?? "",
    });
  }

  /**
   * Closes the link; iteration ends. Calling it again does nothing.
   *
   * @returns When the link is closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose(this);
    await this.receiver.close();
  }

  /**
   * Closes the receiver, for `await using`.
   *
   * @returns When the link is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
