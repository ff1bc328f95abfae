/**
 * One Event Hubs producer, unpooled.
 *
 * @module
 */

import type { EventHubProducerClient } from "@azure/event-hubs";
import type {
  EventDataInput,
  EventHubProducerOptions,
  SendBatchOptions,
  SendBodiesOptions,
  SendBodyOptions,
} from "./options.ts";
import { Producing } from "./_sending.ts";
import { amqpOutcome } from "../managed/_amqp_errors.ts";
import {
  closeProducer,
  openProducer,
  type OwnedProducer,
  proveProducer,
  type ResolvedEventHub,
  resolveEventHub,
} from "./_producer.ts";
import { SharedOpen } from "../managed/_open.ts";

/**
 * One Event Hubs producer (one AMQP connection), unpooled, with the API of
 * `ManagedEventHubProducer`. The producer is opened on first use and proven
 * like a pooled one (it reads the hub's properties and opens its send link,
 * with the SDK's retries off for that one call), so a refused connection
 * fails the first call with `ConnectionFailed` (`cause`: the SDK's error),
 * an unknown hub with `EntityNotFound` and a refused key with
 * `AuthenticationFailed`, and the next call opens anew. `close()` closes it,
 * or tears down an open still in flight.
 *
 * @example Constructing and closing (nothing is opened)
 * ```ts
 * import { EventHubProducer } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const hub = new EventHubProducer({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   eventHubName: "telemetry",
 * });
 * assert.equal(hub.eventHubName, "telemetry");
 * await hub.close();
 * ```
 */
export class EventHubProducer implements AsyncDisposable {
  readonly #settings: ResolvedEventHub;
  readonly #opener: SharedOpen<OwnedProducer>;
  readonly #producing: Producing;
  #opened: OwnedProducer | undefined;
  #closed = false;

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the hub is and how to authenticate.
   * @throws {TypeError} When an option is unknown, missing or invalid.
   * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
   */
  constructor(options: EventHubProducerOptions) {
    const settings = this.#settings = resolveEventHub(
      "EventHubProducer",
      options,
    );
    const what = `Event Hubs ${settings.host}/${settings.entity}`;
    this.#opener = new SharedOpen(`EventHubProducer for ${what}`, {
      create: () => openProducer("EventHubProducer", settings),
      ready: (owned, signal) =>
        proveProducer(owned, signal).catch((error) => {
          throw signal.aborted ? error : amqpOutcome(
            error,
            `open a producer for event hub '${settings.entity}' on ${settings.host}`,
            settings.entity,
          );
        }),
      close: (owned) =>
        closeProducer(
          what,
          owned.producer,
          owned.credential,
          settings.closeTimeoutMs,
        ),
    }, (owned) => (this.#opened = owned));
    const producing: Producing = this.#producing = new Producing(
      async (fn, options, what) => {
        const producer = await this.producer(options);
        try {
          return await fn(producer, options?.abortSignal);
        } catch (error) {
          throw producing.outcome(error, what);
        }
      },
      `event hub '${settings.entity}' on ${settings.host}`,
      settings.entity,
    );
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
   * The SDK producer, opened and proven on first call.
   *
   * @param options Ends the wait for the open (the open goes on for other
   * callers).
   * @returns The producer.
   * @throws {Error} After `close()`.
   * @throws {ConnectionFailed} When the open failed (`cause`: the SDK's
   * error).
   */
  async producer(
    options?: { abortSignal?: AbortSignal },
  ): Promise<EventHubProducerClient> {
    if (this.#closed) throw this.#closedError();
    return (this.#opened ?? await this.#opener.join(options?.abortSignal))
      .producer;
  }

  #closedError(): Error {
    return new Error(
      `Cannot use EventHubProducer for ${this.#settings.host}/${this.#settings.entity}: it is closed`,
    );
  }

  /**
   * Sends a list of `EventData` as one batch, as the SDK's `sendBatch` does
   * (a list too large for one batch fails with the SDK's error;
   * `sendBodies` splits).
   *
   * @param events The events (`{ body, properties?, ... }`).
   * @param options Where they go, and cancellation
   * (`acquireTimeoutSeconds` is accepted and ignored: there is no pool).
   * @returns When the service accepted every event.
   * @throws {TypeError} When `events` is not a list of `EventData`, or for an
   * unknown option.
   * @throws {EntityNotFound} When the event hub does not exist.
   * @throws {AuthenticationFailed} When the service refused the credential.
   * @throws {ConnectionFailed} When opening the producer failed.
   * @throws {MessagingError} Any other answer of the SDK.
   *
   * @example The SDK's event shape (needs an Event Hubs namespace)
   * ```ts ignore
   * await hub.sendBatch([{ body: { n: 1 }, properties: { source: "edge" } }]);
   * ```
   */
  sendBatch(events: EventDataInput, options?: SendBatchOptions): Promise<void> {
    return this.#producing.sendBatch(events, options);
  }

  /**
   * Sends one value as an event's body.
   *
   * @param body The body.
   * @param options Where it goes, its properties, and cancellation.
   * @returns When the service accepted the event.
   * @throws {TypeError} For an unknown option.
   * @throws {EntityNotFound} When the event hub does not exist.
   * @throws {ConnectionFailed} When opening the producer failed.
   * @throws {MessagingError} Any other answer of the SDK.
   *
   * @example With a partition key (needs an Event Hubs namespace)
   * ```ts ignore
   * await hub.sendBody({ n: 1 }, { partitionKey: "device-7" });
   * ```
   */
  sendBody(body: unknown, options?: SendBodyOptions): Promise<void> {
    return this.#producing.sendBody(body, options);
  }

  /**
   * Sends each value as an event's body, in as few batches as the link's
   * size limit allows.
   *
   * @param bodies The bodies.
   * @param options Where they go, and cancellation.
   * @returns When the service accepted every event.
   * @throws {TypeError} For an unknown option.
   * @throws {ConnectionFailed} When opening the producer failed.
   * @throws {MessagingError} What the SDK threw.
   *
   * @example A list (needs an Event Hubs namespace)
   * ```ts ignore
   * await hub.sendBodies([{ n: 1 }, { n: 2 }]);
   * ```
   */
  sendBodies(
    bodies: readonly unknown[],
    options?: SendBodiesOptions,
  ): Promise<void> {
    return this.#producing.sendBodies(bodies, options);
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
    await this.#opener.abort(this.#closedError());
    const opened = this.#opened;
    this.#opened = undefined;
    if (opened === undefined) return;
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
