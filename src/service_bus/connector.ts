/**
 * The connector that opens, proves and closes Service Bus senders for one
 * queue or topic.
 *
 * @module
 */

import type { ServiceBusSender } from "@azure/service-bus";
import { logger } from "../managed/log.ts";
import type { Connector } from "../pool/connector.ts";
import type { ServiceBusConnectionOptions } from "./options.ts";
import {
  closeClient,
  entityLabel,
  openClient,
  type OwnedClient,
  proveSender,
  type ResolvedServiceBus,
  resolveServiceBus,
  watchClient,
} from "./_client.ts";
import { amqpOutcome } from "../managed/_amqp_errors.ts";

/**
 * Opens, proves and closes queue senders for a `ConnectionPool`:
 * `create` makes a `ServiceBusClient` (one AMQP connection) and a sender on
 * it, `ready` opens the sender's link (by asking for a message batch, which
 * writes nothing to the queue, with the SDK's retries off for that call),
 * `close` closes the sender, the client (destroying its socket, even when the
 * connection never opened) and a credential made by `credentialFactory`,
 * giving up after `closeTimeoutSeconds`.
 *
 * @example Making a sender without opening it
 * ```ts
 * import { ServiceBusSenderConnector } from "@azure-clients/toolbox/service-bus";
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
   * @throws {TypeError} When an option is unknown, missing or invalid (the
   * message names it and never echoes a key or connection string).
   * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
   */
  constructor(options: ServiceBusConnectionOptions) {
    this.#settings = resolveServiceBus("ServiceBusSenderConnector", options);
  }

  /** The namespace host (and port), safe to log. */
  get host(): string {
    return this.#settings.host;
  }

  /** The queue name (the entity name, for a connector made with `topicName`). */
  get queueName(): string {
    return this.#settings.entity;
  }

  /** The queue or topic the senders send to. */
  get entityName(): string {
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
   * queue. The SDK's own retries are off for this one call (the user's
   * `retryOptions` apply to every later operation), so a refused connection
   * fails at once with its real error and the pool's bounds hold.
   *
   * @param sender A sender from `create`.
   * @param signal Aborts the open; an abandoned open is torn down by
   * `close`, which destroys the socket even if the connection never opened.
   * @returns `true` once the link is open.
   * @throws {EntityNotFound} When the queue or topic does not exist.
   * @throws {AuthenticationFailed} When the service refused the credential.
   * @throws {unknown} The SDK's error (a refused or silent endpoint), or the
   * signal's reason.
   */
  async ready(sender: ServiceBusSender, signal: AbortSignal): Promise<boolean> {
    const owned = this.#owned.get(sender);
    try {
      if (owned === undefined) {
        await sender.createMessageBatch({ abortSignal: signal });
      } else await proveSender(owned, sender, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      throw amqpOutcome(
        error,
        `open a sender for ${
          entityLabel(this.#settings)
        } on ${this.#settings.host}`,
        this.#settings.entity,
      );
    }
    return true;
  }

  /**
   * Watches the sender's AMQP connection: `broken` is told once when it
   * dies on its own (socket closed or reset, closed by the service).
   *
   * @param sender A ready sender from `create`.
   * @param broken Retires it in the pool.
   */
  watch(sender: ServiceBusSender, broken: (reason: string) => void): void {
    const owned = this.#owned.get(sender);
    if (owned !== undefined) watchClient(owned, broken);
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
