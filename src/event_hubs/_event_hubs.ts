/**
 * Event Hubs clients: {@linkcode ManagedEventHubProducer} (a pool of
 * `EventHubProducerClient`s, each its own AMQP connection),
 * {@linkcode EventHub} (one producer, unpooled, with the same API), the
 * {@linkcode EventHubProducerConnector} the pool uses, and
 * {@linkcode isEventHubsConnectionError}.
 *
 * An `EventHubProducerClient` is one AMQP connection; it opens one sender link
 * per partition (or one for the gateway) on first send. Event Hubs closes
 * connections idle for 240 s, so the managed producer recycles a connection
 * idle for 220 s (`maxIdleSeconds`) before the service does.
 *
 * @module
 */

import {
  type EventData,
  type EventHubClientOptions,
  EventHubProducerClient,
  MessagingError,
} from "@azure/event-hubs";
import { logger } from "../managed/log.ts";
import type { Clock } from "../pool/clock.ts";
import { ConnectionPool } from "../pool/connection_pool.ts";
import type { Connector } from "../pool/connector.ts";
import type { CloseOptions } from "../pool/options.ts";
import type {
  NamedKeyCredential,
  SASCredential,
  TokenCredential,
} from "@azure/core-auth";
import {
  type AmqpCredential,
  checkAbortSignal,
  closeAmqpClient,
  credentialFor,
  isAmqpConnectionError,
  resolveAmqpClient,
  type ResolvedAmqpClient,
} from "../managed/_amqp.ts";
import { namedLease, poolCallOptions } from "../managed/_lease.ts";
import { describeValue } from "../managed/_checks.ts";
import { poolOptionsOf } from "../managed/_pool_options.ts";

// ---- errors ------------------------------------------------------------

/**
 * Tells whether an error thrown by an Event Hubs operation shows that the
 * producer's connection or link is broken: connection lost or forced closed,
 * a communication failure or timeout, a closed client, a refused token. A
 * message-level answer (event too large, quota exceeded, hub not found,
 * server busy), an abort and a bad argument are not.
 * `ManagedEventHubProducer` replaces a pooled producer whose operation failed
 * with such an error.
 *
 * @param error What an operation threw.
 * @returns Whether the producer that threw it should be replaced.
 *
 * @example Classifying errors
 * ```ts
 * import { isEventHubsConnectionError } from "./_event_hubs.ts";
 * import { MessagingError } from "@azure/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const forced = Object.assign(new MessagingError("closed"), { code: "ConnectionForcedError" });
 * assert.equal(isEventHubsConnectionError(forced), true);
 * const tooLarge = Object.assign(new MessagingError("too large"), { code: "MessageTooLargeError" });
 * assert.equal(isEventHubsConnectionError(tooLarge), false);
 * ```
 */
export function isEventHubsConnectionError(error: unknown): boolean {
  return isAmqpConnectionError(error);
}

// ---- options -------------------------------------------------------------

/**
 * Where an event hub is and how to authenticate. Give exactly one of
 * `connectionString`, `credential` or `credentialFactory`; `namespace` comes
 * with a credential.
 *
 * @example Options with a connection string
 * ```ts
 * import type { EventHubConnectionOptions } from "./_event_hubs.ts";
 * import assert from "node:assert/strict";
 *
 * const options: EventHubConnectionOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
 *   eventHubName: "telemetry",
 * };
 * assert.equal(options.eventHubName, "telemetry");
 * ```
 */
export interface EventHubConnectionOptions {
  /**
   * The fully qualified namespace, for example `myns.servicebus.windows.net`.
   * Required with `credential` or `credentialFactory`.
   * @default {undefined}
   */
  namespace?: string;
  /**
   * `Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…` (never logged or
   * echoed in errors).
   * @default {undefined}
   */
  connectionString?: string;
  /**
   * The event hub. May be left out when the connection string has
   * `EntityPath`.
   * @default {undefined}
   */
  eventHubName?: string;
  /**
   * A credential shared by every producer and never closed by this library:
   * a `TokenCredential`, an `AzureNamedKeyCredential` or an
   * `AzureSASCredential`.
   * @default {undefined}
   */
  credential?: TokenCredential | NamedKeyCredential | SASCredential;
  /**
   * Makes one credential per producer; closing the producer closes it when it
   * has a `close` method.
   * @default {undefined}
   */
  credentialFactory?: () =>
    | TokenCredential
    | NamedKeyCredential
    | SASCredential
    | Promise<TokenCredential | NamedKeyCredential | SASCredential>;
  /**
   * Passed to every `EventHubProducerClient` (retry options, web sockets,
   * user agent).
   * @default {{}}
   */
  clientOptions?: EventHubClientOptions;
  /**
   * How long closing one producer may take before it is given up on (the
   * SDK's close can hang when the connection drops while it runs).
   * @default {10}
   */
  closeTimeoutSeconds?: number;
}

/** The resolved options of the Event Hubs clients. */
type ResolvedEventHub = ResolvedAmqpClient<EventHubClientOptions>;

function resolveEventHub(owner: string, given: unknown): ResolvedEventHub {
  return resolveAmqpClient(owner, given, "eventHubName");
}

async function openProducer(
  owner: string,
  settings: ResolvedEventHub,
): Promise<{
  producer: EventHubProducerClient;
  credential: AmqpCredential | undefined;
}> {
  const { credential, owned } = await credentialFor(owner, settings);
  const producer = settings.connectionString !== undefined
    ? new EventHubProducerClient(
      settings.connectionString,
      settings.entity,
      settings.clientOptions,
    )
    : new EventHubProducerClient(
      settings.namespace!,
      settings.entity,
      credential!,
      settings.clientOptions,
    );
  return { producer, credential: owned ? credential : undefined };
}

async function closeProducer(
  what: string,
  producer: EventHubProducerClient,
  credential: AmqpCredential | undefined,
  closeTimeoutMs: number,
): Promise<void> {
  await closeAmqpClient(
    what,
    () => producer.close(),
    credential,
    closeTimeoutMs,
  );
}

// ---- events ----------------------------------------------------------------

/**
 * Where events go and cancellation: options of `sendEvents` and
 * `sendEventData`.
 *
 * @example Keeping a device's events in order
 * ```ts
 * import type { SendEventsOptions } from "./_event_hubs.ts";
 * import assert from "node:assert/strict";
 *
 * const options: SendEventsOptions = { partitionKey: "device-7" };
 * assert.equal(options.partitionKey, "device-7");
 * ```
 */
export interface SendEventsOptions {
  /**
   * Events with the same key land on the same partition (in order). Not
   * with `partitionId`.
   * @default {undefined}
   */
  partitionKey?: string;
  /**
   * Sends to this partition. Not with `partitionKey`.
   * @default {undefined}
   */
  partitionId?: string;
  /**
   * Cancels waiting for a producer and the send.
   * @default {undefined}
   */
  abortSignal?: AbortSignal;
  /**
   * How long to wait for a pooled producer (`ManagedEventHubProducer` only).
   * @default {acquireTimeoutSeconds}
   */
  timeoutSeconds?: number;
}

/**
 * Options of `sendEvent`: where the event goes, its properties, and
 * cancellation.
 *
 * @example An event with properties
 * ```ts
 * import type { SendEventOptions } from "./_event_hubs.ts";
 * import assert from "node:assert/strict";
 *
 * const options: SendEventOptions = {
 *   partitionKey: "device-7",
 *   properties: { unit: "celsius" },
 * };
 * assert.equal(options.properties?.unit, "celsius");
 * ```
 */
export interface SendEventOptions extends SendEventsOptions {
  /**
   * Application properties of the event.
   * @default {undefined}
   */
  properties?: Record<string, unknown>;
  /**
   * The content type, for example `application/json`.
   * @default {undefined}
   */
  contentType?: string;
  /**
   * The message id.
   * @default {undefined}
   */
  messageId?: string;
  /**
   * The correlation id.
   * @default {undefined}
   */
  correlationId?: string;
}

function checkEventOptions(options: SendEventsOptions | undefined): void {
  checkAbortSignal(options?.abortSignal);
  if (
    options?.partitionKey !== undefined && options.partitionId !== undefined
  ) {
    throw new TypeError(
      "Cannot send events as 'partitionKey' and 'partitionId' were both given: pass one",
    );
  }
  options?.abortSignal?.throwIfAborted();
}

function toEvent(
  body: unknown,
  options: SendEventOptions | undefined,
): EventData {
  const event: EventData = { body };
  if (options === undefined) return event;
  if (options.properties !== undefined) {
    event.properties = { ...options.properties };
  }
  if (options.contentType !== undefined) {
    event.contentType = options.contentType;
  }
  if (options.messageId !== undefined) event.messageId = options.messageId;
  if (options.correlationId !== undefined) {
    event.correlationId = options.correlationId;
  }
  return event;
}

/** Sends `events` in as few batches as the link's size limit allows. */
async function sendBatched(
  producer: EventHubProducerClient,
  events: readonly EventData[],
  options: SendEventsOptions | undefined,
): Promise<number> {
  const batchOptions = {
    partitionKey: options?.partitionKey,
    partitionId: options?.partitionId,
    abortSignal: options?.abortSignal,
  };
  let batches = 0;
  let batch = await producer.createBatch(batchOptions);
  for (let i = 0; i < events.length; i++) {
    if (batch.tryAdd(events[i])) continue;
    if (batch.count === 0) {
      throw Object.assign(
        new MessagingError(
          `Cannot send event #${i}: it does not fit in a batch of ${batch.maxSizeInBytes} bytes`,
        ),
        { code: "MessageTooLargeError", retryable: false },
      );
    }
    await producer.sendBatch(batch, { abortSignal: options?.abortSignal });
    batches++;
    batch = await producer.createBatch(batchOptions);
    i--; // retry this event in the new batch
  }
  if (batch.count > 0) {
    await producer.sendBatch(batch, { abortSignal: options?.abortSignal });
    batches++;
  }
  return batches;
}

function eventList(
  data: EventData | readonly EventData[],
): readonly EventData[] {
  if (Array.isArray(data)) return data;
  if (typeof data !== "object" || data === null || !("body" in data)) {
    throw new TypeError(
      `Cannot send event data as it must be an EventData (an object with a body) or an array of them: received ${
        describeValue(data)
      }`,
    );
  }
  return [data as EventData];
}

// ---- connector -----------------------------------------------------------

/**
 * Opens, proves and closes `EventHubProducerClient`s for a
 * {@linkcode ConnectionPool}: `create` makes the producer (no I/O), `ready`
 * reads the hub's properties (connection, auth, management link; no event is
 * written), `close` closes it and a credential made by `credentialFactory`,
 * giving up after `closeTimeoutSeconds`.
 *
 * @example Making a producer without opening it
 * ```ts
 * import { EventHubProducerConnector } from "./_event_hubs.ts";
 * import assert from "node:assert/strict";
 *
 * const connector = new EventHubProducerConnector({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   eventHubName: "telemetry",
 * });
 * const producer = await connector.create(new AbortController().signal);
 * assert.equal(producer.eventHubName, "telemetry");
 * await connector.close(producer);
 * ```
 */
export class EventHubProducerConnector
  implements Connector<EventHubProducerClient> {
  readonly #settings: ResolvedEventHub;
  readonly #credentials = new Map<
    EventHubProducerClient,
    AmqpCredential | undefined
  >();

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the hub is and how to authenticate.
   * @throws {TypeError} When an option is missing or invalid (the message
   * names it and never echoes a key or connection string).
   * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
   */
  constructor(options: EventHubConnectionOptions) {
    this.#settings = resolveEventHub("EventHubProducerConnector", options);
  }

  /** The namespace host (and port), safe to log. */
  get host(): string {
    return this.#settings.host;
  }

  /** The event hub name. */
  get eventHubName(): string {
    return this.#settings.entity;
  }

  /**
   * Makes a producer. Nothing is sent.
   *
   * @param signal Aborts the creation (checked around the credential factory).
   * @returns The producer.
   * @throws {unknown} What the credential factory or the SDK constructor
   * threw, or the signal's reason.
   */
  async create(signal: AbortSignal): Promise<EventHubProducerClient> {
    signal.throwIfAborted();
    const { producer, credential } = await openProducer(
      "EventHubProducerConnector",
      this.#settings,
    );
    if (signal.aborted) {
      await closeProducer(
        "Event Hubs",
        producer,
        credential,
        this.#settings.closeTimeoutMs,
      );
      throw signal.reason;
    }
    this.#credentials.set(producer, credential);
    logger.info(
      `Event Hubs ${this.#settings.host}/${this.#settings.entity}: producer created`,
    );
    return producer;
  }

  /**
   * Reads the hub's properties: opens the connection, authenticates and
   * proves the hub exists, writing no event.
   *
   * @param producer A producer from `create`.
   * @param signal Aborts the read.
   * @returns `true` once the hub answered.
   * @throws {unknown} The SDK's error (for a wrong hub name a
   * `MessagingError` with code `MessagingEntityNotFoundError`; for a refused
   * token `UnauthorizedError`), or the signal's reason.
   */
  async ready(
    producer: EventHubProducerClient,
    signal: AbortSignal,
  ): Promise<boolean> {
    await producer.getEventHubProperties({ abortSignal: signal });
    return true;
  }

  /**
   * Closes the producer and a credential made by `credentialFactory`; gives
   * up after `closeTimeoutSeconds`. Closing an unknown or closed producer
   * does nothing.
   *
   * @param producer A producer from `create`.
   */
  async close(producer: EventHubProducerClient): Promise<void> {
    if (!this.#credentials.has(producer)) return;
    const credential = this.#credentials.get(producer);
    this.#credentials.delete(producer);
    await closeProducer(
      `Event Hubs ${this.#settings.host}/${this.#settings.entity}`,
      producer,
      credential,
      this.#settings.closeTimeoutMs,
    );
  }
}

// ---- ManagedEventHubProducer -------------------------------------------------

/**
 * Options of {@linkcode ManagedEventHubProducer}: the connection, then the
 * pool. Defaults follow the Python original (idle 220 s, under Event Hubs'
 * 240 s AMQP idle limit).
 *
 * @example Tuning the pool
 * ```ts
 * import type { ManagedEventHubProducerOptions } from "./_event_hubs.ts";
 * import assert from "node:assert/strict";
 *
 * const options: ManagedEventHubProducerOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
 *   eventHubName: "telemetry",
 *   maxSize: 2,
 * };
 * assert.equal(options.maxSize, 2);
 * ```
 */
export interface ManagedEventHubProducerOptions
  extends EventHubConnectionOptions {
  /**
   * Concurrent callers one producer serves at most.
   * @default {100}
   */
  clientLimit?: number;
  /**
   * Producers (AMQP connections) the pool holds at most.
   * @default {10}
   */
  maxSize?: number;
  /**
   * A producer idle this long is closed (Event Hubs drops connections idle
   * for 240 s).
   * @default {220}
   */
  maxIdleSeconds?: number;
  /**
   * A producer older than this takes no new callers and closes when its last
   * caller leaves.
   * @default {undefined}
   */
  maxLifespanSeconds?: number;
  /**
   * Producers being opened at once, at most.
   * @default {Math.max(1, Math.floor(maxSize / 3))}
   */
  maxConcurrentCreates?: number;
  /**
   * How long a caller waits for a producer before `ConnectionsExhausted`.
   * @default {60}
   */
  acquireTimeoutSeconds?: number;
  /**
   * How long opening one producer (connection, auth, properties read) may
   * take.
   * @default {30}
   */
  createTimeoutSeconds?: number;
  /**
   * First delay after a failed open; doubles per failure.
   * @default {0.1}
   */
  initialBackoffSeconds?: number;
  /**
   * Longest delay between attempts to open after failures.
   * @default {30}
   */
  maxBackoffSeconds?: number;
  /**
   * The pool's name in log lines and errors.
   * @default {"eventhubs:<host>/<eventHubName>"}
   */
  name?: string;
  /**
   * The pool's clock; tests pass a fake one.
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * A caller's hold on a pooled producer. Give it back with `release()` or
 * `await using`; after an error that {@linkcode isEventHubsConnectionError}
 * recognises call `invalidate()` so the producer is replaced.
 *
 * @example Holding a producer (needs an Event Hubs namespace)
 * ```ts ignore
 * await using lease = await hub.getProducer();
 * const ids = await lease.producer.getPartitionIds();
 * ```
 */
export interface ProducerLease extends AsyncDisposable {
  /** The SDK producer. */
  readonly producer: EventHubProducerClient;
  /** Whether `release()` or `invalidate()` was called. */
  readonly released: boolean;
  /** Gives the producer back; calling it again does nothing. */
  release(): void;
  /** Marks the producer broken and releases this lease. */
  invalidate(): void;
}

/**
 * A pool of Event Hubs producers: callers share up to `maxSize` producers
 * (AMQP connections), at most `clientLimit` at a time each. A producer is
 * opened ahead of demand, proven by reading the hub's properties (no event is
 * written), recycled after `maxIdleSeconds` idle, and replaced when an
 * operation fails with a connection error
 * ({@linkcode isEventHubsConnectionError}); other errors reach the caller and
 * leave the producer in the pool.
 *
 * @example Constructing and closing (nothing is opened)
 * ```ts
 * import { ManagedEventHubProducer } from "./_event_hubs.ts";
 * import assert from "node:assert/strict";
 *
 * const hub = new ManagedEventHubProducer({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   eventHubName: "telemetry",
 * });
 * assert.equal(hub.pool.stats().size, 0);
 * await hub.close();
 * assert.equal(hub.pool.closed, true);
 * ```
 *
 * @example Sending (needs an Event Hubs namespace)
 * ```ts ignore
 * import { ManagedEventHubProducer } from "./_event_hubs.ts";
 * import { DefaultAzureCredential } from "@azure/identity";
 *
 * const hub = new ManagedEventHubProducer({
 *   namespace: "myns.servicebus.windows.net",
 *   eventHubName: "telemetry",
 *   credential: new DefaultAzureCredential(),
 * });
 * await hub.sendEvent({ celsius: 21.5 }, { partitionKey: "device-7" });
 * await hub.sendEvents([{ celsius: 21.6 }, { celsius: 21.7 }], { partitionKey: "device-7" });
 * await hub.close();
 * ```
 */
export class ManagedEventHubProducer implements AsyncDisposable {
  /** The pool, for `stats()`, `readyConnectionCount` and `warm()`. */
  readonly pool: ConnectionPool<EventHubProducerClient>;
  /** The connector the pool opens producers with. */
  readonly connector: EventHubProducerConnector;

  /**
   * Checks the options and makes the pool; opens nothing.
   *
   * @param options The connection and the pool's options.
   * @throws {TypeError} When a connection option is missing or invalid, or
   * two credentials are given (the message names the options, never a key).
   * @throws {RangeError} When a pool option is out of range (the message
   * names the option and the value).
   */
  constructor(options: ManagedEventHubProducerOptions) {
    const settings = resolveEventHub("ManagedEventHubProducer", options);
    this.connector = new EventHubProducerConnector(options);
    this.pool = new ConnectionPool(
      this.connector,
      poolOptionsOf(options, {
        maxIdleSeconds: 220,
        name: `eventhubs:${settings.host}/${settings.entity}`,
        isConnectionError: isEventHubsConnectionError,
      }),
    );
  }

  /**
   * Sends one event.
   *
   * @param body The body (the SDK encodes it; JSON values as JSON).
   * @param options Where it goes, its properties, and cancellation.
   * @returns When the service accepted the event.
   * @throws {TypeError} When both `partitionKey` and `partitionId` are given.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When opening a producer failed (`cause` is the
   * SDK's error).
   * @throws {PoolClosed} After `close()`.
   * @throws {MessagingError} What the SDK threw (a connection error also
   * replaces the producer).
   *
   * @example Sending with a partition key (needs an Event Hubs namespace)
   * ```ts ignore
   * await hub.sendEvent({ celsius: 21.5 }, { partitionKey: "device-7" });
   * ```
   */
  async sendEvent(body: unknown, options?: SendEventOptions): Promise<void> {
    checkEventOptions(options);
    const events = [toEvent(body, options)];
    await this.#send(events, options);
  }

  /**
   * Sends events in as few batches as the link's size limit allows, on one
   * pooled producer. If a batch fails, the batches before it were sent.
   *
   * @param bodies The bodies.
   * @param options Where they go, and cancellation.
   * @returns How many batches were sent.
   * @throws {MessagingError} With code `MessageTooLargeError` when one event
   * does not fit in an empty batch, or what the SDK threw.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When opening a producer failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Sending a list (needs an Event Hubs namespace)
   * ```ts ignore
   * const batches = await hub.sendEvents([{ n: 1 }, { n: 2 }], { partitionKey: "device-7" });
   * ```
   */
  sendEvents(
    bodies: readonly unknown[],
    options?: SendEventsOptions,
  ): Promise<number> {
    try {
      checkEventOptions(options);
      if (!Array.isArray(bodies)) {
        throw new TypeError(
          `Cannot send events as 'bodies' must be an array: received ${
            describeValue(bodies)
          }`,
        );
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#send(bodies.map((body) => ({ body })), options);
  }

  /**
   * Sends `EventData` as given (body, properties, ids), batched like
   * `sendEvents`.
   *
   * @param data One event or a list.
   * @param options Where they go, and cancellation.
   * @returns How many batches were sent.
   * @throws {TypeError} When `data` is not an `EventData` or a list of them.
   * @throws {MessagingError} What the SDK threw.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When opening a producer failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Sending an event with properties (needs an Event Hubs namespace)
   * ```ts ignore
   * await hub.sendEventData({ body: { n: 1 }, properties: { source: "edge" } });
   * ```
   */
  sendEventData(
    data: EventData | readonly EventData[],
    options?: SendEventsOptions,
  ): Promise<number> {
    let events: readonly EventData[];
    try {
      checkEventOptions(options);
      events = eventList(data);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#send(events, options);
  }

  async #send(
    events: readonly EventData[],
    options: SendEventsOptions | undefined,
  ): Promise<number> {
    if (events.length === 0) return 0;
    return await this.pool.use(
      (producer) => sendBatched(producer, events, options),
      poolCallOptions(options),
    );
  }

  /**
   * Runs `fn` with a pooled SDK producer and gives it back when `fn` settles.
   * A connection error from `fn` replaces the producer; the error is
   * re-thrown unchanged.
   *
   * @typeParam T What `fn` resolves to.
   * @param fn The work; it receives the producer.
   * @param options An abort signal and an acquire timeout.
   * @returns What `fn` returned.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When opening a producer failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Reading partition ids (needs an Event Hubs namespace)
   * ```ts ignore
   * const ids = await hub.use((producer) => producer.getPartitionIds());
   * ```
   */
  use<T>(
    fn: (producer: EventHubProducerClient) => T | Promise<T>,
    options?: { abortSignal?: AbortSignal; timeoutSeconds?: number },
  ): Promise<T> {
    return this.pool.use((producer) => fn(producer), poolCallOptions(options));
  }

  /**
   * Takes a pooled SDK producer until the lease is released (or disposed
   * with `await using`).
   *
   * @param options An abort signal and an acquire timeout.
   * @returns The lease.
   * @throws {ConnectionsExhausted} When no producer had capacity in time.
   * @throws {ConnectionFailed} When opening a producer failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Holding a producer (needs an Event Hubs namespace)
   * ```ts ignore
   * await using lease = await hub.getProducer();
   * const batch = await lease.producer.createBatch();
   * ```
   */
  async getProducer(
    options?: { abortSignal?: AbortSignal; timeoutSeconds?: number },
  ): Promise<ProducerLease> {
    return namedLease(
      await this.pool.get(poolCallOptions(options)),
      "producer",
    );
  }

  /**
   * Closes the pool: refuses new callers, waits for leases (or
   * `timeoutSeconds`), then closes every producer.
   *
   * @param options How long to wait for leases.
   * @returns When every producer is closed.
   */
  close(options?: CloseOptions): Promise<void> {
    return this.pool.close(options);
  }

  /**
   * Closes the pool, for `await using`.
   *
   * @returns When every producer is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// ---- EventHub (unpooled) ---------------------------------------------------

/**
 * Options of {@linkcode EventHub}.
 *
 * @example A producer for one hub
 * ```ts
 * import type { EventHubOptions } from "./_event_hubs.ts";
 * import assert from "node:assert/strict";
 *
 * const options: EventHubOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>;EntityPath=telemetry",
 * };
 * assert.ok(options.connectionString);
 * ```
 */
export type EventHubOptions = EventHubConnectionOptions;

/**
 * One Event Hubs producer (one AMQP connection), unpooled, with the API of
 * {@linkcode ManagedEventHubProducer}. The producer is opened on first use and
 * closed by `close()`.
 *
 * @example Constructing and closing (nothing is opened)
 * ```ts
 * import { EventHub } from "./_event_hubs.ts";
 * import assert from "node:assert/strict";
 *
 * const hub = new EventHub({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   eventHubName: "telemetry",
 * });
 * assert.equal(hub.eventHubName, "telemetry");
 * await hub.close();
 * ```
 */
export class EventHub implements AsyncDisposable {
  readonly #settings: ResolvedEventHub;
  #opening:
    | Promise<{
      producer: EventHubProducerClient;
      credential: AmqpCredential | undefined;
    }>
    | undefined;
  #closed = false;

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the hub is and how to authenticate.
   * @throws {TypeError} When an option is missing or invalid.
   * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
   */
  constructor(options: EventHubOptions) {
    this.#settings = resolveEventHub("EventHub", options);
  }

  /** The event hub name. */
  get eventHubName(): string {
    return this.#settings.entity;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The SDK producer, opened on first call.
   *
   * @returns The producer.
   * @throws {Error} After `close()`.
   */
  async producer(): Promise<EventHubProducerClient> {
    if (this.#closed) {
      throw new Error(
        `Cannot use EventHub for ${this.#settings.host}/${this.#settings.entity}: it is closed`,
      );
    }
    this.#opening ??= openProducer("EventHub", this.#settings);
    return (await this.#opening).producer;
  }

  /**
   * Sends one event.
   *
   * @param body The body.
   * @param options Where it goes, its properties, and cancellation.
   * @returns When the service accepted the event.
   * @throws {TypeError} When both `partitionKey` and `partitionId` are given.
   * @throws {MessagingError} What the SDK threw.
   */
  async sendEvent(body: unknown, options?: SendEventOptions): Promise<void> {
    checkEventOptions(options);
    await sendBatched(await this.producer(), [toEvent(body, options)], options);
  }

  /**
   * Sends events in as few batches as the link's size limit allows.
   *
   * @param bodies The bodies.
   * @param options Where they go, and cancellation.
   * @returns How many batches were sent.
   * @throws {MessagingError} What the SDK threw.
   */
  async sendEvents(
    bodies: readonly unknown[],
    options?: SendEventsOptions,
  ): Promise<number> {
    checkEventOptions(options);
    if (bodies.length === 0) return 0;
    return await sendBatched(
      await this.producer(),
      bodies.map((body) => ({ body })),
      options,
    );
  }

  /**
   * Sends `EventData` as given, batched like `sendEvents`.
   *
   * @param data One event or a list.
   * @param options Where they go, and cancellation.
   * @returns How many batches were sent.
   * @throws {TypeError} When `data` is not an `EventData` or a list of them.
   * @throws {MessagingError} What the SDK threw.
   */
  async sendEventData(
    data: EventData | readonly EventData[],
    options?: SendEventsOptions,
  ): Promise<number> {
    checkEventOptions(options);
    const events = eventList(data);
    if (events.length === 0) return 0;
    return await sendBatched(await this.producer(), events, options);
  }

  /**
   * Closes the producer (giving up after `closeTimeoutSeconds`). Calling it
   * again does nothing.
   *
   * @returns When the producer is closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = undefined;
    if (opening === undefined) return;
    let opened: Awaited<typeof opening>;
    try {
      opened = await opening;
    } catch {
      return; // it never opened: nothing to close
    }
    await closeProducer(
      `Event Hubs ${this.#settings.host}/${this.#settings.entity}`,
      opened.producer,
      opened.credential,
      this.#settings.closeTimeoutMs,
    );
  }

  /**
   * Closes the producer, for `await using`.
   *
   * @returns When the producer is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
