/**
 * The send methods every Service Bus sender of this package has
 * (`ManagedServiceBusSender`, `ManagedServiceBus.sender()`, `ServiceBus`),
 * written once (internal; never re-exported). Each class gives its own way
 * to run an operation on an SDK sender.
 *
 * @module
 */

import type { ServiceBusSender } from "@azure/service-bus";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import { amqpOutcome } from "../managed/_amqp_errors.ts";
import type {
  SendBodiesOptions,
  SendBodyOptions,
  SendMessagesOptions,
  SequenceNumbers,
} from "./options.ts";
import {
  checkMessagesOptions,
  prepareBodies,
  prepareBody,
  sdkMessages,
  sendAll,
  sendOrSchedule,
} from "./_messages.ts";

/**
 * Runs one operation on an SDK sender for the entity, giving it the signal
 * to pass to the SDK (the caller's, or one the runner aborts when it gives
 * the operation up). `what` names it for error messages (`send a message to
 * queue 'orders' on myns...`).
 */
export type SendRunner = <T>(
  fn: (
    sender: ServiceBusSender,
    signal: AbortSignal | undefined,
  ) => Promise<T>,
  options: ManagedOperationOptions | undefined,
  what: string,
) => Promise<T>;

/** The send methods of one sender, over its runner. */
export class Sending {
  readonly #run: SendRunner;
  readonly #target: string;
  readonly #withIds: boolean;
  readonly #entity: string;

  /**
   * @param run Runs an operation on an SDK sender.
   * @param target The entity and host, for messages (`queue 'orders' on ns`).
   * @param entity The entity's name.
   * @param withIds Whether messages without an id get one (the runner may
   * resend after a lost connection).
   */
  constructor(
    run: SendRunner,
    target: string,
    entity: string,
    withIds: boolean,
  ) {
    this.#run = run;
    this.#target = target;
    this.#entity = entity;
    this.#withIds = withIds;
  }

  /**
   * The error a caller gets for what the SDK threw.
   *
   * @param error What the SDK threw.
   * @param what The operation and where.
   * @returns The package's error for a configuration mistake, or `error`.
   */
  outcome(error: unknown, what: string): unknown {
    return amqpOutcome(error, what, this.#entity);
  }

  sendMessages(
    messages: unknown,
    options: SendMessagesOptions | undefined,
  ): Promise<void> {
    const what = `send messages to ${this.#target}`;
    let checked;
    try {
      checkMessagesOptions("send messages", options);
      checked = sdkMessages("send messages", messages, this.#withIds);
    } catch (error) {
      return Promise.reject(error);
    }
    if (checked.length === 0) return Promise.resolve();
    // As the SDK: one message, or a list sent as one batch.
    const input = checked.length === 1 ? checked[0] : checked;
    return this.#run(
      (sender, signal) =>
        sender.sendMessages(
          input,
          signal === undefined ? undefined : { abortSignal: signal },
        ),
      options,
      what,
    );
  }

  scheduleMessages(
    messages: unknown,
    scheduledEnqueueTimeUtc: Date,
    options: SendMessagesOptions | undefined,
  ): Promise<SequenceNumbers> {
    const what = `schedule messages on ${this.#target}`;
    let checked;
    try {
      checkMessagesOptions("schedule messages", options);
      if (
        !(scheduledEnqueueTimeUtc instanceof Date) ||
        Number.isNaN(scheduledEnqueueTimeUtc.getTime())
      ) {
        throw new TypeError(
          `Cannot schedule messages as 'scheduledEnqueueTimeUtc' must be a valid Date: received ${
            String(scheduledEnqueueTimeUtc)
          }`,
        );
      }
      checked = sdkMessages("schedule messages", messages, this.#withIds);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#run(
      (sender, signal) =>
        sender.scheduleMessages(checked, scheduledEnqueueTimeUtc, {
          abortSignal: signal,
        }),
      options,
      what,
    );
  }

  cancelScheduledMessages(
    sequenceNumbers: SequenceNumbers[number] | SequenceNumbers,
    options: SendMessagesOptions | undefined,
  ): Promise<void> {
    try {
      checkMessagesOptions("cancel scheduled messages", options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#run(
      (sender, signal) =>
        sender.cancelScheduledMessages(sequenceNumbers, {
          abortSignal: signal,
        }),
      options,
      `cancel scheduled messages on ${this.#target}`,
    );
  }

  sendBody(
    body: unknown,
    options: SendBodyOptions | undefined,
  ): Promise<void> {
    let prepared;
    try {
      prepared = prepareBody(body, options, this.#withIds);
    } catch (error) {
      return Promise.reject(error);
    }
    const { message, delay } = prepared;
    return this.#run(
      (sender, signal) => sendOrSchedule(sender, message, delay, signal),
      options,
      `send a message to ${this.#target}`,
    );
  }

  sendBodies(
    bodies: readonly unknown[],
    options: SendBodiesOptions | undefined,
  ): Promise<void> {
    let messages;
    try {
      messages = prepareBodies(bodies, options, this.#withIds);
    } catch (error) {
      return Promise.reject(error);
    }
    if (messages.length === 0) return Promise.resolve();
    return this.#run(
      (sender, signal) => sendAll(sender, messages, signal),
      options,
      `send messages to ${this.#target}`,
    );
  }
}
