/**
 * A small AMQP 1.0 broker for tests, built on the npm `rhea` package, that the
 * real `@azure/service-bus` and `@azure/event-hubs` SDKs can talk to over
 * 127.0.0.1 (or `localhost` with TLS). It is a test double written from AMQP
 * 1.0 and the SDKs' observed needs (CBS, links, settlement, `$management`),
 * not an emulator: it does what the tests exercise, and counts everything so
 * that tests prove connection reuse by counts, not by timing.
 *
 * ## API
 *
 * ```ts
 * const broker = await startAmqpBroker({
 *   queues: ["orders"],            // Service Bus queues (each gets "<name>/$DeadLetterQueue")
 *   topics: { events: ["audit"] }, // topics and their subscriptions ("events/Subscriptions/audit")
 *   eventHubs: { telemetry: 4 },   // Event Hubs and their partition counts
 *   handshakeDelayMs: 0,           // delay before a new connection is served (settable later)
 *   latencyMs: 10,                 // a proxy in front delays every chunk 10 ms each way (settable later)
 *   duplicateDetectionMs: { orders: 600_000 }, // drop a messageId seen in the last 10 min
 *   tls: false,                    // true: TLS on `localhost` with the committed test cert
 * });
 * broker.port;                          // the ephemeral port
 * broker.connectionString("orders");    // Endpoint=sb://127.0.0.1:<port>;…;UseDevelopmentEmulator=true;EntityPath=orders
 * broker.fullyQualifiedNamespace;       // "localhost:<port>" (TLS) for TokenCredential constructors
 * broker.counters;                      // a snapshot: connections, openConnections, putTokens, attaches, …
 * broker.messages("orders");            // stored messages, decoded, with sequence numbers and state
 * broker.events("telemetry");           // stored events, with partition ids and keys
 * broker.dropConnections();             // reset every open connection's socket (or { graceful: true })
 * broker.dropConnectionsAfter(100);     // … once 100 messages/events are stored (a fault mid-run)
 * await broker.disconnect();            // end every connection; resolves once the clients saw it
 * await broker.idle();                  // resolves when no connection is open (clients closed theirs)
 * broker.refuseTokens = true;           // CBS put-token answers 401
 * broker.refuseNextTokens = 2;          // … for the next 2 put-tokens only
 * broker.handshakeDelayMs = 700;        // later connections wait 700 ms before being served
 * broker.latencyMs = 25;                // the proxy's one-way delay from now on (needs `latencyMs`)
 * broker.maxQueueLength = 10;           // further sends are rejected as quota exceeded
 * await broker.stop();                  // closes every connection, socket and timer
 * ```
 *
 * ## What it implements
 * - SASL ANONYMOUS (what the SDKs send) and CBS `put-token` on `$cbs`: SAS
 *   tokens are checked against the broker's key; JWTs (TokenCredential) are
 *   accepted when non-empty. Replies go on the link named by `reply_to`.
 * - Sender links to a queue, a topic, an event hub (`<hub>`) or a partition
 *   (`<hub>/Partitions/<id>`); single (format 0) and batch (0x80013700)
 *   transfers; deliveries larger than `maxMessageSizeBytes` (queues) or
 *   `maxEventSizeBytes` (event hubs) are rejected with
 *   `amqp:link:message-size-exceeded`, and sends beyond `maxQueueLength` with
 *   `amqp:resource-limit-exceeded`. Unknown entities detach with
 *   `amqp:not-found`.
 * - Topics as plain fan-out: each subscription (`<topic>/Subscriptions/<name>`,
 *   a queue to receivers) gets a copy of every message sent or scheduled to
 *   the topic; no rules or filters.
 * - Service Bus receiver links (peek-lock and receive-and-delete) with credit
 *   and drain, 16-byte lock tokens, complete/abandon/defer/dead-letter by
 *   disposition or by `com.microsoft:update-disposition`, lock renewal, peek
 *   (`com.microsoft:peek-message`),
 *   scheduled messages (annotation or `com.microsoft:schedule-message`), and
 *   cancelling them.
 * - Event Hubs `$management` READ of hub and partition properties, and
 *   consumer links with offset, sequence-number and time selector filters.
 *
 * - Duplicate detection per queue or topic (`duplicateDetectionMs`): a
 *   message whose `message_id` was stored within the window is accepted but
 *   not stored again, and counted in `duplicatesDropped`.
 *
 * ## Notes for tests
 * - `latencyMs` (even 0) puts a loopback TCP proxy (`_latency_proxy.ts`) in
 *   front of the broker: `port` and `connectionString()` are the proxy's,
 *   every chunk waits `latencyMs` in each direction (a round trip costs
 *   twice that), and ends and resets pass through it, so `disconnect()` and
 *   `dropConnections()` reach the clients as before.
 * - `handshakeDelayMs` holds a new socket before any AMQP byte is read, so
 *   the whole handshake (SASL, open, CBS, attach) starts that much later.
 * - Close SDK clients before `stop()`. An SDK `close()` that runs while its
 *   connection drops can hang for good (rhea-promise drops the link-close
 *   promise on a disconnect); the managed clients bound it with
 *   `closeTimeoutSeconds`.
 * - Every broker timer is unref'd or cleared by `stop()`, and sockets are
 *   destroyed with an error so that rhea clears its heartbeat timers: a
 *   stopped broker never keeps the process alive.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import rhea from "rhea";
import type {
  Connection,
  Delivery,
  EventContext,
  Receiver,
  Sender,
} from "rhea";
import {
  attachOf,
  BATCH_FORMAT,
  decodeBody,
  type DecodedMessage,
  decodeEnvelope,
  longBytes,
  messageCodec,
  readLong,
  type SplitMessage,
  splitMessage,
  types,
} from "./_amqp_codec.ts";
import {
  type DeadLetterDetails,
  EventHubStore,
  lockTokenKey,
  type MessageState,
  type Outcome,
  type PartitionStore,
  QueueStore,
  type Settlement,
  type StartPosition,
  type StoreCounters,
  tagKey,
  TopicStore,
} from "./_amqp_store.ts";
import { TEST_CERT_PEM, TEST_KEY_PEM } from "./_amqp_test_cert.ts";
import { DuplicateWindow, messageIdKey } from "./_duplicate_window.ts";
import { type LatencyProxy, startLatencyProxy } from "./_latency_proxy.ts";

/** Options of {@linkcode startAmqpBroker}. */
export interface AmqpBrokerOptions {
  /**
   * Service Bus queues to create.
   * @default {[]}
   */
  queues?: string[];
  /**
   * Service Bus topics to create, with their subscription names.
   * @default {{}}
   */
  topics?: Record<string, string[]>;
  /**
   * Event hubs to create, with their partition counts.
   * @default {{}}
   */
  eventHubs?: Record<string, number>;
  /**
   * Milliseconds a new connection waits before the broker serves it (models
   * the cost of a real handshake). Settable later on the broker.
   * @default {0}
   */
  handshakeDelayMs?: number;
  /**
   * A one-way delay, in milliseconds, that a loopback TCP proxy in front of
   * the broker adds to every chunk in each direction (a round trip costs
   * twice this). Given (even 0), `port` is the proxy's and the delay can be
   * changed later; not given, clients connect to the broker directly.
   * @default {undefined}
   */
  latencyMs?: number;
  /**
   * Duplicate detection: queue or topic names mapped to their detection
   * window in milliseconds. A message whose `message_id` was stored within
   * the window is accepted but not stored again.
   * @default {{}}
   */
  duplicateDetectionMs?: Record<string, number>;
  /**
   * Serve TLS on `localhost` with the committed self-signed test certificate
   * (clients need `NODE_TLS_REJECT_UNAUTHORIZED=0`) instead of plain AMQP.
   * @default {false}
   */
  tls?: boolean;
  /**
   * Create a queue on first use of an unknown entity path that is not an
   * event hub. Unknown event hubs always fail with `amqp:not-found`.
   * @default {false}
   */
  autoCreateQueues?: boolean;
  /**
   * Peek-lock duration in milliseconds.
   * @default {30000}
   */
  lockDurationMs?: number;
  /**
   * Deliveries after which an abandoned message is dead-lettered.
   * @default {10}
   */
  maxDeliveryCount?: number;
  /**
   * Largest transfer a queue sender link accepts, in bytes (advertised on
   * attach; Service Bus standard tier's limit).
   * @default {262144}
   */
  maxMessageSizeBytes?: number;
  /**
   * Largest transfer an event hub sender link accepts, in bytes.
   * @default {1048576}
   */
  maxEventSizeBytes?: number;
  /**
   * The SAS key name in `connectionString()`.
   * @default {"RootManageSharedAccessKey"}
   */
  keyName?: string;
  /**
   * The SAS key in `connectionString()`, checked on every SAS put-token.
   * @default {"dGVzdC1icm9rZXIta2V5"}
   */
  key?: string;
}

/** A snapshot of the broker's counters. */
export interface AmqpBrokerCounters extends StoreCounters {
  /** Sockets accepted (TCP or TLS). */
  connections: number;
  /** Sockets currently open. */
  openConnections: number;
  /** AMQP `open` frames received. */
  amqpOpens: number;
  /** CBS put-token requests (accepted or refused). */
  putTokens: number;
  /** CBS put-token requests refused. */
  refusedTokens: number;
  /** Link attaches of every kind (`$cbs`, `$management`, entities). */
  attaches: number;
  /** Sender links attached to a queue, hub or partition (client → broker). */
  senderAttaches: number;
  /** Receiver links attached to a queue or partition (broker → client). */
  receiverAttaches: number;
  /** Attaches refused because the entity does not exist. */
  notFound: number;
  /** Transfers received on entity sender links (a batch counts once). */
  transfers: number;
  /** Transfers rejected (too large, quota). */
  rejectedTransfers: number;
  /** `$management` requests. */
  managementRequests: number;
  /** Message locks renewed (`com.microsoft:renew-lock`, per lock token). */
  lockRenewals: number;
  /** Session locks granted to receiver links. */
  sessionsAccepted: number;
  /** Session locks renewed (`com.microsoft:renew-session-lock`). */
  sessionLockRenewals: number;
  /** Connections ended by `dropConnections()`. */
  dropped: number;
  /** Messages accepted but not stored again by duplicate detection. */
  duplicatesDropped: number;
}

/**
 * Links and connections of one entity (a queue, a subscription, a
 * dead-letter queue, a topic or an event hub), since the broker started.
 */
export interface AmqpEntityCounters {
  /** Sender links attached to it (client → broker). */
  senderLinks: number;
  /** Receiver links attached to it (broker → client). */
  receiverLinks: number;
  /** Sender links open now. */
  openSenderLinks: number;
  /** Receiver links open now. */
  openReceiverLinks: number;
  /** Distinct connections that attached a link to it. */
  connections: number;
  /** Messages accepted but not stored again by its duplicate detection. */
  duplicatesDropped: number;
}

/** A Service Bus message as the broker holds it. */
export interface BrokerMessage {
  /** Its sequence number in the queue. */
  sequenceNumber: number;
  /** Where it is: scheduled, available, locked or deferred. */
  state: MessageState;
  /** The message id (the sender's, or the one the broker assigned). */
  messageId: unknown;
  /** The body, decoded (JSON data sections parsed). */
  body: unknown;
  /** Application properties. */
  applicationProperties: Record<string, unknown>;
  /** Message annotations as sent (for example `x-opt-scheduled-enqueue-time`). */
  annotations: Record<string, unknown>;
  /** When the broker accepted it. */
  enqueuedTimeUtc: Date;
  /** When it becomes (or became) visible, if it was scheduled. */
  scheduledEnqueueTimeUtc: Date | undefined;
  /** Peek-lock deliveries so far. */
  deliveryCount: number;
  /** The session it belongs to (the sender's `sessionId`). */
  sessionId: string | undefined;
  /** Why it was dead-lettered (the `DeadLetterReason` property). */
  deadLetterReason: string | undefined;
  /** The `DeadLetterErrorDescription` property. */
  deadLetterErrorDescription: string | undefined;
  /** The whole message as rhea decodes it (properties flattened). */
  message: DecodedMessage;
}

/** A settlement a queue or subscription accepted. */
export type BrokerSettlement = Settlement;

/** An event as the broker holds it. */
export interface BrokerEvent {
  /** The partition it landed on. */
  partitionId: string;
  /** Its sequence number in the partition. */
  sequenceNumber: number;
  /** The partition key it was sent with, if any. */
  partitionKey: string | undefined;
  /** The body, decoded (JSON data sections parsed). */
  body: unknown;
  /** Application properties. */
  applicationProperties: Record<string, unknown>;
  /** The whole message as rhea decodes it. */
  message: DecodedMessage;
}

/** A running test broker; see the module doc for the API. */
export interface AmqpBroker {
  /** The listening port on 127.0.0.1. */
  readonly port: number;
  /** `127.0.0.1:<port>`, or `localhost:<port>` for a TLS broker. */
  readonly fullyQualifiedNamespace: string;
  /** A fresh snapshot of the counters. */
  readonly counters: AmqpBrokerCounters;
  /** Whether CBS put-token answers 401. */
  refuseTokens: boolean;
  /** How many of the next CBS put-tokens answer 401 (counts down). */
  refuseNextTokens: number;
  /** Milliseconds a new connection waits before being served. */
  handshakeDelayMs: number;
  /**
   * The proxy's one-way delay in milliseconds (`undefined` without a proxy);
   * setting it affects chunks that arrive later.
   *
   * @throws {Error} When set on a broker started without `latencyMs`.
   * @throws {RangeError} When set to a negative or non-finite number.
   */
  latencyMs: number | undefined;
  /** Messages a queue holds at most before sends are rejected as quota exceeded. */
  maxQueueLength: number;
  /**
   * A SAS connection string for this broker.
   *
   * @param entityPath Appended as `EntityPath=`.
   * @returns The connection string.
   */
  connectionString(entityPath?: string): string;
  /**
   * Creates a queue (and its dead-letter queue) if it does not exist.
   *
   * @param name The queue name.
   */
  createQueue(name: string): void;
  /**
   * Creates a topic and its subscriptions (each a queue named
   * `<topic>/Subscriptions/<name>`) if they do not exist.
   *
   * @param name The topic name.
   * @param subscriptions The subscription names.
   */
  createTopic(name: string, subscriptions: readonly string[]): void;
  /**
   * Creates an event hub if it does not exist.
   *
   * @param name The hub name.
   * @param partitionCount How many partitions.
   */
  createEventHub(name: string, partitionCount: number): void;
  /**
   * The messages a queue holds (scheduled, available, locked, deferred).
   *
   * @param queue The queue name, or `<queue>/$DeadLetterQueue`.
   * @returns The messages in sequence-number order.
   */
  messages(queue: string): BrokerMessage[];
  /**
   * The settlements a queue accepted, in order: completes (and pre-settled
   * deliveries), abandons, defers and dead-letterings. A settlement refused
   * because the lock was gone is not listed (it counts in
   * `counters.lockLost`).
   *
   * @param queue The queue, subscription or dead-letter queue.
   * @returns A copy of the list.
   */
  settlements(queue: string): BrokerSettlement[];
  /**
   * Resolves once a queue accepted `count` settlements (see
   * {@linkcode settlements}), so a test waits for work to finish without
   * sleeping.
   *
   * @param queue The queue, subscription or dead-letter queue.
   * @param count How many settlements to wait for.
   * @param timeoutMs Reject after this long, saying how many there are.
   * @returns When the queue has that many.
   */
  settled(queue: string, count: number, timeoutMs?: number): Promise<void>;
  /**
   * The link and connection counters of one entity.
   *
   * @param entity A queue, `<topic>/Subscriptions/<name>`, a dead-letter
   * queue, a topic or an event hub.
   * @returns A fresh snapshot (all zero for an entity never attached to).
   */
  entityCounters(entity: string): AmqpEntityCounters;
  /**
   * The state of a session, as `setSessionState` left it.
   *
   * @param queue The queue or subscription.
   * @param sessionId The session.
   * @returns The state's bytes, or `undefined`.
   */
  sessionState(queue: string, sessionId: string): Uint8Array | undefined;
  /**
   * The events an event hub holds.
   *
   * @param hub The hub name.
   * @param partitionId Only this partition.
   * @returns The events, partition by partition.
   */
  events(hub: string, partitionId?: string): BrokerEvent[];
  /**
   * Ends every open connection: resets the sockets, or with
   * `{ graceful: true }` closes them with `amqp:connection:forced`.
   *
   * @param options How to end them.
   * @returns How many connections were ended.
   */
  dropConnections(options?: { graceful?: boolean }): number;
  /**
   * Ends every open connection with a TCP FIN (counted in `dropped`) and
   * resolves once each client has seen the end: the server's socket closes
   * only when the client's socket read it and answered with its own FIN. So,
   * unlike a reset from `dropConnections()`, a client's next operation after
   * this resolves never goes out on the dead connection. A socket whose
   * client does not answer within `timeoutMs` is destroyed.
   *
   * @param timeoutMs How long to wait for each client.
   * @returns How many connections were ended.
   */
  disconnect(timeoutMs?: number): Promise<number>;
  /**
   * Drops every connection (as `dropConnections`) once, right after the
   * transfer that brings the stored total (`counters.messages +
   * counters.events`) to `messages` or more: a fault at a known point of a
   * run, without timers.
   *
   * @param messages The stored total that triggers the drop.
   * @param options How to end the connections.
   */
  dropConnectionsAfter(
    messages: number,
    options?: { graceful?: boolean },
  ): void;
  /**
   * Resolves once no connection is open (at once if none is), so a test can
   * prove that a client closed its connections without sleeping.
   *
   * @param timeoutMs Reject after this long, naming how many are still open.
   * @returns When `counters.openConnections` is 0.
   */
  idle(timeoutMs?: number): Promise<void>;
  /** Closes the listener, every connection and every timer. */
  stop(): Promise<void>;
}

interface LinkInfo {
  address: string;
  kind:
    | "cbs"
    | "management"
    | "queue"
    | "topic"
    | "eventhub"
    | "consumer"
    | "reply";
  queue?: QueueStore;
  topic?: TopicStore;
  hub?: EventHubStore;
  partition?: PartitionStore;
  /** The entity whose counters the link counts in. */
  entity?: string;
}

interface PendingReply {
  message: Record<string, unknown>;
}

const MANAGEMENT = "$management";
const SESSION_FILTER = "com.microsoft:session-filter";
const LOCKED_UNTIL = "com.microsoft:locked-until-utc";
/** .NET ticks (100 ns since 0001-01-01) at the Unix epoch. */
const EPOCH_TICKS = 621_355_968_000_000_000n;

/** The SDK asks for `$DeadLetterQueue`; Service Bus matches any case. */
function canonicalPath(address: string): string {
  return address.replace(/\/\$deadletterqueue(?=$|\/)/i, "/$DeadLetterQueue");
}

/** A time as the 8 bytes of .NET ticks, as link properties carry it. */
function ticksBytes(ms: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(BigInt(Math.round(ms)) * 10_000n + EPOCH_TICKS);
  return bytes;
}

/**
 * Reads the session filter of a receiver's source: absent (not a session
 * receiver), a session id, or `null` (the next available session).
 */
function sessionFilterOf(source: unknown): string | null | undefined {
  const filter = source && typeof source === "object"
    ? (source as { filter?: unknown }).filter
    : undefined;
  if (!filter || typeof filter !== "object" || !(SESSION_FILTER in filter)) {
    return undefined;
  }
  let value = (filter as Record<string, unknown>)[SESSION_FILTER];
  if (value && typeof value === "object" && "value" in value) {
    value = (value as { value: unknown }).value;
  }
  return typeof value === "string" ? value : null;
}

/** A string from a decoded AMQP value (plain or still typed). */
function stringOf(value: unknown): string | undefined {
  if (value && typeof value === "object" && "value" in value) {
    value = (value as { value: unknown }).value;
  }
  return typeof value === "string" ? value : undefined;
}

// rhea learns that a socket is gone only from its 'end' or 'error' events, so
// the broker destroys sockets with an error: otherwise rhea keeps the
// connection's heartbeat timer running and the test process alive.
const DROPPED = new Error("Connection dropped by the test broker");
const STOPPED = new Error("Test broker stopped");

function addressOf(terminus: unknown): string {
  if (terminus && typeof terminus === "object" && "address" in terminus) {
    const address = (terminus as { address?: unknown }).address;
    return typeof address === "string" ? address : "";
  }
  return "";
}

function findString(value: unknown, depth = 0): string | undefined {
  if (typeof value === "string") return value;
  if (depth > 4 || value === null || typeof value !== "object") {
    return undefined;
  }
  // A rhea Typed keeps its payload in `value` (its `type` also holds strings).
  if ("value" in value) {
    return findString((value as { value: unknown }).value, depth + 1);
  }
  for (const inner of Object.values(value as Record<string, unknown>)) {
    const found = findString(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Parses an Event Hubs selector filter such as
 * `amqp.annotation.x-opt-offset > '-1'` into a start position.
 */
function parseSelector(source: unknown): StartPosition {
  const filter = source && typeof source === "object"
    ? (source as { filter?: unknown }).filter
    : undefined;
  const expression = findString(filter) ?? "";
  const match =
    /x-opt-(offset|sequence-number|enqueued-time)\s*(>=|>)\s*'([^']*)'/.exec(
      expression,
    );
  if (!match) return { kind: "latest" };
  const [, field, operator, value] = match;
  if (value === "@latest") return { kind: "latest" };
  const inclusive = operator === ">=";
  const number = Number(value);
  if (field === "offset") return { kind: "offset", value: number, inclusive };
  if (field === "sequence-number") {
    return { kind: "sequence", value: number, inclusive };
  }
  return { kind: "time", value: number, inclusive };
}

function toTime(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "number") return value;
  return undefined;
}

function lockTokens(body: Record<string, unknown>): Uint8Array[] {
  const tokens = body["lock-tokens"];
  return Array.isArray(tokens) ? tokens as Uint8Array[] : [];
}

/**
 * Starts a broker on 127.0.0.1 and an ephemeral port.
 *
 * @param options Entities, TLS, delays and limits.
 * @returns The running broker.
 */
export async function startAmqpBroker(
  options: AmqpBrokerOptions = {},
): Promise<AmqpBroker> {
  const keyName = options.keyName ?? "RootManageSharedAccessKey";
  const key = options.key ?? "dGVzdC1icm9rZXIta2V5";
  const lockDurationMs = options.lockDurationMs ?? 30_000;
  const maxDeliveryCount = options.maxDeliveryCount ?? 10;
  const maxMessageSizeBytes = options.maxMessageSizeBytes ?? 262_144;
  const maxEventSizeBytes = options.maxEventSizeBytes ?? 1_048_576;
  const autoCreateQueues = options.autoCreateQueues ?? false;
  const useTls = options.tls ?? false;

  const counters: AmqpBrokerCounters = {
    connections: 0,
    openConnections: 0,
    amqpOpens: 0,
    putTokens: 0,
    refusedTokens: 0,
    attaches: 0,
    senderAttaches: 0,
    receiverAttaches: 0,
    notFound: 0,
    transfers: 0,
    rejectedTransfers: 0,
    managementRequests: 0,
    lockRenewals: 0,
    sessionsAccepted: 0,
    sessionLockRenewals: 0,
    dropped: 0,
    duplicatesDropped: 0,
    messages: 0,
    deliveries: 0,
    completed: 0,
    abandoned: 0,
    deadLettered: 0,
    deferred: 0,
    lockLost: 0,
    events: 0,
  };
  const entityCounters = new Map<
    string,
    AmqpEntityCounters & { seen: Set<Connection> }
  >();
  function entityEntry(
    entity: string,
  ): AmqpEntityCounters & { seen: Set<Connection> } {
    let entry = entityCounters.get(entity);
    if (!entry) {
      entry = {
        senderLinks: 0,
        receiverLinks: 0,
        openSenderLinks: 0,
        openReceiverLinks: 0,
        connections: 0,
        duplicatesDropped: 0,
        seen: new Set(),
      };
      entityCounters.set(entity, entry);
    }
    return entry;
  }
  function countLink(
    entity: string,
    connection: Connection,
    kind: "sender" | "receiver",
    delta: 1 | -1,
  ): void {
    const entry = entityEntry(entity);
    if (kind === "sender") {
      entry.openSenderLinks += delta;
      if (delta > 0) entry.senderLinks++;
    } else {
      entry.openReceiverLinks += delta;
      if (delta > 0) entry.receiverLinks++;
    }
    if (delta > 0 && !entry.seen.has(connection)) {
      entry.seen.add(connection);
      entry.connections++;
    }
  }
  const state = {
    refuseTokens: false,
    refuseNextTokens: 0,
    handshakeDelayMs: options.handshakeDelayMs ?? 0,
    maxQueueLength: Infinity,
  };
  const queues = new Map<string, QueueStore>();
  const hubs = new Map<string, EventHubStore>();
  const topics = new Map<string, TopicStore>();
  const sockets = new Set<net.Socket>();
  const connections = new Map<net.Socket, Connection>();
  const delayed = new Map<net.Socket, ReturnType<typeof setTimeout>>();
  const links = new Map<Sender | Receiver, LinkInfo>();
  const pendingReplies = new Map<Sender, PendingReply[]>();
  const draining = new Set<Sender>();
  const idleWaiters = new Set<() => void>();
  let dropPlan: { at: number; options?: { graceful?: boolean } } | undefined;
  const duplicateWindows = new Map<string, DuplicateWindow>();
  for (
    const [entity, windowMs] of Object.entries(
      options.duplicateDetectionMs ?? {},
    )
  ) {
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) {
      throw new RangeError(
        `Cannot start the test broker: the duplicate detection window of '${entity}' must be a positive number of milliseconds, received ${windowMs}`,
      );
    }
    duplicateWindows.set(entity, new DuplicateWindow(windowMs));
  }

  function createQueue(name: string): void {
    if (queues.has(name)) return;
    const deadLetterQueue = new QueueStore(
      `${name}/$DeadLetterQueue`,
      counters,
      {
        lockDurationMs,
        maxDeliveryCount: Infinity,
      },
    );
    queues.set(deadLetterQueue.name, deadLetterQueue);
    queues.set(
      name,
      new QueueStore(name, counters, {
        lockDurationMs,
        maxDeliveryCount,
        deadLetterQueue,
      }),
    );
  }
  function createEventHub(name: string, partitionCount: number): void {
    if (!Number.isInteger(partitionCount) || partitionCount < 1) {
      throw new RangeError(
        `Cannot create event hub '${name}': partition count must be a positive integer, received ${partitionCount}`,
      );
    }
    if (!hubs.has(name)) {
      hubs.set(name, new EventHubStore(name, partitionCount, counters));
    }
  }
  function createTopic(name: string, subscriptions: readonly string[]): void {
    const topic = topics.get(name) ?? new TopicStore(name);
    topics.set(name, topic);
    for (const subscription of subscriptions) {
      const path = `${name}/Subscriptions/${subscription}`;
      createQueue(path);
      topic.subscriptions.add(queues.get(path)!);
    }
  }
  for (const name of options.queues ?? []) createQueue(name);
  for (const [name, subscriptions] of Object.entries(options.topics ?? {})) {
    createTopic(name, subscriptions);
  }
  for (const [name, count] of Object.entries(options.eventHubs ?? {})) {
    createEventHub(name, count);
  }

  /** Resolves an entity address, or undefined when it does not exist. */
  function resolve(
    given: string,
    forReceiving: boolean,
  ): LinkInfo | undefined {
    const address = canonicalPath(given);
    if (address === "$cbs") return { address, kind: "cbs" };
    if (address === MANAGEMENT || address.endsWith(`/${MANAGEMENT}`)) {
      const entity = address === MANAGEMENT
        ? ""
        : address.slice(0, -MANAGEMENT.length - 1);
      if (
        entity !== "" && !queues.has(entity) && !hubs.has(entity) &&
        !topics.has(entity)
      ) {
        if (!autoCreateQueues) return undefined;
        createQueue(entity);
      }
      return {
        address,
        kind: "management",
        queue: queues.get(entity),
        topic: topics.get(entity),
      };
    }
    const parts = address.split("/");
    const hub = hubs.get(parts[0]);
    if (hub) {
      if (parts.length === 1 && !forReceiving) {
        return { address, kind: "eventhub", hub };
      }
      if (parts.length === 3 && parts[1] === "Partitions" && !forReceiving) {
        const partition = hub.partitions[Number(parts[2])];
        return partition && String(Number(parts[2])) === parts[2]
          ? { address, kind: "eventhub", hub, partition }
          : undefined;
      }
      if (
        parts.length === 5 && parts[1] === "ConsumerGroups" &&
        parts[3] === "Partitions" &&
        forReceiving
      ) {
        const partition = hub.partitions[Number(parts[4])];
        return partition
          ? { address, kind: "consumer", hub, partition }
          : undefined;
      }
      return undefined;
    }
    const topic = topics.get(address);
    if (topic) {
      return forReceiving ? undefined : { address, kind: "topic", topic };
    }
    let queue = queues.get(address);
    if (!queue && autoCreateQueues && !address.includes("/")) {
      createQueue(address);
      queue = queues.get(address);
    }
    return queue ? { address, kind: "queue", queue } : undefined;
  }

  function replyLink(
    connection: Connection,
    replyTo: string,
  ): Sender | undefined {
    for (const [link, info] of links) {
      if (
        link.connection === connection && link.is_sender() &&
        (link.name === replyTo || info.address === replyTo ||
          addressOf(attachOf(link).remote.target) === replyTo)
      ) {
        return link as Sender;
      }
    }
    return undefined;
  }

  function reply(
    connection: Connection,
    request: DecodedMessage,
    status: number,
    description: string,
    body?: unknown,
    condition?: string,
  ): void {
    const replyTo = typeof request.reply_to === "string"
      ? request.reply_to
      : "";
    const link = replyLink(connection, replyTo);
    if (!link) return;
    const applicationProperties: Record<string, unknown> = {
      "status-code": status,
      "status-description": description,
    };
    if (condition) {
      applicationProperties["error-condition"] = types.wrap_symbol(condition);
    }
    const message: Record<string, unknown> = {
      correlation_id: request.message_id,
      to: replyTo,
      application_properties: applicationProperties,
    };
    if (body !== undefined) message.body = body;
    const queue = pendingReplies.get(link) ?? [];
    queue.push({ message });
    pendingReplies.set(link, queue);
    flushReplies(link);
  }

  function flushReplies(link: Sender): void {
    const queue = pendingReplies.get(link);
    while (queue && queue.length > 0 && link.sendable()) {
      link.send(queue.shift()!.message as never);
    }
  }

  function checkSasToken(token: string): boolean {
    const fields = new URLSearchParams(
      token.replace(/^SharedAccessSignature\s+/, ""),
    );
    const resource = fields.get("sr");
    const signature = fields.get("sig");
    const expiry = fields.get("se");
    if (!resource || !signature || !expiry || fields.get("skn") !== keyName) {
      return false;
    }
    if (Number(expiry) * 1000 < Date.now()) return false;
    const expected = createHmac("sha256", key)
      .update(`${encodeURIComponent(resource)}\n${expiry}`)
      .digest("base64");
    return expected === signature;
  }

  function onPutToken(connection: Connection, request: DecodedMessage): void {
    counters.putTokens++;
    const properties = request.application_properties ?? {};
    const type = String(properties.type ?? "");
    const token = typeof request.body === "string" ? request.body : "";
    const counted = state.refuseNextTokens > 0;
    if (counted) state.refuseNextTokens--;
    let ok = !state.refuseTokens && !counted && token.length > 0;
    if (ok && type === "servicebus.windows.net:sastoken") {
      ok = checkSasToken(token);
    }
    if (!ok) {
      counters.refusedTokens++;
      reply(
        connection,
        request,
        401,
        "Unauthorized: the token was refused by the test broker",
      );
      return;
    }
    reply(connection, request, 202, "Accepted");
  }

  /** `com.microsoft:schedule-message` on a queue, or on a topic (fanned out). */
  function schedule(
    connection: Connection,
    request: DecodedMessage,
    target: QueueStore | TopicStore,
    body: Record<string, unknown>,
  ): void {
    const entries = Array.isArray(body.messages) ? body.messages : [];
    const sequenceNumbers: Buffer[] = [];
    for (const entry of entries as Record<string, unknown>[]) {
      const split = splitMessage(Buffer.from(entry.message as Uint8Array));
      const at = toTime(
        split.decoded.message_annotations?.["x-opt-scheduled-enqueue-time"],
      );
      if (target.size >= state.maxQueueLength) {
        reply(
          connection,
          request,
          403,
          "The queue is full",
          undefined,
          "amqp:resource-limit-exceeded",
        );
        return;
      }
      sequenceNumbers.push(
        longBytes(target.enqueue(split, at).sequenceNumber),
      );
    }
    reply(connection, request, 200, "OK", {
      "sequence-numbers": types.wrap_array(sequenceNumbers, 0x81),
    });
  }

  function onManagement(
    connection: Connection,
    info: LinkInfo,
    request: DecodedMessage,
  ): void {
    counters.managementRequests++;
    const properties = request.application_properties ?? {};
    const operation = String(properties.operation ?? "");
    const body =
      (request.body && typeof request.body === "object"
        ? request.body
        : {}) as Record<
          string,
          unknown
        >;
    if (operation === "READ") {
      const hub = hubs.get(String(properties.name ?? ""));
      if (!hub) {
        reply(
          connection,
          request,
          404,
          `The messaging entity '${
            String(properties.name)
          }' could not be found.`,
          undefined,
          "amqp:not-found",
        );
        return;
      }
      if (properties.type === "com.microsoft:partition") {
        const partition = hub.partitions[Number(properties.partition)];
        if (!partition) {
          reply(
            connection,
            request,
            404,
            `The messaging entity '${hub.name}/Partitions/${
              String(properties.partition)
            }' could not be found.`,
            undefined,
            "amqp:not-found",
          );
          return;
        }
        const last = partition.events[partition.events.length - 1];
        reply(connection, request, 200, "OK", {
          name: hub.name,
          partition: partition.id,
          begin_sequence_number: types.wrap_long(0),
          last_enqueued_sequence_number: types.wrap_long(
            last ? last.sequenceNumber : -1,
          ),
          last_enqueued_offset: last ? String(last.offset) : "-1",
          last_enqueued_time_utc: new Date(last ? last.enqueuedAt : 0),
          is_partition_empty: !last,
        });
        return;
      }
      reply(connection, request, 200, "OK", {
        name: hub.name,
        created_at: new Date(hub.createdAt),
        partition_ids: hub.partitions.map((p) => p.id),
      });
      return;
    }
    if (info.topic && operation === "com.microsoft:schedule-message") {
      schedule(connection, request, info.topic, body);
      return;
    }
    const queue = info.queue;
    if (!queue) {
      reply(
        connection,
        request,
        404,
        `The messaging entity '${info.address}' could not be found.`,
        undefined,
        "amqp:not-found",
      );
      return;
    }
    switch (operation) {
      case "com.microsoft:schedule-message":
        schedule(connection, request, queue, body);
        return;
      case "com.microsoft:cancel-scheduled-message": {
        const numbers = Array.isArray(body["sequence-numbers"])
          ? body["sequence-numbers"]
          : [];
        queue.cancelScheduled(numbers.map(readLong));
        reply(connection, request, 200, "OK", {});
        return;
      }
      case "com.microsoft:renew-lock": {
        const expirations: Date[] = [];
        for (const token of lockTokens(body)) {
          counters.lockRenewals++;
          const until = queue.renew(lockTokenKey(token));
          if (until === undefined) {
            reply(
              connection,
              request,
              410,
              "The lock supplied is invalid.",
              undefined,
              "com.microsoft:message-lock-lost",
            );
            return;
          }
          expirations.push(new Date(until));
        }
        reply(connection, request, 200, "OK", { expirations });
        return;
      }
      case "com.microsoft:update-disposition": {
        const status = String(body["disposition-status"] ?? "");
        const outcome: Outcome | undefined = status === "completed"
          ? "accepted"
          : status === "abandoned"
          ? "modified"
          : status === "defered"
          ? "deferred"
          : status === "suspended"
          ? "rejected"
          : undefined;
        if (!outcome) {
          reply(
            connection,
            request,
            400,
            `Unknown disposition-status '${status}'`,
            undefined,
            "com.microsoft:argument-error",
          );
          return;
        }
        const details: DeadLetterDetails = {
          reason: stringOf(body["deadletter-reason"]),
          description: stringOf(body["deadletter-description"]),
        };
        for (const token of lockTokens(body)) {
          if (!queue.settle(lockTokenKey(token), outcome, details)) {
            reply(
              connection,
              request,
              410,
              "The lock supplied is invalid.",
              undefined,
              "com.microsoft:message-lock-lost",
            );
            return;
          }
        }
        reply(connection, request, 200, "OK", {});
        return;
      }
      case "com.microsoft:peek-message": {
        // The service answers 204 when nothing is there; an empty list is
        // what the SDK makes of that.
        const messages = queue.peek(
          readLong(body["from-sequence-number"]),
          Number(body["message-count"] ?? 1),
        );
        reply(connection, request, 200, "OK", {
          messages: messages.map((message) => ({ message })),
        });
        return;
      }
      case "com.microsoft:receive-by-sequence-number": {
        const numbers = Array.isArray(body["sequence-numbers"])
          ? body["sequence-numbers"].map(readLong)
          : [];
        // receiver-settle-mode 0 is receive-and-delete, 1 peek-lock.
        const preSettled = Number(body["receiver-settle-mode"] ?? 1) === 0;
        const received = queue.receiveDeferred(numbers, preSettled);
        if (!Array.isArray(received)) {
          reply(
            connection,
            request,
            410,
            `The message with sequence number ${received.missing} is not deferred in '${queue.name}'.`,
            undefined,
            "com.microsoft:message-not-found",
          );
          return;
        }
        reply(connection, request, 200, "OK", {
          messages: received.map(({ token, raw }) => ({
            "lock-token": types.wrap_uuid(token),
            message: raw,
          })),
        });
        return;
      }
      case "com.microsoft:renew-session-lock": {
        const sessionId = stringOf(body["session-id"]) ?? "";
        const until = queue.renewSession(sessionId);
        if (until === undefined) {
          reply(
            connection,
            request,
            410,
            `The session lock of '${sessionId}' was lost.`,
            undefined,
            "com.microsoft:session-lock-lost",
          );
          return;
        }
        counters.sessionLockRenewals++;
        reply(connection, request, 200, "OK", { expiration: new Date(until) });
        return;
      }
      case "com.microsoft:get-session-state": {
        const state = queue.sessionState(stringOf(body["session-id"]) ?? "");
        reply(connection, request, 200, "OK", {
          "session-state": state === undefined ? null : Buffer.from(state),
        });
        return;
      }
      case "com.microsoft:set-session-state": {
        const state = body["session-state"];
        queue.setSessionState(
          stringOf(body["session-id"]) ?? "",
          state instanceof Uint8Array ? Buffer.from(state) : undefined,
        );
        reply(connection, request, 200, "OK", {});
        return;
      }
      default:
        reply(
          connection,
          request,
          501,
          `Operation '${operation}' is not implemented by the test broker`,
          undefined,
          "amqp:not-implemented",
        );
    }
  }

  function reject(
    delivery: Delivery,
    condition: string,
    description: string,
  ): void {
    counters.rejectedTransfers++;
    delivery.reject({ condition, description });
  }

  function onTransfer(context: EventContext): void {
    const receiver = context.receiver!;
    const delivery = context.delivery!;
    const info = links.get(receiver);
    if (!info) return;
    const request = context.message as unknown as DecodedMessage;
    if (info.kind === "cbs") {
      delivery.accept();
      if (request.application_properties?.operation === "put-token") {
        onPutToken(context.connection, request);
      } else {
        reply(context.connection, request, 400, "Unknown CBS operation");
      }
      return;
    }
    if (info.kind === "management") {
      delivery.accept();
      onManagement(context.connection, info, request);
      return;
    }
    counters.transfers++;
    const format = (context as { format?: number }).format ?? 0;
    // rhea hands a decoded message for format 0 and raw bytes otherwise; the
    // single message is re-encoded so both paths store the same shape.
    const raw = format === 0
      ? messageCodec.encode(request as Record<string, unknown>)
      : Buffer.from(context.message as unknown as Uint8Array);
    const limit = info.kind === "eventhub"
      ? maxEventSizeBytes
      : maxMessageSizeBytes;
    if (raw.length > limit) {
      reject(
        delivery,
        "amqp:link:message-size-exceeded",
        `The received message (delivery-id:${delivery.id}, size:${raw.length} bytes) exceeds the limit (${limit} bytes) currently allowed on the link.`,
      );
      return;
    }
    let inner: Buffer[] = [raw];
    let envelopeAnnotations: Record<string, unknown> = {};
    if (format === BATCH_FORMAT) {
      const envelope = decodeEnvelope(raw);
      inner = envelope.messages;
      envelopeAnnotations = envelope.annotations;
    } else if (format !== 0) {
      reject(
        delivery,
        "amqp:not-implemented",
        `Message format ${format} is not supported`,
      );
      return;
    }
    const splits: SplitMessage[] = inner.map(splitMessage);
    if (info.kind === "queue" || info.kind === "topic") {
      // A topic copies each message to every subscription.
      const queue = info.queue ?? info.topic!;
      if (queue.size + splits.length > state.maxQueueLength) {
        reject(
          delivery,
          "amqp:resource-limit-exceeded",
          `The maximum entity size has been reached or exceeded for queue '${queue.name}'.`,
        );
        return;
      }
      const window = duplicateWindows.get(queue.name);
      for (const split of splits) {
        if (window && !window.admit(messageIdKey(split.decoded.message_id))) {
          // Accepted (the sender gets its acknowledgement) but not stored.
          counters.duplicatesDropped++;
          entityEntry(queue.name).duplicatesDropped++;
          continue;
        }
        const at = toTime(
          split.decoded.message_annotations?.["x-opt-scheduled-enqueue-time"],
        );
        queue.enqueue(split, at);
      }
    } else if (info.kind === "eventhub") {
      const hub = info.hub!;
      for (const split of splits) {
        const keyValue =
          split.decoded.message_annotations?.["x-opt-partition-key"] ??
            envelopeAnnotations["x-opt-partition-key"];
        const partitionKey = typeof keyValue === "string"
          ? keyValue
          : undefined;
        (info.partition ?? hub.route(partitionKey)).append(split, partitionKey);
      }
    }
    delivery.accept();
    if (dropPlan && counters.messages + counters.events >= dropPlan.at) {
      const planned = dropPlan.options;
      dropPlan = undefined;
      // Dropped right after the store: the acknowledgement may never leave,
      // so a sender can see a failure for a message that was stored.
      dropConnections(planned);
    }
  }

  function dropConnections(dropOptions?: { graceful?: boolean }): number {
    let count = 0;
    for (const socket of [...sockets]) {
      count++;
      const connection = connections.get(socket);
      if (dropOptions?.graceful && connection && !connection.is_closed()) {
        connection.close({
          condition: "amqp:connection:forced",
          description: "The connection was closed by the test broker",
        });
        // Give the close frame a moment to leave, then make sure the socket goes.
        const timer = setTimeout(() => socket.destroy(DROPPED), 50);
        (timer as { unref?: () => void }).unref?.();
      } else {
        socket.destroy(DROPPED);
      }
    }
    counters.dropped += count;
    return count;
  }

  function disconnect(timeoutMs = 2000): Promise<number> {
    const ending = [...sockets];
    counters.dropped += ending.length;
    return Promise.all(
      ending.map((socket) =>
        new Promise<void>((resolvePromise) => {
          const timer = setTimeout(() => socket.destroy(DROPPED), timeoutMs);
          (timer as { unref?: () => void }).unref?.();
          socket.once("close", () => {
            clearTimeout(timer);
            resolvePromise();
          });
          socket.end();
        })
      ),
    ).then(() => ending.length);
  }

  function onLinkOpen(context: EventContext, link: Sender | Receiver): void {
    counters.attaches++;
    const { local, remote } = attachOf(link);
    const isSender = link.is_sender();
    // A broker-side sender serves a client receiver: its address is the source.
    const address = isSender
      ? addressOf(remote.source)
      : addressOf(remote.target);
    local.snd_settle_mode = remote.snd_settle_mode;
    local.rcv_settle_mode = remote.rcv_settle_mode;
    if (isSender) {
      link.set_source((remote.source ?? { address }) as { address: string });
    } else {link.set_target(
        (remote.target ?? { address }) as { address: string },
      );}
    let info = resolve(address, isSender);
    if (!info && isSender && (link.name === address || address === "")) {
      // The receiving half of a request/response pair ($cbs, $management)
      // that is named after its reply-to address.
      info = { address: addressOf(remote.target) || link.name, kind: "reply" };
    }
    if (
      isSender && info && (info.kind === "cbs" || info.kind === "management")
    ) {
      info = { ...info, kind: "reply" };
    }
    if (!info) {
      counters.notFound++;
      const host = context.connection.hostname ?? "127.0.0.1";
      link.close({
        condition: "amqp:not-found",
        description:
          `The messaging entity 'sb://${host}/${address}' could not be found.`,
      });
      return;
    }
    const entity = info.hub?.name ?? info.topic?.name ?? info.queue?.name;
    if (!isSender) {
      if (
        info.kind === "queue" || info.kind === "topic" ||
        info.kind === "eventhub"
      ) {
        counters.senderAttaches++;
        local.max_message_size = info.kind === "eventhub"
          ? maxEventSizeBytes
          : maxMessageSizeBytes;
        info = { ...info, entity };
        countLink(entity!, link.connection, "sender", 1);
      }
      links.set(link, info);
      return;
    }
    if (info.kind === "queue" || info.kind === "consumer") {
      counters.receiverAttaches++;
      info = { ...info, entity };
      countLink(entity!, link.connection, "receiver", 1);
    }
    links.set(link, info);
    if (info.kind === "queue") {
      const sessionFilter = sessionFilterOf(remote.source);
      if (sessionFilter === undefined) {
        info.queue!.receivers.add(link as Sender);
        return;
      }
      acceptSession(link as Sender, info.queue!, sessionFilter, remote.source);
    } else if (info.kind === "consumer") {
      info.partition!.addConsumer(link as Sender, parseSelector(remote.source));
    }
  }

  /**
   * A session receiver's attach: the broker's attach names the session it
   * locked (in the source's session filter) and the lock's expiry (a link
   * property in .NET ticks), as the service does; a refusal attaches without
   * a filter and detaches at once with the reason, which the SDK turns into
   * `SessionCannotBeLocked` or `ServiceTimeout`.
   */
  function acceptSession(
    link: Sender,
    queue: QueueStore,
    requested: string | null,
    source: unknown,
  ): void {
    const granted = queue.acceptSession(link, requested ?? undefined);
    const address = addressOf(source);
    if (typeof granted !== "string") {
      link.set_source({ address } as { address: string });
      link.close(granted);
      return;
    }
    counters.sessionsAccepted++;
    link.set_source(
      { address, filter: { [SESSION_FILTER]: granted } } as {
        address: string;
      },
    );
    attachOf(link).local.properties = {
      [LOCKED_UNTIL]: types.wrap_long(
        ticksBytes(queue.sessionLockedUntil(link)!),
      ),
    };
    queue.pump();
  }

  function forget(link: Sender | Receiver): void {
    const info = links.get(link);
    if (!info) return;
    links.delete(link);
    pendingReplies.delete(link as Sender);
    draining.delete(link as Sender);
    if (info.entity !== undefined) {
      countLink(
        info.entity,
        link.connection,
        link.is_sender() ? "receiver" : "sender",
        -1,
      );
    }
    if (info.queue && info.kind === "queue") {
      info.queue.removeReceiver(link as Sender);
    }
    if (info.partition) info.partition.consumers.delete(link as Sender);
  }

  function forgetConnection(connection: Connection): void {
    for (const link of [...links.keys()]) {
      if (link.connection === connection) forget(link);
    }
  }

  function pump(link: Sender): void {
    const info = links.get(link);
    if (!info) return;
    if (info.kind === "reply") flushReplies(link);
    else if (info.kind === "queue") info.queue!.pump();
    else if (info.kind === "consumer") info.partition!.pump();
    if (draining.has(link)) {
      draining.delete(link);
      // Answer the drain: nothing more to send now, so the credit is spent.
      link.set_drained(true);
    }
  }

  function onSettlement(context: EventContext, outcome: Outcome): void {
    const link = context.sender;
    const delivery = context.delivery;
    if (!link || !delivery) return;
    const info = links.get(link);
    if (info?.kind === "queue") {
      const remote = delivery.remote_state as
        | {
          undeliverable_here?: boolean;
          delivery_failed?: boolean;
          error?: { info?: Record<string, unknown> };
        }
        | undefined;
      const effective: Outcome =
        outcome === "modified" && remote?.undeliverable_here
          ? "deferred"
          : outcome;
      const errorInfo = remote?.error?.info;
      const details: DeadLetterDetails | undefined = errorInfo
        ? {
          reason: stringOf(errorInfo.DeadLetterReason),
          description: stringOf(errorInfo.DeadLetterErrorDescription),
        }
        : undefined;
      info.queue!.settle(tagKey(delivery.tag), effective, details);
    }
    if (!delivery.remote_settled) {
      // The SDKs wait for the broker's settled disposition with a real outcome.
      const codec = rhea.message as unknown as Record<
        string,
        (fields?: Record<string, unknown>) => { described(): unknown }
      >;
      delivery.update(
        true,
        outcome === "deferred"
          ? codec.modified({}).described()
          : codec[outcome]().described(),
      );
    }
  }

  const container = rhea.create_container({
    id: "amqp-test-broker",
    treat_modified_as_released: false,
    autoaccept: false,
  });
  container.on("connection_open", () => {
    counters.amqpOpens++;
  });
  container.on(
    "sender_open",
    (context: EventContext) => onLinkOpen(context, context.sender!),
  );
  container.on(
    "receiver_open",
    (context: EventContext) => onLinkOpen(context, context.receiver!),
  );
  container.on("message", onTransfer);
  container.on("sendable", (context: EventContext) => pump(context.sender!));
  container.on("sender_draining", (context: EventContext) => {
    draining.add(context.sender!);
    pump(context.sender!);
  });
  container.on(
    "accepted",
    (context: EventContext) => onSettlement(context, "accepted"),
  );
  container.on(
    "released",
    (context: EventContext) => onSettlement(context, "released"),
  );
  container.on(
    "modified",
    (context: EventContext) => onSettlement(context, "modified"),
  );
  container.on(
    "rejected",
    (context: EventContext) => onSettlement(context, "rejected"),
  );
  container.on(
    "sender_close",
    (context: EventContext) => forget(context.sender!),
  );
  container.on(
    "receiver_close",
    (context: EventContext) => forget(context.receiver!),
  );
  container.on(
    "disconnected",
    (context: EventContext) => forgetConnection(context.connection),
  );
  container.on("connection_close", (context: EventContext) => {
    forgetConnection(context.connection);
  });
  // Errors a client causes (or a reset socket) must never crash the test process.
  for (
    const event of [
      "error",
      "connection_error",
      "session_error",
      "sender_error",
      "receiver_error",
    ]
  ) {
    container.on(event, () => {});
  }

  function serve(socket: net.Socket): void {
    delayed.delete(socket);
    if (socket.destroyed) return;
    const connection = container.create_connection({
      container_id: "amqp-test-broker",
      properties: { product: "amqp-test-broker" },
    } as never);
    connections.set(socket, connection);
    connection.accept(socket);
  }

  function onSocket(socket: net.Socket): void {
    counters.connections++;
    counters.openConnections++;
    sockets.add(socket);
    // Without NODELAY every reply waits out the client's delayed ACK (~40 ms).
    socket.setNoDelay(true);
    socket.on("error", () => {});
    socket.on("close", () => {
      counters.openConnections--;
      sockets.delete(socket);
      if (sockets.size === 0) { for (const wake of [...idleWaiters]) wake(); }
      const connection = connections.get(socket);
      connections.delete(socket);
      if (connection) forgetConnection(connection);
      const timer = delayed.get(socket);
      if (timer !== undefined) clearTimeout(timer);
      delayed.delete(socket);
    });
    if (state.handshakeDelayMs > 0) {
      delayed.set(
        socket,
        setTimeout(() => serve(socket), state.handshakeDelayMs),
      );
    } else {
      serve(socket);
    }
  }

  const server: net.Server = useTls
    ? tls.createServer({ key: TEST_KEY_PEM, cert: TEST_CERT_PEM }, onSocket)
    : net.createServer(onSocket);
  await new Promise<void>((resolvePromise, rejectPromise) => {
    server.once("error", rejectPromise);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", rejectPromise);
      resolvePromise();
    });
  });
  const brokerPort = (server.address() as net.AddressInfo).port;
  let proxy: LatencyProxy | undefined;
  if (options.latencyMs !== undefined) {
    try {
      proxy = await startLatencyProxy({
        targetPort: brokerPort,
        latencyMs: options.latencyMs,
      });
    } catch (error) {
      server.close();
      throw error;
    }
  }
  // Clients connect to the proxy when there is one.
  const port = proxy?.port ?? brokerPort;
  const host = useTls ? "localhost" : "127.0.0.1";
  let stopped: Promise<void> | undefined;

  return {
    port,
    fullyQualifiedNamespace: `${host}:${port}`,
    get counters(): AmqpBrokerCounters {
      return { ...counters };
    },
    get refuseTokens(): boolean {
      return state.refuseTokens;
    },
    set refuseTokens(value: boolean) {
      state.refuseTokens = value;
    },
    get refuseNextTokens(): number {
      return state.refuseNextTokens;
    },
    set refuseNextTokens(value: number) {
      if (!Number.isInteger(value) || value < 0) {
        throw new RangeError(
          `Cannot set refuseNextTokens: must be an integer >= 0, received ${value}`,
        );
      }
      state.refuseNextTokens = value;
    },
    get handshakeDelayMs(): number {
      return state.handshakeDelayMs;
    },
    set handshakeDelayMs(value: number) {
      if (!(value >= 0)) {
        throw new RangeError(
          `Cannot set handshakeDelayMs: must be >= 0, received ${value}`,
        );
      }
      state.handshakeDelayMs = value;
    },
    get latencyMs(): number | undefined {
      return proxy?.latencyMs;
    },
    set latencyMs(value: number | undefined) {
      if (!proxy) {
        throw new Error(
          "Cannot set the latency: the broker was started without 'latencyMs', so no proxy sits in front of it",
        );
      }
      proxy.latencyMs = value as number;
    },
    get maxQueueLength(): number {
      return state.maxQueueLength;
    },
    set maxQueueLength(value: number) {
      state.maxQueueLength = value;
    },
    connectionString(entityPath?: string): string {
      return `Endpoint=sb://${host}:${port};SharedAccessKeyName=${keyName};SharedAccessKey=${key};` +
        (useTls ? "" : "UseDevelopmentEmulator=true;") +
        (entityPath ? `EntityPath=${entityPath};` : "");
    },
    createQueue,
    createTopic,
    createEventHub,
    messages(given: string): BrokerMessage[] {
      const queue = canonicalPath(given);
      const store = queues.get(queue);
      if (!store && topics.has(queue)) {
        throw new RangeError(
          `Cannot list messages of topic '${queue}': name a subscription, '${queue}/Subscriptions/<name>'`,
        );
      }
      if (!store) {
        throw new RangeError(`Cannot list messages: no queue '${queue}'`);
      }
      return store.messages().map((m) => ({
        sequenceNumber: m.sequenceNumber,
        state: m.state,
        messageId: m.split.decoded.message_id ?? m.assignedMessageId,
        body: decodeBody(m.split.decoded),
        applicationProperties: {
          ...m.split.decoded.application_properties,
          ...m.extraProperties,
        },
        annotations: m.split.decoded.message_annotations ?? {},
        enqueuedTimeUtc: new Date(m.enqueuedAt),
        scheduledEnqueueTimeUtc: m.scheduledAt === undefined
          ? undefined
          : new Date(m.scheduledAt),
        deliveryCount: m.deliveryCount,
        sessionId: m.sessionId,
        deadLetterReason: m.extraProperties?.DeadLetterReason,
        deadLetterErrorDescription: m.extraProperties
          ?.DeadLetterErrorDescription,
        message: m.split.decoded,
      }));
    },
    settlements(given: string): BrokerSettlement[] {
      const store = queues.get(canonicalPath(given));
      if (!store) {
        throw new RangeError(
          `Cannot list settlements: no queue or subscription '${given}'`,
        );
      }
      return store.settlements.map((settlement) => ({ ...settlement }));
    },
    settled(given: string, count: number, timeoutMs = 10_000): Promise<void> {
      const store = queues.get(canonicalPath(given));
      if (!store) {
        return Promise.reject(
          new RangeError(
            `Cannot wait for settlements: no queue or subscription '${given}'`,
          ),
        );
      }
      return store.settled(count, timeoutMs);
    },
    entityCounters(given: string): AmqpEntityCounters {
      const entry = entityCounters.get(canonicalPath(given));
      return {
        senderLinks: entry?.senderLinks ?? 0,
        receiverLinks: entry?.receiverLinks ?? 0,
        openSenderLinks: entry?.openSenderLinks ?? 0,
        openReceiverLinks: entry?.openReceiverLinks ?? 0,
        connections: entry?.connections ?? 0,
        duplicatesDropped: entry?.duplicatesDropped ?? 0,
      };
    },
    sessionState(given: string, sessionId: string): Uint8Array | undefined {
      return queues.get(canonicalPath(given))?.sessionState(sessionId);
    },
    events(hub: string, partitionId?: string): BrokerEvent[] {
      const store = hubs.get(hub);
      if (!store) {
        throw new RangeError(`Cannot list events: no event hub '${hub}'`);
      }
      return store.partitions
        .filter((p) => partitionId === undefined || p.id === partitionId)
        .flatMap((p) =>
          p.events.map((e) => ({
            partitionId: p.id,
            sequenceNumber: e.sequenceNumber,
            partitionKey: e.partitionKey,
            body: decodeBody(e.split.decoded),
            applicationProperties: e.split.decoded.application_properties ?? {},
            message: e.split.decoded,
          }))
        );
    },
    dropConnections,
    disconnect,
    dropConnectionsAfter(
      messages: number,
      dropOptions?: { graceful?: boolean },
    ): void {
      dropPlan = { at: messages, options: dropOptions };
    },
    idle(timeoutMs = 5000): Promise<void> {
      if (sockets.size === 0) return Promise.resolve();
      return new Promise<void>((resolvePromise, rejectPromise) => {
        const timer = setTimeout(() => {
          idleWaiters.delete(wake);
          rejectPromise(
            new Error(
              `Broker not idle after ${timeoutMs} ms: ${sockets.size} connection(s) open`,
            ),
          );
        }, timeoutMs);
        const wake = () => {
          clearTimeout(timer);
          idleWaiters.delete(wake);
          resolvePromise();
        };
        idleWaiters.add(wake);
      });
    },
    stop(): Promise<void> {
      stopped ??= Promise.all([
        proxy?.close(),
        new Promise<void>((resolvePromise) => {
          for (const timer of delayed.values()) clearTimeout(timer);
          delayed.clear();
          for (const queue of queues.values()) queue.close();
          // Waited for: Node may report the listener closed before the
          // sockets' own close events, and counters read after stop() must
          // show no open connection.
          const closing = [...sockets].map((socket) =>
            new Promise<void>((resolveClose) =>
              socket.once("close", () => resolveClose())
            )
          );
          for (const socket of sockets) socket.destroy(STOPPED);
          server.close(() => {
            Promise.all(closing).then(() => resolvePromise());
          });
        }),
      ]).then(() => {});
      return stopped;
    },
  };
}
