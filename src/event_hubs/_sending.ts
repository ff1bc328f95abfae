/**
 * The send methods every Event Hubs producer of this package has
 * (`ManagedEventHubProducer`, `EventHubProducer`), written once (internal;
 * never re-exported). Each class gives its own way to run an operation on
 * an SDK producer.
 *
 * @module
 */

import type { EventData, EventHubProducerClient } from "@azure/event-hubs";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import { amqpOutcome } from "../managed/_amqp_errors.ts";
import { describeValue } from "../managed/_checks.ts";
import type {
  SendBatchOptions,
  SendBodiesOptions,
  SendBodyOptions,
} from "./options.ts";
import {
  checkEventOptions,
  sdkEvents,
  SEND_BATCH_KEYS,
  SEND_BODY_KEYS,
  sendBatched,
  toEvent,
} from "./_events.ts";

/**
 * Runs one operation on an SDK producer, giving it the signal to pass to
 * the SDK (the caller's, or one the runner aborts when it gives the
 * operation up). `what` names it for error messages (`send events to event
 * hub 'telemetry' on myns...`).
 */
export type ProduceRunner = <T>(
  fn: (
    producer: EventHubProducerClient,
    signal: AbortSignal | undefined,
  ) => Promise<T>,
  options: ManagedOperationOptions | undefined,
  what: string,
) => Promise<T>;

/** The send methods of one producer, over its runner. */
export class Producing {
  readonly #run: ProduceRunner;
  readonly #target: string;
  readonly #hub: string;

  /**
   * @param run Runs an operation on an SDK producer.
   * @param target The hub and host, for messages (`event hub 'h' on ns`).
   * @param hub The event hub's name.
   */
  constructor(run: ProduceRunner, target: string, hub: string) {
    this.#run = run;
    this.#target = target;
    this.#hub = hub;
  }

  /**
   * The error a caller gets for what the SDK threw.
   *
   * @param error What the SDK threw.
   * @param what The operation and where.
   * @returns The package's error for a configuration mistake, or `error`.
   */
  outcome(error: unknown, what: string): unknown {
    return amqpOutcome(error, what, this.#hub);
  }

  sendBatch(
    events: unknown,
    options: SendBatchOptions | undefined,
  ): Promise<void> {
    let checked: EventData[];
    try {
      checkEventOptions("send a batch", options, SEND_BATCH_KEYS);
      checked = sdkEvents(events) as EventData[];
    } catch (error) {
      return Promise.reject(error);
    }
    if (checked.length === 0) return Promise.resolve();
    return this.#sendAsIs(checked, options);
  }

  sendBody(body: unknown, options: SendBodyOptions | undefined): Promise<void> {
    try {
      checkEventOptions("send an event", options, SEND_BODY_KEYS);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#sendAsIs([toEvent(body, options)], options);
  }

  sendBodies(
    bodies: readonly unknown[],
    options: SendBodiesOptions | undefined,
  ): Promise<void> {
    try {
      checkEventOptions("send events", options, SEND_BATCH_KEYS);
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

  /** Sends events in as few batches as the link allows (`sendBodies`). */
  #send(
    events: readonly EventData[],
    options: SendBatchOptions | undefined,
  ): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.#run(
      (producer, signal) => sendBatched(producer, events, options, signal),
      options,
      `send events to ${this.#target}`,
    );
  }

  /** Sends events as one batch, as the SDK's `sendBatch` does. */
  #sendAsIs(
    events: EventData[],
    options: SendBatchOptions | undefined,
  ): Promise<void> {
    const partitionKey = options?.partitionKey;
    const partitionId = options?.partitionId;
    return this.#run(
      (producer, abortSignal) =>
        producer.sendBatch(events, { partitionKey, partitionId, abortSignal }),
      options,
      `send events to ${this.#target}`,
    );
  }
}
