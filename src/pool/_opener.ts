/**
 * The only code that calls the connector: it opens one connection (create,
 * then ready, bounded by `createTimeoutSeconds` and by `close()`), keeps
 * track of creates the pool gave up on but that may still deliver, and
 * closes connections.
 *
 * ```
 * start(slot) ─▶ create ─▶ ready ─▶ host.opened(slot)
 *                  │         └─ throws, not ready, timeout ─▶ host.failed(slot, error)
 *                  └─ gave up while pending: an orphan; what it delivers late
 *                     goes to host.closeLate(slot), or host.forget(slot) if nothing
 * ```
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import type { Connector } from "./connector.ts";
import type { ConnectionRecord } from "./shared_transport_connection.ts";
import { bound } from "./_bound.ts";
import { unrefTimer } from "./_timers.ts";

/** What the opener tells the pool about each open it started. */
export interface OpenerHost<C> {
  /** `slot.connection` is created and ready. */
  opened(slot: ConnectionRecord<C>): void;
  /** The open failed or was abandoned; `slot.connection` is set if create delivered. */
  failed(slot: ConnectionRecord<C>, error: unknown): void;
  /** An abandoned create delivered `slot.connection` late: it must be closed. */
  closeLate(slot: ConnectionRecord<C>): void;
  /** An abandoned create delivered nothing: the slot can go. */
  forget(slot: ConnectionRecord<C>): void;
  /** Reads the clock (the pool keeps its last reading). */
  now(): number;
}

/** Opens and closes the pool's connections through its connector. */
export class Opener<C> {
  readonly #connector: Connector<C>;
  readonly #clock: Clock;
  readonly #createTimeoutMs: number;
  readonly #host: OpenerHost<C>;
  /** Slots whose create was abandoned but may still deliver a connection. */
  readonly #orphans = new Set<ConnectionRecord<C>>();
  #inFlight = 0;
  #created = 0;

  constructor(
    connector: Connector<C>,
    clock: Clock,
    createTimeoutMs: number,
    host: OpenerHost<C>,
  ) {
    this.#connector = connector;
    this.#clock = clock;
    this.#createTimeoutMs = createTimeoutMs;
    this.#host = host;
  }

  /** Opens in flight (create or ready). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Abandoned creates that have not settled; each still holds its slot. */
  get orphans(): number {
    return this.#orphans.size;
  }

  /** Connections `create` delivered, late ones included. */
  get created(): number {
    return this.#created;
  }

  /** Whether `slot`'s create was abandoned and has not settled yet. */
  isOrphan(slot: ConnectionRecord<C>): boolean {
    return this.#orphans.has(slot);
  }

  /**
   * Opens `slot`; the host hears how it ended.
   *
   * @returns When the host has heard; rejects only if the host threw.
   */
  start(slot: ConnectionRecord<C>): Promise<void> {
    this.#inFlight++;
    return this.#open(slot);
  }

  /** Closes a connection, turning a synchronous throw into a rejection. */
  close(connection: C): Promise<void> {
    return call(() => this.#connector.close(connection));
  }

  async #open(slot: ConnectionRecord<C>): Promise<void> {
    const controller = slot.controller!;
    const signal = controller.signal;
    const timer = unrefTimer(this.#clock.setTimeout(() => {
      controller.abort(
        new DOMException(
          `Opening a connection took longer than ${this.#createTimeoutMs} ms`,
          "TimeoutError",
        ),
      );
    }, this.#createTimeoutMs));
    let failed = false;
    let failure: unknown = undefined;
    let createPending = true;
    try {
      const creating = call(() => this.#connector.create(signal));
      const settled = () => (createPending = false);
      creating.then(settled, settled);
      const connection = await bound(creating, {
        abortSignal: signal,
        // A connection that arrives after we gave up is still closed, exactly once.
        onLate: (outcome) =>
          this.#settleOrphan(
            slot,
            outcome.status === "fulfilled" ? outcome.value : undefined,
          ),
      });
      if (connection === undefined || connection === null) {
        throw new TypeError("Connector create() resolved without a connection");
      }
      this.#created++;
      slot.connection = connection;
      slot.createdAt = slot.idleSince = this.#host.now();
      const answer: unknown = await bound(
        call(() => this.#connector.ready(connection, signal)),
        { abortSignal: signal },
      );
      // `undefined` (a `Promise<void>`) means ready too; anything but true or undefined fails.
      if (answer !== true && answer !== undefined) {
        throw new Error(
          answer === false
            ? "Connector ready() answered false"
            : `Connector ready() answered ${typeof answer}, not a boolean`,
        );
      }
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      this.#clock.clearTimeout(timer);
      slot.controller = undefined;
    }
    this.#inFlight--;
    if (createPending) this.#orphans.add(slot);
    if (failed) this.#host.failed(slot, failure);
    else this.#host.opened(slot);
  }

  /** The abandoned create of `slot` settled: close what it delivered, or forget the slot. */
  #settleOrphan(slot: ConnectionRecord<C>, connection: C | undefined): void {
    // It may settle before #open has marked it orphaned; the host then sees no pending create.
    this.#orphans.delete(slot);
    if (connection === undefined || connection === null) {
      this.#host.forget(slot);
      return;
    }
    this.#created++;
    slot.connection = connection;
    this.#host.closeLate(slot);
  }
}

/** Calls the connector so that a synchronous throw or a non-promise becomes a promise. */
function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
