/**
 * A clock whose time moves only when a test says so.
 *
 * @module
 */

import type { Clock } from "../pool/clock.ts";

interface Timer {
  id: number;
  at: number;
  callback: () => void;
}

/**
 * A {@linkcode Clock} for tests: `now()` stands still until `tick(ms)` moves it,
 * firing the timers that fall due, in order of due time (then of arming).
 * Pass it as the pool's `clock` option to test idle and lifespan recycling,
 * acquire deadlines and backoff without sleeping.
 *
 * @example Firing a timer by moving time
 * ```ts
 * import { FakeClock } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new FakeClock();
 * let fired = 0;
 * clock.setTimeout(() => fired++, 1000);
 * clock.tick(999);
 * assert.equal(fired, 0);
 * clock.tick(1);
 * assert.equal(fired, 1);
 * ```
 *
 * @example Driving a pool's idle recycling
 * ```ts
 * import { ConnectionPool } from "../pool/connection_pool.ts";
 * import { FakeClock } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new FakeClock();
 * let closed = 0;
 * const pool = new ConnectionPool({
 *   create: () => Promise.resolve({}),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(void closed++),
 * }, { maxIdleSeconds: 10, clock });
 * await pool.use(() => {});
 * await clock.tickAsync(10_000);
 * assert.equal(closed, 1);
 * await pool.close();
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 0;
  #timers = new Map<number, Timer>();

  /**
   * Constructs a clock.
   *
   * @param start The initial time in milliseconds.
   */
  constructor(start = 0) {
    this.#now = start;
  }

  /**
   * The current fake time in milliseconds.
   *
   * @returns The time.
   */
  now(): number {
    return this.#now;
  }

  /**
   * Arms a timer that fires when the clock has moved `ms` forward.
   *
   * @param callback What to call.
   * @param ms Delay in milliseconds (negative or NaN counts as 0).
   * @returns The timer's id.
   */
  setTimeout(callback: () => void, ms: number): number {
    const id = ++this.#nextId;
    this.#timers.set(id, { id, at: this.#now + (ms > 0 ? ms : 0), callback });
    return id;
  }

  /**
   * Disarms a timer; unknown ids are ignored.
   *
   * @param handle The id `setTimeout` returned.
   */
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** The number of armed timers. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** The due time of the earliest armed timer, or `undefined`. */
  get nextTimerAt(): number | undefined {
    let next: number | undefined;
    for (const timer of this.#timers.values()) {
      if (next === undefined || timer.at < next) next = timer.at;
    }
    return next;
  }

  /**
   * Moves time forward by `ms`, firing each timer that falls due at its due
   * time (timers armed by those callbacks fire too if they fall due).
   *
   * @param ms Milliseconds to move (non-negative).
   * @throws {RangeError} If `ms` is negative or NaN.
   */
  tick(ms: number): void {
    if (!(ms >= 0)) {
      throw new RangeError(
        `Cannot tick the clock as 'ms' must be non-negative: received ${ms}`,
      );
    }
    const end = this.#now + ms;
    for (;;) {
      const timer = this.#due(end);
      if (timer === undefined) break;
      this.#timers.delete(timer.id);
      this.#now = Math.max(this.#now, timer.at);
      timer.callback();
    }
    this.#now = end;
  }

  /**
   * Moves time forward by `ms` without firing any timer, as when a frozen
   * process (a suspended serverless instance, a stalled event loop) thaws:
   * the timers that fell due fire late, at the next `tick` or `tickAsync`
   * (`tick(0)` fires them now), with `now()` already past their due time.
   *
   * @param ms Milliseconds to move (non-negative).
   * @throws {RangeError} If `ms` is negative or NaN.
   *
   * @example Time moves, the timer fires only on the next tick
   * ```ts
   * import { FakeClock } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const clock = new FakeClock();
   * const firedAt: number[] = [];
   * clock.setTimeout(() => firedAt.push(clock.now()), 1000);
   * clock.jump(5000);
   * assert.deepEqual(firedAt, []);
   * clock.tick(0);
   * assert.deepEqual(firedAt, [5000]);
   * ```
   */
  jump(ms: number): void {
    if (!(ms >= 0)) {
      throw new RangeError(
        `Cannot jump the clock as 'ms' must be non-negative: received ${ms}`,
      );
    }
    this.#now += ms;
  }

  /**
   * Like `tick`, but lets promise callbacks run after each timer (and before
   * returning), so async work the timers start can finish.
   *
   * @param ms Milliseconds to move (non-negative).
   * @returns When time has moved and pending callbacks ran.
   * @throws {RangeError} If `ms` is negative or NaN.
   */
  async tickAsync(ms: number): Promise<void> {
    if (!(ms >= 0)) {
      throw new RangeError(
        `Cannot tick the clock as 'ms' must be non-negative: received ${ms}`,
      );
    }
    const end = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const timer = this.#due(end);
      if (timer === undefined) break;
      this.#timers.delete(timer.id);
      this.#now = Math.max(this.#now, timer.at);
      timer.callback();
      await flushMicrotasks();
    }
    this.#now = end;
    await flushMicrotasks();
  }

  #due(end: number): Timer | undefined {
    let first: Timer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.at <= end && (first === undefined || timer.at < first.at)) {
        first = timer;
      }
    }
    return first;
  }
}

/**
 * Lets pending promise callbacks run: awaits a chain of resolved promises long
 * enough for the usual async hops (a fixed number, so it is deterministic).
 *
 * @param hops How many microtask turns to yield.
 * @returns When the turns have passed.
 *
 * @example Letting a promise chain finish
 * ```ts
 * import { flushMicrotasks } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * let done = false;
 * Promise.resolve().then(() => {}).then(() => (done = true));
 * await flushMicrotasks();
 * assert.equal(done, true);
 * ```
 */
export async function flushMicrotasks(hops = 64): Promise<void> {
  for (let i = 0; i < hops; i++) await Promise.resolve();
}
