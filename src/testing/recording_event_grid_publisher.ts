/**
 * `RecordingEventGridPublisher`: a stand-in for `EventGridPublisher` in unit
 * tests that should not start a server, and `EventGridEventPublisher`, the
 * interface both satisfy.
 *
 * @module
 */

// Type-only: `./testing` loads no Azure SDK at run time.
import type {
  EmitEventInput,
  EventGridPublisher,
  EventGridSendOptions,
  SendEventInput,
} from "../event_grid/mod.ts";
import { CallScript } from "./_call_script.ts";
import { didYouMean } from "../pool/_did_you_mean.ts";

/**
 * The publishing surface of `EventGridPublisher`: write your code against
 * it, pass the publisher in production and a
 * {@linkcode RecordingEventGridPublisher} in unit tests.
 *
 * @example A function that accepts either
 * ```ts
 * import type { EventGridEventPublisher } from "@azure-clients/toolbox/testing";
 * import { RecordingEventGridPublisher } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * async function placed(grid: EventGridEventPublisher, id: number): Promise<void> {
 *   await grid.emitEvent("orders", { eventType: "Order.Placed", subject: `orders/${id}`, data: { id } });
 * }
 *
 * const grid = new RecordingEventGridPublisher();
 * await placed(grid, 7);
 * assert.deepEqual(grid.events("orders").map((e) => e.subject), ["orders/7"]);
 * ```
 */
export type EventGridEventPublisher = Pick<
  EventGridPublisher,
  "emitEvent" | "send" | "close"
>;

/** One call a {@linkcode RecordingEventGridPublisher} received. */
export interface RecordedEventGridCall {
  /** Which method was called. */
  method: "emitEvent" | "send";
  /** The topic named. */
  topic: string;
  /** The events: one for `emitEvent`. */
  events: (EmitEventInput | SendEventInput)[];
  /** The options, as given (a shallow copy). */
  options: EventGridSendOptions | undefined;
  /** What the call rejected with, if it was made to fail. */
  error?: unknown;
}

/** Options of {@linkcode RecordingEventGridPublisher}. */
export interface RecordingEventGridPublisherOptions {
  /**
   * The topic names it accepts, as the publisher's `topics`; another name
   * is a `TypeError`. Without it, every name is accepted.
   * @default {undefined}
   */
  topics?: readonly string[];
}

/**
 * An `EventGridEventPublisher` that records what it is asked to publish
 * instead of sending it: every call in `calls`, every accepted event per
 * topic in `events(topic)`, in order, as given (no `id` or time is
 * filled). `failNext(count, error)` makes the next calls reject; after
 * `close()` calls reject with `PoolClosed`, and an aborted `abortSignal`
 * rejects with its reason, as the publisher does. It does not check
 * schemas or the 1 MB limit: test those against `startLocalEventGrid` from
 * `./testing/servers`.
 *
 * @example Recording, and a scripted failure
 * ```ts
 * import { RecordingEventGridPublisher } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * const grid = new RecordingEventGridPublisher({ topics: ["orders", "audit"] });
 * grid.failNext(1, new Error("service busy"));
 * const event = { eventType: "Order.Placed", subject: "orders/1", data: { id: 1 } };
 * await assert.rejects(grid.emitEvent("orders", event), /service busy/);
 * await grid.emitEvent("orders", event);
 * await grid.send("audit", [{ type: "Audit.Read", source: "/app" }]);
 * await assert.rejects(grid.emitEvent("ordres", event), TypeError);
 * assert.equal(grid.events("orders").length, 1);
 * assert.equal(grid.events("audit").length, 1);
 * assert.equal(grid.calls.length, 3);
 * ```
 */
export class RecordingEventGridPublisher implements EventGridEventPublisher {
  readonly #calls: RecordedEventGridCall[] = [];
  readonly #events = new Map<string, (EmitEventInput | SendEventInput)[]>();
  readonly #topics: readonly string[] | undefined;
  readonly #script = new CallScript("RecordingEventGridPublisher");

  /**
   * Makes an empty double.
   *
   * @param options The topic names it accepts.
   * @throws {TypeError} When `topics` is not an array of strings, or an
   * option is unknown.
   */
  constructor(options?: RecordingEventGridPublisherOptions) {
    if (options !== undefined) {
      for (const key of Object.keys(options)) {
        if (key !== "topics") {
          throw new TypeError(
            `Cannot create RecordingEventGridPublisher as '${key}' is not an option${
              didYouMean(key, ["topics"])
            }: known options are topics`,
          );
        }
      }
    }
    const topics = options?.topics;
    if (
      topics !== undefined &&
      (!Array.isArray(topics) ||
        !topics.every((t) => typeof t === "string" && t.length > 0))
    ) {
      throw new TypeError(
        "Cannot create RecordingEventGridPublisher as 'topics' must be an array of non-empty strings",
      );
    }
    this.#topics = topics === undefined ? undefined : [...topics];
  }

  /** Every call, in order, including those made to fail. */
  get calls(): readonly RecordedEventGridCall[] {
    return this.#calls;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#script.closed;
  }

  /**
   * The events a topic accepted, in order.
   *
   * @param topic The topic name.
   * @returns A copy of the list (empty for a topic never sent to).
   */
  events(topic: string): (EmitEventInput | SendEventInput)[] {
    return [...(this.#events.get(topic) ?? [])];
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
   * @param topic The topic name.
   * @param event The event.
   * @param options Its options.
   * @returns When recorded.
   * @throws {TypeError} When the topic is not one of `topics` (if given).
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  emitEvent(
    topic: string,
    event: EmitEventInput,
    options?: EventGridSendOptions,
  ): Promise<void> {
    return this.#record("emitEvent", topic, [event], options);
  }

  /**
   * Records events.
   *
   * @param topic The topic name.
   * @param events The events.
   * @param options Their options.
   * @returns When recorded.
   * @throws {TypeError} When `events` is not an array, or the topic is not
   * one of `topics` (if given).
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  send(
    topic: string,
    events: readonly SendEventInput[],
    options?: EventGridSendOptions,
  ): Promise<void> {
    if (!Array.isArray(events)) {
      return Promise.reject(
        new TypeError("Cannot send events as 'events' must be an array"),
      );
    }
    return this.#record("send", topic, [...events], options);
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
    method: RecordedEventGridCall["method"],
    topic: string,
    events: (EmitEventInput | SendEventInput)[],
    given: EventGridSendOptions | undefined,
  ): Promise<void> {
    if (
      typeof topic !== "string" ||
      (this.#topics !== undefined && !this.#topics.includes(topic))
    ) {
      return Promise.reject(
        new TypeError(
          `Cannot ${method === "send" ? "send events" : "emit an event"} as ${
            typeof topic !== "string"
              ? "the topic must be a string"
              : `'${topic}' is not one of this publisher's topics${
                didYouMean(topic, this.#topics ?? [])
              }: known topics are ${this.#topics?.join(", ")}`
          }`,
        ),
      );
    }
    const options = given === undefined ? undefined : { ...given };
    const failure = this.#script.next(given?.abortSignal);
    if (failure !== undefined) {
      this.#calls.push({
        method,
        topic,
        events,
        options,
        error: failure.error,
      });
      return Promise.reject(failure.error);
    }
    this.#calls.push({ method, topic, events, options });
    const list = this.#events.get(topic) ?? [];
    list.push(...events);
    this.#events.set(topic, list);
    return Promise.resolve();
  }
}
