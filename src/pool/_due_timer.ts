/**
 * One timer armed for the earliest of many due times: the pool's queue
 * deadlines, its idle and lifespan expiries and its backoff retry each use
 * one, never one timer per waiter or per connection.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import { refTimer, unrefTimer } from "./_timers.ts";

/** A single timer that fires `fire(due)` at the earliest time it was armed for. */
export class DueTimer {
  readonly #clock: Clock;
  readonly #fire: (due: number) => void;
  readonly #unref: boolean;
  /** Whether an armed timer may keep the process alive now (see `hold`). */
  #held: boolean;
  #handle: unknown = undefined;
  #at = Infinity;

  /**
   * @param clock Whose timer to use.
   * @param fire Called once per firing, with the due time it was armed for.
   * @param unref Whether the timer may not keep the process alive.
   */
  constructor(clock: Clock, fire: (due: number) => void, unref: boolean) {
    this.#clock = clock;
    this.#fire = fire;
    this.#unref = unref;
    this.#held = !unref;
  }

  /** Whether the timer is armed. */
  get armed(): boolean {
    return this.#handle !== undefined;
  }

  /** Arms the timer for `at`, unless it is already armed for that time or earlier. */
  arm(at: number, now: number): void {
    if (at >= this.#at) return;
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    this.#at = at;
    const handle = this.#clock.setTimeout(() => {
      this.#handle = undefined;
      this.#at = Infinity;
      this.#fire(at);
    }, Math.max(0, Math.ceil(at - now)));
    this.#handle = this.#held ? handle : unrefTimer(handle);
  }

  /**
   * Lets the timer keep the process alive or not, without disarming it: a
   * timer re-armed for every lone waiter costs more than the hand-off. Where
   * the timer cannot be unref'd (a clock whose handles lack `unref`), letting
   * go of it cancels it instead, so it never holds the process.
   *
   * @param held Whether it keeps the process alive (for timers made with
   * `unref: false`; an unref'd timer ignores this).
   */
  hold(held: boolean): void {
    if (this.#unref || held === this.#held) return;
    this.#held = held;
    const handle = this.#handle;
    if (handle !== undefined && !refTimer(handle, held) && !held) {
      this.cancel();
    }
  }

  /** Disarms the timer. */
  cancel(): void {
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = Infinity;
  }
}
