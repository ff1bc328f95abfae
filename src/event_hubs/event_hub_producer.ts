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
  type ResolvedEventHub,
  resolveEventHub,
} from "./_producer.ts";

/**
 * One Event Hubs producer (one AMQP connection), unpooled, with the API of
 * `ManagedEventHubProducer`. The producer is opened on first use and
 * closed by `close()`.
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
  #opening: Promise<OwnedProducer> | undefined;
  #closed = false;

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the hub is and how to authenticate.
   * @throws {TypeError} When an option is unknown, missing or invalid.
   * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
   */
  constructor(options: EventHubProducerOptions) {
    this.#settings = resolveEventHub("EventHubProducer", options);
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
        `Cannot use EventHubProducer for ${this.#settings.host}/${this.#settings.entity}: it is closed`,
      );
    }
    this.#opening ??= openProducer("EventHubProducer", this.#settings);
    return (await this.#opening).producer;
  }

  /**
   * Sends one event.
   *
   * @param body The body.
   * @param options Where it goes, its properties, and cancellation.
   * @returns When the service accepted the event.
   * @throws {TypeError} For an unknown option, or when both `partitionKey`
   * and `partitionId` are given.
   * @throws {MessagingError} What the SDK threw.
   */
  async sendEvent(body: unknown, options?: SendEventOptions): Promise<void> {
    checkEventOptions("send an event", options, SEND_EVENT_KEYS);
    await sendBatched(await this.producer(), [toEvent(body, options)], options);
  }

  /**
   * Sends events in as few batches as the link's size limit allows.
   *
   * @param bodies The bodies.
   * @param options Where they go, and cancellation.
   * @returns How many batches were sent.
   * @throws {TypeError} For an unknown option.
   * @throws {MessagingError} What the SDK threw.
   */
  async sendEvents(
    bodies: readonly unknown[],
    options?: SendEventsOptions,
  ): Promise<number> {
    checkEventOptions("send events", options, SEND_EVENTS_KEYS);
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
    checkEventOptions("send event data", options, SEND_EVENTS_KEYS);
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
