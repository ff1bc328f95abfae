/**
 * What receiving takes: where to receive from ({@linkcode MessageSource}),
 * how a dead-lettering is described, and the managed processor's handler and
 * options.
 *
 * @module
 */

import type { ServiceBusReceivedMessage } from "@azure/service-bus";

/**
 * A queue to receive from.
 *
 * @example
 * ```ts
 * import type { QueueSource } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const source: QueueSource = { queueName: "jobs" };
 * assert.equal(source.queueName, "jobs");
 * ```
 */
export interface QueueSource {
  /** The queue. */
  queueName: string;
}

/**
 * A topic subscription to receive from.
 *
 * @example
 * ```ts
 * import type { SubscriptionSource } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const source: SubscriptionSource = { topicName: "orders", subscriptionName: "billing" };
 * assert.equal(source.subscriptionName, "billing");
 * ```
 */
export interface SubscriptionSource {
  /** The topic. */
  topicName: string;
  /** The subscription of the topic. */
  subscriptionName: string;
}

/**
 * Where a receiver or a processor takes messages from: a queue, or a topic's
 * subscription.
 *
 * @example
 * ```ts
 * import type { MessageSource } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const sources: MessageSource[] = [
 *   { queueName: "jobs" },
 *   { topicName: "orders", subscriptionName: "audit" },
 * ];
 * assert.equal(sources.length, 2);
 * ```
 */
export type MessageSource = QueueSource | SubscriptionSource;

/**
 * Why a message goes to the dead-letter queue; recorded on it as the
 * `DeadLetterReason` and `DeadLetterErrorDescription` application properties
 * (`message.deadLetterReason` and `deadLetterErrorDescription` when it is
 * received from `<entity>/$DeadLetterQueue`).
 *
 * @example
 * ```ts
 * import type { DeadLetterOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const why: DeadLetterOptions = { reason: "bad-input", description: "no order id" };
 * assert.equal(why.reason, "bad-input");
 * ```
 */
export interface DeadLetterOptions {
  /**
   * A short reason.
   * @default {""}
   */
  reason?: string;
  /**
   * A longer description.
   * @default {""}
   */
  description?: string;
}

/**
 * How a processor's handler settles the message it was given. Each message
 * is settled once: the first settlement wins, a later call rejects with an
 * `Error`. A handler that returns without settling completes the message; one
 * that throws abandons it.
 *
 * @example A handler that dead-letters what it cannot read
 * ```ts
 * import type { MessageContext } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * async function handle(body: unknown, context: MessageContext): Promise<void> {
 *   if (typeof body !== "object") {
 *     await context.deadLetter({ reason: "not-an-object" });
 *   }
 * }
 * const calls: string[] = [];
 * const context = {
 *   abortSignal: new AbortController().signal,
 *   settled: false,
 *   complete: async () => { calls.push("complete"); },
 *   abandon: async () => { calls.push("abandon"); },
 *   defer: async () => { calls.push("defer"); },
 *   deadLetter: async () => { calls.push("deadLetter"); },
 * } satisfies MessageContext;
 * await handle("text", context);
 * assert.deepEqual(calls, ["deadLetter"]);
 * ```
 */
export interface MessageContext {
  /**
   * Aborted when the processor stops and its `timeoutSeconds` passed before
   * the handler finished (the message is abandoned then).
   */
  readonly abortSignal: AbortSignal;
  /** Whether the message was settled (by the handler or the processor). */
  readonly settled: boolean;
  /** Completes the message: the entity deletes it. */
  complete(): Promise<void>;
  /** Abandons it: it is delivered again, with a higher delivery count. */
  abandon(): Promise<void>;
  /** Defers it: it stays, received only by sequence number. */
  defer(): Promise<void>;
  /** Moves it to the dead-letter queue with a reason and a description. */
  deadLetter(options?: DeadLetterOptions): Promise<void>;
}

/**
 * A processor's handler: it gets each message and its settlement controls.
 *
 * @example
 * ```ts
 * import type { MessageHandler } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const seen: unknown[] = [];
 * const handler: MessageHandler = (message) => { seen.push(message.body); };
 * assert.equal(typeof handler, "function");
 * ```
 */
export type MessageHandler = (
  message: ServiceBusReceivedMessage,
  context: MessageContext,
) => void | Promise<void>;

/** What a processor was doing when an error happened. */
export type ProcessErrorSource =
  | "connect"
  | "receive"
  | "handler"
  | "settle"
  | "renewLock";

/**
 * An error a processor reports to `onError`; it keeps running after each.
 *
 * @example
 * ```ts
 * import type { ProcessErrorInfo } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const info: ProcessErrorInfo = {
 *   error: new Error("lost"),
 *   errorSource: "receive",
 *   entityPath: "jobs",
 *   message: undefined,
 * };
 * assert.equal(info.errorSource, "receive");
 * ```
 */
export interface ProcessErrorInfo {
  /** What was thrown. */
  error: unknown;
  /** What the processor was doing. */
  errorSource: ProcessErrorSource;
  /** The queue or `<topic>/Subscriptions/<name>`. */
  entityPath: string;
  /** The message concerned (handler, settle, renewLock), if any. */
  message: ServiceBusReceivedMessage | undefined;
}

/**
 * Options of `ManagedServiceBus.processMessages`.
 *
 * @example Four handlers at a time, errors logged
 * ```ts
 * import type { ProcessMessagesOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: ProcessMessagesOptions = {
 *   maxConcurrentCalls: 4,
 *   onError: ({ errorSource, error }) => console.error(errorSource, error),
 * };
 * assert.equal(options.maxConcurrentCalls, 4);
 * ```
 */
export interface ProcessMessagesOptions {
  /**
   * Handlers running at once (and messages locked by the processor at once).
   * @default {1}
   */
  maxConcurrentCalls?: number;
  /**
   * Told of every error (the processor keeps running). Without it, errors are
   * logged as warnings through `@azure/logger`.
   * @default {undefined}
   */
  onError?: (info: ProcessErrorInfo) => void;
  /**
   * How long one receive waits for a first message.
   * @default {5}
   */
  maxWaitTimeSeconds?: number;
  /**
   * How long the processor keeps renewing the lock of a message whose
   * handler is still running; 0 turns renewal off.
   * @default {300}
   */
  maxAutoLockRenewalSeconds?: number;
  /**
   * How long one settlement may take. One that takes longer is treated as a
   * broken connection: the client is replaced and the settlement is tried
   * once more on the new one (the SDK itself waits up to 60 s on a dying
   * connection).
   * @default {10}
   */
  settleTimeoutSeconds?: number;
  /**
   * The first wait before reconnecting after an error; it doubles per failure
   * in a row, with jitter.
   * @default {the bus's initialBackoffSeconds (0.1)}
   */
  initialBackoffSeconds?: number;
  /**
   * The longest wait before reconnecting.
   * @default {the bus's maxBackoffSeconds (30)}
   */
  maxBackoffSeconds?: number;
}

/**
 * Options of `MessageProcessor.stop`.
 *
 * @example
 * ```ts
 * import type { StopOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: StopOptions = { timeoutSeconds: 5 };
 * assert.equal(options.timeoutSeconds, 5);
 * ```
 */
export interface StopOptions {
  /**
   * How long running handlers may take to finish; then their messages are
   * abandoned and their `abortSignal` aborted.
   * @default {30}
   */
  timeoutSeconds?: number;
}

/**
 * Counts of a processor since it started.
 *
 * @example
 * ```ts
 * import type { ProcessorStats } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const stats: ProcessorStats = {
 *   received: 0, completed: 0, abandoned: 0, deadLettered: 0, deferred: 0,
 *   inFlight: 0, errors: 0, reconnects: 0,
 * };
 * assert.equal(stats.inFlight, 0);
 * ```
 */
export interface ProcessorStats {
  /** Messages handed to the handler. */
  received: number;
  /** Completes that succeeded. */
  completed: number;
  /** Abandons that succeeded. */
  abandoned: number;
  /** Dead-letterings that succeeded. */
  deadLettered: number;
  /** Defers that succeeded. */
  deferred: number;
  /** Messages whose handler or settlement is still running. */
  inFlight: number;
  /** Errors reported to `onError`. */
  errors: number;
  /** Clients closed and replaced after a connection error. */
  reconnects: number;
}
