/**
 * When the pool may open the next connection after failures, and when
 * waiting callers should stop waiting: the policy half of opening, kept apart
 * from the mechanism (`_opener.ts`) so that it can be replaced whole.
 *
 * @module
 */

import { ConnectionFailed } from "./errors.ts";
import { errorName } from "./_logger.ts";

/** What the pool asks of an open policy; it tells the policy every open's outcome. */
export interface OpenPolicy {
  /** The clock time before which no open may start; at or before now means now. */
  readonly nextOpenAt: number;
  /** The last open failure since the last success, for the callers' errors. */
  readonly lastError: unknown;
  /** An open succeeded. */
  opened(): void;
  /**
   * An open failed at `now`.
   *
   * @returns The shortest delay before the next attempt, in ms (for the log).
   */
  failed(error: unknown, now: number): number;
  /**
   * Whether callers should get `ConnectionFailed` now rather than wait, given
   * that no connection is ready or opening.
   */
  failFast(now: number): boolean;
  /** The error for a caller that fails fast. */
  failure(poolId: string, what: string): ConnectionFailed;
}

/** Consecutive failed opens after which callers get `ConnectionFailed` at once. */
const FAIL_FAST_AFTER = 2;

/**
 * Exponential backoff with jitter after failed opens; callers fail fast after
 * `FAIL_FAST_AFTER` failures in a row while the pool backs off. One failure
 * alone keeps callers waiting for the quick retry after the first backoff, so
 * a single dropped connection does not fail every queued caller.
 */
export class BackoffPolicy implements OpenPolicy {
  readonly #initialMs: number;
  readonly #maxMs: number;
  #consecutiveFailures = 0;
  #nextOpenAt = 0;
  #lastError: unknown = undefined;

  constructor(initialBackoffMs: number, maxBackoffMs: number) {
    this.#initialMs = initialBackoffMs;
    this.#maxMs = maxBackoffMs;
  }

  get nextOpenAt(): number {
    return this.#nextOpenAt;
  }

  get lastError(): unknown {
    return this.#lastError;
  }

  opened(): void {
    this.#consecutiveFailures = 0;
    this.#nextOpenAt = 0;
    this.#lastError = undefined;
  }

  failed(error: unknown, now: number): number {
    this.#consecutiveFailures++;
    this.#lastError = error;
    const ceiling = Math.min(
      this.#maxMs,
      this.#initialMs * 2 ** Math.min(this.#consecutiveFailures - 1, 30),
    );
    // Jittered (half to full ceiling) so that many pools do not retry in step.
    this.#nextOpenAt = now + ceiling * (0.5 + Math.random() / 2);
    return ceiling / 2;
  }

  failFast(now: number): boolean {
    return this.#consecutiveFailures >= FAIL_FAST_AFTER &&
      now < this.#nextOpenAt;
  }

  failure(poolId: string, what: string): ConnectionFailed {
    const cause = this.#lastError;
    return new ConnectionFailed(
      `Cannot acquire a connection from ${poolId}: ${what} (${
        errorName(cause)
      }); ${this.#consecutiveFailures} consecutive failures`,
      { cause },
    );
  }
}
