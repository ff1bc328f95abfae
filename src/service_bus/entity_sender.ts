/**
 * The sender handle `ManagedServiceBus.sender(entityName)` returns.
 *
 * @module
 */

import type { ServiceBusClient, ServiceBusSender } from "@azure/service-bus";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import type { SendMessageOptions, SendMessagesOptions } from "./options.ts";
import { prepareMany, prepareOne, sendBatched, sendOne } from "./_messages.ts";

/** What a handle needs from its bus: a pooled client and its link for one entity. */
export type EntitySendRunner = <T>(
  entityName: string,
  fn: (sender: ServiceBusSender, client: ServiceBusClient) => Promise<T>,
  options: ManagedOperationOptions | undefined,
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
 *   await bus.sender("orders").sendMessage({ id: 1 }, { messageId: "o-1" });
 *   await bus.sender("events").sendMessages(["placed", "paid"]);
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
  readonly #run: EntitySendRunner;

  /**
   * Binds a handle to an entity; use `ManagedServiceBus.sender` instead.
   *
   * @param entityName The queue or topic.
   * @param run Runs a send on a pooled client's link for the entity.
   */
  constructor(entityName: string, run: EntitySendRunner) {
    this.entityName = entityName;
    this.#run = run;
  }

  /**
   * Sends one message, or schedules it when `delaySeconds` is set.
   *
   * @param body The body (the SDK encodes it; JSON values as JSON).
   * @param options The message's properties, a delay, and cancellation
   * (`acquireTimeoutSeconds` bounds the wait for a pooled connection only).
   * @returns When the service accepted the message.
   * @throws {TypeError} For an unknown option.
   * @throws {RangeError} When `delaySeconds` or `timeToLiveSeconds` is out of
   * range.
   * @throws {ConnectionsExhausted} When no connection had capacity in time.
   * @throws {ConnectionFailed} When opening a connection failed.
   * @throws {PoolClosed} After the bus closed.
   * @throws {ServiceBusError} What the SDK threw (a connection error also
   * replaces the connection; a link error only the link).
   *
   * @example Scheduling (needs a Service Bus namespace)
   * ```ts ignore
   * await bus.sender("reminders").sendMessage("call back", { delaySeconds: 3600 });
   * ```
   */
  async sendMessage(
    body: unknown,
    options?: SendMessageOptions,
  ): Promise<void> {
    const { message, delay } = prepareOne(body, options);
    await this.#run(
      this.entityName,
      (sender) => sendOne(sender, message, delay, options?.abortSignal),
      options,
    );
  }

  /**
   * Sends messages in as few batches as the link's size limit allows, on one
   * pooled connection. If a batch fails, the batches before it were sent.
   *
   * @param bodies The bodies.
   * @param options Properties every message gets, and cancellation.
   * @returns How many batches were sent.
   * @throws {TypeError} For an unknown option, or when `bodies` is not an
   * array.
   * @throws {ServiceBusError} With code `MessageSizeExceeded` when one message
   * does not fit in an empty batch, or what the SDK threw.
   * @throws {ConnectionsExhausted} When no connection had capacity in time.
   * @throws {ConnectionFailed} When opening a connection failed.
   * @throws {PoolClosed} After the bus closed.
   *
   * @example A list in batches (needs a Service Bus namespace)
   * ```ts ignore
   * const batches = await bus.sender("orders").sendMessages([{ id: 1 }, { id: 2 }]);
   * ```
   */
  async sendMessages(
    bodies: readonly unknown[],
    options?: SendMessagesOptions,
  ): Promise<number> {
    const messages = prepareMany(bodies, options);
    if (messages.length === 0) return 0;
    return await this.#run(
      this.entityName,
      (sender) => sendBatched(sender, messages, options?.abortSignal),
      options,
    );
  }
}
