/**
 * The pooled Service Bus sender for one queue or topic.
 *
 * @module
 */

import type { ServiceBusSender } from "@azure/service-bus";
import { pick } from "../managed/_checks.ts";
import type { ManagedLease } from "../managed/lease.ts";
import { ManagedClient } from "../managed/managed_client.ts";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import { MANAGED_POOL_OPTION_KEYS } from "../managed/_pool_options.ts";
import { isServiceBusConnectionError } from "./connection_error.ts";
import { ServiceBusSenderConnector } from "./connector.ts";
import type {
  ManagedServiceBusSenderOptions,
  SendMessageOptions,
  SendMessagesOptions,
  ServiceBusConnectionOptions,
} from "./options.ts";
import { resolveServiceBus, SERVICE_BUS_CONNECTION_KEYS } from "./_client.ts";
import { prepareMany, prepareOne, sendBatched, sendOne } from "./_messages.ts";

/**
 * A pool of Service Bus senders for one queue or topic (`queueName` or
 * `topicName`): callers share up to `maxSize` clients (AMQP connections), at
 * most `clientLimit` at a time each. A client is opened ahead of demand,
 * proven by opening its sender link (nothing is written to the entity),
 * recycled after `maxIdleSeconds` idle, and replaced when an operation fails
 * with a connection error ({@linkcode isServiceBusConnectionError}); other
 * errors reach the caller and leave the client in the pool. To send to
 * several entities over the same connections, use `ManagedServiceBus`.
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
 *   sender.sendMessage("hi", { delay: 30 } as never),
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
 * await sender.sendMessage({ id: 17 }, { messageId: "order-17" });
 * await sender.sendMessage("reminder", { delaySeconds: 60 });
 * await sender.sendMessages([{ id: 18 }, { id: 19 }]);
 * await sender.close();
 * ```
 */
export class ManagedServiceBusSender
  extends ManagedClient<ServiceBusSender, ServiceBusSenderConnector> {
  /**
   * Checks the options and makes the pool; opens nothing.
   *
   * @param options The connection and the pool's options.
   * @throws {TypeError} When an option is unknown, missing or invalid, or two
   * credentials are given (the message names the options, never a key).
   * @throws {RangeError} When a pool option is out of range (the message
   * names the option and the value).
   */
  constructor(options: ManagedServiceBusSenderOptions) {
    const settings = resolveServiceBus(
      "ManagedServiceBusSender",
      options,
      MANAGED_POOL_OPTION_KEYS,
    );
    super(
      "ManagedServiceBusSender",
      new ServiceBusSenderConnector(
        pick(
          options,
          SERVICE_BUS_CONNECTION_KEYS,
        ) as ServiceBusConnectionOptions,
      ),
      options,
      {
        maxIdleSeconds: 200,
        maxLifespanSeconds: Infinity,
        createTimeoutSeconds: 30,
        name: `servicebus:${settings.host}/${settings.entity}`,
        isConnectionError: isServiceBusConnectionError,
      },
    );
  }

  /** The queue or topic it sends to. */
  get entityName(): string {
    return this.connector.entityName;
  }

  /**
   * Sends one message, or schedules it when `delaySeconds` is set.
   *
   * @param body The body (the SDK encodes it; JSON values as JSON).
   * @param options The message's properties, a delay, and cancellation.
   * @returns When the service accepted the message.
   * @throws {TypeError} For an unknown option.
   * @throws {RangeError} When `delaySeconds` or `timeToLiveSeconds` is out of
   * range.
   * @throws {ConnectionsExhausted} When no sender had capacity in time.
   * @throws {ConnectionFailed} When opening a client failed (`cause` is the
   * SDK's error).
   * @throws {PoolClosed} After `close()`.
   * @throws {ServiceBusError} What the SDK threw (a connection error also
   * replaces the client).
   *
   * @example Sending with properties (needs a Service Bus namespace)
   * ```ts ignore
   * await sender.sendMessage({ id: 17 }, { messageId: "order-17", subject: "created" });
   * ```
   */
  async sendMessage(
    body: unknown,
    options?: SendMessageOptions,
  ): Promise<void> {
    const { message, delay } = prepareOne(body, options);
    await this.operation(
      (sender) => sendOne(sender, message, delay, options?.abortSignal),
      options,
    );
  }

  /**
   * Sends messages in as few batches as the link's size limit allows, on one
   * pooled sender. If a batch fails, the batches before it were sent.
   *
   * @param bodies The bodies.
   * @param options Properties every message gets, and cancellation.
   * @returns How many batches were sent.
   * @throws {TypeError} For an unknown option, or when `bodies` is not an
   * array.
   * @throws {ServiceBusError} With code `MessageSizeExceeded` when one message
   * does not fit in an empty batch, or what the SDK threw.
   * @throws {ConnectionsExhausted} When no sender had capacity in time.
   * @throws {ConnectionFailed} When opening a client failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Sending a list (needs a Service Bus namespace)
   * ```ts ignore
   * const batches = await sender.sendMessages([{ id: 1 }, { id: 2 }, { id: 3 }]);
   * ```
   */
  async sendMessages(
    bodies: readonly unknown[],
    options?: SendMessagesOptions,
  ): Promise<number> {
    const messages = prepareMany(bodies, options);
    if (messages.length === 0) return 0;
    return await this.operation(
      (sender) => sendBatched(sender, messages, options?.abortSignal),
      options,
    );
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
