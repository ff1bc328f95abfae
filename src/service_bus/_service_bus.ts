/**
 * Service Bus clients: {@linkcode ManagedServiceBusSender} (a pool of queue
 * senders, each on its own `ServiceBusClient`, so its own AMQP connection),
 * {@linkcode ServiceBus} (one client, unpooled, with a sender and a peek-lock
 * {@linkcode ServiceBusQueueReceiver}), the {@linkcode ServiceBusSenderConnector}
 * the pool uses, and {@linkcode isServiceBusConnectionError}.
 *
 * One `ServiceBusClient` is one AMQP connection; every sender and receiver
 * made from it shares that connection with its own link. Service Bus closes
 * connections idle for 240 s, so the managed sender recycles a connection
 * idle for 200 s (`maxIdleSeconds`) before the service does.
 *
 * @module
 */

import {
  ServiceBusClient,
  type ServiceBusClientOptions,
  ServiceBusError,
  type ServiceBusMessage,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSender,
} from "@azure/service-bus";
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
  positiveSecondsMs,
  resolveAmqpClient,
  type ResolvedAmqpClient,
} from "../managed/_amqp.ts";
import { namedLease, poolCallOptions } from "../managed/_lease.ts";
import { describeValue, errorLabel } from "../managed/_checks.ts";
import { poolOptionsOf } from "../managed/_pool_options.ts";

// ---- errors ------------------------------------------------------------

/**
 * Tells whether an error thrown by a Service Bus operation shows that the
 * client's connection or link is broken: connection lost or forced closed,
 * a communication failure or timeout, a closed client, a refused token. A
 * message-level answer (message too large, quota exceeded, entity not found,
 * server busy), an abort and a bad argument are not. `ManagedServiceBusSender`
 * replaces a pooled client whose operation failed with such an error.
 *
 * @param error What an operation threw.
 * @returns Whether the client that threw it should be replaced.
 *
 * @example Classifying errors
 * ```ts
 * import { isServiceBusConnectionError } from "./_service_bus.ts";
 * import { ServiceBusError } from "@azure/service-bus";
 * import assert from "node:assert/strict";
 *
 * const lost = new ServiceBusError("connection lost", "ServiceCommunicationProblem");
 * assert.equal(isServiceBusConnectionError(lost), true);
 * const tooLarge = new ServiceBusError("too large", "MessageSizeExceeded");
 * assert.equal(isServiceBusConnectionError(tooLarge), false);
 * ```
 */
export function isServiceBusConnectionError(error: unknown): boolean {
  return isAmqpConnectionError(error);
}

// ---- options -------------------------------------------------------------

/**
 * Where a Service Bus queue is and how to authenticate. Give exactly one of
 * `connectionString`, `credential` or `credentialFactory`; `namespace` comes
 * with a credential.
 *
 * @example Options with a connection string
 * ```ts
 * import type { ServiceBusConnectionOptions } from "./_service_bus.ts";
 * import assert from "node:assert/strict";
 *
 * const options: ServiceBusConnectionOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
 *   queueName: "orders",
 * };
 * assert.equal(options.queueName, "orders");
 * ```
 */
export interface ServiceBusConnectionOptions {
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
   * The queue. May be left out when the connection string has `EntityPath`.
   * @default {undefined}
   */
  queueName?: string;
  /**
   * A credential shared by every client and never closed by this library: a
   * `TokenCredential` (for example from `@azure/identity`), an
   * `AzureNamedKeyCredential` or an `AzureSASCredential`.
   * @default {undefined}
   */
  credential?: TokenCredential | NamedKeyCredential | SASCredential;
  /**
   * Makes one credential per client; closing the client closes it when it
   * has a `close` method.
   * @default {undefined}
   */
  credentialFactory?: () =>
    | TokenCredential
    | NamedKeyCredential
    | SASCredential
    | Promise<TokenCredential | NamedKeyCredential | SASCredential>;
  /**
   * Passed to every `ServiceBusClient` (retry options, web sockets, user
   * agent).
   * @default {{}}
   */
  clientOptions?: ServiceBusClientOptions;
  /**
   * How long closing one client may take before it is given up on (the SDK's
   * close can hang when the connection drops while it runs).
   * @default {10}
   */
  closeTimeoutSeconds?: number;
}

/** The resolved options of the Service Bus clients. */
type ResolvedServiceBus = ResolvedAmqpClient<ServiceBusClientOptions>;

function resolveServiceBus(owner: string, given: unknown): ResolvedServiceBus {
  return resolveAmqpClient(owner, given, "queueName");
}

/** One client and what it owns. */
interface OwnedClient {
  client: ServiceBusClient;
  credential: AmqpCredential | undefined;
}

async function openClient(
  owner: string,
  settings: ResolvedServiceBus,
): Promise<OwnedClient> {
  const { credential, owned } = await credentialFor(owner, settings);
  const client = settings.connectionString !== undefined
    ? new ServiceBusClient(settings.connectionString, settings.clientOptions)
    : new ServiceBusClient(
      settings.namespace!,
      credential!,
      settings.clientOptions,
    );
  return { client, credential: owned ? credential : undefined };
}

async function closeClient(
  what: string,
  owned: OwnedClient,
  closables: { close(): Promise<void> }[],
  closeTimeoutMs: number,
): Promise<void> {
  await closeAmqpClient(
    what,
    async () => {
      for (const closable of closables) {
        try {
          await closable.close();
        } catch (error) {
          logger.info(`${what}: closing a link failed: ${errorLabel(error)}`);
        }
      }
      await owned.client.close();
    },
    owned.credential,
    closeTimeoutMs,
  );
}

// ---- messages ------------------------------------------------------------

/**
 * Options of {@linkcode ManagedServiceBusSender.sendMessage} and
 * {@linkcode ServiceBus.sendMessage}: the message's properties, a delay, and
 * cancellation.
 *
 * @example A delayed message with properties
 * ```ts
 * import type { SendMessageOptions } from "./_service_bus.ts";
 * import assert from "node:assert/strict";
 *
 * const options: SendMessageOptions = {
 *   delaySeconds: 30,
 *   messageId: "order-17",
 *   applicationProperties: { tenant: "t1" },
 * };
 * assert.equal(options.delaySeconds, 30);
 * ```
 */
export interface SendMessageOptions {
  /**
   * Schedules the message this many seconds from now instead of sending it
   * for immediate delivery.
   * @default {0}
   */
  delaySeconds?: number;
  /**
   * The message id (duplicate detection keys on it).
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
  /**
   * Cancels waiting for a sender and the send (rejects with the signal's
   * reason, or the SDK's `AbortError`).
   * @default {undefined}
   */
  abortSignal?: AbortSignal;
  /**
   * How long to wait for a pooled sender (`ManagedServiceBusSender` only).
   * @default {acquireTimeoutSeconds}
   */
  timeoutSeconds?: number;
}

/**
 * Options of `sendMessages`: the properties every message gets, and
 * cancellation. No message id and no delay: those are per message.
 *
 * @example Messages with a shared content type
 * ```ts
 * import type { SendMessagesOptions } from "./_service_bus.ts";
 * import assert from "node:assert/strict";
 *
 * const options: SendMessagesOptions = { contentType: "application/json" };
 * assert.equal(options.contentType, "application/json");
 * ```
 */
export type SendMessagesOptions = Omit<
  SendMessageOptions,
  "messageId" | "delaySeconds"
>;

function toMessage(
  body: unknown,
  options: SendMessageOptions | undefined,
): ServiceBusMessage {
  const message: ServiceBusMessage = { body };
  if (options === undefined) return message;
  if (options.messageId !== undefined) message.messageId = options.messageId;
  if (options.contentType !== undefined) {
    message.contentType = options.contentType;
  }
  if (options.correlationId !== undefined) {
    message.correlationId = options.correlationId;
  }
  if (options.subject !== undefined) message.subject = options.subject;
  if (options.sessionId !== undefined) message.sessionId = options.sessionId;
  if (options.partitionKey !== undefined) {
    message.partitionKey = options.partitionKey;
  }
  if (options.timeToLiveSeconds !== undefined) {
    const ttl = options.timeToLiveSeconds;
    if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0) {
      throw new RangeError(
        `Cannot send a message as 'timeToLiveSeconds' must be a positive number of seconds: received ${
          describeValue(ttl)
        }`,
      );
    }
    message.timeToLive = Math.round(ttl * 1000);
  }
  if (options.applicationProperties !== undefined) {
    message.applicationProperties = { ...options.applicationProperties };
  }
  return message;
}

function delayMs(options: SendMessageOptions | undefined): number {
  const delay = options?.delaySeconds ?? 0;
  if (typeof delay !== "number" || !Number.isFinite(delay) || delay < 0) {
    throw new RangeError(
      `Cannot send a message as 'delaySeconds' must be a number of seconds >= 0: received ${
        describeValue(delay)
      }`,
    );
  }
  return delay * 1000;
}

async function sendOne(
  sender: ServiceBusSender,
  message: ServiceBusMessage,
  delay: number,
  abortSignal: AbortSignal | undefined,
): Promise<void> {
  if (delay > 0) {
    await sender.scheduleMessages(message, new Date(Date.now() + delay), {
      abortSignal,
    });
  } else {
    await sender.sendMessages(message, { abortSignal });
  }
}

/** Sends `messages` in as few batches as the link's size limit allows. */
async function sendBatched(
  sender: ServiceBusSender,
  messages: ServiceBusMessage[],
  abortSignal: AbortSignal | undefined,
): Promise<number> {
  let batches = 0;
  let batch = await sender.createMessageBatch({ abortSignal });
  for (let i = 0; i < messages.length; i++) {
    if (batch.tryAddMessage(messages[i])) continue;
    if (batch.count === 0) {
      throw new ServiceBusError(
        `Cannot send message #${i}: it does not fit in a batch of ${batch.maxSizeInBytes} bytes`,
        "MessageSizeExceeded",
      );
    }
    await sender.sendMessages(batch, { abortSignal });
    batches++;
    batch = await sender.createMessageBatch({ abortSignal });
    i--; // retry this message in the new batch
  }
  if (batch.count > 0) {
    await sender.sendMessages(batch, { abortSignal });
    batches++;
  }
  return batches;
}

function checkSendOptions(options: SendMessageOptions | undefined): void {
  checkAbortSignal(options?.abortSignal);
  options?.abortSignal?.throwIfAborted();
}

// ---- connector -----------------------------------------------------------

/**
 * Opens, proves and closes queue senders for a {@linkcode ConnectionPool}:
 * `create` makes a `ServiceBusClient` (one AMQP connection) and a sender on
 * it, `ready` opens the sender's link (by asking for a message batch, which
 * writes nothing to the queue), `close` closes the sender, the client, and a
 * credential made by `credentialFactory`, giving up after
 * `closeTimeoutSeconds`.
 *
 * @example Making a sender without opening it
 * ```ts
 * import { ServiceBusSenderConnector } from "./_service_bus.ts";
 * import assert from "node:assert/strict";
 *
 * const connector = new ServiceBusSenderConnector({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   queueName: "orders",
 * });
 * const sender = await connector.create(new AbortController().signal);
 * assert.equal(sender.entityPath, "orders");
 * await connector.close(sender);
 * ```
 */
export class ServiceBusSenderConnector implements Connector<ServiceBusSender> {
  readonly #settings: ResolvedServiceBus;
  readonly #owned = new Map<ServiceBusSender, OwnedClient>();

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the queue is and how to authenticate.
   * @throws {TypeError} When an option is missing or invalid (the message
   * names it and never echoes a key or connection string).
   * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
   */
  constructor(options: ServiceBusConnectionOptions) {
    this.#settings = resolveServiceBus("ServiceBusSenderConnector", options);
  }

  /** The namespace host (and port), safe to log. */
  get host(): string {
    return this.#settings.host;
  }

  /** The queue name. */
  get queueName(): string {
    return this.#settings.entity;
  }

  /**
   * Makes a `ServiceBusClient` and a sender for the queue. Nothing is sent.
   *
   * @param signal Aborts the creation (checked around the credential factory).
   * @returns The sender.
   * @throws {unknown} What the credential factory or the SDK constructor
   * threw, or the signal's reason.
   */
  async create(signal: AbortSignal): Promise<ServiceBusSender> {
    signal.throwIfAborted();
    const owned = await openClient("ServiceBusSenderConnector", this.#settings);
    try {
      signal.throwIfAborted();
      const sender = owned.client.createSender(this.#settings.entity);
      this.#owned.set(sender, owned);
      logger.info(
        `Service Bus ${this.#settings.host}/${this.#settings.entity}: client created`,
      );
      return sender;
    } catch (error) {
      await closeClient(
        "Service Bus",
        owned,
        [],
        this.#settings.closeTimeoutMs,
      );
      throw error;
    }
  }

  /**
   * Opens the sender's link (and with it the connection, its auth and the
   * link's token) by asking for a message batch; nothing is written to the
   * queue.
   *
   * @param sender A sender from `create`.
   * @param signal Aborts the open.
   * @returns `true` once the link is open.
   * @throws {unknown} The SDK's error (for a wrong queue name a
   * `ServiceBusError` with code `MessagingEntityNotFound`; for a refused
   * token `UnauthorizedAccess`), or the signal's reason.
   */
  async ready(sender: ServiceBusSender, signal: AbortSignal): Promise<boolean> {
    await sender.createMessageBatch({ abortSignal: signal });
    return true;
  }

  /**
   * Closes the sender, its client and a credential made by
   * `credentialFactory`; gives up after `closeTimeoutSeconds`. Closing an
   * unknown or closed sender does nothing.
   *
   * @param sender A sender from `create`.
   */
  async close(sender: ServiceBusSender): Promise<void> {
    const owned = this.#owned.get(sender);
    if (owned === undefined) return;
    this.#owned.delete(sender);
    await closeClient(
      `Service Bus ${this.#settings.host}/${this.#settings.entity}`,
      owned,
      [sender],
      this.#settings.closeTimeoutMs,
    );
  }
}

// ---- ManagedServiceBusSender ---------------------------------------------------

/**
 * Options of {@linkcode ManagedServiceBusSender}: the connection, then the
 * pool. Defaults follow the Python original (idle 200 s, under Service Bus's
 * 240 s AMQP idle limit).
 *
 * @example Tuning the pool
 * ```ts
 * import type { ManagedServiceBusSenderOptions } from "./_service_bus.ts";
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
  extends ServiceBusConnectionOptions {
  /**
   * Concurrent callers one client serves at most.
   * @default {100}
   */
  clientLimit?: number;
  /**
   * Clients (AMQP connections) the pool holds at most.
   * @default {10}
   */
  maxSize?: number;
  /**
   * A client idle this long is closed (Service Bus drops connections idle for
   * 240 s).
   * @default {200}
   */
  maxIdleSeconds?: number;
  /**
   * A client older than this takes no new callers and closes when its last
   * caller leaves.
   * @default {undefined}
   */
  maxLifespanSeconds?: number;
  /**
   * Clients being opened at once, at most.
   * @default {Math.max(1, Math.floor(maxSize / 3))}
   */
  maxConcurrentCreates?: number;
  /**
   * How long a caller waits for a sender before `ConnectionsExhausted`.
   * @default {60}
   */
  acquireTimeoutSeconds?: number;
  /**
   * How long opening one client (connection, auth, link) may take.
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
   * @default {"servicebus:<host>/<queueName>"}
   */
  name?: string;
  /**
   * The pool's clock; tests pass a fake one.
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * A caller's hold on a pooled sender. Give it back with `release()` or
 * `await using`; after an error that {@linkcode isServiceBusConnectionError}
 * recognises call `invalidate()` so the client is replaced.
 *
 * @example Holding a sender (needs a Service Bus namespace)
 * ```ts ignore
 * await using lease = await sender.getSender();
 * await lease.sender.sendMessages({ body: "hello" });
 * ```
 */
export interface SenderLease extends AsyncDisposable {
  /** The SDK sender. */
  readonly sender: ServiceBusSender;
  /** Whether `release()` or `invalidate()` was called. */
  readonly released: boolean;
  /** Gives the sender back; calling it again does nothing. */
  release(): void;
  /** Marks the client broken and releases this lease. */
  invalidate(): void;
}

/**
 * A pool of Service Bus queue senders: callers share up to `maxSize` clients
 * (AMQP connections), at most `clientLimit` at a time each. A client is opened
 * ahead of demand, proven by opening its sender link (nothing is written to
 * the queue), recycled after `maxIdleSeconds` idle, and replaced when an
 * operation fails with a connection error
 * ({@linkcode isServiceBusConnectionError}); other errors reach the caller
 * and leave the client in the pool.
 *
 * @example Constructing and closing (nothing is opened)
 * ```ts
 * import { ManagedServiceBusSender } from "./_service_bus.ts";
 * import assert from "node:assert/strict";
 *
 * const sender = new ManagedServiceBusSender({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   queueName: "orders",
 *   maxSize: 3,
 * });
 * assert.equal(sender.pool.stats().size, 0);
 * await sender.close();
 * assert.equal(sender.pool.closed, true);
 * ```
 *
 * @example Sending (needs a Service Bus namespace)
 * ```ts ignore
 * import { ManagedServiceBusSender } from "./_service_bus.ts";
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
export class ManagedServiceBusSender implements AsyncDisposable {
  /** The pool, for `stats()`, `readyConnectionCount` and `warm()`. */
  readonly pool: ConnectionPool<ServiceBusSender>;
  /** The connector the pool opens clients with. */
  readonly connector: ServiceBusSenderConnector;

  /**
   * Checks the options and makes the pool; opens nothing.
   *
   * @param options The connection and the pool's options.
   * @throws {TypeError} When a connection option is missing or invalid, or
   * two credentials are given (the message names the options, never a key).
   * @throws {RangeError} When a pool option is out of range (the message
   * names the option and the value).
   */
  constructor(options: ManagedServiceBusSenderOptions) {
    const settings = resolveServiceBus("ManagedServiceBusSender", options);
    this.connector = new ServiceBusSenderConnector(options);
    this.pool = new ConnectionPool(
      this.connector,
      poolOptionsOf(options, {
        maxIdleSeconds: 200,
        name: `servicebus:${settings.host}/${settings.entity}`,
        isConnectionError: isServiceBusConnectionError,
      }),
    );
  }

  /**
   * Sends one message, or schedules it when `delaySeconds` is set.
   *
   * @param body The body (the SDK encodes it; JSON values as JSON).
   * @param options The message's properties, a delay, and cancellation.
   * @returns When the service accepted the message.
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
    checkSendOptions(options);
    const message = toMessage(body, options);
    const delay = delayMs(options);
    await this.pool.use(
      (sender) => sendOne(sender, message, delay, options?.abortSignal),
      poolCallOptions(options),
    );
  }

  /**
   * Sends messages in as few batches as the link's size limit allows, on one
   * pooled sender. If a batch fails, the batches before it were sent.
   *
   * @param bodies The bodies.
   * @param options Properties every message gets, and cancellation.
   * @returns How many batches were sent.
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
    checkSendOptions(options);
    if (!Array.isArray(bodies)) {
      throw new TypeError(
        `Cannot send messages as 'bodies' must be an array: received ${
          describeValue(bodies)
        }`,
      );
    }
    if (bodies.length === 0) return 0;
    const messages = bodies.map((body) => toMessage(body, options));
    return await this.pool.use(
      (sender) => sendBatched(sender, messages, options?.abortSignal),
      poolCallOptions(options),
    );
  }

  /**
   * Runs `fn` with a pooled SDK sender and gives it back when `fn` settles.
   * A connection error from `fn` replaces the client; the error is re-thrown
   * unchanged.
   *
   * @typeParam T What `fn` resolves to.
   * @param fn The work; it receives the sender.
   * @param options An abort signal and an acquire timeout.
   * @returns What `fn` returned.
   * @throws {ConnectionsExhausted} When no sender had capacity in time.
   * @throws {ConnectionFailed} When opening a client failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Cancelling a scheduled message (needs a Service Bus namespace)
   * ```ts ignore
   * await sender.use((s) => s.cancelScheduledMessages(sequenceNumber));
   * ```
   */
  use<T>(
    fn: (sender: ServiceBusSender) => T | Promise<T>,
    options?: { abortSignal?: AbortSignal; timeoutSeconds?: number },
  ): Promise<T> {
    return this.pool.use((sender) => fn(sender), poolCallOptions(options));
  }

  /**
   * Takes a pooled SDK sender until the lease is released (or disposed with
   * `await using`).
   *
   * @param options An abort signal and an acquire timeout.
   * @returns The lease.
   * @throws {ConnectionsExhausted} When no sender had capacity in time.
   * @throws {ConnectionFailed} When opening a client failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Holding a sender (needs a Service Bus namespace)
   * ```ts ignore
   * await using lease = await sender.getSender();
   * const batch = await lease.sender.createMessageBatch();
   * ```
   */
  async getSender(
    options?: { abortSignal?: AbortSignal; timeoutSeconds?: number },
  ): Promise<SenderLease> {
    return namedLease(await this.pool.get(poolCallOptions(options)), "sender");
  }

  /**
   * Closes the pool: refuses new callers, waits for leases (or
   * `timeoutSeconds`), then closes every client.
   *
   * @param options How long to wait for leases.
   * @returns When every client is closed.
   */
  close(options?: CloseOptions): Promise<void> {
    return this.pool.close(options);
  }

  /**
   * Closes the pool, for `await using`.
   *
   * @returns When every client is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// ---- ServiceBus (unpooled) --------------------------------------------------

/**
 * Options of {@linkcode ServiceBus.receiver}.
 *
 * @example Receiving five at a time
 * ```ts
 * import type { ReceiverOptions } from "./_service_bus.ts";
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
}

/**
 * A peek-lock queue receiver: iterate it with `for await`, settle each
 * message with `complete`, `abandon` or `deadLetter`, and close it (or
 * `await using`). Made by {@linkcode ServiceBus.receiver}.
 *
 * @example Processing messages (needs a Service Bus namespace)
 * ```ts ignore
 * await using receiver = await bus.receiver();
 * for await (const message of receiver) {
 *   await handle(message.body);
 *   await receiver.complete(message);
 * }
 * ```
 */
export class ServiceBusQueueReceiver implements AsyncDisposable {
  /** The SDK receiver, for what this class does not wrap. */
  readonly receiver: ServiceBusReceiver;
  readonly #maxMessages: number;
  readonly #maxWaitMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #onClose: (receiver: ServiceBusQueueReceiver) => void;
  #closed = false;

  /**
   * Wraps an SDK receiver; use {@linkcode ServiceBus.receiver} instead.
   *
   * @param receiver The SDK receiver.
   * @param options Fetch size, wait and signal.
   * @param onClose Called once when the receiver closes.
   * @throws {RangeError} When `maxMessages` or `maxWaitTimeSeconds` is out of range.
   */
  constructor(
    receiver: ServiceBusReceiver,
    options: ReceiverOptions | undefined,
    onClose: (receiver: ServiceBusQueueReceiver) => void = () => {},
  ) {
    const maxMessages = options?.maxMessages ?? 10;
    if (!Number.isInteger(maxMessages) || maxMessages < 1) {
      throw new RangeError(
        `Cannot create a receiver as 'maxMessages' must be a positive integer: received ${
          describeValue(maxMessages)
        }`,
      );
    }
    checkAbortSignal(options?.abortSignal);
    this.receiver = receiver;
    this.#maxMessages = maxMessages;
    this.#maxWaitMs = positiveSecondsMs(
      "a receiver",
      "maxWaitTimeSeconds",
      options?.maxWaitTimeSeconds,
      5,
    );
    this.#signal = options?.abortSignal;
    this.#onClose = onClose;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Fetches up to `maxMessages` messages, waiting up to `maxWaitTimeSeconds`
   * for the first.
   *
   * @param maxMessages How many at most.
   * @param options The wait and a signal.
   * @returns The messages (possibly none).
   * @throws {ServiceBusError} What the SDK threw.
   */
  receive(
    maxMessages = 1,
    options?: { maxWaitTimeSeconds?: number; abortSignal?: AbortSignal },
  ): Promise<ServiceBusReceivedMessage[]> {
    const waitMs = options?.maxWaitTimeSeconds === undefined
      ? this.#maxWaitMs
      : positiveSecondsMs(
        "a receive",
        "maxWaitTimeSeconds",
        options.maxWaitTimeSeconds,
        5,
      );
    return this.receiver.receiveMessages(maxMessages, {
      maxWaitTimeInMs: waitMs,
      abortSignal: options?.abortSignal ?? this.#signal,
    });
  }

  /**
   * Yields messages as they arrive, `maxMessages` per fetch, until the
   * receiver is closed (the loop ends) or its signal aborts (the loop
   * rejects with the signal's reason).
   *
   * @returns The iterator.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<
    ServiceBusReceivedMessage,
    void,
    undefined
  > {
    while (!this.#closed) {
      this.#signal?.throwIfAborted();
      let batch: ServiceBusReceivedMessage[];
      try {
        batch = await this.receive(this.#maxMessages);
      } catch (error) {
        if (this.#closed) return;
        this.#signal?.throwIfAborted();
        throw error;
      }
      for (const message of batch) yield message;
    }
  }

  /**
   * Completes a message: the queue deletes it.
   *
   * @param message A message from this receiver.
   * @returns When the service settled it.
   * @throws {ServiceBusError} For example `MessageLockLost`.
   */
  complete(message: ServiceBusReceivedMessage): Promise<void> {
    return this.receiver.completeMessage(message);
  }

  /**
   * Abandons a message: it is delivered again, with a higher delivery count.
   *
   * @param message A message from this receiver.
   * @returns When the service settled it.
   * @throws {ServiceBusError} For example `MessageLockLost`.
   */
  abandon(message: ServiceBusReceivedMessage): Promise<void> {
    return this.receiver.abandonMessage(message);
  }

  /**
   * Moves a message to the dead-letter queue.
   *
   * @param message A message from this receiver.
   * @param options The reason and description recorded with it.
   * @returns When the service settled it.
   * @throws {ServiceBusError} For example `MessageLockLost`.
   */
  deadLetter(
    message: ServiceBusReceivedMessage,
    options?: { reason?: string; description?: string },
  ): Promise<void> {
    return this.receiver.deadLetterMessage(message, {
      deadLetterReason: options?.reason ?? "",
      deadLetterErrorDescription: options?.description ?? "",
    });
  }

  /**
   * Closes the link; iteration ends. Calling it again does nothing.
   *
   * @returns When the link is closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose(this);
    await this.receiver.close();
  }

  /**
   * Closes the receiver, for `await using`.
   *
   * @returns When the link is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Options of {@linkcode ServiceBus}.
 *
 * @example A client for one queue
 * ```ts
 * import type { ServiceBusOptions } from "./_service_bus.ts";
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
 * One Service Bus client (one AMQP connection) for one queue, unpooled: a
 * sender kept open for `sendMessage`/`sendMessages`, and peek-lock receivers.
 * The client is opened on first use and closed by `close()`.
 *
 * @example Constructing and closing (nothing is opened)
 * ```ts
 * import { ServiceBus } from "./_service_bus.ts";
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
 * await bus.sendMessage({ id: 1 });
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
  readonly #receivers = new Set<ServiceBusQueueReceiver>();
  #client: Promise<OwnedClient> | undefined;
  #sender: ServiceBusSender | undefined;
  #closed = false;

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the queue is and how to authenticate.
   * @throws {TypeError} When an option is missing or invalid.
   * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
   */
  constructor(options: ServiceBusOptions) {
    this.#settings = resolveServiceBus("ServiceBus", options);
  }

  /** The queue name. */
  get queueName(): string {
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
    this.#client ??= openClient("ServiceBus", this.#settings);
    return this.#client;
  }

  async #getSender(): Promise<ServiceBusSender> {
    const { client } = await this.#open();
    this.#sender ??= client.createSender(this.#settings.entity);
    return this.#sender;
  }

  /**
   * Sends one message, or schedules it when `delaySeconds` is set.
   *
   * @param body The body.
   * @param options The message's properties, a delay, and cancellation.
   * @returns When the service accepted the message.
   * @throws {RangeError} When `delaySeconds` or `timeToLiveSeconds` is out of
   * range.
   * @throws {ServiceBusError} What the SDK threw.
   */
  async sendMessage(
    body: unknown,
    options?: SendMessageOptions,
  ): Promise<void> {
    checkSendOptions(options);
    const message = toMessage(body, options);
    const delay = delayMs(options);
    await sendOne(
      await this.#getSender(),
      message,
      delay,
      options?.abortSignal,
    );
  }

  /**
   * Sends messages in as few batches as the link's size limit allows.
   *
   * @param bodies The bodies.
   * @param options Properties every message gets, and cancellation.
   * @returns How many batches were sent.
   * @throws {ServiceBusError} What the SDK threw, or `MessageSizeExceeded`
   * when one message does not fit in an empty batch.
   */
  async sendMessages(
    bodies: readonly unknown[],
    options?: SendMessagesOptions,
  ): Promise<number> {
    checkSendOptions(options);
    if (bodies.length === 0) return 0;
    const messages = bodies.map((body) => toMessage(body, options));
    return await sendBatched(
      await this.#getSender(),
      messages,
      options?.abortSignal,
    );
  }

  /**
   * Opens a receiver on the queue (peek-lock by default).
   *
   * @param options Receive mode, fetch size, wait and signal.
   * @returns The receiver; close it when done.
   * @throws {RangeError} When an option is out of range.
   */
  async receiver(options?: ReceiverOptions): Promise<ServiceBusQueueReceiver> {
    const { client } = await this.#open();
    const receiver = new ServiceBusQueueReceiver(
      client.createReceiver(this.#settings.entity, {
        receiveMode: options?.receiveMode ?? "peekLock",
      }),
      options,
      (closed) => this.#receivers.delete(closed),
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
