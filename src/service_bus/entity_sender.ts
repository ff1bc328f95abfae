/**
 * The sender handle `ManagedServiceBus.sender(entityName)` returns.
 *
 * @module
 */

import type { ServiceBusClient, ServiceBusSender } from "@azure/service-bus";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import type {
  SendBodiesOptions,
  SendBodyOptions,
  SendMessagesOptions,
  ServiceBusMessageInput,
} from "./options.ts";
import { Sending } from "./_sending.ts";
import type { SequenceNumbers } from "./options.ts";

/**
 * What a handle needs from its bus: a pooled client and its link for one
 * entity, and how to follow the operation (`what` names it for messages;
 * `outcome` turns what the SDK threw into the caller's error).
 *
 * @example A runner that refuses every send (a test's stand-in for a bus)
 * ```ts
 * import type { EntitySendRunner } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const refuse: EntitySendRunner = (entityName, _fn, _options, what) =>
 *   Promise.reject(new Error(`Cannot ${what}: no bus for '${entityName}'`));
 * await assert.rejects(
 *   refuse("orders", () => Promise.resolve(), undefined, "send", (e) => e),
 *   /no bus for 'orders'/,
 * );
 * ```
 */
export type EntitySendRunner = <T>(
  entityName: string,
  fn: (
    sender: ServiceBusSender,
    signal: AbortSignal | undefined,
    client: ServiceBusClient,
  ) => Promise<T>,
  options: ManagedOperationOptions | undefined,
  what: string,
  outcome: (error: unknown) => unknown,
) => Promise<T>;

/**
 * Sends to one queue or topic through a `ManagedServiceBus`'s pool: each call
 * takes a pooled connection (counted against `clientLimit` like every other
 * caller of the bus, whatever its entity) and sends on that connection's
 * link for the entity, opened on first use and kept for the connection's
 * life. The same options as `ManagedServiceBusSender`.
 *
 * @example Two entities, one connection (a local broker)
 * ```ts
 * import { ManagedServiceBus } from "@azure-clients/toolbox/service-bus";
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const local = await startLocalServiceBus({
 *   queues: ["orders"],
 *   topics: { events: ["audit"] },
 * });
 * const bus = new ManagedServiceBus({ connectionString: local.connectionString, maxSize: 1 });
 * try {
 *   await bus.sender("orders").sendMessages({ body: { id: 1 }, messageId: "o-1" });
 *   await bus.sender("events").sendBodies(["placed", "paid"]);
 *   assert.deepEqual(local.messages("orders").map((m) => m.messageId), ["o-1"]);
 *   assert.equal(local.messages("events/Subscriptions/audit").length, 2);
 *   assert.equal(local.stats().connections, 1);
 * } finally {
 *   await bus.close();
 *   await local.close();
 * }
 * ```
 */
export class ServiceBusEntitySender {
  /** The queue or topic. */
  readonly entityName: string;
  readonly #sending: Sending;

  /**
   * Binds a handle to an entity; use `ManagedServiceBus.sender` instead.
   *
   * @param entityName The queue or topic.
   * @param run Runs a send on a pooled client's link for the entity.
   * @param host The namespace host, for messages.
   * @param withIds Whether messages without an id get one (the bus resends
   * after a lost connection).
   */
  constructor(
    entityName: string,
    run: EntitySendRunner,
    host = "the namespace",
    withIds = true,
  ) {
    this.entityName = entityName;
    const sending: Sending = this.#sending = new Sending(
      (fn, options, what) =>
        run(
          entityName,
          (sender, signal) => fn(sender, signal),
          options,
          what,
          (error) => sending.outcome(error, what),
        ),
      `entity '${entityName}' on ${host}`,
      entityName,
      withIds,
    );
  }

  /**
   * Sends one `ServiceBusMessage` or a list of them, as the SDK's
   * `ServiceBusSender.sendMessages` does: a list goes as one batch (a list
   * too large for one batch fails with the SDK's error; `sendBodies`
   * splits).
   *
   * @param messages A message (`{ body, ... }`) or a list of them.
   * @param options Cancellation, and a bound on the wait for a connection.
   * @returns When the service accepted every message.
   * @throws {TypeError} When something is not a message (a bare body: use
   * `sendBody`), or for an unknown option.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {AuthenticationFailed} When the service refused the credential.
   * @throws {OperationTimeout} When the service did not answer within
   * `operationTimeoutSeconds`.
   * @throws {ConnectionLost} When the connection died mid-send and the
   * message was not sent again.
   * @throws {ConnectionsExhausted} When no connection had capacity in time.
   * @throws {ConnectionFailed} When the namespace could not be reached.
   * @throws {PoolClosed} After the bus closed.
   * @throws {ServiceBusError} Any other answer of the SDK.
   *
   * @example The SDK's message shape (needs a Service Bus namespace)
   * ```ts ignore
   * await bus.sender("orders").sendMessages({ body: { id: 1 }, sessionId: "cart-7" });
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
   * @param options Cancellation, and a bound on the wait for a connection.
   * @returns Their sequence numbers, for `cancelScheduledMessages`.
   * @throws {TypeError} When something is not a message, the time is not a
   * valid `Date`, or for an unknown option.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {ServiceBusError} Any other answer of the SDK.
   *
   * @example Scheduling (needs a Service Bus namespace)
   * ```ts ignore
   * await bus.sender("reminders").scheduleMessages({ body: "call back" }, new Date(Date.now() + 3600_000));
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
   * @param options Cancellation, and a bound on the wait for a connection.
   * @returns When they are cancelled.
   * @throws {TypeError} For an unknown option.
   * @throws {ServiceBusError} What the SDK threw.
   *
   * @example Cancelling (needs a Service Bus namespace)
   * ```ts ignore
   * await bus.sender("reminders").cancelScheduledMessages(sequenceNumbers);
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
   * @param body The body (the SDK encodes it; JSON values as JSON).
   * @param options The message's properties, a delay, and cancellation
   * (`acquireTimeoutSeconds` bounds the wait for a pooled connection only).
   * @returns When the service accepted the message.
   * @throws {TypeError} For an unknown option.
   * @throws {RangeError} When `delaySeconds` or `timeToLiveSeconds` is out of
   * range.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {OperationTimeout} When the service did not answer in time.
   * @throws {ConnectionsExhausted} When no connection had capacity in time.
   * @throws {ConnectionFailed} When the namespace could not be reached.
   * @throws {PoolClosed} After the bus closed.
   * @throws {ServiceBusError} Any other answer of the SDK.
   *
   * @example Scheduling (needs a Service Bus namespace)
   * ```ts ignore
   * await bus.sender("reminders").sendBody("call back", { delaySeconds: 3600 });
   * ```
   */
  sendBody(body: unknown, options?: SendBodyOptions): Promise<void> {
    return this.#sending.sendBody(body, options);
  }

  /**
   * Sends each value as a message's body, in as few batches as the link's
   * size limit allows, on one pooled connection. If a batch fails, the
   * batches before it were sent.
   *
   * @param bodies The bodies.
   * @param options Properties every message gets, and cancellation.
   * @returns When the service accepted every message.
   * @throws {TypeError} For an unknown option, or when `bodies` is not an
   * array.
   * @throws {ServiceBusError} With code `MessageSizeExceeded` when one message
   * does not fit in an empty batch, or any other answer of the SDK.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {ConnectionsExhausted} When no connection had capacity in time.
   * @throws {ConnectionFailed} When the namespace could not be reached.
   * @throws {PoolClosed} After the bus closed.
   *
   * @example A list in batches (needs a Service Bus namespace)
   * ```ts ignore
   * await bus.sender("orders").sendBodies([{ id: 1 }, { id: 2 }]);
   * ```
   */
  sendBodies(
    bodies: readonly unknown[],
    options?: SendBodiesOptions,
  ): Promise<void> {
    return this.#sending.sendBodies(bodies, options);
  }
}
