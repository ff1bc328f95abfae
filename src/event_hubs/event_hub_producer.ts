/**
 * One Event Hubs producer, unpooled.
 *
 * @module
 */

import type { EventData, EventHubProducerClient } from "@azure/event-hubs";
import type {
  EventHubProducerOptions,
  SendEventOptions,
  SendEventsOptions,
} from "./options.ts";
import {
  checkEventOptions,
  eventList,
  SEND_EVENT_KEYS,
  SEND_EVENTS_KEYS,
  sendBatched,
  toEvent,
} from "./_events.ts";
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
 * like a pooled one (it reads the hub's properties, with the SDK's retries
 * off for that one call), so a refused or unknown hub fails the first call
 * with `ConnectionFailed` (`cause`: the SDK's error) and the next call opens
 * anew. `close()` closes it, or tears down an open still in flight.
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
      ready: (owned, signal) => proveProducer(owned, signal),
      close: (owned) =>
        closeProducer(
          what,
          owned.producer,
          owned.credential,
          settings.closeTimeoutMs,
        ),
    }, (owned) => (this.#opened = owned));
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
   * Sends one event.
   *
   * @param body The body.
   * @param options Where it goes, its properties, and cancellation.
   * @returns When the service accepted the event.
   * @throws {TypeError} For an unknown option, or when both `partitionKey`
   * and `partitionId` are given.
   * @throws {ConnectionFailed} When opening the producer failed (`cause`:
   * the SDK's error).
   * @throws {MessagingError} What the SDK threw.
   */
  async sendEvent(body: unknown, options?: SendEventOptions): Promise<void> {
    checkEventOptions("send an event", options, SEND_EVENT_KEYS);
    await sendBatched(
      await this.producer(options),
      [toEvent(body, options)],
      options,
    );
  }

  /**
   * Sends events in as few batches as the link's size limit allows.
   *
   * @param bodies The bodies.
   * @param options Where they go, and cancellation.
   * @returns How many batches were sent.
   * @throws {TypeError} For an unknown option.
   * @throws {ConnectionFailed} When opening the producer failed (`cause`:
   * the SDK's error).
   * @throws {MessagingError} What the SDK threw.
   */
  async sendEvents(
    bodies: readonly unknown[],
    options?: SendEventsOptions,
  ): Promise<number> {
    checkEventOptions("send events", options, SEND_EVENTS_KEYS);
    if (bodies.length === 0) return 0;
    return await sendBatched(
      await this.producer(options),
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
   * @throws {ConnectionFailed} When opening the producer failed (`cause`:
   * the SDK's error).
   * @throws {MessagingError} What the SDK threw.
   */
  async sendEventData(
    data: EventData | readonly EventData[],
    options?: SendEventsOptions,
  ): Promise<number> {
    checkEventOptions("send event data", options, SEND_EVENTS_KEYS);
    const events = eventList(data);
    if (events.length === 0) return 0;
    return await sendBatched(await this.producer(options), events, options);
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
