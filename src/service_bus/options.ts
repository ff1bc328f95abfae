/**
 * The options of the Service Bus clients.
 *
 * @module
 */

import type {
  ServiceBusClientOptions,
  ServiceBusMessage,
  ServiceBusSender,
} from "@azure/service-bus";
import type { AmqpConnectionOptions } from "../managed/amqp_options.ts";
import type {
  ManagedOperationOptions,
  ManagedPoolOptions,
} from "../managed/pool_options.ts";

/**
 * Where a Service Bus queue or topic is and how to authenticate: the AMQP
 * connection fields ({@linkcode AmqpConnectionOptions}) and exactly one of
 * `queueName` or `topicName` (either may be left out when the connection
 * string has `EntityPath`).
 *
 * @example Options with a connection string
 * ```ts
 * import type { ServiceBusConnectionOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: ServiceBusConnectionOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
 *   queueName: "orders",
 * };
 * assert.equal(options.queueName, "orders");
 * ```
 */
export interface ServiceBusConnectionOptions
  extends AmqpConnectionOptions<ServiceBusClientOptions> {
  /**
   * The queue. Give this or `topicName`; may be left out when the connection
   * string has `EntityPath`.
   * @default {undefined}
   */
  queueName?: string;
  /**
   * The topic (every subscription gets a copy of each message). Give this or
   * `queueName`.
   * @default {undefined}
   */
  topicName?: string;
}

/**
 * Options of `ManagedServiceBus`: where the namespace is and how to
 * authenticate ({@linkcode AmqpConnectionOptions}, no entity: each call
 * names its queue, topic or subscription), then the pool
 * ({@linkcode ManagedPoolOptions}) with the Service Bus defaults
 * (`maxIdleSeconds` 200, `maxLifespanSeconds` Infinity,
 * `createTimeoutSeconds` 30, `name` `"servicebus:<host>"`).
 *
 * @example One pool for a namespace
 * ```ts
 * import type { ManagedServiceBusOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: ManagedServiceBusOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
 *   maxSize: 3,
 * };
 * assert.equal(options.maxSize, 3);
 * ```
 */
export interface ManagedServiceBusOptions
  extends
    AmqpConnectionOptions<ServiceBusClientOptions>,
    ManagedPoolOptions,
    ServiceBusSendingOptions {}

/**
 * How the managed Service Bus senders bound a send and recover from a
 * connection that dies under it.
 *
 * @example A shorter deadline
 * ```ts
 * import type { ServiceBusSendingOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: ServiceBusSendingOptions = { operationTimeoutSeconds: 10 };
 * assert.equal(options.operationTimeoutSeconds, 10);
 * ```
 */
export interface ServiceBusSendingOptions {
  /**
   * How long one send (or schedule) may go without the service's answer
   * before the caller gets `OperationTimeout` and its connection is
   * replaced. A send on a healthy connection answers in milliseconds; half
   * a minute of silence means a connection that is dead in all but name (a
   * NAT or load balancer dropped it without a reset), which the SDK alone
   * would wait out for its 60 s operation timeout plus its 30 s retry delay.
   * A connection that dies visibly (reset, closed) fails its sends at once,
   * whatever this says.
   * @default {30}
   */
  operationTimeoutSeconds?: number;
  /**
   * Whether a send whose connection died while it was in flight is sent
   * once more on a healthy connection. Safe on Service Bus: the message
   * keeps its `messageId` (one is assigned when it has none), so a namespace
   * with duplicate detection drops the copy if the first attempt was stored.
   * Without duplicate detection such a message is stored twice, as it would
   * be by the SDK's own retry after its timeout. `false` gives the caller
   * `ConnectionLost` instead.
   * @default {true}
   */
  resendOnConnectionLoss?: boolean;
}

/**
 * Options of `ManagedServiceBusSender`: the connection and its queue or
 * topic, then the pool ({@linkcode ManagedPoolOptions}) and how sends are
 * bounded ({@linkcode ServiceBusSendingOptions}). Defaults:
 * `maxIdleSeconds` 200 (under the 4-minute idle timeout of Azure's load
 * balancers and NAT, which drop an idle flow silently), `maxLifespanSeconds`
 * Infinity, `createTimeoutSeconds` 30, `name`
 * `"servicebus:<host>/<queue or topic>"`.
 *
 * @example Tuning the pool
 * ```ts
 * import type { ManagedServiceBusSenderOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: ManagedServiceBusSenderOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
 *   queueName: "orders",
 *   maxSize: 3,
 *   clientLimit: 100,
 * };
 * assert.equal(options.maxSize, 3);
 * ```
 */
export interface ManagedServiceBusSenderOptions
  extends
    ServiceBusConnectionOptions,
    ManagedPoolOptions,
    ServiceBusSendingOptions {}

/**
 * Options of `ServiceBus`.
 *
 * @example A client for one queue
 * ```ts
 * import type { ServiceBusOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: ServiceBusOptions = {
 *   namespace: "myns.servicebus.windows.net",
 *   queueName: "orders",
 *   credential: { getToken: async () => null },
 * };
 * assert.equal(options.queueName, "orders");
 * ```
 */
export type ServiceBusOptions = ServiceBusConnectionOptions;

/**
 * Options of `sendBody` (on `ManagedServiceBusSender`,
 * `ManagedServiceBus.sender()` and `ServiceBus`): the message's properties,
 * a delay, and cancellation ({@linkcode ManagedOperationOptions}).
 *
 * @example A delayed message with properties
 * ```ts
 * import type { SendBodyOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: SendBodyOptions = {
 *   delaySeconds: 30,
 *   messageId: "order-17",
 *   applicationProperties: { tenant: "t1" },
 * };
 * assert.equal(options.delaySeconds, 30);
 * ```
 */
export interface SendBodyOptions extends ManagedOperationOptions {
  /**
   * Schedules the message this many seconds from now instead of sending it
   * for immediate delivery.
   * @default {0}
   */
  delaySeconds?: number;
  /**
   * The message id (duplicate detection keys on it). A managed sender that
   * resends after a lost connection assigns one when it is not given.
   * @default {undefined}
   */
  messageId?: string;
  /**
   * The content type, for example `application/json`.
   * @default {undefined}
   */
  contentType?: string;
  /**
   * The correlation id.
   * @default {undefined}
   */
  correlationId?: string;
  /**
   * The subject (label).
   * @default {undefined}
   */
  subject?: string;
  /**
   * The session id, for session-enabled queues.
   * @default {undefined}
   */
  sessionId?: string;
  /**
   * The partition key, for partitioned queues.
   * @default {undefined}
   */
  partitionKey?: string;
  /**
   * How long the message lives in the queue, in seconds.
   * @default {undefined}
   */
  timeToLiveSeconds?: number;
  /**
   * Application properties.
   * @default {undefined}
   */
  applicationProperties?: Record<
    string,
    string | number | boolean | Date | null
  >;
}

/**
 * Options of `sendBodies`: the properties every message gets, and
 * cancellation. No message id and no delay: those are per message.
 *
 * @example Messages with a shared content type
 * ```ts
 * import type { SendBodiesOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: SendBodiesOptions = { contentType: "application/json" };
 * assert.equal(options.contentType, "application/json");
 * ```
 */
export type SendBodiesOptions = Omit<
  SendBodyOptions,
  "messageId" | "delaySeconds"
>;

/**
 * Options of `sendMessages`, `scheduleMessages` and
 * `cancelScheduledMessages`, which take the SDK's own shapes: cancellation,
 * and a bound on the wait for a pooled connection.
 *
 * @example Cancelling a send
 * ```ts
 * import type { SendMessagesOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: SendMessagesOptions = { abortSignal: AbortSignal.timeout(5000) };
 * assert.ok(options.abortSignal instanceof AbortSignal);
 * ```
 */
export type SendMessagesOptions = ManagedOperationOptions;

/**
 * Options of a receiver (`ServiceBus.receiver`, `ManagedServiceBus.receiver`,
 * `acceptSession`, `acceptNextSession`).
 *
 * @example Receiving five at a time
 * ```ts
 * import type { ReceiverOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: ReceiverOptions = { maxMessages: 5, maxWaitTimeSeconds: 2 };
 * assert.equal(options.maxMessages, 5);
 * ```
 */
export interface ReceiverOptions {
  /**
   * `peekLock` (settle each message with complete/abandon/deadLetter) or
   * `receiveAndDelete`.
   * @default {"peekLock"}
   */
  receiveMode?: "peekLock" | "receiveAndDelete";
  /**
   * Messages fetched per round trip while iterating.
   * @default {10}
   */
  maxMessages?: number;
  /**
   * How long one fetch waits for a first message while iterating.
   * @default {5}
   */
  maxWaitTimeSeconds?: number;
  /**
   * Ends iteration: the iterator rejects with the signal's reason.
   * @default {undefined}
   */
  abortSignal?: AbortSignal;
  /**
   * How long the SDK keeps renewing the lock of a received message (or a
   * session) that is not settled yet; 0 turns renewal off.
   * @default {300}
   */
  maxAutoLockRenewalSeconds?: number;
  /**
   * The subscription to receive from, on a `ServiceBus` made for a topic
   * (`ManagedServiceBus` names it in the source instead).
   * @default {undefined}
   */
  subscriptionName?: string;
}

/**
 * What `sendMessages` and `scheduleMessages` take, as the SDK's methods of
 * those names do: one `ServiceBusMessage` (`{ body, messageId?, subject?,
 * ... }`) or a list of them.
 *
 * @example A message in the SDK's shape
 * ```ts
 * import type { ServiceBusMessageInput } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const input: ServiceBusMessageInput = { body: { id: 1 }, messageId: "m-1", subject: "created" };
 * assert.equal(Array.isArray(input), false);
 * ```
 */
export type ServiceBusMessageInput =
  | ServiceBusMessage
  | readonly ServiceBusMessage[];

/**
 * What `scheduleMessages` resolves to: the SDK's sequence numbers (`Long`
 * values), one per message. `cancelScheduledMessages` takes them, or one of
 * them.
 *
 * @example Counting what was scheduled
 * ```ts
 * import type { SequenceNumbers } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const scheduled = (numbers: SequenceNumbers) => numbers.length;
 * assert.equal(scheduled([]), 0);
 * ```
 */
export type SequenceNumbers = Awaited<
  ReturnType<ServiceBusSender["scheduleMessages"]>
>;
