/**
 * The one place the pool reads time and arms timers, so tests can fake both.
 *
 * @module
 */

/**
 * A source of monotonic time in milliseconds and of one-shot timers.
 *
 * The pool reads time only through this interface, so a test can pass a fake
 * clock (see `FakeClock` in `./testing`) and step time by hand.
 *
 * @example The system clock
 * ```ts
 * import { systemClock } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const before = systemClock.now();
 * assert.ok(systemClock.now() >= before);
 * ```
 */
export interface Clock {
  /** Milliseconds on a monotonic clock; only differences are meaningful. */
  now(): number;
  /**
   * Calls `callback` once after `ms` milliseconds. The pool never lets such a
   * timer keep the process alive.
   *
   * @param callback What to call.
   * @param ms The delay in milliseconds.
   * @returns A handle for `clearTimeout`.
   */
  setTimeout(callback: () => void, ms: number): unknown;
  /**
   * Cancels a timer armed by `setTimeout`.
   *
   * @param handle The handle `setTimeout` returned.
   */
  clearTimeout(handle: unknown): void;
}

/**
 * The clock of the running program: `Date.now()` and the global timers.
 *
 * `Date.now()` rather than `performance.now()`: the pool reads the clock when
 * a connection goes idle and when a caller queues, and on the machines this
 * library is measured on `performance.now()` costs 220-440 ns a call against
 * 160 ns. Millisecond resolution is enough for idle, lifespan and acquire
 * timeouts, and test tools that fake `Date` (such as `node:test`'s mock
 * timers) then fake the pool's time too. If the system clock steps, the
 * pool's timers still fire after their delays: a timer that fired counts its
 * own delay as passed.
 *
 * @example Arming and clearing a timer
 * ```ts
 * import { systemClock } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * let fired = false;
 * const handle = systemClock.setTimeout(() => (fired = true), 10);
 * systemClock.clearTimeout(handle);
 * assert.equal(fired, false);
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
};
