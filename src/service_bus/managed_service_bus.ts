/**
 * One pool of Service Bus connections for a whole namespace: senders for any
 * queue or topic, receivers, sessions and a managed processor.
 *
 * @module
 */

import type {
  ServiceBusClient,
  ServiceBusReceiverOptions,
  ServiceBusSender,
} from "@azure/service-bus";
import { pick, requireName } from "../managed/_checks.ts";
import {
  AMQP_CLIENT_LIMIT,
  amqpConnectionKeys,
  FOLLOWED_OPERATION_KEYS,
  followedOperations,
  withoutRetries,
} from "../managed/_amqp.ts";
import { amqpOutcome } from "../managed/_amqp_errors.ts";
import { PoolClosed } from "../pool/errors.ts";
import { proveReceiver } from "./_receiver_proof.ts";
import type { ManagedLease } from "../managed/lease.ts";
import { ManagedClient } from "../managed/managed_client.ts";
import type { CloseOptions } from "../pool/options.ts";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import { MANAGED_POOL_OPTION_KEYS } from "../managed/_pool_options.ts";
import { rejectUnknownKeys } from "../managed/_checks.ts";
import { ServiceBusClientConnector } from "./client_connector.ts";
import { ServiceBusEntitySender } from "./entity_sender.ts";
import {
  lockRenewalMs,
  MessageReceiver,
  RECEIVER_OPTION_KEYS,
  SessionReceiver,
} from "./message_receiver.ts";
import {
  MessageProcessor,
  type ProcessorConnection,
} from "./message_processor.ts";
import type { ManagedServiceBusOptions, ReceiverOptions } from "./options.ts";
import type {
  MessageHandler,
  MessageSource,
  ProcessMessagesOptions,
} from "./receiver_options.ts";
import {
  closeClient,
  openClient,
  type OwnedClient,
  type ResolvedServiceBus,
  resolveNamespace,
} from "./_client.ts";
import { isNamespaceConnectionError } from "./_link_errors.ts";
import {
  acceptSessionFor,
  createReceiverFor,
  type ResolvedSource,
  resolveSource,
} from "./_source.ts";

const OWNER = "ManagedServiceBus";

const PROCESS_OPTION_KEYS = [
  "maxConcurrentCalls",
  "onError",
  "maxWaitTimeSeconds",
  "maxAutoLockRenewalSeconds",
  "settleTimeoutSeconds",
  "initialBackoffSeconds",
  "maxBackoffSeconds",
] as const satisfies readonly (keyof ProcessMessagesOptions)[];

/**
 * A pool of Service Bus connections (`ServiceBusClient`s) for one namespace.
 * `sender(entityName)` sends to any queue or topic: each pooled connection
 * opens a sender link per entity on first use and keeps it for its life, so
 * six entities with `maxSize: 3` use at most three AMQP connections (six
 * `ManagedServiceBusSender`s with `maxSize: 3` use up to eighteen), and
 * `clientLimit` counts callers per connection whatever their entity. A
 * connection error replaces the connection; a link error (the entity is
 * missing, the link was detached) drops only that link. A new connection is
 * proven by opening the link of the entity used last; nothing is written.
 *
 * Receivers (`receiver`, `acceptSession`, `acceptNextSession`) and
 * processors (`processMessages`) each own a connection outside the pool: a
 * receiving link lives as long as its receiver, which pooled recycling would
 * cut. `close()` closes them too.
 *
 * @example Sending to a queue and a topic over one connection (a local broker)
 * ```ts
 * import { ManagedServiceBus } from "@azure-clients/toolbox/service-bus";
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const local = await startLocalServiceBus({
 *   queues: ["orders"],
 *   topics: { events: ["billing", "audit"] },
 * });
 * const bus = new ManagedServiceBus({ connectionString: local.connectionString, maxSize: 1 });
 * try {
 *   await bus.sender("orders").sendBody({ id: 7 });
 *   await bus.sender("events").sendBody("placed", { subject: "order" });
 *   assert.equal(local.messages("events/Subscriptions/billing").length, 1);
 *   assert.equal(local.messages("events/Subscriptions/audit").length, 1);
 *   assert.equal(local.stats().connections, 1);
 * } finally {
 *   await bus.close();
 *   await local.close();
 * }
 * ```
 *
 * @example A misspelt option is an error
 * ```ts
 * import { ManagedServiceBus } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => new ManagedServiceBus({
 *     connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *     queueName: "orders",
 *   } as never),
 *   /Cannot create ManagedServiceBus as 'queueName' is not an option/,
 * );
 * ```
 */
export class ManagedServiceBus
  extends ManagedClient<ServiceBusClient, ServiceBusClientConnector> {
  readonly #settings: ResolvedServiceBus;
  readonly #senders = new Map<string, ServiceBusEntitySender>();
  readonly #receivers = new Set<{ close(): Promise<void> }>();
  readonly #processors = new Set<MessageProcessor>();
  readonly #backoff: { initial?: number; max?: number };
  readonly #resend: boolean;
  #closing = false;

  /**
   * Checks the options and makes the pool; opens nothing.
   *
   * @param options The connection (no entity) and the pool's options.
   * @throws {TypeError} When an option is unknown, missing or invalid, or two
   * credentials are given (the message names the options, never a key).
   * @throws {RangeError} When a pool option is out of range.
   */
  constructor(options: ManagedServiceBusOptions) {
    const settings = resolveNamespace(OWNER, options, [
      ...MANAGED_POOL_OPTION_KEYS,
      ...FOLLOWED_OPERATION_KEYS,
    ]);
    const { timeoutMs, resend } = followedOperations(OWNER, options, true);
    super(
      OWNER,
      new ServiceBusClientConnector(
        pick(
          options,
          amqpConnectionKeys("queueName").filter((key) => key !== "queueName"),
        ),
      ),
      options,
      {
        clientLimit: AMQP_CLIENT_LIMIT,
        maxIdleSeconds: 200,
        maxLifespanSeconds: Infinity,
        createTimeoutSeconds: 30,
        name: `servicebus:${settings.host}`,
        isConnectionError: isNamespaceConnectionError,
      },
    );
    this.#settings = settings;
    this.#resend = resend;
    this.followOperations(timeoutMs);
    this.#backoff = {
      initial: options.initialBackoffSeconds,
      max: options.maxBackoffSeconds,
    };
  }

  /** The namespace host (and port), safe to log. */
  get host(): string {
    return this.#settings.host;
  }

  /**
   * The sender for a queue or topic (the same handle for the same name). It
   * opens nothing until its first send.
   *
   * @param entityName The queue or topic.
   * @returns The handle.
   * @throws {TypeError} When `entityName` is not a non-empty string.
   */
  sender(entityName: string): ServiceBusEntitySender {
    let handle = this.#senders.get(entityName);
    if (handle === undefined) {
      requireName(`${OWNER}.sender`, "entityName", entityName);
      handle = new ServiceBusEntitySender(
        entityName,
        this.#send,
        this.host,
        this.#resend,
      );
      this.#senders.set(entityName, handle);
    }
    return handle;
  }

  readonly #send = <T>(
    entityName: string,
    fn: (
      sender: ServiceBusSender,
      signal: AbortSignal | undefined,
      client: ServiceBusClient,
    ) => Promise<T>,
    options: ManagedOperationOptions | undefined,
    what: string,
    outcome: (error: unknown) => unknown,
  ): Promise<T> => {
    this.connector.noteEntity(entityName);
    return this.followed(
      (client, signal) =>
        this.connector.withSender(
          client,
          entityName,
          (sender) => fn(sender, signal, client),
        ),
      options,
      { what, resend: this.#resend, translate: outcome },
    );
  };

  /**
   * Takes a pooled `ServiceBusClient` until the lease is released (or
   * disposed with `await using`). Senders made on it directly are yours to
   * close; `sender(entityName)` keeps its links itself.
   *
   * @param options A signal, and a bound on the acquire.
   * @returns The lease; `lease.client` is the `ServiceBusClient`.
   * @throws {TypeError} For an unknown option.
   * @throws {ConnectionsExhausted} When no connection had capacity in time.
   * @throws {ConnectionFailed} When opening a connection failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Holding a client (needs a Service Bus namespace)
   * ```ts ignore
   * await using lease = await bus.getClient();
   * const peeked = await lease.client.createReceiver("orders").peekMessages(5);
   * ```
   */
  getClient(
    options?: ManagedOperationOptions,
  ): Promise<ManagedLease<ServiceBusClient>> {
    return this.lease(options);
  }

  #checkOpen(): void {
    if (this.#closing || this.pool.closed) {
      throw new PoolClosed(`${OWNER} for ${this.host}`);
    }
  }

  async #ownClient<T extends { close(): Promise<void> }>(
    make: (owned: OwnedClient) => Promise<T>,
  ): Promise<T> {
    this.#checkOpen();
    const owned = await openClient(OWNER, this.#settings);
    let receiver: T;
    try {
      receiver = await make(owned);
    } catch (error) {
      await this.#closeOwned(owned, []);
      throw error;
    }
    this.#receivers.add(receiver);
    if (this.#closing) {
      await receiver.close();
      this.#checkOpen();
    }
    return receiver;
  }

  #closeOwned(
    owned: OwnedClient,
    closables: { close(): Promise<void> }[],
  ): Promise<void> {
    return closeClient(
      `Service Bus ${this.host}`,
      owned,
      closables,
      this.#settings.closeTimeoutMs,
    );
  }

  #receiverOptions(
    what: string,
    options: ReceiverOptions | undefined,
  ): ServiceBusReceiverOptions {
    rejectUnknownKeys(what, options, RECEIVER_OPTION_KEYS);
    if (options?.subscriptionName !== undefined) {
      throw new TypeError(
        `Cannot ${what} as 'subscriptionName' goes in the source ({ topicName, subscriptionName })`,
      );
    }
    return {
      receiveMode: options?.receiveMode ?? "peekLock",
      maxAutoLockRenewalDurationInMs: lockRenewalMs(
        what,
        options?.maxAutoLockRenewalSeconds,
      ),
    };
  }

  /**
   * Opens a receiver on a queue or a topic subscription, on its own
   * connection (closed with the receiver). Peek-lock by default; the SDK
   * renews the lock of each unsettled message for
   * `maxAutoLockRenewalSeconds`.
   *
   * @param source `{ queueName }` or `{ topicName, subscriptionName }`; a
   * dead-letter queue is `{ queueName: "<queue>/$DeadLetterQueue" }`.
   * @param options Receive mode, fetch size, wait, signal, lock renewal.
   * @returns The receiver; close it when done (or `await using`).
   * @throws {TypeError} For a bad source or an unknown option.
   * @throws {RangeError} When an option is out of range.
   * @throws {PoolClosed} After `close()`.
   */
  receiver(
    source: MessageSource,
    options?: ReceiverOptions,
  ): Promise<MessageReceiver> {
    const what = "open a receiver";
    let resolved: ResolvedSource;
    let sdkOptions: ServiceBusReceiverOptions;
    try {
      resolved = resolveSource(what, source);
      sdkOptions = this.#receiverOptions(what, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#ownClient(async (owned) => {
      const receiver = createReceiverFor(owned.client, resolved, sdkOptions);
      await proveReceiver(
        owned,
        receiver,
        `open a receiver for '${resolved.entityPath}' on ${this.host}`,
        resolved.entityPath,
      );
      return new MessageReceiver(
        receiver,
        options,
        (closed) => this.#forget(closed, owned),
      );
    });
  }

  /**
   * Accepts a session of a queue or subscription, on its own connection: the
   * receiver holds the session's lock and gets only its messages, in order.
   *
   * @param source `{ queueName }` or `{ topicName, subscriptionName }`.
   * @param sessionId The session.
   * @param options Receive mode, fetch size, wait, signal, lock renewal.
   * @returns The session receiver; close it to release the session.
   * @throws {TypeError} For a bad source, session id or option.
   * @throws {ServiceBusError} `SessionCannotBeLocked` when another receiver
   * holds the session.
   * @throws {PoolClosed} After `close()`.
   */
  acceptSession(
    source: MessageSource,
    sessionId: string,
    options?: ReceiverOptions,
  ): Promise<SessionReceiver> {
    try {
      requireName(`${OWNER}.acceptSession`, "sessionId", sessionId);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#accept("accept a session", source, sessionId, options);
  }

  /**
   * Accepts the next session of a queue or subscription that has messages
   * and no receiver, on its own connection.
   *
   * @param source `{ queueName }` or `{ topicName, subscriptionName }`.
   * @param options Receive mode, fetch size, wait, signal, lock renewal.
   * @returns The session receiver (`sessionId` names the session).
   * @throws {TypeError} For a bad source or option.
   * @throws {ServiceBusError} `ServiceTimeout` when no session is available.
   * @throws {PoolClosed} After `close()`.
   */
  acceptNextSession(
    source: MessageSource,
    options?: ReceiverOptions,
  ): Promise<SessionReceiver> {
    return this.#accept("accept the next session", source, undefined, options);
  }

  #accept(
    what: string,
    source: MessageSource,
    sessionId: string | undefined,
    options: ReceiverOptions | undefined,
  ): Promise<SessionReceiver> {
    let resolved: ResolvedSource;
    let sdkOptions: ServiceBusReceiverOptions;
    try {
      resolved = resolveSource(what, source);
      sdkOptions = this.#receiverOptions(what, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#ownClient(async (owned) => {
      let receiver;
      try {
        // Accepting proves the session link; the SDK's retries off, so a
        // refused key fails now, not after 90 s.
        receiver = await withoutRetries(
          owned.retries,
          () => acceptSessionFor(owned.client, resolved, sessionId, sdkOptions),
        );
      } catch (error) {
        throw amqpOutcome(
          error,
          `${what} on '${resolved.entityPath}' at ${this.host}`,
          resolved.entityPath,
        );
      }
      return new SessionReceiver(
        receiver,
        options,
        (closed) => this.#forget(closed, owned),
      );
    });
  }

  #forget(
    receiver: { close(): Promise<void> },
    owned: OwnedClient,
  ): Promise<void> {
    this.#receivers.delete(receiver);
    return this.#closeOwned(owned, []);
  }

  /**
   * Starts a processor: a handler per message of a queue or subscription, up
   * to `maxConcurrentCalls` at once, on its own connection, which it closes
   * and replaces (after the bus's backoff) whenever it fails with a
   * connection error; each error goes to `onError`. See
   * {@linkcode MessageProcessor}.
   *
   * @param source `{ queueName }` or `{ topicName, subscriptionName }`.
   * @param handler Called for each message; returning completes it,
   * throwing abandons it.
   * @param options Concurrency, the error callback, waits and backoff.
   * @returns The running processor; `stop()` it (or `await using`).
   * @throws {TypeError} For a bad source, handler or option.
   * @throws {RangeError} When an option is out of range.
   * @throws {PoolClosed} After `close()`.
   */
  processMessages(
    source: MessageSource,
    handler: MessageHandler,
    options?: ProcessMessagesOptions,
  ): MessageProcessor {
    const what = "process messages";
    this.#checkOpen();
    rejectUnknownKeys(what, options, PROCESS_OPTION_KEYS);
    const resolved = resolveSource(what, source);
    const connect = async (): Promise<ProcessorConnection> => {
      const owned = await openClient(OWNER, this.#settings);
      // The processor renews locks itself, through whichever client is current.
      const receiver = createReceiverFor(owned.client, resolved, {
        receiveMode: "peekLock",
        maxAutoLockRenewalDurationInMs: 0,
      });
      try {
        // Proven like a receiver: onError hears a wrong key or a missing
        // entity by name, at once, not after the SDK's retries.
        await proveReceiver(
          owned,
          receiver,
          `process messages from '${resolved.entityPath}' on ${this.host}`,
          resolved.entityPath,
        );
      } catch (error) {
        await this.#closeOwned(owned, [receiver]);
        throw error;
      }
      return { receiver, close: () => this.#closeOwned(owned, [receiver]) };
    };
    const processor = new MessageProcessor(
      resolved.entityPath,
      connect,
      handler,
      {
        initialBackoffSeconds: this.#backoff.initial,
        maxBackoffSeconds: this.#backoff.max,
        ...options,
      },
    );
    this.#processors.add(processor);
    return processor;
  }

  /**
   * Closes the bus: stops its processors (each waits for running handlers
   * up to its default timeout), closes its receivers, then the pool (waits
   * for leases, or `timeoutSeconds`, and closes every connection).
   *
   * @param options How long to wait for leases.
   * @returns When everything is closed.
   */
  override async close(options?: CloseOptions): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#processors].map((p) => p.stop()));
    this.#processors.clear();
    await Promise.allSettled([...this.#receivers].map((r) => r.close()));
    await super.close(options);
  }
}
