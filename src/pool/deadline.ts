/**
 * Bounding a promise by a time limit and an AbortSignal.
 *
 * @module
 */

import { type Clock, systemClock } from "./clock.ts";
import { unrefTimer } from "./_timers.ts";

/** Options of {@linkcode deadline}. */
export interface DeadlineOptions {
  /**
   * Rejects early with `signal.reason` when aborted.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * The clock whose timer measures `ms` (tests pass a fake one).
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Whether the pending timer may keep the process alive.
   * @default {true}
   */
  ref?: boolean;
}

/**
 * Settles like `promise`, unless `ms` milliseconds pass first (then it rejects
 * with a `TimeoutError` `DOMException`) or `options.signal` aborts first (then
 * it rejects with `signal.reason`, unchanged). The timer and the abort
 * listener are removed however it settles. `promise` itself is not cancelled:
 * pass the same signal to the work if it should stop.
 *
 * @typeParam T The promise's value type.
 * @param promise The work to bound.
 * @param ms The time limit in milliseconds (non-negative; `Infinity` for none).
 * @param options A signal and a clock.
 * @returns The promise's value.
 * @throws {DOMException} `TimeoutError` when the time limit passes first.
 * @throws {RangeError} If `ms` is negative or NaN.
 *
 * @example A slow promise times out
 * ```ts
 * import { deadline } from "./deadline.ts";
 * import assert from "node:assert/strict";
 *
 * const never = new Promise<never>(() => {});
 * await assert.rejects(deadline(never, 10), { name: "TimeoutError" });
 * assert.equal(await deadline(Promise.resolve(1), 1000), 1);
 * ```
 */
export function deadline<T>(
  promise: Promise<T>,
  ms: number,
  options: DeadlineOptions = {},
): Promise<T> {
  if (!(ms >= 0)) {
    throw new RangeError(
      `Cannot set a deadline as 'ms' must be non-negative: received ${ms}`,
    );
  }
  const { signal, clock = systemClock, ref = true } = options;
  if (signal?.aborted) {
    promise.catch(() => {}); // not awaited: the caller gave up; keep its rejection handled
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let timer: unknown;
    const cleanup = () => {
      if (timer !== undefined) clock.clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      cleanup();
      reject(signal!.reason);
    };
    if (ms !== Infinity) {
      timer = clock.setTimeout(() => {
        timer = undefined;
        cleanup();
        reject(
          new DOMException(`Signal timed out after ${ms} ms`, "TimeoutError"),
        );
      }, ms);
      if (!ref) unrefTimer(timer);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error) => {
        cleanup();
        reject(error);
      },
    );
  });
}
