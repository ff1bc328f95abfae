/**
 * The connector that opens, proves and closes Service Bus clients for a whole
 * namespace, with their sender links per entity.
 *
 * @module
 */

import type { ServiceBusClient, ServiceBusSender } from "@azure/service-bus";
import { errorLabel } from "../managed/_checks.ts";
import { logger } from "../managed/log.ts";
import type { Connector } from "../pool/connector.ts";
import type { AmqpConnectionOptions } from "../managed/amqp_options.ts";
import type { ServiceBusClientOptions } from "@azure/service-bus";
import {
  closeClient,
  openClient,
  type OwnedClient,
  type ResolvedServiceBus,
  resolveNamespace,
  watchClient,
} from "./_client.ts";
import { withoutRetries } from "../managed/_amqp.ts";
import { amqpRefusal } from "../managed/_amqp_errors.ts";
import { AuthenticationFailed } from "../pool/errors.ts";
import {
  isNamespaceConnectionError,
  isServiceBusLinkError,
} from "./_link_errors.ts";

/** One sender link of a client, with its callers. */
interface SenderLink {
  sender: ServiceBusSender;
  users: number;
  /** Dropped after a link error: closed when its last caller leaves. */
  dropped: boolean;
}

/** A client and its sender links by entity. */
interface ClientEntry {
  owned: OwnedClient;
  senders: Map<string, SenderLink>;
}

/**
 * Opens, proves and closes `ServiceBusClient`s (one AMQP connection each) for
 * a `ConnectionPool` that serves every entity of a namespace
 * (`ManagedServiceBus`). Each client keeps one sender link per entity, opened
 * on first use ({@linkcode withSender}) and closed with the client; a link
 * that fails with a link error (detached, entity missing) is dropped alone
 * and reopened on next use. `ready` proves a new client by opening the link
 * of the entity that last opened one, or else the first one named
 * ({@linkcode noteEntity}); nothing is written, and before any entity was
 * named there is nothing to prove. `close` closes the links, the
 * client and a credential made by `credentialFactory`, giving up after
 * `closeTimeoutSeconds`.
 *
 * @example Making a client without opening it
 * ```ts
 * import { ServiceBusClientConnector } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const connector = new ServiceBusClientConnector({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 * });
 * const client = await connector.create(new AbortController().signal);
 * assert.equal(await connector.ready(client, new AbortController().signal), true);
 * assert.equal(connector.senderLinkCount(client), 0);
 * await connector.close(client);
 * ```
 */
export class ServiceBusClientConnector implements Connector<ServiceBusClient> {
  readonly #settings: ResolvedServiceBus;
  readonly #clients = new Map<ServiceBusClient, ClientEntry>();
  /** The entity whose link opened last, or the first one asked for. */
  #probe: string | undefined;

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the namespace is and how to authenticate.
   * @throws {TypeError} When an option is unknown, missing or invalid (the
   * message names it and never echoes a key or connection string).
   * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
   */
  constructor(options: AmqpConnectionOptions<ServiceBusClientOptions>) {
    this.#settings = resolveNamespace("ServiceBusClientConnector", options);
  }

  /** The namespace host (and port), safe to log. */
  get host(): string {
    return this.#settings.host;
  }

  /**
   * Makes a `ServiceBusClient`. Nothing is opened.
   *
   * @param signal Aborts the creation (checked around the credential factory).
   * @returns The client.
   * @throws {unknown} What the credential factory or the SDK constructor
   * threw, or the signal's reason.
   */
  async create(signal: AbortSignal): Promise<ServiceBusClient> {
    signal.throwIfAborted();
    const owned = await openClient("ServiceBusClientConnector", this.#settings);
    if (signal.aborted) {
      await closeClient(
        "Service Bus",
        owned,
        [],
        this.#settings.closeTimeoutMs,
      );
      signal.throwIfAborted();
    }
    this.#clients.set(owned.client, { owned, senders: new Map() });
    logger.info(`Service Bus ${this.#settings.host}: client created`);
    return owned.client;
  }

  /**
   * Proves a client by opening the sender link of the entity that opened one
   * last (its connection, auth and the link's token); nothing is written. A
   * client made before any entity was used has nothing to prove. An answer
   * about the entity (not found, disabled) proves the connection too: only a
   * connection error fails the client.
   *
   * @param client A client from `create`.
   * @param signal Aborts the open.
   * @returns `true` once proven.
   * @throws {unknown} The SDK's connection error (a refused token:
   * `UnauthorizedAccess`), or the signal's reason.
   */
  async ready(client: ServiceBusClient, signal: AbortSignal): Promise<boolean> {
    const entity = this.#probe;
    if (entity === undefined) return true;
    const owned = this.#clients.get(client)?.owned;
    try {
      // The SDK's retries off: a refused token fails now, not after 90 s.
      const probe = () =>
        this.withSender(
          client,
          entity,
          (sender) => sender.createMessageBatch({ abortSignal: signal }),
        );
      await (owned === undefined
        ? probe()
        : withoutRetries(owned.retries, probe));
    } catch (error) {
      if (signal.aborted) throw error;
      const refusal = amqpRefusal(
        error,
        `open a connection to ${this.#settings.host} (probing entity '${entity}')`,
        entity,
      );
      if (refusal instanceof AuthenticationFailed) throw refusal;
      if (isNamespaceConnectionError(error)) throw error;
      logger.info(
        `Service Bus ${this.#settings.host}/${entity}: readiness probe answered ${
          errorLabel(error)
        }; the connection is up`,
      );
    }
    return true;
  }

  /**
   * Watches the client's AMQP connection: `broken` is told once when it dies
   * on its own (socket closed or reset, closed by the service).
   *
   * @param client A ready client from `create`.
   * @param broken Retires it in the pool.
   */
  watch(client: ServiceBusClient, broken: (reason: string) => void): void {
    const entry = this.#clients.get(client);
    if (entry !== undefined) watchClient(entry.owned, broken);
  }

  /**
   * Names an entity that callers are about to use, so that the clients opened
   * for them are proven by its link (until another entity opens a link).
   *
   * @param entityName The queue or topic.
   */
  noteEntity(entityName: string): void {
    this.#probe ??= entityName;
  }

  /**
   * Runs `fn` with the client's sender link for `entityName`, made on first
   * use and kept for the client's life. When `fn` fails with a link error
   * (the link was detached, the entity is missing or disabled) the link is
   * dropped and closed once its last caller leaves; the next call makes a new
   * one on the same client. The error is re-thrown unchanged.
   *
   * @typeParam T What `fn` resolves to.
   * @param client A client from `create`.
   * @param entityName The queue or topic.
   * @param fn The work with the sender.
   * @returns What `fn` returned.
   * @throws {Error} When `client` is not (or no longer) this connector's.
   */
  async withSender<T>(
    client: ServiceBusClient,
    entityName: string,
    fn: (sender: ServiceBusSender) => Promise<T>,
  ): Promise<T> {
    const entry = this.#clients.get(client);
    if (entry === undefined) {
      throw new Error(
        `Cannot send to ${this.#settings.host}/${entityName}: the client is closed`,
      );
    }
    this.#probe ??= entityName;
    let link = entry.senders.get(entityName);
    if (link === undefined) {
      link = {
        sender: client.createSender(entityName),
        users: 0,
        dropped: false,
      };
      entry.senders.set(entityName, link);
    }
    link.users++;
    try {
      const result = await fn(link.sender);
      this.#probe = entityName;
      return result;
    } catch (error) {
      if (!link.dropped && isServiceBusLinkError(error)) {
        link.dropped = true;
        if (entry.senders.get(entityName) === link) {
          entry.senders.delete(entityName);
        }
        logger.info(
          `Service Bus ${this.#settings.host}/${entityName}: sender link dropped after ${
            errorLabel(error)
          }`,
        );
      }
      throw error;
    } finally {
      link.users--;
      if (link.dropped && link.users === 0) {
        // not awaited: the caller's error matters more than the close
        link.sender.close().catch(() => {});
      }
    }
  }

  /**
   * How many sender links a client holds.
   *
   * @param client A client from `create`.
   * @returns The count (0 for an unknown client).
   */
  senderLinkCount(client: ServiceBusClient): number {
    return this.#clients.get(client)?.senders.size ?? 0;
  }

  /**
   * Closes the client's sender links, the client and a credential made by
   * `credentialFactory`; gives up after `closeTimeoutSeconds`. Closing an
   * unknown or closed client does nothing.
   *
   * @param client A client from `create`.
   */
  async close(client: ServiceBusClient): Promise<void> {
    const entry = this.#clients.get(client);
    if (entry === undefined) return;
    this.#clients.delete(client);
    const senders = [...entry.senders.values()].map((link) => link.sender);
    entry.senders.clear();
    await closeClient(
      `Service Bus ${this.#settings.host}`,
      entry.owned,
      senders,
      this.#settings.closeTimeoutMs,
    );
  }
}
