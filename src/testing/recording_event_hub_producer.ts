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
  ManagedEventHubProducer,
  SendEventOptions,
  SendEventsOptions,
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
 *   await producer.sendEvent({ celsius }, { partitionKey: "device-7" });
 * }
 *
 * const producer = new RecordingEventHubProducer();
 * await report(producer, 21.5);
 * assert.equal(producer.events[0].options?.partitionKey, "device-7");
 * ```
 */
export type EventHubEventProducer = Pick<
  ManagedEventHubProducer,
  "sendEvent" | "sendEvents" | "sendEventData" | "close"
>;

/** One call a {@linkcode RecordingEventHubProducer} received. */
export interface RecordedEventHubCall {
  /** Which method was called. */
  method: "sendEvent" | "sendEvents" | "sendEventData";
  /** The bodies: one for `sendEvent`; the `body` of each `EventData`. */
  bodies: unknown[];
  /** The options, as given (a shallow copy; lists take a subset). */
  options: SendEventOptions | undefined;
  /** What the call rejected with, if it was made to fail. */
  error?: unknown;
}

/** An event a {@linkcode RecordingEventHubProducer} accepted. */
export interface RecordedEvent {
  /** The body. */
  body: unknown;
  /** The options it was sent with (a list's events share the call's options). */
  options: SendEventOptions | undefined;
  /** The `EventData` as given to `sendEventData`, else `undefined`. */
  eventData: EventData | undefined;
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
 * await assert.rejects(producer.sendEvents([{ n: 1 }]), /throttled/);
 * assert.equal(await producer.sendEvents([{ n: 1 }, { n: 2 }], { partitionKey: "k" }), 1);
 * await producer.sendEventData({ body: { n: 3 }, properties: { source: "edge" } });
 * assert.deepEqual(producer.events.map((e) => e.body), [{ n: 1 }, { n: 2 }, { n: 3 }]);
 * assert.equal(producer.events[2].eventData?.properties?.source, "edge");
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
   * Records one event.
   *
   * @param body The body.
   * @param options Where it goes, and its properties.
   * @returns When recorded.
   * @throws {TypeError} When both `partitionKey` and `partitionId` are given.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  sendEvent(body: unknown, options?: SendEventOptions): Promise<void> {
    return this.#record("sendEvent", [{ body }], undefined, options).then(
      () => undefined,
    );
  }

  /**
   * Records events that share options.
   *
   * @param bodies The bodies.
   * @param options Where they go.
   * @returns 1 (one batch), or 0 for no bodies.
   * @throws {TypeError} When `bodies` is not an array, or both
   * `partitionKey` and `partitionId` are given.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  sendEvents(
    bodies: readonly unknown[],
    options?: SendEventsOptions,
  ): Promise<number> {
    if (!Array.isArray(bodies)) {
      return Promise.reject(
        new TypeError("Cannot send events as 'bodies' must be an array"),
      );
    }
    return this.#record(
      "sendEvents",
      bodies.map((body) => ({ body })),
      undefined,
      options,
    );
  }

  /**
   * Records `EventData` as given.
   *
   * @param data One event or a list.
   * @param options Where they go.
   * @returns 1 (one batch), or 0 for an empty list.
   * @throws {TypeError} When `data` is not an `EventData` or a list of them,
   * or both `partitionKey` and `partitionId` are given.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  sendEventData(
    data: EventData | readonly EventData[],
    options?: SendEventsOptions,
  ): Promise<number> {
    const list: readonly unknown[] = Array.isArray(data) ? data : [data];
    if (
      !list.every((event) =>
        typeof event === "object" && event !== null && "body" in event
      )
    ) {
      return Promise.reject(
        new TypeError(
          "Cannot send event data as it must be an EventData (an object with a body) or an array of them",
        ),
      );
    }
    const events = list as readonly EventData[];
    return this.#record("sendEventData", events, events, options);
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
    events: readonly { body: unknown }[],
    eventData: readonly EventData[] | undefined,
    given: SendEventOptions | undefined,
  ): Promise<number> {
    if (given?.partitionKey !== undefined && given.partitionId !== undefined) {
      return Promise.reject(
        new TypeError(
          "Cannot send events as 'partitionKey' and 'partitionId' were both given: pass one",
        ),
      );
    }
    const options = given === undefined ? undefined : { ...given };
    const bodies = events.map((event) => event.body);
    const failure = this.#script.next(given?.abortSignal);
    if (failure !== undefined) {
      this.#calls.push({ method, bodies, options, error: failure.error });
      return Promise.reject(failure.error);
    }
    this.#calls.push({ method, bodies, options });
    events.forEach((event, i) =>
      this.#events.push({
        body: event.body,
        options,
        eventData: eventData?.[i],
      })
    );
    return Promise.resolve(events.length === 0 ? 0 : 1);
  }
}
