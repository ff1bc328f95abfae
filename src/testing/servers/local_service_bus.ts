/**
 * `startLocalServiceBus`: a Service Bus namespace on 127.0.0.1 that the real
 * `@azure/service-bus` SDK (and `ManagedServiceBusSender`) talks to.
 *
 * @module
 */

import type { AmqpBroker, BrokerMessage } from "./amqp_broker.ts";
import type { LocalAmqpFaults, LocalAmqpStats } from "./local_amqp.ts";
import { faultsOf, loadBroker, statsOf } from "./_local_amqp.ts";
import {
  checkLatencyOption,
  checkNames,
  checkOptions,
  describe,
} from "./_options.ts";

const OWNER = "startLocalServiceBus";

/**
 * Options of {@linkcode startLocalServiceBus}: the entities to create.
 *
 * @example A queue and a topic with two subscriptions
 * ```ts
 * import type { LocalServiceBusOptions } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const options: LocalServiceBusOptions = {
 *   queues: ["orders"],
 *   topics: { "order-events": ["billing", "audit"] },
 * };
 * assert.deepEqual(options.topics?.["order-events"], ["billing", "audit"]);
 * ```
 */
export interface LocalServiceBusOptions {
  /**
   * Queue names. Each also gets its dead-letter queue,
   * `<queue>/$DeadLetterQueue`.
   * @default {[]}
   */
  queues?: readonly string[];
  /**
   * Topics and their subscription names. Every message sent to a topic is
   * copied to each of its subscriptions (no rules or filters); a
   * subscription is read as `<topic>/Subscriptions/<name>`.
   * @default {{}}
   */
  topics?: Readonly<Record<string, readonly string[]>>;
  /**
   * How long a peek-lock (of a message or a session) lasts before it is
   * released, unless renewed. Short locks let a test see redelivery and
   * renewal quickly.
   * @default {30}
   */
  lockDurationSeconds?: number;
  /**
   * A one-way network latency, in seconds, added to every chunk in each
   * direction by a loopback TCP proxy in front of the server (a round trip
   * costs twice this), so that round trips, and the Nagle's algorithm of a
   * client's socket, show as on a network. Given (even 0), `connectionString`
   * points at the proxy and `setLatency()` can change it later; not given,
   * clients connect to the server directly.
   * @default {0}
   */
  latencySeconds?: number;
  /**
   * Duplicate detection, as a queue or topic created with
   * `requiresDuplicateDetection` has it: a message whose `messageId` was
   * stored within the window is accepted (the sender gets its
   * acknowledgement) but not stored again, and counted in
   * `duplicatesDropped`. Sends are checked; `scheduleMessages` is not. Not
   * given, every message is stored.
   * @default {undefined}
   */
  duplicateDetection?: LocalDuplicateDetection;
}

/**
 * Which entities of a local Service Bus detect duplicates, and for how long
 * they remember a message id ({@linkcode LocalServiceBusOptions.duplicateDetection}).
 *
 * @example A five-minute window on one queue
 * ```ts
 * import type { LocalDuplicateDetection } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const detection: LocalDuplicateDetection = { windowSeconds: 300, entities: ["orders"] };
 * assert.equal(detection.windowSeconds, 300);
 * ```
 */
export interface LocalDuplicateDetection {
  /**
   * How long a stored message's id is remembered, from when it was stored
   * (a duplicate does not extend it); the service's
   * `duplicateDetectionHistoryTimeWindow`.
   * @default {600}
   */
  windowSeconds?: number;
  /**
   * The queues and topics that detect duplicates (a topic detects them
   * before copying to its subscriptions).
   * @default {every queue and topic}
   */
  entities?: readonly string[];
}

/**
 * The links and connections of one entity of a local Service Bus, since it
 * started: a test proves connection reuse per entity with it.
 *
 * @example Counting the links of a queue
 * ```ts
 * import type { LocalEntityStats } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const stats: LocalEntityStats = {
 *   senderLinks: 2, receiverLinks: 0, openSenderLinks: 1, openReceiverLinks: 0, connections: 2,
 *   duplicatesDropped: 0,
 * };
 * assert.equal(stats.connections, 2);
 * ```
 */
export interface LocalEntityStats {
  /** Sender links attached to it (a client sending to it). */
  senderLinks: number;
  /** Receiver links attached to it (a client receiving from it). */
  receiverLinks: number;
  /** Sender links open now. */
  openSenderLinks: number;
  /** Receiver links open now. */
  openReceiverLinks: number;
  /** Distinct connections that attached a link to it. */
  connections: number;
  /**
   * Messages sent to it (a queue or topic) that duplicate detection accepted
   * but did not store again.
   */
  duplicatesDropped: number;
}

/**
 * One settlement a local queue or subscription accepted: which message and
 * what the receiver decided.
 *
 * @example
 * ```ts
 * import type { LocalSettlement } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const settlement: LocalSettlement = { sequenceNumber: 1, messageId: "m-1", outcome: "completed" };
 * assert.equal(settlement.outcome, "completed");
 * ```
 */
export interface LocalSettlement {
  /** The message's sequence number in the entity. */
  sequenceNumber: number;
  /** Its message id (the sender's, or one the server assigned). */
  messageId: unknown;
  /** What the receiver decided. */
  outcome: "completed" | "abandoned" | "deferred" | "deadLettered";
}

/** Where a stored message is: waiting for its time, ready, locked by a receiver, or deferred. */
export type LocalMessageState =
  | "scheduled"
  | "available"
  | "locked"
  | "deferred";

/** A message a local queue or subscription holds. */
export interface LocalServiceBusMessage {
  /** The body as the SDK decoded it (JSON values parsed). */
  body: unknown;
  /** The message id: the sender's, or one the server assigned. */
  messageId: unknown;
  /** The subject (label). */
  subject: string | undefined;
  /** The content type. */
  contentType: string | undefined;
  /** The correlation id. */
  correlationId: unknown;
  /** Application properties. */
  applicationProperties: Record<string, unknown>;
  /** Its sequence number in the queue or subscription, from 1. */
  sequenceNumber: number;
  /** Where it is now. */
  state: LocalMessageState;
  /** When the server stored it. */
  enqueuedTimeUtc: Date;
  /** When it becomes (or became) available, if it was scheduled. */
  scheduledEnqueueTimeUtc: Date | undefined;
  /** Peek-lock deliveries so far. */
  deliveryCount: number;
  /** The session it belongs to, if it was sent with a `sessionId`. */
  sessionId: string | undefined;
  /** Why it was dead-lettered (in a dead-letter queue). */
  deadLetterReason: string | undefined;
  /** The dead-lettering's description. */
  deadLetterErrorDescription: string | undefined;
}

/**
 * A running local Service Bus namespace; see {@linkcode startLocalServiceBus}.
 * The fault controls ({@linkcode LocalAmqpFaults}) act on its connections.
 */
export interface LocalServiceBus extends LocalAmqpFaults, AsyncDisposable {
  /**
   * A SAS connection string for the namespace (no `EntityPath`):
   * `Endpoint=sb://127.0.0.1:<port>;…;UseDevelopmentEmulator=true;`, which
   * makes the SDKs use plain AMQP on that port.
   */
  readonly connectionString: string;
  /** The port on 127.0.0.1 (the latency proxy's, with `latencySeconds`). */
  readonly port: number;
  /**
   * The messages a queue, dead-letter queue or subscription holds now:
   * those sent and not yet completed (received in receive-and-delete mode,
   * or completed after a peek-lock), in sequence-number order.
   *
   * @param entity `<queue>`, `<queue>/$DeadLetterQueue` or
   * `<topic>/Subscriptions/<name>`.
   * @returns A snapshot of the messages.
   * @throws {RangeError} When no such entity exists (a topic itself holds
   * nothing: name one of its subscriptions).
   */
  messages(entity: string): LocalServiceBusMessage[];
  /**
   * The links and connections of one entity since the server started, for
   * proving how many connections a client used for it.
   *
   * @param entity A queue, topic, `<topic>/Subscriptions/<name>` or
   * dead-letter queue.
   * @returns A fresh snapshot (all zero for an entity never used).
   */
  entityStats(entity: string): LocalEntityStats;
  /**
   * The settlements a queue or subscription accepted, in order (completes,
   * abandons, defers, dead-letterings; receive-and-delete deliveries count
   * as completes): a test proves "each message settled exactly once" with
   * it.
   *
   * @param entity A queue, `<topic>/Subscriptions/<name>` or dead-letter
   * queue.
   * @returns A snapshot of the list.
   * @throws {RangeError} When no such entity exists.
   */
  settlements(entity: string): LocalSettlement[];
  /**
   * Counters since the server started.
   *
   * @returns A fresh snapshot.
   */
  stats(): LocalAmqpStats;
  /**
   * Stops the server: closes every connection, the listener and every timer.
   * Close your clients first (an SDK client whose connection is cut while it
   * closes can wait for a long time). Calling it again does nothing.
   *
   * @returns When the listener is closed.
   */
  close(): Promise<void>;
}

function toMessage(message: BrokerMessage): LocalServiceBusMessage {
  return {
    body: message.body,
    messageId: message.messageId,
    subject: message.message.subject,
    contentType: message.message.content_type,
    correlationId: message.message.correlation_id,
    applicationProperties: message.applicationProperties,
    sequenceNumber: message.sequenceNumber,
    state: message.state,
    enqueuedTimeUtc: message.enqueuedTimeUtc,
    scheduledEnqueueTimeUtc: message.scheduledEnqueueTimeUtc,
    deliveryCount: message.deliveryCount,
    sessionId: message.sessionId,
    deadLetterReason: message.deadLetterReason,
    deadLetterErrorDescription: message.deadLetterErrorDescription,
  };
}

function checkTopics(value: unknown): Record<string, string[]> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `Cannot start ${OWNER} as 'topics' must map topic names to subscription names: received ${
        describe(value)
      }`,
    );
  }
  const topics: Record<string, string[]> = {};
  for (const [name, subscriptions] of Object.entries(value)) {
    topics[name] = checkNames(OWNER, `topics.${name}`, subscriptions);
    if (topics[name].some((subscription) => subscription.includes("/"))) {
      throw new TypeError(
        `Cannot start ${OWNER} as subscription names of 'topics.${name}' must not contain '/': received ${
          JSON.stringify(topics[name])
        }`,
      );
    }
  }
  return topics;
}

function checkDuplicateDetection(
  value: unknown,
  queues: readonly string[],
  topics: Record<string, string[]>,
): Record<string, number> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `Cannot start ${OWNER} as 'duplicateDetection' must be an object: received ${
        describe(value)
      }`,
    );
  }
  const known = ["windowSeconds", "entities"];
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `Cannot start ${OWNER}: unknown option 'duplicateDetection.${key}' (known: ${
          known.join(", ")
        })`,
      );
    }
  }
  const given = value as LocalDuplicateDetection;
  const windowSeconds = given.windowSeconds ?? 600;
  if (
    typeof windowSeconds !== "number" || !Number.isFinite(windowSeconds) ||
    windowSeconds <= 0
  ) {
    throw new RangeError(
      `Cannot start ${OWNER} as 'duplicateDetection.windowSeconds' must be a positive number: received ${
        describe(windowSeconds)
      }`,
    );
  }
  const declared = [...queues, ...Object.keys(topics)];
  const entities = given.entities === undefined
    ? declared
    : checkNames(OWNER, "duplicateDetection.entities", given.entities);
  const unknown = entities.find((entity) => !declared.includes(entity));
  if (unknown !== undefined) {
    throw new RangeError(
      `Cannot start ${OWNER} as 'duplicateDetection.entities' names ${
        JSON.stringify(unknown)
      }, which is not one of its queues or topics`,
    );
  }
  return Object.fromEntries(
    entities.map((entity) => [entity, windowSeconds * 1000]),
  );
}

/**
 * Starts a Service Bus namespace on 127.0.0.1 and an ephemeral port, in this
 * process, on Deno, Node.js and Bun. The real `@azure/service-bus` SDK talks
 * to it through `connectionString`: send, schedule, receive (peek-lock and
 * receive-and-delete), complete, abandon, defer (and receive deferred
 * messages by sequence number), dead-letter (with reason and description, to
 * `<entity>/$DeadLetterQueue`), renew locks, and sessions (a message with a
 * `sessionId` goes only to the receiver holding that session;
 * `acceptSession`, `acceptNextSession`, session state and session lock
 * renewal), duplicate detection when asked for, and a network latency. It
 * is a test server, not an emulator: no rules or filters, no
 * session-required entities (a message without a
 * session id goes to plain receivers); SAS tokens are checked, token
 * credentials are not (they need TLS, which this server does not offer). It
 * loads the npm package `rhea` (a dev dependency of your tests) when called.
 *
 * @param options The queues and topics to create.
 * @returns The running server; `close()` it when the test ends.
 * @throws {TypeError} When an option is unknown or not a list of names.
 * @throws {Error} When `rhea` cannot be loaded.
 *
 * @example Sending through the managed sender and reading what arrived
 * ```ts
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import { ManagedServiceBusSender } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const bus = await startLocalServiceBus({ queues: ["orders"] });
 * const sender = new ManagedServiceBusSender({
 *   connectionString: bus.connectionString,
 *   queueName: "orders",
 * });
 * try {
 *   await sender.sendBody({ id: 17 }, { messageId: "order-17" });
 *   const [message] = bus.messages("orders");
 *   assert.deepEqual(message.body, { id: 17 });
 *   assert.equal(message.messageId, "order-17");
 * } finally {
 *   await sender.close();
 *   await bus.close();
 * }
 * ```
 *
 * @example A topic copies each message to every subscription
 * ```ts
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import { ServiceBusClient } from "@azure/service-bus";
 * import assert from "node:assert/strict";
 *
 * const bus = await startLocalServiceBus({
 *   topics: { "order-events": ["billing", "audit"] },
 * });
 * const client = new ServiceBusClient(bus.connectionString);
 * try {
 *   await client.createSender("order-events").sendMessages({ body: "placed" });
 *   const receiver = client.createReceiver("order-events", "billing");
 *   const [received] = await receiver.receiveMessages(1);
 *   await receiver.completeMessage(received);
 *   assert.equal(received.body, "placed");
 *   assert.equal(bus.messages("order-events/Subscriptions/billing").length, 0);
 *   assert.equal(bus.messages("order-events/Subscriptions/audit").length, 1);
 * } finally {
 *   await client.close();
 *   await bus.close();
 * }
 * ```
 *
 * @example Duplicate detection: a retry of a stored message is not stored again
 * ```ts
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import { ServiceBusClient } from "@azure/service-bus";
 * import assert from "node:assert/strict";
 *
 * const bus = await startLocalServiceBus({
 *   queues: ["orders"],
 *   duplicateDetection: { windowSeconds: 600 },
 * });
 * const client = new ServiceBusClient(bus.connectionString);
 * try {
 *   const sender = client.createSender("orders");
 *   await sender.sendMessages({ body: { id: 17 }, messageId: "order-17" });
 *   await sender.sendMessages({ body: { id: 17 }, messageId: "order-17" }); // acknowledged too
 *   assert.equal(bus.messages("orders").length, 1);
 *   assert.equal(bus.entityStats("orders").duplicatesDropped, 1);
 * } finally {
 *   await client.close();
 *   await bus.close();
 * }
 * ```
 *
 * @example A network latency in front of the namespace, changed at runtime
 * ```ts
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import { ServiceBusClient } from "@azure/service-bus";
 * import assert from "node:assert/strict";
 *
 * // 10 ms each way: every round trip costs at least 20 ms.
 * const bus = await startLocalServiceBus({ queues: ["orders"], latencySeconds: 0.01 });
 * const client = new ServiceBusClient(bus.connectionString);
 * try {
 *   const sender = client.createSender("orders");
 *   await sender.sendMessages({ body: "through a 20 ms round trip" });
 *   bus.setLatency(0);
 *   await sender.sendMessages({ body: "at loopback speed" });
 *   assert.equal(bus.messages("orders").length, 2);
 * } finally {
 *   await client.close();
 *   await bus.close();
 * }
 * ```
 *
 * @example Dropping connections: the managed sender recovers
 * ```ts
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import { ManagedServiceBusSender } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const bus = await startLocalServiceBus({ queues: ["orders"] });
 * const sender = new ManagedServiceBusSender({
 *   connectionString: bus.connectionString,
 *   queueName: "orders",
 * });
 * try {
 *   await sender.sendBody("before");
 *   assert.equal(await bus.dropConnections(), 1);
 *   await sender.sendBody("after");
 *   assert.equal(bus.stats().connections, 2);
 *   assert.deepEqual(bus.messages("orders").map((m) => m.body), ["before", "after"]);
 * } finally {
 *   await sender.close();
 *   await bus.close();
 * }
 * ```
 */
export async function startLocalServiceBus(
  options?: LocalServiceBusOptions,
): Promise<LocalServiceBus> {
  const given = checkOptions<LocalServiceBusOptions>(OWNER, options, [
    "queues",
    "topics",
    "lockDurationSeconds",
    "latencySeconds",
    "duplicateDetection",
  ]);
  const queues = checkNames(OWNER, "queues", given.queues);
  const topics = checkTopics(given.topics);
  const lock = given.lockDurationSeconds ?? 30;
  if (typeof lock !== "number" || !Number.isFinite(lock) || lock <= 0) {
    throw new RangeError(
      `Cannot start ${OWNER} as 'lockDurationSeconds' must be a positive number: received ${
        describe(lock)
      }`,
    );
  }
  const latency = checkLatencyOption(OWNER, given.latencySeconds);
  const duplicateDetectionMs = checkDuplicateDetection(
    given.duplicateDetection,
    queues,
    topics,
  );
  const startAmqpBroker = await loadBroker(OWNER);
  const broker: AmqpBroker = await startAmqpBroker({
    queues,
    topics,
    lockDurationMs: lock * 1000,
    latencyMs: latency === undefined ? undefined : latency * 1000,
    duplicateDetectionMs,
  });
  const self: LocalServiceBus = {
    ...faultsOf(broker, OWNER),
    connectionString: broker.connectionString(),
    port: broker.port,
    messages: (entity: string) => broker.messages(entity).map(toMessage),
    entityStats: (entity: string) => broker.entityCounters(entity),
    settlements: (entity: string) => broker.settlements(entity),
    stats: () => statsOf(broker),
    close: () => broker.stop(),
    [Symbol.asyncDispose]: () => broker.stop(),
  };
  return self;
}
