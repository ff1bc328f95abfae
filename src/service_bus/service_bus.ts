/**
 * One Service Bus client for one queue or topic, unpooled.
 *
 * @module
 */

import type { ServiceBusClient, ServiceBusSender } from "@azure/service-bus";
import type {
  ReceiverOptions,
  SendBodiesOptions,
  SendBodyOptions,
  SendMessagesOptions,
  ServiceBusMessageInput,
  ServiceBusOptions,
} from "./options.ts";
import {
  closeClient,
  entityLabel,
  openClient,
  type OwnedClient,
  proveSender,
  type ResolvedServiceBus,
  resolveServiceBus,
} from "./_client.ts";
import { Sending } from "./_sending.ts";
import type { SequenceNumbers } from "./options.ts";
import { amqpOutcome } from "../managed/_amqp_errors.ts";
import { proveReceiver } from "./_receiver_proof.ts";
import {
  lockRenewalMs,
  MessageReceiver,
  RECEIVER_OPTION_KEYS,
} from "./message_receiver.ts";
import {
  errorLabel,
  rejectUnknownKeys,
  requireName,
} from "../managed/_checks.ts";
import { logger } from "../managed/log.ts";
import { SharedOpen } from "../managed/_open.ts";

/** The sender being opened, and its client. */
interface OpeningSender {
  owned: OwnedClient;
  sender: ServiceBusSender;
}

/**
 * One Service Bus client (one AMQP connection) for one queue or topic
 * (`queueName` or `topicName`), unpooled: a sender kept open for
 * `sendMessages`/`sendBody`, and peek-lock receivers (for a topic, of one
 * of its subscriptions). The client is made on first use and closed by
 * `close()`. The sender is
 * proven like a pooled one when it is first needed (it opens its link, with
 * the SDK's retries off for that one call), so a refused connection fails
 * the first send with `ConnectionFailed` (`cause`: the SDK's error), an
 * unknown queue with `EntityNotFound` and a refused key with
 * `AuthenticationFailed`, and the next send opens anew; `close()` also tears
 * down an open still in flight.
 *
 * @example Constructing and closing (nothing is opened)
 * ```ts
 * import { ServiceBus } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const bus = new ServiceBus({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   queueName: "orders",
 * });
 * assert.equal(bus.queueName, "orders");
 * await bus.close();
 * ```
 *
 * @example Sending and receiving (needs a Service Bus namespace)
 * ```ts ignore
 * const bus = new ServiceBus({ connectionString, queueName: "orders" });
 * await bus.sendBody({ id: 1 });
 * await using receiver = await bus.receiver({ maxWaitTimeSeconds: 1 });
 * for await (const message of receiver) {
 *   await receiver.complete(message);
 *   break;
 * }
 * await bus.close();
 * ```
 */
export class ServiceBus implements AsyncDisposable {
  readonly #settings: ResolvedServiceBus;
  readonly #receivers = new Set<MessageReceiver>();
  readonly #senderOpener: SharedOpen<OpeningSender>;
  readonly #sending: Sending;
  #client: Promise<OwnedClient> | undefined;
  #sender: ServiceBusSender | undefined;
  #closed = false;

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the queue is and how to authenticate.
   * @throws {TypeError} When an option is unknown, missing or invalid.
   * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
   */
  constructor(options: ServiceBusOptions) {
    const settings = this.#settings = resolveServiceBus("ServiceBus", options);
    this.#senderOpener = new SharedOpen(
      `ServiceBus for ${settings.host}/${settings.entity}`,
      {
        create: async () => {
          const owned = await this.#open();
          return { owned, sender: owned.client.createSender(settings.entity) };
        },
        ready: ({ owned, sender }, signal) =>
          proveSender(owned, sender, signal).catch((error) => {
            throw signal.aborted ? error : amqpOutcome(
              error,
              `open a sender for ${entityLabel(settings)} on ${settings.host}`,
              settings.entity,
            );
          }),
        close: (opening) => this.#dropSender(opening),
      },
      ({ sender }) => (this.#sender = sender),
    );
    const sending: Sending = this.#sending = new Sending(
      async (fn, options, what) => {
        const sender = await this.#getSender(options?.abortSignal);
        try {
          return await fn(sender, options?.abortSignal);
        } catch (error) {
          throw sending.outcome(error, what);
        }
      },
      `${entityLabel(settings)} on ${settings.host}`,
      settings.entity,
      false,
    );
  }

  /** The queue name (the entity name, for a `ServiceBus` made with `topicName`). */
  get queueName(): string {
    return this.#settings.entity;
  }

  /** The queue or topic it sends to. */
  get entityName(): string {
    return this.#settings.entity;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The SDK client, opened on first call.
   *
   * @returns The client.
   * @throws {Error} After `close()`.
   */
  async client(): Promise<ServiceBusClient> {
    return (await this.#open()).client;
  }

  #open(): Promise<OwnedClient> {
    if (this.#closed) {
      return Promise.reject(
        new Error(
          `Cannot use ServiceBus for ${this.#settings.host}/${this.#settings.entity}: it is closed`,
        ),
      );
    }
    if (this.#client === undefined) {
      const client = this.#client = openClient("ServiceBus", this.#settings);
      // A credential factory that failed is asked again next time.
      client.catch(() => {
        if (this.#client === client) this.#client = undefined;
      });
    }
    return this.#client;
  }

  async #getSender(signal?: AbortSignal): Promise<ServiceBusSender> {
    if (this.#closed) await this.#open(); // throws: it is closed
    return this.#sender ?? (await this.#senderOpener.join(signal)).sender;
  }

  /**
   * Closes a sender that failed its open; and its client too when no receiver
   * uses it, so that the socket of a connection that never opened goes with
   * it and the next send starts on a new client.
   */
  async #dropSender({ owned, sender }: OpeningSender): Promise<void> {
    const what = `Service Bus ${this.#settings.host}/${this.#settings.entity}`;
    const current = this.#client;
    const mine = current !== undefined &&
      (await current.catch(() => undefined)) === owned;
    if (
      !mine || this.#closed || this.#receivers.size > 0 ||
      this.#client !== current
    ) {
      try {
        await sender.close();
      } catch (error) {
        logger.info(`${what}: closing a link failed: ${errorLabel(error)}`);
      }
      return;
    }
    this.#client = undefined;
    await closeClient(what, owned, [sender], this.#settings.closeTimeoutMs);
  }

  /**
   * Sends one `ServiceBusMessage` or a list of them, as the SDK's
   * `ServiceBusSender.sendMessages` does: a list goes as one batch (a list
   * too large for one batch fails with the SDK's error; `sendBodies`
   * splits).
   *
   * @param messages A message (`{ body, ... }`) or a list of them.
   * @param options Cancellation (`acquireTimeoutSeconds` is accepted and
   * ignored: there is no pool).
   * @returns When the service accepted every message.
   * @throws {TypeError} When something is not a message (a bare body: use
   * `sendBody`), or for an unknown option.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {AuthenticationFailed} When the service refused the credential.
   * @throws {ConnectionFailed} When opening the sender failed (`cause`: the
   * SDK's error).
   * @throws {ServiceBusError} Any other answer of the SDK.
   *
   * @example The SDK's message shape (needs a Service Bus namespace)
   * ```ts ignore
   * await bus.sendMessages({ body: { id: 1 }, messageId: "order-1" });
   * ```
   */
  sendMessages(
    messages: ServiceBusMessageInput,
    options?: SendMessagesOptions,
  ): Promise<void> {
    return this.#sending.sendMessages(messages, options);
  }

  /**
   * Schedules messages for `scheduledEnqueueTimeUtc`, as the SDK's method
   * of that name does.
   *
   * @param messages A message or a list of them.
   * @param scheduledEnqueueTimeUtc When they are enqueued.
   * @param options Cancellation.
   * @returns Their sequence numbers, for `cancelScheduledMessages`.
   * @throws {TypeError} When something is not a message, the time is not a
   * valid `Date`, or for an unknown option.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {ServiceBusError} Any other answer of the SDK.
   *
   * @example Scheduling (needs a Service Bus namespace)
   * ```ts ignore
   * await bus.scheduleMessages({ body: "later" }, new Date(Date.now() + 60_000));
   * ```
   */
  scheduleMessages(
    messages: ServiceBusMessageInput,
    scheduledEnqueueTimeUtc: Date,
    options?: SendMessagesOptions,
  ): Promise<SequenceNumbers> {
    return this.#sending.scheduleMessages(
      messages,
      scheduledEnqueueTimeUtc,
      options,
    );
  }

  /**
   * Cancels scheduled messages by their sequence numbers.
   *
   * @param sequenceNumbers What `scheduleMessages` returned.
   * @param options Cancellation.
   * @returns When they are cancelled.
   * @throws {TypeError} For an unknown option.
   * @throws {ServiceBusError} What the SDK threw.
   *
   * @example Cancelling (needs a Service Bus namespace)
   * ```ts ignore
   * await bus.cancelScheduledMessages(sequenceNumbers);
   * ```
   */
  cancelScheduledMessages(
    sequenceNumbers: SequenceNumbers[number] | SequenceNumbers,
    options?: SendMessagesOptions,
  ): Promise<void> {
    return this.#sending.cancelScheduledMessages(sequenceNumbers, options);
  }

  /**
   * Sends one value as a message's body, or schedules it when
   * `delaySeconds` is set.
   *
   * @param body The body.
   * @param options The message's properties, a delay, and cancellation
   * (`acquireTimeoutSeconds` is accepted and ignored: there is no pool).
   * @returns When the service accepted the message.
   * @throws {TypeError} For an unknown option.
   * @throws {RangeError} When `delaySeconds` or `timeToLiveSeconds` is out of
   * range.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {ConnectionFailed} When opening the sender failed (`cause`: the
   * SDK's error).
   * @throws {ServiceBusError} Any other answer of the SDK.
   *
   * @example A body with properties (needs a Service Bus namespace)
   * ```ts ignore
   * await bus.sendBody({ id: 1 }, { subject: "created" });
   * ```
   */
  sendBody(body: unknown, options?: SendBodyOptions): Promise<void> {
    return this.#sending.sendBody(body, options);
  }

  /**
   * Sends each value as a message's body, in as few batches as the link's
   * size limit allows.
   *
   * @param bodies The bodies.
   * @param options Properties every message gets, and cancellation.
   * @returns When the service accepted every message.
   * @throws {TypeError} For an unknown option.
   * @throws {ConnectionFailed} When opening the sender failed.
   * @throws {ServiceBusError} What the SDK threw, or `MessageSizeExceeded`
   * when one message does not fit in an empty batch.
   *
   * @example A list (needs a Service Bus namespace)
   * ```ts ignore
   * await bus.sendBodies([{ id: 1 }, { id: 2 }]);
   * ```
   */
  sendBodies(
    bodies: readonly unknown[],
    options?: SendBodiesOptions,
  ): Promise<void> {
    return this.#sending.sendBodies(bodies, options);
  }

  /**
   * Opens a receiver on the queue, or on a subscription of the topic
   * (`subscriptionName`); peek-lock by default.
   *
   * @param options Receive mode, fetch size, wait, signal, lock renewal, and
   * the subscription for a topic.
   * @returns The receiver; close it when done.
   * @throws {TypeError} For an unknown option, or a subscription missing for
   * a topic (or given for a queue).
   * @throws {RangeError} When an option is out of range.
   */
  async receiver(options?: ReceiverOptions): Promise<MessageReceiver> {
    const what = "open a receiver";
    rejectUnknownKeys(what, options, RECEIVER_OPTION_KEYS);
    const subscription = options?.subscriptionName;
    const topic = this.#settings.entityOption === "topicName";
    if (topic && subscription === undefined) {
      throw new TypeError(
        `Cannot ${what} on topic '${this.#settings.entity}' as 'subscriptionName' is missing`,
      );
    }
    if (!topic && subscription !== undefined) {
      throw new TypeError(
        `Cannot ${what} as 'subscriptionName' needs a ServiceBus made with 'topicName'`,
      );
    }
    if (subscription !== undefined) {
      requireName("a receiver", "subscriptionName", subscription);
    }
    const sdkOptions = {
      receiveMode: options?.receiveMode ?? "peekLock",
      maxAutoLockRenewalDurationInMs: lockRenewalMs(
        what,
        options?.maxAutoLockRenewalSeconds,
      ),
    } as const;
    const owned = await this.#open();
    const { client } = owned;
    const sdkReceiver = subscription === undefined
      ? client.createReceiver(this.#settings.entity, sdkOptions)
      : client.createReceiver(
        this.#settings.entity,
        subscription,
        sdkOptions,
      );
    const path = subscription === undefined
      ? this.#settings.entity
      : `${this.#settings.entity}/Subscriptions/${subscription}`;
    try {
      await proveReceiver(
        owned,
        sdkReceiver,
        `open a receiver for '${path}' on ${this.#settings.host}`,
        path,
      );
    } catch (error) {
      await sdkReceiver.close().catch(() => {});
      throw error;
    }
    const receiver = new MessageReceiver(
      sdkReceiver,
      options,
      (closed) => {
        this.#receivers.delete(closed as MessageReceiver);
      },
    );
    this.#receivers.add(receiver);
    return receiver;
  }

  /**
   * Closes the receivers it made, the sender and the client (giving up after
   * `closeTimeoutSeconds`). Calling it again does nothing.
   *
   * @returns When everything is closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#senderOpener.abort(
      new Error(
        `Cannot use ServiceBus for ${this.#settings.host}/${this.#settings.entity}: it is closed`,
      ),
    );
    const opening = this.#client;
    this.#client = undefined;
    if (opening === undefined) return;
    let owned: OwnedClient;
    try {
      owned = await opening;
    } catch {
      return; // the client never opened: nothing to close
    }
    const closables: { close(): Promise<void> }[] = [...this.#receivers];
    this.#receivers.clear();
    if (this.#sender !== undefined) closables.push(this.#sender);
    this.#sender = undefined;
    await closeClient(
      `Service Bus ${this.#settings.host}/${this.#settings.entity}`,
      owned,
      closables,
      this.#settings.closeTimeoutMs,
    );
  }

  /**
   * Closes everything, for `await using`.
   *
   * @returns When everything is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
