/**
 * The managed message processor: a handler per message, kept running through
 * dropped connections.
 *
 * @module
 */

import type {
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
} from "@azure/service-bus";
import { bound, isTimeoutError } from "../pool/_bound.ts";
import { errorLabel } from "../managed/_checks.ts";
import { logger } from "../managed/log.ts";
import { isServiceBusConnectionError } from "./connection_error.ts";
import type {
  DeadLetterOptions,
  MessageContext,
  MessageHandler,
  ProcessErrorInfo,
  ProcessErrorSource,
  ProcessMessagesOptions,
  ProcessorStats,
  StopOptions,
} from "./receiver_options.ts";

/**
 * What a processor receives through: one SDK receiver and a way to close it
 * with the client (the connection) it lives on.
 *
 * @example
 * ```ts
 * import type { ProcessorConnection } from "@azure-clients/toolbox/service-bus";
 * import type { ServiceBusClient } from "@azure/service-bus";
 *
 * function connectionOf(client: ServiceBusClient, queueName: string): ProcessorConnection {
 *   const receiver = client.createReceiver(queueName, { maxAutoLockRenewalDurationInMs: 0 });
 *   return { receiver, close: () => client.close() };
 * }
 * ```
 */
export interface ProcessorConnection {
  /** A peek-lock receiver (the processor renews locks itself). */
  receiver: ServiceBusReceiver;
  /** Closes the receiver and its client; must not throw. */
  close(): Promise<void>;
}

type Operation = "complete" | "abandon" | "defer" | "deadLetter";

/** One message whose handler or settlement is running. */
interface InFlight {
  message: ServiceBusReceivedMessage;
  /** The connection it was received on. */
  connection: ProcessorConnection;
  settled: boolean;
  settling: Promise<void> | undefined;
  /** The settlement error last reported, so a handler re-throwing it is not reported twice. */
  reported: unknown;
  controller: AbortController;
  renewTimer: ReturnType<typeof setTimeout> | undefined;
  renewUntil: number;
}

const STATS_KEYS: Record<Operation, keyof ProcessorStats> = {
  complete: "completed",
  abandon: "abandoned",
  defer: "deferred",
  deadLetter: "deadLettered",
};

function seconds(
  option: string,
  value: unknown,
  fallback: number,
  allowZero: boolean,
): number {
  const given = value ?? fallback;
  if (
    typeof given !== "number" || !Number.isFinite(given) ||
    (allowZero ? given < 0 : given <= 0)
  ) {
    throw new RangeError(
      `Cannot process messages as '${option}' must be a ${
        allowZero ? "number of seconds >= 0" : "positive number of seconds"
      }: received ${String(given)}`,
    );
  }
  return given * 1000;
}

/**
 * Runs a handler for each message of a queue or subscription, up to
 * `maxConcurrentCalls` at a time, until stopped; made by
 * `ManagedServiceBus.processMessages`.
 *
 * - **Settlement.** A handler that returns completes its message, one that
 *   throws abandons it (and the error goes to `onError`); a handler may
 *   settle first through its {@linkcode MessageContext}. Each message is
 *   settled exactly once.
 * - **Locks.** The processor renews the lock of every message whose handler
 *   runs, at half its remaining time, for `maxAutoLockRenewalSeconds`,
 *   through whichever client is current.
 * - **Dropped connections.** A connection error (from a receive, a
 *   settlement or a renewal) or a settlement that outlasts
 *   `settleTimeoutSeconds` closes the client and opens a new one, after a
 *   backoff that doubles per failure in a row; running handlers carry on,
 *   and their messages are settled through the new client (a settlement cut
 *   off by the drop is tried once more). Relying on the SDK's own
 *   reconnection instead can leave a message locked for minutes, its
 *   settlement waiting out 60 s on the dying connection while its lock keeps
 *   being renewed.
 * - **Stopping.** `stop()` receives nothing more, waits for running
 *   handlers (up to `timeoutSeconds`), abandons the messages of those still
 *   running then (aborting their `abortSignal`), and closes the client.
 *
 * @example Processing a queue (a local broker)
 * ```ts
 * import { ManagedServiceBus } from "@azure-clients/toolbox/service-bus";
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const local = await startLocalServiceBus({ queues: ["jobs"] });
 * const bus = new ManagedServiceBus({ connectionString: local.connectionString });
 * try {
 *   await bus.sender("jobs").sendBodies([1, 2, 3]);
 *   const seen: unknown[] = [];
 *   let done!: () => void;
 *   const allSeen = new Promise<void>((resolve) => (done = resolve));
 *   const processor = bus.processMessages({ queueName: "jobs" }, (message) => {
 *     seen.push(message.body);
 *     if (seen.length === 3) done();
 *   }, { maxConcurrentCalls: 2 });
 *   await allSeen;
 *   await processor.stop();
 *   assert.deepEqual(seen.sort(), [1, 2, 3]);
 *   assert.equal(processor.stats().completed, 3);
 * } finally {
 *   await bus.close();
 *   await local.close();
 * }
 * ```
 */
export class MessageProcessor implements AsyncDisposable {
  /** The queue or `<topic>/Subscriptions/<name>`. */
  readonly entityPath: string;
  readonly #connect: () => Promise<ProcessorConnection>;
  readonly #handler: MessageHandler;
  readonly #onError: ((info: ProcessErrorInfo) => void) | undefined;
  readonly #maxConcurrentCalls: number;
  readonly #maxWaitMs: number;
  readonly #renewMs: number;
  readonly #settleTimeoutMs: number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #inFlight = new Set<InFlight>();
  readonly #receiveAbort = new AbortController();
  readonly #stats: ProcessorStats = {
    received: 0,
    completed: 0,
    abandoned: 0,
    deadLettered: 0,
    deferred: 0,
    inFlight: 0,
    errors: 0,
    reconnects: 0,
  };
  #current: ProcessorConnection | undefined;
  #failures = 0;
  #stopping = false;
  #closed = false;
  #wake: (() => void) | undefined;
  #changed: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  readonly #running: Promise<void>;

  /**
   * Checks the options and starts processing at once.
   *
   * @param entityPath The entity, for errors and logs.
   * @param connect Opens a new connection (client and receiver); called again
   * after each connection error.
   * @param handler Called for each message.
   * @param options Concurrency, error callback, waits and backoff.
   * @throws {TypeError} When `handler` or `onError` is not a function.
   * @throws {RangeError} When a number is out of range.
   */
  constructor(
    entityPath: string,
    connect: () => Promise<ProcessorConnection>,
    handler: MessageHandler,
    options: ProcessMessagesOptions = {},
  ) {
    if (typeof handler !== "function") {
      throw new TypeError(
        `Cannot process messages as 'handler' must be a function: received ${typeof handler}`,
      );
    }
    if (
      options.onError !== undefined && typeof options.onError !== "function"
    ) {
      throw new TypeError(
        `Cannot process messages as 'onError' must be a function: received ${typeof options
          .onError}`,
      );
    }
    const max = options.maxConcurrentCalls ?? 1;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(
        `Cannot process messages as 'maxConcurrentCalls' must be a positive integer: received ${
          String(max)
        }`,
      );
    }
    this.entityPath = entityPath;
    this.#connect = connect;
    this.#handler = handler;
    this.#onError = options.onError;
    this.#maxConcurrentCalls = max;
    this.#maxWaitMs = seconds(
      "maxWaitTimeSeconds",
      options.maxWaitTimeSeconds,
      5,
      false,
    );
    this.#renewMs = seconds(
      "maxAutoLockRenewalSeconds",
      options.maxAutoLockRenewalSeconds,
      300,
      true,
    );
    this.#settleTimeoutMs = seconds(
      "settleTimeoutSeconds",
      options.settleTimeoutSeconds,
      10,
      false,
    );
    this.#initialBackoffMs = seconds(
      "initialBackoffSeconds",
      options.initialBackoffSeconds,
      0.1,
      false,
    );
    this.#maxBackoffMs = seconds(
      "maxBackoffSeconds",
      options.maxBackoffSeconds,
      30,
      false,
    );
    if (this.#maxBackoffMs < this.#initialBackoffMs) {
      throw new RangeError(
        `Cannot process messages as 'maxBackoffSeconds' must be at least initialBackoffSeconds (${
          this.#initialBackoffMs / 1000
        }): received ${this.#maxBackoffMs / 1000}`,
      );
    }
    this.#running = this.#run().catch((error) => {
      // The loop catches per step; this is a bug guard, never silent.
      logger.error(`Service Bus ${entityPath}: processor loop failed`, error);
    });
  }

  /** Whether it still receives (not stopped). */
  get running(): boolean {
    return !this.#stopping;
  }

  /**
   * A snapshot of its counts.
   *
   * @returns The counts since it started.
   */
  stats(): ProcessorStats {
    return { ...this.#stats, inFlight: this.#inFlight.size };
  }

  /**
   * Stops: receives nothing more, waits for running handlers up to
   * `timeoutSeconds`, then abandons the messages still unsettled (aborting
   * their handlers' `abortSignal`) and closes the client. Every message it
   * received is settled exactly once. Calling it again returns the same
   * promise.
   *
   * @param options How long handlers may take to finish.
   * @returns When it stopped and its client is closed.
   * @throws {RangeError} When `timeoutSeconds` is negative.
   */
  stop(options?: StopOptions): Promise<void> {
    if (this.#stopped !== undefined) return this.#stopped;
    let timeoutMs: number;
    try {
      timeoutMs = seconds("timeoutSeconds", options?.timeoutSeconds, 30, true);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#stopped = this.#stop(timeoutMs);
    return this.#stopped;
  }

  /**
   * Stops with the default timeout, for `await using`.
   *
   * @returns When it stopped.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    this.#receiveAbort.abort();
    this.#notify();
    try {
      await bound(this.#drained(), { timeoutMs, ref: true });
    } catch (error) {
      if (!isTimeoutError(error)) throw error;
      const late = [...this.#inFlight];
      const reason = new DOMException(
        "The processor stopped before the handler finished",
        "AbortError",
      );
      for (const entry of late) entry.controller.abort(reason);
      const abandons = Promise.allSettled(
        late.map((entry) =>
          entry.settled ? entry.settling : this.#settle(entry, "abandon")
        ),
      );
      // Bounded: with no connection to be had, waiting longer helps nobody
      // (the service unlocks the messages when their locks expire).
      await bound(abandons, {
        timeoutMs: 2 * this.#settleTimeoutMs,
        ref: true,
      }).catch(() => {});
    } finally {
      this.#closed = true;
      this.#notify();
      await this.#running;
      for (const entry of this.#inFlight) this.#stopRenewal(entry);
      const current = this.#current;
      this.#current = undefined;
      if (current !== undefined) await current.close();
    }
  }

  async #drained(): Promise<void> {
    while (this.#inFlight.size > 0) await this.#nextChange();
  }

  #nextChange(): Promise<void> {
    this.#changed ??= new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    return this.#changed;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    this.#changed = undefined;
    wake?.();
  }

  #report(
    error: unknown,
    errorSource: ProcessErrorSource,
    message?: ServiceBusReceivedMessage,
  ): void {
    this.#stats.errors++;
    if (this.#onError === undefined) {
      logger.warning(
        `Service Bus ${this.entityPath}: processor ${errorSource} failed: ${
          errorLabel(error)
        }`,
      );
      return;
    }
    try {
      this.#onError({
        error,
        errorSource,
        entityPath: this.entityPath,
        message,
      });
    } catch (thrown) {
      logger.warning(
        `Service Bus ${this.entityPath}: onError threw ${errorLabel(thrown)}`,
      );
    }
  }

  /** Waits out the backoff of the failures in a row, unless it stops first. */
  async #backoff(): Promise<void> {
    const ceiling = Math.min(
      this.#maxBackoffMs,
      this.#initialBackoffMs * 2 ** this.#failures,
    );
    this.#failures++;
    const delay = ceiling * (0.5 + Math.random() / 2);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const slept = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, delay);
    });
    while (!this.#closed) {
      const woke = await Promise.race([
        slept.then(() => true),
        this.#nextChange().then(() => false),
      ]);
      if (woke) break;
    }
    clearTimeout(timer);
  }

  /** Closes a broken connection; the loop opens the next one. */
  #replace(connection: ProcessorConnection): void {
    if (this.#current !== connection) return;
    this.#current = undefined;
    this.#stats.reconnects++;
    logger.info(
      `Service Bus ${this.entityPath}: processor replaces its client after a connection error`,
    );
    // not awaited: a close on a dead connection can hang (it is bounded by
    // closeTimeoutSeconds) and the next client must not wait for it
    connection.close().catch(() => {});
    this.#notify();
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      if (this.#stopping && this.#inFlight.size === 0) return;
      let connection = this.#current;
      if (connection === undefined) {
        try {
          connection = await this.#connect();
        } catch (error) {
          this.#report(error, "connect");
          await this.#backoff();
          continue;
        }
        if (this.#closed) {
          await connection.close();
          return;
        }
        this.#current = connection;
        this.#notify();
      }
      // Stopping: the connection stays for the settlements of running handlers.
      if (this.#stopping || this.#inFlight.size >= this.#maxConcurrentCalls) {
        await this.#nextChange();
        continue;
      }
      let messages: ServiceBusReceivedMessage[];
      try {
        messages = await connection.receiver.receiveMessages(
          this.#maxConcurrentCalls - this.#inFlight.size,
          {
            maxWaitTimeInMs: this.#maxWaitMs,
            abortSignal: this.#receiveAbort.signal,
          },
        );
      } catch (error) {
        if (this.#stopping) continue;
        this.#report(error, "receive");
        if (isServiceBusConnectionError(error)) this.#replace(connection);
        await this.#backoff();
        continue;
      }
      if (messages.length > 0) this.#failures = 0;
      for (const message of messages) this.#dispatch(connection, message);
    }
  }

  #dispatch(
    connection: ProcessorConnection,
    message: ServiceBusReceivedMessage,
  ): void {
    const entry: InFlight = {
      message,
      connection,
      settled: false,
      settling: undefined,
      reported: undefined,
      controller: new AbortController(),
      renewTimer: undefined,
      renewUntil: Date.now() + this.#renewMs,
    };
    this.#inFlight.add(entry);
    if (this.#stopping) {
      // Received as the stop began: no handler starts, the message goes back.
      this.#settle(entry, "abandon")
        .catch(() => {})
        .finally(() => this.#finish(entry));
      return;
    }
    this.#stats.received++;
    this.#scheduleRenewal(entry);
    // not awaited: #handle catches everything and ends in #finish
    this.#handle(entry);
  }

  async #handle(entry: InFlight): Promise<void> {
    const context = this.#contextOf(entry);
    try {
      await this.#handler(entry.message, context);
      if (!entry.settled) await this.#settle(entry, "complete");
    } catch (error) {
      if (error !== entry.reported) {
        this.#report(error, "handler", entry.message);
      }
      if (!entry.settled) {
        await this.#settle(entry, "abandon").catch(() => {});
      }
    } finally {
      this.#finish(entry);
    }
  }

  #finish(entry: InFlight): void {
    this.#stopRenewal(entry);
    if (this.#inFlight.delete(entry)) this.#notify();
  }

  #contextOf(entry: InFlight): MessageContext {
    return {
      abortSignal: entry.controller.signal,
      get settled() {
        return entry.settled;
      },
      complete: () => this.#settle(entry, "complete"),
      abandon: () => this.#settle(entry, "abandon"),
      defer: () => this.#settle(entry, "defer"),
      deadLetter: (options?: DeadLetterOptions) =>
        this.#settle(entry, "deadLetter", options),
    };
  }

  #settle(
    entry: InFlight,
    operation: Operation,
    deadLetter?: DeadLetterOptions,
  ): Promise<void> {
    if (entry.settled) {
      return Promise.reject(
        new Error(
          `Cannot ${operation} message ${
            String(entry.message.messageId)
          }: it was settled already`,
        ),
      );
    }
    entry.settled = true;
    this.#stopRenewal(entry);
    entry.settling = this.#settleOnce(entry, operation, deadLetter);
    return entry.settling;
  }

  /** A connection to settle through: the current one, or the next one. */
  async #settlingConnection(): Promise<ProcessorConnection | undefined> {
    while (this.#current === undefined && !this.#closed) {
      await this.#nextChange();
    }
    return this.#current;
  }

  async #settleOnce(
    entry: InFlight,
    operation: Operation,
    deadLetter: DeadLetterOptions | undefined,
  ): Promise<void> {
    for (let attempt = 0;; attempt++) {
      const connection = await this.#settlingConnection();
      if (connection === undefined) {
        const error = new Error(
          `Cannot ${operation} message ${
            String(entry.message.messageId)
          }: the processor stopped while it was reconnecting`,
        );
        entry.reported = error;
        this.#report(error, "settle", entry.message);
        throw error;
      }
      try {
        await bound(
          this.#apply(
            connection.receiver,
            entry.message,
            operation,
            deadLetter,
          ),
          { timeoutMs: this.#settleTimeoutMs },
        );
        this.#stats[STATS_KEYS[operation]]++;
        return;
      } catch (error) {
        entry.reported = error;
        this.#report(error, "settle", entry.message);
        // A settlement cut off by a drop may not have reached the service:
        // tried once more on a new client (a repeat of one that did reach it
        // fails with MessageLockLost and changes nothing).
        const broken = isTimeoutError(error) ||
          isServiceBusConnectionError(error);
        if (broken) this.#replace(connection);
        if (!broken || attempt > 0) throw error;
      }
    }
  }

  #apply(
    receiver: ServiceBusReceiver,
    message: ServiceBusReceivedMessage,
    operation: Operation,
    deadLetter: DeadLetterOptions | undefined,
  ): Promise<void> {
    switch (operation) {
      case "complete":
        return receiver.completeMessage(message);
      case "abandon":
        return receiver.abandonMessage(message);
      case "defer":
        return receiver.deferMessage(message);
      case "deadLetter":
        return receiver.deadLetterMessage(message, {
          deadLetterReason: deadLetter?.reason ?? "",
          deadLetterErrorDescription: deadLetter?.description ?? "",
        });
    }
  }

  #scheduleRenewal(entry: InFlight): void {
    if (this.#renewMs === 0 || entry.settled) return;
    const now = Date.now();
    if (now >= entry.renewUntil) return;
    const lockedUntil = entry.message.lockedUntilUtc?.getTime() ?? now;
    // Half the remaining lock: a renewal that fails once still has time.
    const delay = Math.max(50, (lockedUntil - now) / 2);
    entry.renewTimer = setTimeout(() => {
      entry.renewTimer = undefined;
      // not awaited: #renew catches everything and re-arms itself
      this.#renew(entry);
    }, Math.min(delay, entry.renewUntil - now));
  }

  async #renew(entry: InFlight): Promise<void> {
    if (entry.settled || this.#closed) return;
    const connection = this.#current;
    if (connection === undefined) {
      this.#scheduleRenewal(entry);
      return;
    }
    try {
      const until = await bound(
        connection.receiver.renewMessageLock(entry.message),
        { timeoutMs: this.#settleTimeoutMs },
      );
      entry.message.lockedUntilUtc = until;
    } catch (error) {
      if (entry.settled) return;
      this.#report(error, "renewLock", entry.message);
      if (isTimeoutError(error) || isServiceBusConnectionError(error)) {
        this.#replace(connection);
      } else {
        return; // the lock is gone: renewing again cannot help
      }
    }
    this.#scheduleRenewal(entry);
  }

  #stopRenewal(entry: InFlight): void {
    if (entry.renewTimer !== undefined) clearTimeout(entry.renewTimer);
    entry.renewTimer = undefined;
  }
}
