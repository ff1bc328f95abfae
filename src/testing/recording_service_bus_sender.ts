/**
 * `RecordingServiceBusSender`: a stand-in for `ManagedServiceBusSender` in
 * unit tests that should not start a server, and `ServiceBusMessageSender`,
 * the interface both satisfy.
 *
 * @module
 */

// Type-only: `./testing` loads no Azure SDK at run time.
import type { ServiceBusMessage } from "@azure/service-bus";
import type {
  ManagedServiceBusSender,
  SendBodiesOptions,
  SendBodyOptions,
  SendMessagesOptions,
  ServiceBusMessageInput,
} from "../service_bus/mod.ts";
import { CallScript } from "./_call_script.ts";

/**
 * The sending surface of `ManagedServiceBusSender` (and of
 * `ManagedServiceBus.sender()`): write your code against it, pass the
 * managed sender in production and a {@linkcode RecordingServiceBusSender}
 * in unit tests.
 *
 * @example A function that accepts either
 * ```ts
 * import type { ServiceBusMessageSender } from "@azure-clients/toolbox/testing";
 * import { RecordingServiceBusSender } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * async function notify(sender: ServiceBusMessageSender, userId: string): Promise<void> {
 *   await sender.sendBody({ userId }, { subject: "welcome" });
 * }
 *
 * const sender = new RecordingServiceBusSender();
 * await notify(sender, "u-1");
 * assert.deepEqual(sender.messages[0].body, { userId: "u-1" });
 * assert.equal(sender.messages[0].subject, "welcome");
 * ```
 */
export type ServiceBusMessageSender = Pick<
  ManagedServiceBusSender,
  "sendMessages" | "sendBody" | "sendBodies" | "close"
>;

/** One call a {@linkcode RecordingServiceBusSender} received. */
export interface RecordedServiceBusCall {
  /** Which method was called. */
  method: "sendMessages" | "sendBody" | "sendBodies";
  /** The messages it asked to send, as the SDK would get them. */
  messages: ServiceBusMessage[];
  /** The options, as given (a shallow copy). */
  options: SendBodyOptions | SendMessagesOptions | undefined;
  /** What the call rejected with, if it was made to fail. */
  error?: unknown;
}

/**
 * A message a {@linkcode RecordingServiceBusSender} accepted, in the SDK's
 * shape: `body`, `messageId`, `subject` and the other properties.
 */
export type RecordedServiceBusMessage = ServiceBusMessage;

/**
 * A `ServiceBusMessageSender` that records what it is asked to send instead
 * of sending it: every call in `calls`, every accepted message in
 * `messages`, in order. `failNext(count, error)` makes the next calls reject;
 * after `close()` calls reject with `PoolClosed`, and an aborted
 * `abortSignal` rejects with its reason, as the managed sender does. It does
 * not check message sizes or option ranges: test those against
 * `startLocalServiceBus` from `./testing/servers`.
 *
 * @example Recording, and a scripted failure
 * ```ts
 * import { RecordingServiceBusSender } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * const sender = new RecordingServiceBusSender();
 * sender.failNext(1, new Error("service busy"));
 * await assert.rejects(sender.sendBody({ id: 1 }), /service busy/);
 * await sender.sendBody({ id: 1 }, { messageId: "order-1" });
 * await sender.sendMessages([{ body: { id: 2 } }, { body: { id: 3 }, subject: "x" }]);
 * assert.deepEqual(sender.messages.map((m) => m.body), [{ id: 1 }, { id: 2 }, { id: 3 }]);
 * assert.equal(sender.messages[0].messageId, "order-1");
 * assert.equal(sender.messages[2].subject, "x");
 * assert.equal(sender.calls.length, 3);
 * ```
 */
export class RecordingServiceBusSender implements ServiceBusMessageSender {
  readonly #calls: RecordedServiceBusCall[] = [];
  readonly #messages: RecordedServiceBusMessage[] = [];
  readonly #script = new CallScript("RecordingServiceBusSender");

  /** Every call, in order, including those made to fail. */
  get calls(): readonly RecordedServiceBusCall[] {
    return this.#calls;
  }

  /** Every message accepted, in order. */
  get messages(): readonly RecordedServiceBusMessage[] {
    return this.#messages;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#script.closed;
  }

  /**
   * Makes the next `count` calls reject with `error` (after failures
   * already scripted); they are recorded in `calls` with the error, not in
   * `messages`.
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
   * Records `ServiceBusMessage`s, as `sendMessages` takes them.
   *
   * @param messages A message or a list of them.
   * @param options Cancellation.
   * @returns When recorded.
   * @throws {TypeError} When something is not a message (`{ body, ... }`).
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  sendMessages(
    messages: ServiceBusMessageInput,
    options?: SendMessagesOptions,
  ): Promise<void> {
    const list = (Array.isArray(messages) ? messages : [messages]) as unknown[];
    const bad = list.findIndex((m) =>
      typeof m !== "object" || m === null || !("body" in m)
    );
    if (bad >= 0) {
      return Promise.reject(
        new TypeError(
          `Cannot send messages as message #${bad} is not a ServiceBusMessage ({ body, ... }); to send a value as the body, use sendBody`,
        ),
      );
    }
    return this.#record(
      "sendMessages",
      (list as ServiceBusMessage[]).map((m) => ({ ...m })),
      options,
    );
  }

  /**
   * Records one body as a message with the properties of `options`.
   *
   * @param body The body.
   * @param options Its properties.
   * @returns When recorded.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  sendBody(body: unknown, options?: SendBodyOptions): Promise<void> {
    return this.#record("sendBody", [messageOf(body, options)], options);
  }

  /**
   * Records bodies as messages that share the properties of `options`.
   *
   * @param bodies The bodies.
   * @param options Their properties.
   * @returns When recorded.
   * @throws {TypeError} When `bodies` is not an array.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  sendBodies(
    bodies: readonly unknown[],
    options?: SendBodiesOptions,
  ): Promise<void> {
    if (!Array.isArray(bodies)) {
      return Promise.reject(
        new TypeError(
          "Cannot send messages as 'bodies' must be an array",
        ),
      );
    }
    return this.#record(
      "sendBodies",
      bodies.map((body) => messageOf(body, options)),
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
    method: RecordedServiceBusCall["method"],
    messages: ServiceBusMessage[],
    given: SendBodyOptions | SendMessagesOptions | undefined,
  ): Promise<void> {
    const options = given === undefined ? undefined : { ...given };
    const failure = this.#script.next(given?.abortSignal);
    if (failure !== undefined) {
      this.#calls.push({ method, messages, options, error: failure.error });
      return Promise.reject(failure.error);
    }
    this.#calls.push({ method, messages, options });
    this.#messages.push(...messages);
    return Promise.resolve();
  }
}

/** The message `sendBody` makes of a body and its options (as the managed sender does). */
function messageOf(
  body: unknown,
  options: SendBodyOptions | undefined,
): ServiceBusMessage {
  const message: ServiceBusMessage = { body };
  if (options === undefined) return message;
  const {
    messageId,
    contentType,
    correlationId,
    subject,
    sessionId,
    partitionKey,
    timeToLiveSeconds,
    applicationProperties,
  } = options;
  if (messageId !== undefined) message.messageId = messageId;
  if (contentType !== undefined) message.contentType = contentType;
  if (correlationId !== undefined) message.correlationId = correlationId;
  if (subject !== undefined) message.subject = subject;
  if (sessionId !== undefined) message.sessionId = sessionId;
  if (partitionKey !== undefined) message.partitionKey = partitionKey;
  if (timeToLiveSeconds !== undefined) {
    message.timeToLive = Math.round(timeToLiveSeconds * 1000);
  }
  if (applicationProperties !== undefined) {
    message.applicationProperties = { ...applicationProperties };
  }
  return message;
}
