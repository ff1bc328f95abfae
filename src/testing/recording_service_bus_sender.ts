/**
 * `RecordingServiceBusSender`: a stand-in for `ManagedServiceBusSender` in
 * unit tests that should not start a server, and `ServiceBusMessageSender`,
 * the interface both satisfy.
 *
 * @module
 */

// Type-only: `./testing` loads no Azure SDK at run time.
import type {
  ManagedServiceBusSender,
  SendMessageOptions,
  SendMessagesOptions,
} from "../service_bus/mod.ts";
import { CallScript } from "./_call_script.ts";

/**
 * The sending surface of `ManagedServiceBusSender`: write your code against
 * it, pass the managed sender in production and a
 * {@linkcode RecordingServiceBusSender} in unit tests.
 *
 * @example A function that accepts either
 * ```ts
 * import type { ServiceBusMessageSender } from "@azure-clients/toolbox/testing";
 * import { RecordingServiceBusSender } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * async function notify(sender: ServiceBusMessageSender, userId: string): Promise<void> {
 *   await sender.sendMessage({ userId }, { subject: "welcome" });
 * }
 *
 * const sender = new RecordingServiceBusSender();
 * await notify(sender, "u-1");
 * assert.deepEqual(sender.messages[0].body, { userId: "u-1" });
 * ```
 */
export type ServiceBusMessageSender = Pick<
  ManagedServiceBusSender,
  "sendMessage" | "sendMessages" | "close"
>;

/** One call a {@linkcode RecordingServiceBusSender} received. */
export interface RecordedServiceBusCall {
  /** Which method was called. */
  method: "sendMessage" | "sendMessages";
  /** The bodies: one for `sendMessage`. */
  bodies: unknown[];
  /** The options, as given (a shallow copy; `sendMessages` takes a subset). */
  options: SendMessageOptions | undefined;
  /** What the call rejected with, if it was made to fail. */
  error?: unknown;
}

/** A message a {@linkcode RecordingServiceBusSender} accepted. */
export interface RecordedServiceBusMessage {
  /** The body. */
  body: unknown;
  /** The options it was sent with (`sendMessages` gives each message the call's options). */
  options: SendMessageOptions | undefined;
}

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
 * await assert.rejects(sender.sendMessage({ id: 1 }), /service busy/);
 * await sender.sendMessage({ id: 1 }, { messageId: "order-1" });
 * assert.equal(await sender.sendMessages([{ id: 2 }, { id: 3 }]), 1);
 * assert.deepEqual(sender.messages.map((m) => m.body), [{ id: 1 }, { id: 2 }, { id: 3 }]);
 * assert.equal(sender.messages[0].options?.messageId, "order-1");
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
   * Records one message.
   *
   * @param body The body.
   * @param options Its options.
   * @returns When recorded.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  sendMessage(body: unknown, options?: SendMessageOptions): Promise<void> {
    return this.#record("sendMessage", [body], options).then(() => undefined);
  }

  /**
   * Records messages that share options.
   *
   * @param bodies The bodies.
   * @param options Their options.
   * @returns 1 (one batch), or 0 for no bodies.
   * @throws {TypeError} When `bodies` is not an array.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  sendMessages(
    bodies: readonly unknown[],
    options?: SendMessagesOptions,
  ): Promise<number> {
    if (!Array.isArray(bodies)) {
      return Promise.reject(
        new TypeError(
          "Cannot send messages as 'bodies' must be an array",
        ),
      );
    }
    return this.#record("sendMessages", [...bodies], options);
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
    bodies: unknown[],
    given: SendMessageOptions | undefined,
  ): Promise<number> {
    const options = given === undefined ? undefined : { ...given };
    const failure = this.#script.next(given?.abortSignal);
    if (failure !== undefined) {
      this.#calls.push({ method, bodies, options, error: failure.error });
      return Promise.reject(failure.error);
    }
    this.#calls.push({ method, bodies, options });
    for (const body of bodies) this.#messages.push({ body, options });
    return Promise.resolve(bodies.length === 0 ? 0 : 1);
  }
}
