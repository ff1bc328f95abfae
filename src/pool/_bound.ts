/**
 * The one way this library bounds a promise by a time limit and an
 * AbortSignal (internal; never re-exported): the pool's opens, the managed
 * clients' closes and the soak's waits all go through {@linkcode bound}.
 *
 * @module
 */

import { type Clock, systemClock } from "./clock.ts";
import { unrefTimer } from "./_timers.ts";

/** Options of {@linkcode bound}. */
export interface BoundOptions<T> {
  /**
   * The time limit in milliseconds; `Infinity` for none.
   * @default {Infinity}
   */
  timeoutMs?: number;
  /**
   * Rejects early with `abortSignal.reason`, unchanged, when aborted.
   * @default {undefined}
   */
  abortSignal?: AbortSignal;
  /**
   * The clock whose timer measures `timeoutMs` (tests pass a fake one).
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Whether the pending timer may keep the process alive.
   * @default {false}
   */
  ref?: boolean;
  /**
   * Called with the outcome of `promise` when it settles after the bound gave
   * up (timeout or abort): for example to close a connection that arrived
   * too late. A late rejection is otherwise swallowed.
   * @default {undefined}
   */
  onLate?: (outcome: PromiseSettledResult<T>) => void;
}

/**
 * Settles like `promise`, unless `timeoutMs` passes first (then it rejects
 * with a `TimeoutError` `DOMException`) or `abortSignal` aborts first (then it
 * rejects with `abortSignal.reason`, unchanged). The timer and the abort
 * listener are removed however it settles. `promise` itself is not cancelled:
 * pass the same signal to the work if it should stop; what it delivers late
 * goes to `onLate`.
 *
 * @typeParam T The promise's value type.
 * @param promise The work to bound.
 * @param options The time limit, the signal, the clock and the late handler.
 * @returns The promise's value.
 * @throws {DOMException} `TimeoutError` when the time limit passes first.
 * @throws {RangeError} If `timeoutMs` is negative or NaN.
 */
export function bound<T>(
  promise: Promise<T>,
  options: BoundOptions<T> = {},
): Promise<T> {
  const {
    timeoutMs = Infinity,
    abortSignal,
    clock = systemClock,
    ref = false,
    onLate,
  } = options;
  if (!(timeoutMs >= 0)) {
    throw new RangeError(
      `Cannot bound a promise as 'timeoutMs' must be non-negative: received ${timeoutMs}`,
    );
  }
  let gaveUp = false;
  const late = (outcome: PromiseSettledResult<T>) => {
    if (onLate === undefined) return;
    try {
      onLate(outcome);
    } catch {
      // A late handler's failure has nobody left to tell.
    }
  };
  if (abortSignal?.aborted) {
    gaveUp = true;
    promise.then(
      (value) => late({ status: "fulfilled", value }),
      (reason) => late({ status: "rejected", reason }),
    );
    return Promise.reject(abortSignal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let timer: unknown;
    const cleanup = () => {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      abortSignal?.removeEventListener("abort", onAbort);
    };
    const giveUp = (reason: unknown) => {
      if (gaveUp) return;
      gaveUp = true;
      cleanup();
      reject(reason);
    };
    const onAbort = () => giveUp(abortSignal!.reason);
    if (timeoutMs !== Infinity) {
      timer = clock.setTimeout(() => {
        timer = undefined;
        giveUp(
          new DOMException(
            `Timed out after ${timeoutMs} ms`,
            "TimeoutError",
          ),
        );
      }, timeoutMs);
      if (!ref) unrefTimer(timer);
    }
    abortSignal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        if (gaveUp) return late({ status: "fulfilled", value });
        gaveUp = true;
        cleanup();
        resolve(value);
      },
      (reason) => {
        if (gaveUp) return late({ status: "rejected", reason });
        gaveUp = true;
        cleanup();
        reject(reason);
      },
    );
  });
}

/**
 * Whether `error` is the `TimeoutError` that {@linkcode bound} rejects with.
 *
 * @param error A rejection.
 * @returns `true` for a `TimeoutError`.
 */
export function isTimeoutError(error: unknown): boolean {
  return typeof error === "object" && error !== null &&
    (error as { name?: unknown }).name === "TimeoutError";
}
