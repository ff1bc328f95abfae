/**
 * The connector that opens, proves and closes Event Hubs producers.
 *
 * @module
 */

import type { EventHubProducerClient } from "@azure/event-hubs";
import { logger } from "../managed/log.ts";
import type { Connector } from "../pool/connector.ts";
import type { EventHubConnectionOptions } from "./options.ts";
import {
  closeProducer,
  openProducer,
  type OwnedProducer,
  proveProducer,
  type ResolvedEventHub,
  resolveEventHub,
  watchProducer,
} from "./_producer.ts";
import { amqpOutcome } from "../managed/_amqp_errors.ts";

/**
 * Opens, proves and closes `EventHubProducerClient`s for a
 * `ConnectionPool`: `create` makes the producer (no I/O), `ready`
 * reads the hub's properties (connection, auth, management link; no event is
 * written; the SDK's retries off for that call), `close` closes it
 * (destroying its socket, even when the connection never opened) and a
 * credential made by `credentialFactory`, giving up after
 * `closeTimeoutSeconds`.
 *
 * @example Making a producer without opening it
 * ```ts
 * import { EventHubProducerConnector } from "@azure-clients/toolbox/event-hubs";
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
  readonly #owned = new Map<EventHubProducerClient, OwnedProducer>();

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the hub is and how to authenticate.
   * @throws {TypeError} When an option is unknown, missing or invalid (the
   * message names it and never echoes a key or connection string).
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
    const owned = await openProducer(
      "EventHubProducerConnector",
      this.#settings,
    );
    const { producer, credential } = owned;
    if (signal.aborted) {
      await closeProducer(
        "Event Hubs",
        producer,
        credential,
        this.#settings.closeTimeoutMs,
      );
      throw signal.reason;
    }
    this.#owned.set(producer, owned);
    logger.info(
      `Event Hubs ${this.#settings.host}/${this.#settings.entity}: producer created`,
    );
    return producer;
  }

  /**
   * Reads the hub's properties, then opens the send link: opens the
   * connection, authenticates, proves the hub exists and leaves the link the
   * first send needs open, writing no event. The SDK's own retries are off
   * for this one call (the user's `retryOptions` apply to every later
   * operation), so a refused connection fails at once with its real error
   * and the pool's bounds hold.
   *
   * @param producer A producer from `create`.
   * @param signal Aborts the read; an abandoned open is torn down by `close`,
   * which destroys the socket even if the connection never opened.
   * @returns `true` once the hub answered.
   * @throws {EntityNotFound} When the event hub does not exist.
   * @throws {AuthenticationFailed} When the service refused the credential.
   * @throws {unknown} The SDK's error (a refused or silent endpoint), or the
   * signal's reason.
   */
  async ready(
    producer: EventHubProducerClient,
    signal: AbortSignal,
  ): Promise<boolean> {
    const owned = this.#owned.get(producer);
    try {
      if (owned === undefined) {
        await producer.getEventHubProperties({ abortSignal: signal });
      } else await proveProducer(owned, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      throw amqpOutcome(
        error,
        `open a producer for event hub '${this.#settings.entity}' on ${this.#settings.host}`,
        this.#settings.entity,
      );
    }
    return true;
  }

  /**
   * Watches the producer's AMQP connection: `broken` is told once when it
   * dies on its own (socket closed or reset, closed by the service).
   *
   * @param producer A ready producer from `create`.
   * @param broken Retires it in the pool.
   */
  watch(
    producer: EventHubProducerClient,
    broken: (reason: string) => void,
  ): void {
    const owned = this.#owned.get(producer);
    if (owned !== undefined) watchProducer(owned, broken);
  }

  /**
   * Closes the producer and a credential made by `credentialFactory`; gives
   * up after `closeTimeoutSeconds`. Closing an unknown or closed producer
   * does nothing.
   *
   * @param producer A producer from `create`.
   */
  async close(producer: EventHubProducerClient): Promise<void> {
    const owned = this.#owned.get(producer);
    if (owned === undefined) return;
    this.#owned.delete(producer);
    owned.unwatch?.(); // our own close is not a death to report
    await closeProducer(
      `Event Hubs ${this.#settings.host}/${this.#settings.entity}`,
      producer,
      owned.credential,
      this.#settings.closeTimeoutMs,
    );
  }
}
