/**
 * `RecordingEventHubProducer`: a stand-in for `ManagedEventHubProducer` in
 * unit tests that should not start a server, and `EventHubEventProducer`,
 * the interface both satisfy.
 *
 * @module
 */

// Type-only: `./testing` loads no Azure SDK at run time.
import type { EventData } from "@azure/event-hubs";
import type {
  EventDataInput,
  ManagedEventHubProducer,
  SendBatchOptions,
  SendBodiesOptions,
  SendBodyOptions,
} from "../event_hubs/mod.ts";
import { CallScript } from "./_call_script.ts";

/**
 * The sending surface of `ManagedEventHubProducer`: write your code against
 * it, pass the managed producer in production and a
 * {@linkcode RecordingEventHubProducer} in unit tests.
 *
 * @example A function that accepts either
 * ```ts
 * import type { EventHubEventProducer } from "@azure-clients/toolbox/testing";
 * import { RecordingEventHubProducer } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * async function report(producer: EventHubEventProducer, celsius: number): Promise<void> {
 *   await producer.sendBody({ celsius }, { partitionKey: "device-7" });
 * }
 *
 * const producer = new RecordingEventHubProducer();
 * await report(producer, 21.5);
 * assert.equal(producer.events[0].options?.partitionKey, "device-7");
 * ```
 */
export type EventHubEventProducer = Pick<
  ManagedEventHubProducer,
  "sendBatch" | "sendBody" | "sendBodies" | "close"
>;

/** One call a {@linkcode RecordingEventHubProducer} received. */
export interface RecordedEventHubCall {
  /** Which method was called. */
  method: "sendBatch" | "sendBody" | "sendBodies";
  /** The events it asked to send, as the SDK would get them. */
  events: EventData[];
  /** The options, as given (a shallow copy). */
  options: SendBodyOptions | undefined;
  /** What the call rejected with, if it was made to fail. */
  error?: unknown;
}

/** An event a {@linkcode RecordingEventHubProducer} accepted. */
export interface RecordedEvent {
  /** The body. */
  body: unknown;
  /** The event as the SDK would get it: body, properties, ids. */
  event: EventData;
  /** The options of its call (a list's events share them). */
  options: SendBodyOptions | undefined;
}

/**
 * An `EventHubEventProducer` that records what it is asked to send instead
 * of sending it: every call in `calls`, every accepted event in `events`, in
 * order. `failNext(count, error)` makes the next calls reject; as the managed
 * producer does, `partitionKey` with `partitionId` is a `TypeError`, calls
 * after `close()` reject with `PoolClosed`, and an aborted `abortSignal`
 * rejects with its reason. It does not check event sizes: test those against
 * `startLocalEventHubs` from `./testing/servers`.
 *
 * @example Recording, and a scripted failure
 * ```ts
 * import { RecordingEventHubProducer } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * const producer = new RecordingEventHubProducer();
 * producer.failNext(1, new Error("throttled"));
 * await assert.rejects(producer.sendBodies([{ n: 1 }]), /throttled/);
 * await producer.sendBodies([{ n: 1 }, { n: 2 }], { partitionKey: "k" });
 * await producer.sendBatch([{ body: { n: 3 }, properties: { source: "edge" } }]);
 * assert.deepEqual(producer.events.map((e) => e.body), [{ n: 1 }, { n: 2 }, { n: 3 }]);
 * assert.equal(producer.events[2].event.properties?.source, "edge");
 * assert.equal(producer.events[0].options?.partitionKey, "k");
 * ```
 */
export class RecordingEventHubProducer implements EventHubEventProducer {
  readonly #calls: RecordedEventHubCall[] = [];
  readonly #events: RecordedEvent[] = [];
  readonly #script = new CallScript("RecordingEventHubProducer");

  /** Every call, in order, including those made to fail. */
  get calls(): readonly RecordedEventHubCall[] {
    return this.#calls;
  }

  /** Every event accepted, in order. */
  get events(): readonly RecordedEvent[] {
    return this.#events;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#script.closed;
  }

  /**
   * Makes the next `count` calls reject with `error` (after failures
   * already scripted); they are recorded in `calls` with the error, not in
   * `events`.
   *
   * @param count How many calls.
   * @param error What they reject with.
   * @returns This double.
   * @throws {RangeError} When `count` is not a positive integer.
   */
  failNext(count: number, error: unknown): this {
    this.#script.failNext(count, error);
    return this;
  }

  /**
   * Records a list of `EventData`, as `sendBatch` takes it.
   *
   * @param events The events.
   * @param options Where they go.
   * @returns When recorded.
   * @throws {TypeError} When `events` is not a list of `EventData`, or both
   * `partitionKey` and `partitionId` are given.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  sendBatch(events: EventDataInput, options?: SendBatchOptions): Promise<void> {
    const list: unknown = events;
    if (
      !Array.isArray(list) ||
      !list.every((event) =>
        typeof event === "object" && event !== null && "body" in event
      )
    ) {
      return Promise.reject(
        new TypeError(
          "Cannot send a batch as it takes a list of EventData ({ body, properties?, ... }); to send a value as the body, use sendBody",
        ),
      );
    }
    return this.#record(
      "sendBatch",
      (list as EventData[]).map((event) => ({ ...event })),
      options,
    );
  }

  /**
   * Records one body as an event with the properties of `options`.
   *
   * @param body The body.
   * @param options Where it goes, and its properties.
   * @returns When recorded.
   * @throws {TypeError} When both `partitionKey` and `partitionId` are given.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  sendBody(body: unknown, options?: SendBodyOptions): Promise<void> {
    const event: EventData = { body };
    if (options?.properties !== undefined) {
      event.properties = { ...options.properties };
    }
    if (options?.contentType !== undefined) {
      event.contentType = options.contentType;
    }
    if (options?.messageId !== undefined) event.messageId = options.messageId;
    if (options?.correlationId !== undefined) {
      event.correlationId = options.correlationId;
    }
    return this.#record("sendBody", [event], options);
  }

  /**
   * Records bodies as events that share options.
   *
   * @param bodies The bodies.
   * @param options Where they go.
   * @returns When recorded.
   * @throws {TypeError} When `bodies` is not an array, or both
   * `partitionKey` and `partitionId` are given.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  sendBodies(
    bodies: readonly unknown[],
    options?: SendBodiesOptions,
  ): Promise<void> {
    if (!Array.isArray(bodies)) {
      return Promise.reject(
        new TypeError("Cannot send events as 'bodies' must be an array"),
      );
    }
    return this.#record(
      "sendBodies",
      bodies.map((body) => ({ body })),
      options,
    );
  }

  /**
   * Marks the double closed; later calls reject with `PoolClosed`.
   *
   * @returns At once.
   */
  close(): Promise<void> {
    this.#script.close();
    return Promise.resolve();
  }

  #record(
    method: RecordedEventHubCall["method"],
    events: EventData[],
    given: SendBodyOptions | undefined,
  ): Promise<void> {
    if (given?.partitionKey !== undefined && given.partitionId !== undefined) {
      return Promise.reject(
        new TypeError(
          "Cannot send events as 'partitionKey' and 'partitionId' were both given: pass one",
        ),
      );
    }
    const options = given === undefined ? undefined : { ...given };
    const failure = this.#script.next(given?.abortSignal);
    if (failure !== undefined) {
      this.#calls.push({ method, events, options, error: failure.error });
      return Promise.reject(failure.error);
    }
    this.#calls.push({ method, events, options });
    for (const event of events) {
      this.#events.push({ body: event.body, event, options });
    }
    return Promise.resolve();
  }
}
