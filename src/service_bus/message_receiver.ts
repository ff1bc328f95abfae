/**
 * Peek-lock receivers for a queue or a topic subscription:
 * {@linkcode MessageReceiver}, and {@linkcode SessionReceiver} for one
 * session; {@linkcode BaseMessageReceiver} is what they share.
 *
 * @module
 */

import type {
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusSessionReceiver,
} from "@azure/service-bus";
import { positiveSecondsMs } from "../managed/_amqp.ts";
import { amqpOutcome } from "../managed/_amqp_errors.ts";
import { bound, isTimeoutError } from "../pool/_bound.ts";
import { ConnectionLost, OperationTimeout } from "../pool/errors.ts";
import { isServiceBusConnectionError } from "./connection_error.ts";
import { checkAbortSignal } from "../managed/_pool_options.ts";
import {
  describeValue,
  keysOf,
  rejectUnknownKeys,
} from "../managed/_checks.ts";
import type { ReceiverOptions } from "./options.ts";
import type { DeadLetterOptions } from "./receiver_options.ts";

/** Every key of {@linkcode ReceiverOptions}. */
export const RECEIVER_OPTION_KEYS: readonly string[] = keysOf<
  ReceiverOptions
>()([
  "receiveMode",
  "maxMessages",
  "maxWaitTimeSeconds",
  "abortSignal",
  "maxAutoLockRenewalSeconds",
  "subscriptionName",
]);

const RECEIVE_KEYS = ["maxWaitTimeSeconds", "abortSignal"];
const RECEIVE_MESSAGES_KEYS = ["maxWaitTimeInMs", "abortSignal"];

/**
 * How much longer than its `maxWaitTimeSeconds` a receive may take before
 * the caller gets `OperationTimeout`: the answer's own round trip.
 */
const RECEIVE_GRACE_MS = 1000;
/** What a receiver's first receive may take on top: opening its link. */
const FIRST_RECEIVE_ALLOWANCE_MS = 5000;
const DEAD_LETTER_KEYS = keysOf<DeadLetterOptions>()(["reason", "description"]);

/**
 * Reads `maxAutoLockRenewalSeconds`.
 *
 * @param what The action, for the message.
 * @param value The value received.
 * @returns Milliseconds (0: no renewal).
 * @throws {RangeError} When it is negative or not finite.
 */
export function lockRenewalMs(what: string, value: unknown): number {
  const seconds = value ?? 300;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(
      `Cannot ${what} as 'maxAutoLockRenewalSeconds' must be a number of seconds >= 0: received ${
        describeValue(seconds)
      }`,
    );
  }
  return seconds * 1000;
}

/**
 * What {@linkcode MessageReceiver} and {@linkcode SessionReceiver} share:
 * receiving (`receive`, `for await`), settling (`complete`, `abandon`,
 * `deadLetter`, `defer`), deferred messages, and closing. Locks are renewed
 * by the SDK while a message is unsettled, for `maxAutoLockRenewalSeconds`.
 *
 * @typeParam R The SDK receiver it wraps.
 *
 * @example Every receiver settles the same way
 * ```ts
 * import { BaseMessageReceiver, MessageReceiver, SessionReceiver } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * assert.ok(MessageReceiver.prototype instanceof BaseMessageReceiver);
 * assert.ok(SessionReceiver.prototype instanceof BaseMessageReceiver);
 * ```
 */
export abstract class BaseMessageReceiver<
  R extends ServiceBusReceiver | ServiceBusSessionReceiver,
> implements AsyncDisposable {
  /** The SDK receiver, for what this class does not wrap. */
  readonly receiver: R;
  readonly #maxMessages: number;
  readonly #maxWaitMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #onClose: (
    receiver: BaseMessageReceiver<R>,
  ) => void | Promise<void>;
  #closed = false;
  /** Whether a receive has answered (its link is open). */
  #answered = false;

  /**
   * Wraps an SDK receiver.
   *
   * @param receiver The SDK receiver.
   * @param options Fetch size, wait and signal.
   * @param onClose Called once when the receiver closes, after its link (a
   * receiver that owns its client closes it here).
   * @throws {TypeError} For an unknown option.
   * @throws {RangeError} When `maxMessages` or `maxWaitTimeSeconds` is out of range.
   */
  constructor(
    receiver: R,
    options: ReceiverOptions | undefined,
    onClose: (receiver: BaseMessageReceiver<R>) => void | Promise<void> =
      () => {},
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

  /** The entity path: the queue, or `<topic>/Subscriptions/<name>`. */
  get entityPath(): string {
    return this.receiver.entityPath;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Fetches up to `maxMessages` messages, waiting up to `maxWaitTimeSeconds`
   * for the first. It ends by then plus a second (plus five more for the
   * receiver's first receive, which opens its link), whatever the
   * connection does.
   *
   * @param maxMessages How many at most.
   * @param options The wait and a signal.
   * @returns The messages (possibly none).
   * @throws {TypeError} For an unknown option.
   * @throws {RangeError} When `maxWaitTimeSeconds` is not positive.
   * @throws {OperationTimeout} When no answer came by that bound.
   * @throws {ConnectionLost} When the connection died during the receive.
   * @throws {AuthenticationFailed} When the service refused the credential.
   * @throws {EntityNotFound} When the queue or subscription is gone.
   * @throws {ServiceBusError} Any other answer of the SDK.
   */
  receive(
    maxMessages = 1,
    options?: { maxWaitTimeSeconds?: number; abortSignal?: AbortSignal },
  ): Promise<ServiceBusReceivedMessage[]> {
    let waitMs: number;
    try {
      rejectUnknownKeys("receive", options, RECEIVE_KEYS);
      waitMs = options?.maxWaitTimeSeconds === undefined
        ? this.#maxWaitMs
        : positiveSecondsMs(
          "a receive",
          "maxWaitTimeSeconds",
          options.maxWaitTimeSeconds,
          5,
        );
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#receive(maxMessages, waitMs, options?.abortSignal);
  }

  /**
   * Fetches up to `maxMessageCount` messages, as the SDK's method of that
   * name does (`maxWaitTimeInMs`, the SDK's unit), bounded like
   * {@linkcode receive}.
   *
   * @param maxMessageCount How many at most.
   * @param options The wait in milliseconds (default: the receiver's
   * `maxWaitTimeSeconds`) and a signal.
   * @returns The messages (possibly none).
   * @throws {TypeError} For an unknown option.
   * @throws {RangeError} When `maxWaitTimeInMs` is not positive.
   * @throws {OperationTimeout} When no answer came in time.
   * @throws {ServiceBusError} What the SDK threw.
   *
   * @example The SDK's call (needs a Service Bus namespace)
   * ```ts ignore
   * const messages = await receiver.receiveMessages(10, { maxWaitTimeInMs: 2000 });
   * ```
   */
  receiveMessages(
    maxMessageCount: number,
    options?: { maxWaitTimeInMs?: number; abortSignal?: AbortSignal },
  ): Promise<ServiceBusReceivedMessage[]> {
    let waitMs: number;
    try {
      rejectUnknownKeys("receive messages", options, RECEIVE_MESSAGES_KEYS);
      waitMs = options?.maxWaitTimeInMs === undefined
        ? this.#maxWaitMs
        : positiveSecondsMs(
          "a receive",
          "maxWaitTimeInMs",
          options.maxWaitTimeInMs / 1000,
          5,
        );
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#receive(maxMessageCount, waitMs, options?.abortSignal);
  }

  async #receive(
    maxMessages: number,
    waitMs: number,
    given: AbortSignal | undefined,
  ): Promise<ServiceBusReceivedMessage[]> {
    const signal = given ?? this.#signal;
    signal?.throwIfAborted();
    const controller = new AbortController();
    const abort = () => controller.abort(signal!.reason);
    signal?.addEventListener("abort", abort, { once: true });
    const limitMs = waitMs + RECEIVE_GRACE_MS +
      (this.#answered ? 0 : FIRST_RECEIVE_ALLOWANCE_MS);
    try {
      const messages = await bound(
        this.receiver.receiveMessages(maxMessages, {
          maxWaitTimeInMs: waitMs,
          abortSignal: controller.signal,
        }),
        { timeoutMs: limitMs, abortSignal: signal },
      );
      this.#answered = true;
      return messages;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const what = `receive from '${this.receiver.entityPath}'`;
      if (isTimeoutError(error)) {
        controller.abort(error);
        throw new OperationTimeout(
          `Cannot ${what}: no answer within ${
            limitMs / 1000
          } s (maxWaitTimeSeconds and a margin); the connection may be gone`,
        );
      }
      const outcome = amqpOutcome(error, what, this.receiver.entityPath);
      if (outcome === error && isServiceBusConnectionError(error)) {
        throw new ConnectionLost(
          `Cannot ${what}: the connection was lost while receiving (the SDK reconnects on the next receive)`,
          { cause: error },
        );
      }
      throw outcome;
    } finally {
      signal?.removeEventListener("abort", abort);
    }
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
   * Completes a message: the entity deletes it.
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
   * Moves a message to the dead-letter queue (`<entity>/$DeadLetterQueue`),
   * with its reason and description as the `DeadLetterReason` and
   * `DeadLetterErrorDescription` application properties.
   *
   * @param message A message from this receiver.
   * @param options The reason and description recorded with it.
   * @returns When the service settled it.
   * @throws {TypeError} For an unknown option.
   * @throws {ServiceBusError} For example `MessageLockLost`.
   */
  deadLetter(
    message: ServiceBusReceivedMessage,
    options?: DeadLetterOptions,
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
   * Defers a message: it stays in the entity, out of normal delivery, until
   * received by its sequence number ({@linkcode receiveDeferredMessages}).
   *
   * @param message A message from this receiver.
   * @returns When the service settled it.
   * @throws {ServiceBusError} For example `MessageLockLost`.
   */
  defer(message: ServiceBusReceivedMessage): Promise<void> {
    return this.receiver.deferMessage(message);
  }

  /**
   * Receives deferred messages by their sequence numbers, locked again (in
   * peek-lock mode): settle them like any other.
   *
   * @param sequenceNumbers `message.sequenceNumber` of each deferred message.
   * @returns The messages.
   * @throws {ServiceBusError} When one is not deferred (`MessageNotFound`).
   */
  receiveDeferredMessages(
    sequenceNumbers: ServiceBusReceivedMessage["sequenceNumber"][],
  ): Promise<ServiceBusReceivedMessage[]> {
    return this.receiver.receiveDeferredMessages(
      sequenceNumbers.filter((n) => n !== undefined),
    );
  }

  /**
   * Closes the link (and a client the receiver owns); iteration ends. Calling
   * it again does nothing.
   *
   * @returns When the link is closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.receiver.close();
    } finally {
      await this.#onClose(this);
    }
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

/**
 * A peek-lock receiver for a queue or a topic subscription: iterate it with
 * `for await` (or call `receive`), settle each message with `complete`,
 * `abandon`, `deadLetter` or `defer`, and close it (or `await using`). Made
 * by `ServiceBus.receiver` and `ManagedServiceBus.receiver`; one from
 * `ManagedServiceBus` owns its client and closes it with itself.
 *
 * @example Dead-lettering a message and reading it back (a local broker)
 * ```ts
 * import { ManagedServiceBus } from "@azure-clients/toolbox/service-bus";
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const local = await startLocalServiceBus({ queues: ["jobs"] });
 * const bus = new ManagedServiceBus({ connectionString: local.connectionString });
 * try {
 *   await bus.sender("jobs").sendBody({ id: 1 });
 *   await using receiver = await bus.receiver({ queueName: "jobs" });
 *   const [message] = await receiver.receive(1);
 *   await receiver.deadLetter(message, { reason: "bad", description: "no id" });
 *   await using dead = await bus.receiver({ queueName: "jobs/$DeadLetterQueue" });
 *   const [again] = await dead.receive(1);
 *   assert.equal(again.deadLetterReason, "bad");
 *   assert.equal(again.deadLetterErrorDescription, "no id");
 *   await dead.complete(again);
 * } finally {
 *   await bus.close();
 *   await local.close();
 * }
 * ```
 */
export class MessageReceiver extends BaseMessageReceiver<ServiceBusReceiver> {
  /**
   * Renews a message's lock now (the SDK renews it by itself while the
   * message is unsettled, for `maxAutoLockRenewalSeconds`).
   *
   * @param message A message from this receiver.
   * @returns When the lock ends now.
   * @throws {ServiceBusError} `MessageLockLost` when the lock is gone.
   */
  renewLock(message: ServiceBusReceivedMessage): Promise<Date> {
    return this.receiver.renewMessageLock(message);
  }
}

/**
 * A peek-lock receiver holding one session's lock: it gets only that
 * session's messages, in order, and reads and writes the session's state.
 * Made by `ManagedServiceBus.acceptSession` and `acceptNextSession`; it owns
 * its client and closes it with itself. The SDK renews the session lock
 * while the receiver is open, for `maxAutoLockRenewalSeconds`.
 *
 * @example A session's messages and state (a local broker)
 * ```ts
 * import { ManagedServiceBus } from "@azure-clients/toolbox/service-bus";
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const local = await startLocalServiceBus({ queues: ["carts"] });
 * const bus = new ManagedServiceBus({ connectionString: local.connectionString });
 * try {
 *   const carts = bus.sender("carts");
 *   await carts.sendBody("add milk", { sessionId: "cart-1" });
 *   await carts.sendBody("add tea", { sessionId: "cart-2" });
 *   await using session = await bus.acceptSession({ queueName: "carts" }, "cart-1");
 *   const messages = await session.receive(10, { maxWaitTimeSeconds: 1 });
 *   assert.deepEqual(messages.map((m) => m.body), ["add milk"]);
 *   await session.complete(messages[0]);
 *   await session.setSessionState({ items: 1 });
 *   assert.deepEqual(await session.getSessionState(), { items: 1 });
 * } finally {
 *   await bus.close();
 *   await local.close();
 * }
 * ```
 */
export class SessionReceiver
  extends BaseMessageReceiver<ServiceBusSessionReceiver> {
  /** The session this receiver holds. */
  get sessionId(): string {
    return this.receiver.sessionId;
  }

  /** When the session lock ends (the SDK renews it while the receiver is open). */
  get sessionLockedUntilUtc(): Date | undefined {
    return this.receiver.sessionLockedUntilUtc;
  }

  /**
   * Reads the session's state.
   *
   * @returns The state set last (JSON values decoded), or `undefined`/`null`
   * when none was set.
   * @throws {ServiceBusError} `SessionLockLost` when the lock is gone.
   */
  getSessionState(): Promise<unknown> {
    return this.receiver.getSessionState();
  }

  /**
   * Sets the session's state.
   *
   * @param state The state (JSON-encoded by the SDK).
   * @returns When the service stored it.
   * @throws {ServiceBusError} `SessionLockLost` when the lock is gone.
   */
  setSessionState(state: unknown): Promise<void> {
    return this.receiver.setSessionState(state);
  }

  /**
   * Renews the session's lock now.
   *
   * @returns When the lock ends now.
   * @throws {ServiceBusError} `SessionLockLost` when the lock is gone.
   */
  renewSessionLock(): Promise<Date> {
    return this.receiver.renewSessionLock();
  }
}
