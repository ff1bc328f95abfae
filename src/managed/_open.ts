/**
 * How the unpooled twins (`Cosmos`, `SimpleCosmos`, `ServiceBus`,
 * `EventHubProducer`) open a client the way the pool does (internal; never
 * re-exported): `create`, then `ready`, once, shared by every caller waiting
 * for it. A failed open closes what it made and becomes `ConnectionFailed`
 * whose `cause` is the SDK's error (a `RequestFailed` the connector made of
 * the service's refusal passes as is); each caller's signal ends only its own
 * wait; `abort` (the twin's `close`) stops the open in flight and tears it
 * down.
 *
 * @module
 */

import { bound } from "../pool/_bound.ts";
import type { Connector } from "../pool/connector.ts";
import { ConnectionFailed, RequestFailed } from "../pool/errors.ts";
import { errorLabel } from "./_checks.ts";
import { logger } from "./log.ts";

/** One client opened on demand through a connector, shared by its callers. */
export class SharedOpen<C> {
  readonly #what: string;
  readonly #connector: Connector<C>;
  readonly #opened: (client: C) => void;
  #controller = new AbortController();
  #opening: Promise<C> | undefined;

  /**
   * Opens nothing yet.
   *
   * @param what The twin and its endpoint, for messages (no secret).
   * @param connector Opens, proves and closes the client.
   * @param opened Told of each client as soon as it is ready, before any
   * caller hears of it (so that a `close()` right then finds it).
   */
  constructor(
    what: string,
    connector: Connector<C>,
    opened: (client: C) => void,
  ) {
    this.#what = what;
    this.#connector = connector;
    this.#opened = opened;
  }

  /**
   * Joins the open in flight, or starts one.
   *
   * @param abortSignal Ends this caller's wait (with its reason), not the
   * open, which other callers may be waiting for.
   * @returns The client, created and ready.
   * @throws {ConnectionFailed} When the open failed (`cause`: the SDK's
   * error); the next call opens again.
   * @throws {unknown} The caller's signal's reason, or the reason given to
   * `abort`.
   */
  join(abortSignal?: AbortSignal): Promise<C> {
    if (abortSignal?.aborted) return Promise.reject(abortSignal.reason);
    const opening = this.#opening ??= this.#open(this.#controller.signal)
      .finally(() => {
        if (this.#opening === opening) this.#opening = undefined;
      });
    return abortSignal === undefined
      ? opening
      : bound(opening, { abortSignal });
  }

  /**
   * Aborts the open in flight, if any, and waits until its client is closed.
   * A later `join` opens anew.
   *
   * @param reason What the open's waiting callers get.
   * @returns When the open settled.
   */
  async abort(reason: unknown): Promise<void> {
    const controller = this.#controller;
    this.#controller = new AbortController();
    controller.abort(reason);
    await this.#opening?.catch(() => {});
  }

  async #open(signal: AbortSignal): Promise<C> {
    let client: C | undefined;
    try {
      client = await bound(call(() => this.#connector.create(signal)), {
        abortSignal: signal,
        // A client made after we gave up is closed all the same.
        onLate: (outcome) => {
          if (outcome.status === "fulfilled") this.#closeQuietly(outcome.value);
        },
      });
      const answer: unknown = await bound(
        call(() => this.#connector.ready(client!, signal)),
        { abortSignal: signal },
      );
      if (answer !== true && answer !== undefined) {
        throw new Error("the readiness check answered false");
      }
      this.#opened(client);
      return client;
    } catch (error) {
      if (client !== undefined) await this.#closeQuietly(client);
      if (signal.aborted) throw signal.reason;
      logger.info(`${this.#what}: open failed: ${errorLabel(error)}`);
      // The service's answer (a refused key, a missing entity), named already.
      if (error instanceof RequestFailed) throw error;
      throw new ConnectionFailed(
        `Cannot open ${this.#what}: ${errorLabel(error)}`,
        { cause: error },
      );
    }
  }

  async #closeQuietly(client: C): Promise<void> {
    try {
      await this.#connector.close(client);
    } catch (error) {
      logger.info(`${this.#what}: close failed: ${errorLabel(error)}`);
    }
  }
}

/** Calls `fn`, turning a synchronous throw into a rejection. */
function call<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
