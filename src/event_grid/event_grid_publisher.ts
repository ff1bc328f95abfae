/**
 * `EventGridPublisher`: one publisher, several named Event Grid topics.
 *
 * @module
 */

import https from "node:https";
import {
  EventGridPublisherClient,
  type EventGridPublisherClientOptions,
} from "@azure/eventgrid";
import { describeValue, errorLabel } from "../managed/_checks.ts";
import { logger } from "../managed/log.ts";
import { OperationTimeout, PoolClosed } from "../pool/errors.ts";
import { unrefTimer } from "../pool/_timers.ts";
import { translate } from "./_errors.ts";
import {
  type PreparedEvent,
  prepareEvents,
  requestBytes,
  splitRequests,
} from "./_events.ts";
import { didYouMean, rejectUnknown } from "./_names.ts";
import { type ResolvedTopic, resolvePublisher } from "./_settings.ts";
import type {
  EmitEventInput,
  EventGridPublisherOptions,
  EventGridSchema,
  EventGridSendOptions,
  SendEventInput,
} from "./options.ts";

const SEND_OPTION_KEYS = ["abortSignal", "channelName"];
/** A topic name that may be echoed in a message (a key is longer). */
const NAME_LIKE = /^[\w.:-]{1,40}$/;

/** One topic and what the publisher made for it. */
interface OpenTopic extends ResolvedTopic {
  client: EventGridPublisherClient<EventGridSchema>;
  /** The agent the publisher made (destroyed on close), if it made one. */
  agent: https.Agent | undefined;
}

/** Why a request's signal was aborted by the publisher, not the caller. */
const TIMED_OUT: unique symbol = Symbol("operationTimeoutSeconds");

let publishers = 0;

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * Publishes events to named Event Grid topics, each with its own endpoint,
 * credential and schema, through one SDK `EventGridPublisherClient` per
 * topic kept for the publisher's life. `send` takes the SDK's event shapes
 * and splits a long list, in order, into requests under the service's 1 MB
 * limit; `emitEvent` publishes one event and fills its `id`, time and
 * `dataVersion`. Failures are the package's errors (`AuthenticationFailed`,
 * `EntityNotFound`, `RequestFailed`, `ConnectionFailed`,
 * `OperationTimeout`), with the SDK's `RestError` as `cause`; mistakes in
 * the arguments are a `TypeError` or `RangeError` before any request.
 *
 * Not pooled: an Event Grid client is a stateless HTTP client over a
 * keep-alive agent, which already reuses and multiplies its sockets; there
 * is no connection to prove ready or to recycle.
 *
 * @typeParam Topic The topic names.
 *
 * @example Two topics, one of them CloudEvents, against a local endpoint
 * ```ts
 * import { EventGridPublisher } from "@azure-clients/toolbox/event-grid";
 * import { startLocalEventGrid } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const grid = await startLocalEventGrid({
 *   topics: ["orders", { name: "audit", schema: "CloudEvent" }],
 * });
 * const publisher = new EventGridPublisher({
 *   topics: { orders: grid.topicOptions("orders"), audit: grid.topicOptions("audit") },
 * });
 * try {
 *   await publisher.emitEvent("orders", {
 *     eventType: "Order.Placed",
 *     subject: "orders/1",
 *     data: { id: 1 },
 *   });
 *   await publisher.send("audit", [{ type: "Audit.Read", source: "/app", data: { by: "u-1" } }]);
 *   assert.equal(grid.events("orders")[0].dataVersion, "v1");
 *   assert.equal(grid.events("audit")[0].specversion, "1.0");
 * } finally {
 *   await publisher.close();
 *   await grid.close();
 * }
 * ```
 *
 * @example A misspelt topic name is an error
 * ```ts
 * import { EventGridPublisher } from "@azure-clients/toolbox/event-grid";
 * import assert from "node:assert/strict";
 *
 * await using publisher = new EventGridPublisher({
 *   topics: {
 *     orders: { endpoint: "https://orders.westus2-1.eventgrid.azure.net/api/events", key: "a2V5" },
 *   },
 * });
 * await assert.rejects(
 *   publisher.emitEvent("ordres" as "orders", { eventType: "T", subject: "s", data: {} }),
 *   /'ordres' .*did you mean 'orders'.*known topics are orders/,
 * );
 * ```
 */
export class EventGridPublisher<Topic extends string = string>
  implements AsyncDisposable {
  readonly #id = `event-grid#${++publishers}`;
  readonly #topics = new Map<string, OpenTopic>();
  readonly #timeoutMs: number;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  /**
   * Checks the options and makes one SDK client per topic; sends nothing.
   *
   * @param options The topics and the timeout.
   * @throws {TypeError} When an option is unknown (the message suggests the
   * one meant), missing or malformed, an endpoint is not `https://`, or a
   * topic has no credential or two (messages never echo a key or token).
   * @throws {RangeError} When `operationTimeoutSeconds` is not positive.
   */
  constructor(options: EventGridPublisherOptions<Topic>) {
    const resolved = resolvePublisher(options);
    this.#timeoutMs = resolved.operationTimeoutMs;
    try {
      for (const [name, topic] of resolved.topics) {
        this.#topics.set(name, this.#open(topic));
      }
    } catch (error) {
      for (const topic of this.#topics.values()) topic.agent?.destroy();
      throw error;
    }
  }

  #open(topic: ResolvedTopic): OpenTopic {
    const { tlsOptions, ...given } = topic.clientOptions;
    let agent: https.Agent | undefined;
    const clientOptions: EventGridPublisherClientOptions = { ...given };
    if (given.agent === undefined) {
      // Ours, so that close() can end its keep-alive sockets.
      agent = new https.Agent({ keepAlive: true, ...tlsOptions });
      clientOptions.agent = agent;
    } else if (tlsOptions !== undefined) {
      clientOptions.tlsOptions = tlsOptions;
    }
    const client = new EventGridPublisherClient(
      topic.endpoint,
      topic.schema,
      topic.credential,
      clientOptions,
    ) as EventGridPublisherClient<EventGridSchema>;
    logger.info(
      `${this.#id} topic '${topic.name}' on ${topic.host}: ${topic.schema} schema, ${topic.auth}`,
    );
    return { ...topic, client, agent };
  }

  /** The topic names, in the order given. */
  get topics(): Topic[] {
    return [...this.#topics.keys()] as Topic[];
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * The SDK client of a topic, for what this class does not wrap. It is the
   * publisher's: do not use it after `close()`.
   *
   * @param topic A topic name.
   * @returns The topic's `EventGridPublisherClient`.
   * @throws {TypeError} When the topic is not one of this publisher's.
   *
   * @example The SDK client of a topic
   * ```ts
   * import { EventGridPublisher } from "@azure-clients/toolbox/event-grid";
   * import assert from "node:assert/strict";
   *
   * await using publisher = new EventGridPublisher({
   *   topics: { orders: { endpoint: "https://orders.westus2-1.eventgrid.azure.net/api/events", key: "a2V5" } },
   * });
   * assert.equal(publisher.getClient("orders").endpointUrl, "https://orders.westus2-1.eventgrid.azure.net/api/events");
   * ```
   */
  getClient(topic: Topic): EventGridPublisherClient<EventGridSchema> {
    return this.#topic("use", topic).client;
  }

  /**
   * Publishes one event. For an Event Grid topic: `eventType`, `subject`,
   * `data` (an object), and optionally `dataVersion` (default `"v1"`),
   * `id` (default a random UUID), `eventTime` (default now) and `topic`.
   * For a CloudEvent topic: the SDK's `SendCloudEventInput` (`type`,
   * `source`, ...; `id` and `time` filled). A field this method does not
   * know is an error.
   *
   * @param topic A topic name.
   * @param event The event.
   * @param options A signal, and a partner topic's channel.
   * @returns When the service accepted the event.
   * @throws {TypeError} When the topic is unknown (the message lists the
   * known ones), an option is unknown, or the event lacks a field, has one
   * of the wrong type or one this method does not know.
   * @throws {RangeError} When the event serializes to more than 1 MB.
   * @throws {AuthenticationFailed} When the credential was refused (401, 403).
   * @throws {EntityNotFound} When no topic answers at the endpoint (404).
   * @throws {RequestFailed} When the service refused the request (another 4xx).
   * @throws {ConnectionFailed} When the endpoint did not answer, or answered
   * 408, 429 or 5xx after the SDK's retries.
   * @throws {OperationTimeout} When no answer came within `operationTimeoutSeconds`.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} The `abortSignal`'s reason, when it aborted.
   *
   * @example Emitting an event (needs an Event Grid topic)
   * ```ts ignore
   * await publisher.emitEvent("orders", {
   *   eventType: "Order.Placed",
   *   subject: "orders/1",
   *   data: { id: 1 },
   * });
   * ```
   */
  emitEvent(
    topic: Topic,
    event: EmitEventInput,
    options?: EventGridSendOptions,
  ): Promise<void> {
    return this.#track(async () => {
      const found = this.#topic("emit an event", topic);
      const attempt =
        `Cannot emit an event to Event Grid topic '${found.name}' on ${found.host}`;
      this.#checkSend(found, attempt, options);
      const prepared = prepareEvents(attempt, found.schema, [event], true);
      await this.#send(found, attempt, prepared, options);
    });
  }

  /**
   * Sends events, as the SDK's `send` does (`SendEventGridEventInput`s to
   * an Event Grid topic, `SendCloudEventInput`s to a CloudEvent topic;
   * `id` and time are filled where missing), in order, in as many requests
   * as the service's limit of 1,048,576 bytes per request body needs. Every
   * event is checked and measured before the first request. When a request
   * fails, those after it are not sent: the message says how many had
   * been accepted. An empty list sends nothing.
   *
   * @param topic A topic name.
   * @param events The events.
   * @param options A signal, and a partner topic's channel.
   * @returns When the service accepted every request.
   * @throws {TypeError} When the topic is unknown (the message lists the
   * known ones), an option is unknown, `events` is not an array, or an
   * event lacks a field or has one of the wrong type.
   * @throws {RangeError} When one event alone serializes to more than the
   * limit (nothing is sent).
   * @throws {AuthenticationFailed} When the credential was refused (401, 403).
   * @throws {EntityNotFound} When no topic answers at the endpoint (404).
   * @throws {RequestFailed} When the service refused a request (another 4xx).
   * @throws {ConnectionFailed} When the endpoint did not answer, or answered
   * 408, 429 or 5xx after the SDK's retries.
   * @throws {OperationTimeout} When a request got no answer within
   * `operationTimeoutSeconds`.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} The `abortSignal`'s reason, when it aborted.
   *
   * @example Sending a batch (needs an Event Grid topic)
   * ```ts ignore
   * await publisher.send("orders", [
   *   { eventType: "Order.Placed", subject: "orders/1", dataVersion: "1", data: { id: 1 } },
   *   { eventType: "Order.Placed", subject: "orders/2", dataVersion: "1", data: { id: 2 } },
   * ]);
   * ```
   */
  send(
    topic: Topic,
    events: readonly SendEventInput[],
    options?: EventGridSendOptions,
  ): Promise<void> {
    return this.#track(async () => {
      const found = this.#topic("send events", topic);
      if (!Array.isArray(events)) {
        throw new TypeError(
          `Cannot send events to Event Grid topic '${found.name}' as 'events' must be an array: received ${
            describeValue(events)
          }`,
        );
      }
      const attempt = `Cannot send ${
        plural(events.length, "event")
      } to Event Grid topic '${found.name}' on ${found.host}`;
      this.#checkSend(found, attempt, options);
      if (events.length === 0) return;
      const prepared = prepareEvents(attempt, found.schema, events, false);
      await this.#send(found, attempt, prepared, options);
    });
  }

  /**
   * Stops taking sends, waits for those in flight (each bounded by
   * `operationTimeoutSeconds`), and destroys the agents the publisher made,
   * so that no socket or timer is left. Calling it again returns the same
   * promise.
   *
   * @returns When everything is closed.
   *
   * @example Closing
   * ```ts
   * import { EventGridPublisher, PoolClosed } from "@azure-clients/toolbox/event-grid";
   * import assert from "node:assert/strict";
   *
   * const publisher = new EventGridPublisher({
   *   topics: { orders: { endpoint: "https://orders.westus2-1.eventgrid.azure.net/api/events", key: "a2V5" } },
   * });
   * await publisher.close();
   * assert.equal(publisher.closed, true);
   * await assert.rejects(
   *   publisher.emitEvent("orders", { eventType: "T", subject: "s", data: {} }),
   *   PoolClosed,
   * );
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inFlight]);
      for (const topic of this.#topics.values()) topic.agent?.destroy();
      logger.info(`${this.#id} closed`);
    })();
    return this.#closing;
  }

  /**
   * Closes the publisher (`await using`).
   *
   * @returns When closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #track(operation: () => Promise<void>): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(new PoolClosed(this.#id));
    }
    const running = operation();
    this.#inFlight.add(running);
    const forget = () => this.#inFlight.delete(running);
    running.then(forget, forget);
    return running;
  }

  #topic(action: string, name: unknown): OpenTopic {
    const found = typeof name === "string" ? this.#topics.get(name) : undefined;
    if (found !== undefined) return found;
    const known = [...this.#topics.keys()];
    // A name is echoed; a long or odd string may be a key passed in the
    // wrong place, and is only described.
    const shown = typeof name === "string" && NAME_LIKE.test(name)
      ? `'${name}'`
      : `the topic (${describeValue(name)})`;
    throw new TypeError(
      `Cannot ${action} as ${shown} is not one of this publisher's topics${
        typeof name === "string" ? didYouMean(name, known) : ""
      }: known topics are ${known.join(", ")}`,
    );
  }

  #checkSend(
    topic: OpenTopic,
    attempt: string,
    options: EventGridSendOptions | undefined,
  ): void {
    rejectUnknown(attempt.slice(7), "", options, SEND_OPTION_KEYS);
    const signal = options?.abortSignal;
    if (
      signal !== undefined &&
      (typeof signal !== "object" || signal === null ||
        typeof signal.addEventListener !== "function")
    ) {
      throw new TypeError(
        `${attempt} as 'abortSignal' must be an AbortSignal: received ${
          describeValue(signal)
        }`,
      );
    }
    const channel = options?.channelName;
    if (channel !== undefined) {
      if (topic.schema !== "CloudEvent") {
        throw new TypeError(
          `${attempt} as 'channelName' applies to CloudEvent topics only (partner topics); this topic takes the Event Grid schema`,
        );
      }
      if (typeof channel !== "string" || channel.length === 0) {
        throw new TypeError(
          `${attempt} as 'channelName' must be a non-empty string: received ${
            describeValue(channel)
          }`,
        );
      }
    }
  }

  async #send(
    topic: OpenTopic,
    attempt: string,
    prepared: PreparedEvent[],
    options: EventGridSendOptions | undefined,
  ): Promise<void> {
    const requests = splitRequests(attempt, prepared);
    const signal = options?.abortSignal;
    signal?.throwIfAborted();
    let sent = 0;
    for (const [index, request] of requests.entries()) {
      const progress = requests.length === 1
        ? ""
        : `; ${index} of ${requests.length} requests (${sent} of ${
          plural(prepared.length, "event")
        }) had been accepted`;
      await this.#request(topic, attempt, request, progress, options);
      sent += request.length;
      if (!logger.verbose.enabled) continue;
      logger.verbose(
        `${this.#id} topic '${topic.name}' on ${topic.host}: request ${
          index + 1
        } of ${requests.length} accepted (${plural(request.length, "event")}, ${
          requestBytes(request.map((e) => e.bytes))
        } bytes)`,
      );
    }
  }

  async #request(
    topic: OpenTopic,
    attempt: string,
    request: PreparedEvent[],
    progress: string,
    options: EventGridSendOptions | undefined,
  ): Promise<void> {
    const outer = options?.abortSignal;
    outer?.throwIfAborted();
    const controller = new AbortController();
    const follow = () => controller.abort(outer?.reason);
    outer?.addEventListener("abort", follow, { once: true });
    const timer = Number.isFinite(this.#timeoutMs)
      ? unrefTimer(
        setTimeout(() => controller.abort(TIMED_OUT), this.#timeoutMs),
      )
      : undefined;
    try {
      const sendOptions: Record<string, unknown> = {
        abortSignal: controller.signal,
      };
      if (options?.channelName !== undefined) {
        sendOptions.channelName = options.channelName;
      }
      await topic.client.send(
        request.map((e) => e.event) as never,
        sendOptions,
      );
    } catch (error) {
      let failure: unknown;
      if (outer?.aborted) failure = outer.reason;
      else if (controller.signal.reason === TIMED_OUT) {
        failure = new OperationTimeout(
          `${attempt}: no answer within ${
            this.#timeoutMs / 1000
          } s (operationTimeoutSeconds)${progress}`,
          { cause: error },
        );
      } else failure = translate(error, topic.name, attempt, progress);
      logger.warning(
        `${this.#id} topic '${topic.name}' on ${topic.host}: send failed: ${
          errorLabel(failure)
        }${failure === error ? "" : ` (${errorLabel(error)})`}`,
      );
      throw failure;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      outer?.removeEventListener("abort", follow);
    }
  }
}
