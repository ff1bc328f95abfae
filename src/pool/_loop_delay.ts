/**
 * How long this process could not run: the evidence that tells a busy
 * process from a slow service when an open runs long. While
 * opens are in flight, one unref'd timer through the pool's clock fires
 * every SAMPLE_MS; a firing more than LATE_MS past its due time shows that
 * the event loop was held (by other work in the process, or by the process
 * not being scheduled), and the whole period since the previous firing
 * counts as delay. Nothing runs while no open is in flight, so acquire and
 * release never read the clock for it.
 *
 * ```
 *  armed ──── SAMPLE_MS ────▶ due ── ≤ LATE_MS ──▶ fired: on time, no delay
 *  armed ──── SAMPLE_MS ────▶ due ─────── late ──────────▶ fired: the whole
 *  │◀──────────────── counted as delay ──────────────────▶│ period counts
 * ```
 *
 * Counting the whole late period, not only the lateness, errs towards
 * "busy": the work that made the timer late may have started before it fell
 * due, and an open must not be given up for time the process spent
 * elsewhere.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import { unrefTimer } from "./_timers.ts";

/** How often the sampler fires while opens are in flight, in ms. */
export const SAMPLE_MS = 10;
/**
 * A firing later than this past its due time (ms) shows a held loop; below
 * it is timer jitter (0-3 ms measured on idle Deno, Node and Bun).
 */
export const LATE_MS = 5;

/** Accumulates the time the event loop was held, sampled only while someone needs it. */
export class LoopDelay {
  readonly #clock: Clock;
  /** Delay counted in finished periods, ms. */
  #delayedMs = 0;
  /** When the current period began (the timer was armed). */
  #armedAt = 0;
  #handle: unknown = undefined;
  readonly #sample = () => this.#fired();

  /** @param clock Whose time and timers to use. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Whether the sampler is running. */
  get sampling(): boolean {
    return this.#handle !== undefined;
  }

  /** Starts sampling, if it is not already running. */
  start(now: number): void {
    if (this.#handle !== undefined) return;
    this.#armedAt = now;
    this.#handle = unrefTimer(this.#clock.setTimeout(this.#sample, SAMPLE_MS));
  }

  /** Stops sampling; what was counted stays. */
  stop(): void {
    if (this.#handle === undefined) return;
    this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  /**
   * The delay counted so far, in ms: only differences between two readings
   * mean something. A current period already late counts up to `now`.
   *
   * @param now The clock's reading.
   */
  delayedMs(now: number): number {
    if (
      this.#handle !== undefined && now - this.#armedAt > SAMPLE_MS + LATE_MS
    ) {
      return this.#delayedMs + (now - this.#armedAt);
    }
    return this.#delayedMs;
  }

  #fired(): void {
    const now = this.#clock.now();
    if (now - this.#armedAt > SAMPLE_MS + LATE_MS) {
      this.#delayedMs += now - this.#armedAt;
    }
    this.#armedAt = now;
    this.#handle = unrefTimer(this.#clock.setTimeout(this.#sample, SAMPLE_MS));
  }
}
