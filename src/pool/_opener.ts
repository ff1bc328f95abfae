/**
 * The only code that calls the connector: it opens one connection (create,
 * then ready, bounded by an overdue limit and by `close()`), keeps track of
 * creates the pool gave up on but that may still deliver, and closes
 * connections.
 *
 * An open is given up as overdue when the service is slow, not when this
 * process is busy. A burst of callers doing CPU work makes every
 * open started meanwhile take many times longer on the clock than the first
 * one, on an idle loop, did; the service did nothing wrong. So an open is
 * judged by its own time: the time since it started, less the time the event
 * loop was held (`_loop_delay.ts`: a timer every 10 ms, running only while
 * opens are in flight; a firing more than 5 ms late counts its whole period
 * as held). When its check falls due and its own time is still under the
 * limit, the check re-arms for the rest instead of aborting.
 *
 * The limit on an open's own time is learned from recent opens: four times
 * the slowest of the last 16 that succeeded, at least 0.1 s, at most
 * `createTimeoutSeconds`. Their durations are taken on the clock, delay
 * included (an upper bound on the service's time), so a busy spell can only
 * make the limit more lenient. From the third open in a row given up this
 * way, each doubles it (still capped), so a service that became slower is
 * not locked out, while random hangs among fast opens rarely raise it.
 * `createTimeoutSeconds` also bounds every open on the clock, however busy
 * the process: one busy for that long gives up too. An open past its limit
 * is aborted through its signal; if the connector ignores the abort, its
 * create becomes an orphan: it no longer counts as in flight (against
 * `maxConcurrentCreates`), only against `maxSize`, until it settles.
 *
 * Before any open succeeded nothing is known (a first open may fetch a
 * token): the limit is `createTimeoutSeconds`, but an open running past
 * 0.5 s of its own time is hedged: it stops counting as in flight, so
 * another may start beside it, and once one succeeds every open past the
 * learned limit (in own time) is aborted.
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
import { LoopDelay } from "./_loop_delay.ts";
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
  /** An open was hedged: it no longer counts as in flight, another may start. */
  hedged(): void;
  /** Reads the clock (the pool keeps its last reading). */
  now(): number;
}

/** One open in flight. */
interface Running {
  readonly startedAt: number;
  /** The loop delay counted when it started (see `LoopDelay`). */
  readonly delayedAtStart: number;
  readonly controller: AbortController;
  /** Its own time (see the module's description) after which it is aborted as overdue. */
  limitMs: number;
  /** The timer of its next check. */
  timer: unknown;
  /** Before any open succeeded: it is hedged once its own time passes HEDGE_MS. */
  hedgeDue: boolean;
  /** Counted in `hedged`, not `inFlight`. */
  hedged: boolean;
  /** Aborted for running past its limit (not by close()). */
  overdue: boolean;
}

/** The overdue limit never goes below this. */
export const OVERDUE_FLOOR_MS = 100;
/** Before any open succeeded, an open running this long is hedged. */
export const HEDGE_MS = 500;
/** How many times the slowest recent open an open may take. */
const OVERDUE_FACTOR = 4;
/** How many successful opens the limit is learned from. */
const LEARNED = 16;

/** Opens and closes the pool's connections through its connector. */
export class Opener<C> {
  readonly #connector: Connector<C>;
  readonly #clock: Clock;
  readonly #createTimeoutMs: number;
  readonly #host: OpenerHost<C>;
  /** Slots whose create was abandoned but may still deliver a connection. */
  readonly #orphans = new Set<ConnectionRecord<C>>();
  /** How long the last LEARNED successful opens took, oldest first. */
  readonly #durations: number[] = [];
  /** Opens given up as overdue since the last success. */
  #overdueInARow = 0;
  readonly #running = new Set<Running>();
  /** The event loop's delay, sampled while opens are in flight. */
  readonly #delay: LoopDelay;
  #inFlight = 0;
  #hedged = 0;
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
    this.#delay = new LoopDelay(clock);
  }

  /** Opens in flight (create or ready), hedged ones aside. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Opens hedged before any open succeeded: still running, no longer counted in `inFlight`. */
  get hedged(): number {
    return this.#hedged;
  }

  /**
   * Abandoned creates that have not settled (overdue opens whose connector
   * ignored the abort); each still holds its slot, counted against `maxSize`.
   */
  get orphans(): number {
    return this.#orphans.size;
  }

  /** Connections `create` delivered, late ones included. */
  get created(): number {
    return this.#created;
  }

  /**
   * How long an open started now may run, in its own time (the loop's delay
   * aside), before it is aborted as overdue, in ms (see the module's
   * description).
   */
  get overdueMs(): number {
    if (this.#durations.length === 0) return this.#createTimeoutMs;
    const base = Math.max(
      OVERDUE_FLOOR_MS,
      OVERDUE_FACTOR * this.slowestRecentMs,
    );
    return Math.min(
      this.#createTimeoutMs,
      base * 2 ** Math.min(Math.max(0, this.#overdueInARow - 2), 20),
    );
  }

  /** The slowest of the recent successful opens, in ms (0 before any). */
  get slowestRecentMs(): number {
    let slowest = 0;
    for (const ms of this.#durations) if (ms > slowest) slowest = ms;
    return slowest;
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

  /**
   * Asks the connector to watch `slot`'s ready connection, if it can;
   * `broken` hears of its death. A connector that throws here is left
   * unwatched: the pool still learns of a dead connection from its callers.
   */
  watch(
    slot: ConnectionRecord<C>,
    broken: (slot: ConnectionRecord<C>, reason: string) => void,
  ): void {
    const watch = this.#connector.watch;
    if (watch === undefined) return;
    try {
      watch.call(
        this.#connector,
        slot.connection as C,
        (reason) => broken(slot, String(reason)),
      );
    } catch {
      // Unwatched; see above.
    }
  }

  /** Closes a connection, turning a synchronous throw into a rejection. */
  close(connection: C): Promise<void> {
    return call(() => this.#connector.close(connection));
  }

  async #open(slot: ConnectionRecord<C>): Promise<void> {
    const controller = slot.controller!;
    const signal = controller.signal;
    const startedAt = this.#host.now();
    const limitMs = this.overdueMs;
    // The sampler runs only while opens are in flight.
    this.#delay.start(startedAt);
    const running: Running = {
      startedAt,
      delayedAtStart: this.#delay.delayedMs(startedAt),
      controller,
      limitMs,
      timer: undefined,
      hedgeDue: this.#durations.length === 0 && limitMs > HEDGE_MS,
      hedged: false,
      overdue: false,
    };
    this.#running.add(running);
    this.#check(running, startedAt);
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
      this.#clock.clearTimeout(running.timer);
      slot.controller = undefined;
    }
    this.#running.delete(running);
    if (this.#running.size === 0) this.#delay.stop();
    if (running.hedged) this.#hedged--;
    else this.#inFlight--;
    if (createPending) this.#orphans.add(slot);
    if (failed) {
      if (running.overdue) this.#overdueInARow++;
      this.#host.failed(slot, failure);
    } else {
      this.#overdueInARow = 0;
      if (this.#durations.length === LEARNED) this.#durations.shift();
      const now = this.#host.now();
      // On the clock, delay included: an upper bound on the service's time,
      // so a busy spell can only make the limit more lenient, never stricter.
      this.#durations.push(now - running.startedAt);
      // The limit may have come down (the first success is the first evidence):
      // the opens in flight get it too, and those already past it are given up.
      const limitMs = this.overdueMs;
      for (const other of [...this.#running]) {
        other.hedgeDue = false;
        if (limitMs < other.limitMs) {
          other.limitMs = limitMs;
          this.#check(other, now);
        }
      }
      this.#host.opened(slot);
    }
  }

  /** How long `running` has run on its own at `now`: on the clock, less the loop's delay. */
  #ownMs(running: Running, now: number): number {
    const delayed = this.#delay.delayedMs(now) - running.delayedAtStart;
    return Math.max(0, now - running.startedAt - delayed);
  }

  /**
   * Aborts `running` if it is past `createTimeoutSeconds` on the clock or
   * past its limit in its own time, hedges it if due; otherwise arms the
   * next check for when, were the loop free from now on, one of those would
   * fall due.
   */
  #check(running: Running, now: number): void {
    if (!this.#running.has(running) || running.overdue) return;
    if (running.timer !== undefined) {
      this.#clock.clearTimeout(running.timer);
      running.timer = undefined;
    }
    const elapsed = now - running.startedAt;
    if (elapsed >= this.#createTimeoutMs) {
      return this.#abortOverdue(running, this.#createTimeoutMs, true);
    }
    const own = this.#ownMs(running, now);
    if (own >= running.limitMs) {
      return this.#abortOverdue(running, running.limitMs, false);
    }
    if (running.hedgeDue && own >= HEDGE_MS) {
      running.hedgeDue = false;
      running.hedged = true;
      this.#inFlight--;
      this.#hedged++;
      this.#host.hedged();
      // The host may have started opens, even closed: this one may be over.
      if (!this.#running.has(running) || running.overdue) return;
    }
    const next = Math.min(
      this.#createTimeoutMs - elapsed,
      running.limitMs - own,
      running.hedgeDue ? HEDGE_MS - own : Infinity,
    );
    running.timer = unrefTimer(
      this.#clock.setTimeout(() => {
        running.timer = undefined;
        this.#check(running, this.#host.now());
      }, next),
    );
  }

  /** Aborts an open that ran past its limit. */
  #abortOverdue(running: Running, limitMs: number, absolute: boolean): void {
    running.overdue = true;
    running.controller.abort(
      new DOMException(
        absolute
          ? `Opening a connection took longer than ${
            Math.round(limitMs)
          } ms (createTimeoutSeconds)`
          : `Opening a connection took longer than ${
            Math.round(limitMs)
          } ms, not counting time this process was too busy to run (overdue: far longer than recent opens)`,
        "TimeoutError",
      ),
    );
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
