/**
 * The pooled Service Bus sender for one queue or topic.
 *
 * @module
 */

import type { ServiceBusSender } from "@azure/service-bus";
import { pick } from "../managed/_checks.ts";
import {
  AMQP_CLIENT_LIMIT,
  FOLLOWED_OPERATION_KEYS,
  followedOperations,
} from "../managed/_amqp.ts";
import type { ManagedLease } from "../managed/lease.ts";
import { ManagedClient } from "../managed/managed_client.ts";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import { MANAGED_POOL_OPTION_KEYS } from "../managed/_pool_options.ts";
import { isServiceBusConnectionError } from "./connection_error.ts";
import { ServiceBusSenderConnector } from "./connector.ts";
import type {
  ManagedServiceBusSenderOptions,
  SendBodiesOptions,
  SendBodyOptions,
  SendMessagesOptions,
  ServiceBusConnectionOptions,
  ServiceBusMessageInput,
} from "./options.ts";
import {
  entityLabel,
  resolveServiceBus,
  SERVICE_BUS_CONNECTION_KEYS,
} from "./_client.ts";
import { Sending } from "./_sending.ts";
import type { SequenceNumbers } from "./options.ts";

/**
 * A pool of Service Bus senders for one queue or topic (`queueName` or
 * `topicName`): callers share up to `maxSize` clients (AMQP connections), at
 * most `clientLimit` at a time each. A client is opened ahead of demand,
 * proven by opening its sender link (nothing is written to the entity),
 * recycled after `maxIdleSeconds` idle, and replaced when an operation fails
 * with a connection error ({@linkcode isServiceBusConnectionError}) or dies on
 * its own (a reset or closed socket is noticed at once); other errors reach
 * the caller and leave the client in the pool. Each send is bounded by
 * `operationTimeoutSeconds`, and one whose connection died while it was in
 * flight is sent once more on a healthy connection (`resendOnConnectionLoss`).
 * To send to several entities over the same connections, use
 * `ManagedServiceBus`.
 *
 * `sendMessages` and `scheduleMessages` take the SDK's `ServiceBusMessage`s,
 * as the SDK's methods of those names do; `sendBody` and `sendBodies` take
 * bodies.
 *
 * @example Constructing and closing (nothing is opened)
 * ```ts
 * import { ManagedServiceBusSender } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const sender = new ManagedServiceBusSender({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   queueName: "orders",
 *   maxSize: 3,
 * });
 * assert.equal(sender.stats().size, 0);
 * await sender.close();
 * assert.equal(sender.pool.closed, true);
 * ```
 *
 * @example A misspelt option is an error
 * ```ts
 * import { ManagedServiceBusSender } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * await using sender = new ManagedServiceBusSender({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   queueName: "orders",
 * });
 * await assert.rejects(
 *   sender.sendBody("hi", { delay: 30 } as never),
 *   /Cannot send a message as 'delay' is not an option \(did you mean 'delaySeconds'\?\)/,
 * );
 * ```
 *
 * @example Sending (needs a Service Bus namespace)
 * ```ts ignore
 * import { ManagedServiceBusSender } from "@azure-clients/toolbox/service-bus";
 * import { DefaultAzureCredential } from "@azure/identity";
 *
 * const sender = new ManagedServiceBusSender({
 *   namespace: "myns.servicebus.windows.net",
 *   queueName: "orders",
 *   credential: new DefaultAzureCredential(),
 * });
 * await sender.sendMessages({ body: { id: 17 }, messageId: "order-17" });
 * await sender.sendBody("reminder", { delaySeconds: 60 });
 * await sender.sendBodies([{ id: 18 }, { id: 19 }]);
 * await sender.close();
 * ```
 */
export class ManagedServiceBusSender
  extends ManagedClient<ServiceBusSender, ServiceBusSenderConnector> {
  readonly #sending: Sending;

  /**
   * Checks the options and makes the pool; opens nothing.
   *
   * @param options The connection, the pool's options and how sends are
   * bounded.
   * @throws {TypeError} When an option is unknown, missing or invalid, or two
   * credentials are given (the message names the options, never a key).
   * @throws {RangeError} When a pool option or `operationTimeoutSeconds` is
   * out of range (the message names the option and the value).
   */
  constructor(options: ManagedServiceBusSenderOptions) {
    const owner = "ManagedServiceBusSender";
    const settings = resolveServiceBus(owner, options, [
      ...MANAGED_POOL_OPTION_KEYS,
      ...FOLLOWED_OPERATION_KEYS,
    ]);
    const { timeoutMs, resend } = followedOperations(owner, options, true);
    super(
      owner,
      new ServiceBusSenderConnector(
        pick(
          options,
          SERVICE_BUS_CONNECTION_KEYS,
        ) as ServiceBusConnectionOptions,
      ),
      options,
      {
        clientLimit: AMQP_CLIENT_LIMIT,
        maxIdleSeconds: 200,
        maxLifespanSeconds: Infinity,
        createTimeoutSeconds: 30,
        name: `servicebus:${settings.host}/${settings.entity}`,
        isConnectionError: isServiceBusConnectionError,
      },
    );
    this.followOperations(timeoutMs);
    const sending: Sending = this.#sending = new Sending(
      (fn, options, what) =>
        this.followed(fn, options, {
          what,
          resend,
          translate: (error) => sending.outcome(error, what),
        }),
      `${entityLabel(settings)} on ${settings.host}`,
      settings.entity,
      resend,
    );
  }

  /** The queue or topic it sends to. */
  get entityName(): string {
    return this.connector.entityName;
  }

  /**
   * Sends one `ServiceBusMessage` or a list of them, as the SDK's
   * `ServiceBusSender.sendMessages` does: each message keeps its body,
   * `messageId`, `subject`, `sessionId` and every other property, and a
   * list goes as one batch (a list too large for one batch fails with the
   * SDK's error; `sendBodies` splits).
   *
   * @param messages A message (`{ body, ... }`) or a list of them.
   * @param options Cancellation, and a bound on the wait for a sender.
   * @returns When the service accepted every message.
   * @throws {TypeError} When something is not a message (a bare body: use
   * `sendBody`), or for an unknown option.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {AuthenticationFailed} When the service refused the credential.
   * @throws {OperationTimeout} When the service did not answer within
   * `operationTimeoutSeconds`.
   * @throws {ConnectionLost} When the connection died mid-send and the
   * message was not sent again.
   * @throws {ConnectionsExhausted} When no sender had capacity in time.
   * @throws {ConnectionFailed} When the namespace could not be reached.
   * @throws {PoolClosed} After `close()`.
   * @throws {ServiceBusError} Any other answer of the SDK
   * (`MessageSizeExceeded`, `QuotaExceeded`, ...).
   *
   * @example The SDK's message shape (needs a Service Bus namespace)
   * ```ts ignore
   * await sender.sendMessages({ body: { id: 17 }, messageId: "order-17", subject: "created" });
   * await sender.sendMessages([{ body: "a" }, { body: "b", sessionId: "s-1" }]);
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
   * @param options Cancellation, and a bound on the wait for a sender.
   * @returns Their sequence numbers, for `cancelScheduledMessages`.
   * @throws {TypeError} When something is not a message, the time is not a
   * valid `Date`, or for an unknown option.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {OperationTimeout} When the service did not answer in time.
   * @throws {ServiceBusError} Any other answer of the SDK.
   *
   * @example Scheduling (needs a Service Bus namespace)
   * ```ts ignore
   * const [sequenceNumber] = await sender.scheduleMessages(
   *   { body: "remind me" },
   *   new Date(Date.now() + 60_000),
   * );
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
   * Cancels scheduled messages by their sequence numbers, as the SDK's
   * method of that name does.
   *
   * @param sequenceNumbers What `scheduleMessages` returned.
   * @param options Cancellation, and a bound on the wait for a sender.
   * @returns When they are cancelled.
   * @throws {TypeError} For an unknown option.
   * @throws {ServiceBusError} What the SDK threw.
   *
   * @example Cancelling (needs a Service Bus namespace)
   * ```ts ignore
   * await sender.cancelScheduledMessages(sequenceNumbers);
   * ```
   */
  cancelScheduledMessages(
    sequenceNumbers: SequenceNumbers[number] | SequenceNumbers,
    options?: SendMessagesOptions,
  ): Promise<void> {
    return this.#sending.cancelScheduledMessages(sequenceNumbers, options);
  }

  /**
   * Sends one value as a message's body, with the properties of `options`,
   * or schedules it when `delaySeconds` is set. (The Python toolbox's
   * `send_message`.)
   *
   * @param body The body (the SDK encodes it; JSON values as JSON).
   * @param options The message's properties, a delay, and cancellation.
   * @returns When the service accepted the message.
   * @throws {TypeError} For an unknown option.
   * @throws {RangeError} When `delaySeconds` or `timeToLiveSeconds` is out of
   * range.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {AuthenticationFailed} When the service refused the credential.
   * @throws {OperationTimeout} When the service did not answer in time.
   * @throws {ConnectionLost} When the connection died mid-send and the
   * message was not sent again.
   * @throws {ConnectionsExhausted} When no sender had capacity in time.
   * @throws {ConnectionFailed} When the namespace could not be reached.
   * @throws {PoolClosed} After `close()`.
   * @throws {ServiceBusError} Any other answer of the SDK.
   *
   * @example Sending with properties (needs a Service Bus namespace)
   * ```ts ignore
   * await sender.sendBody({ id: 17 }, { messageId: "order-17", subject: "created" });
   * ```
   */
  sendBody(body: unknown, options?: SendBodyOptions): Promise<void> {
    return this.#sending.sendBody(body, options);
  }

  /**
   * Sends each value as a message's body, in as few batches as the link's
   * size limit allows, on one pooled sender. If a batch fails, the batches
   * before it were sent.
   *
   * @param bodies The bodies.
   * @param options Properties every message gets, and cancellation.
   * @returns When the service accepted every message.
   * @throws {TypeError} For an unknown option, or when `bodies` is not an
   * array.
   * @throws {ServiceBusError} With code `MessageSizeExceeded` when one message
   * does not fit in an empty batch, or any other answer of the SDK.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {OperationTimeout} When the service did not answer in time.
   * @throws {ConnectionsExhausted} When no sender had capacity in time.
   * @throws {ConnectionFailed} When the namespace could not be reached.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Sending a list (needs a Service Bus namespace)
   * ```ts ignore
   * await sender.sendBodies([{ id: 1 }, { id: 2 }, { id: 3 }]);
   * ```
   */
  sendBodies(
    bodies: readonly unknown[],
    options?: SendBodiesOptions,
  ): Promise<void> {
    return this.#sending.sendBodies(bodies, options);
  }

  /**
   * Takes a pooled SDK sender until the lease is released (or disposed with
   * `await using`).
   *
   * @param options A signal, and a bound on the acquire.
   * @returns The lease; `lease.client` is the `ServiceBusSender`.
   * @throws {TypeError} For an unknown option.
   * @throws {ConnectionsExhausted} When no sender had capacity in time.
   * @throws {ConnectionFailed} When opening a client failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Holding a sender (needs a Service Bus namespace)
   * ```ts ignore
   * await using lease = await sender.getSender();
   * const batch = await lease.client.createMessageBatch();
   * ```
   */
  getSender(
    options?: ManagedOperationOptions,
  ): Promise<ManagedLease<ServiceBusSender>> {
    return this.lease(options);
  }
}
