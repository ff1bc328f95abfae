/**
 * A counting semaphore with FIFO waiters and `AbortSignal` support.
 *
 * The waiters form a doubly linked list, so an abort unlinks its waiter in
 * O(1) without scanning the queue:
 *
 * ```text
 *   #head                                   #tail
 *     │                                       │
 *     ▼                                       ▼
 *   ┌──────┐ next ┌──────┐ next       ┌──────┐
 *   │  w1  │─────▶│  w2  │────▶ … ───▶│  wN  │
 *   │      │◀─────│      │◀──── … ◀───│      │
 *   └──────┘ prev └──────┘ prev       └──────┘
 *   oldest: gets the next released permit
 * ```
 *
 * Invariant: waiters exist only while no permit is available, and `release()`
 * hands its permit straight to the oldest waiter, so a permit can never be
 * taken by a newcomer ahead of a waiter.
 *
 * @module
 */

/** The options of {@linkcode Semaphore.prototype.acquire}. */
export interface SemaphoreAcquireOptions {
  /**
   * Stops waiting for a permit: the promise rejects with `signal.reason` and
   * the waiter leaves the queue without taking a permit.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** One waiting `acquire()` call: a node of the FIFO list. */
interface Waiter {
  resolve: () => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  prev: Waiter | undefined;
  next: Waiter | undefined;
}

// Shared by every uncontended acquire(): the fast path allocates nothing.
const ACQUIRED: Promise<void> = Promise.resolve();

/**
 * A counting semaphore: at most `max` permits are out at once; further
 * `acquire()` calls wait in FIFO order until `release()` hands them a permit.
 *
 * No timer is armed per waiter: a deadline is an `AbortSignal` (for example
 * `AbortSignal.timeout(ms)`) passed to `acquire()`.
 *
 * | operation    | cost |
 * | ------------ | ---- |
 * | acquire      | O(1) |
 * | tryAcquire   | O(1) |
 * | release      | O(1) |
 * | abort a wait | O(1) |
 *
 * @example Limiting concurrency
 * ```ts
 * import { Semaphore } from "./semaphore.ts";
 * import assert from "node:assert/strict";
 *
 * const semaphore = new Semaphore(2);
 * let running = 0;
 * let peak = 0;
 * async function task(): Promise<void> {
 *   await semaphore.acquire();
 *   try {
 *     running++;
 *     peak = Math.max(peak, running);
 *     await Promise.resolve();
 *   } finally {
 *     running--;
 *     semaphore.release();
 *   }
 * }
 * await Promise.all([task(), task(), task(), task(), task()]);
 * assert.equal(peak, 2);
 * assert.equal(semaphore.available, 2);
 * ```
 *
 * @example Giving up on a wait
 * ```ts
 * import { Semaphore } from "./semaphore.ts";
 * import assert from "node:assert/strict";
 *
 * const semaphore = new Semaphore(1);
 * await semaphore.acquire();
 * const controller = new AbortController();
 * const waiting = semaphore.acquire({ signal: controller.signal });
 * assert.equal(semaphore.waiting, 1);
 * controller.abort(new Error("gave up"));
 * await assert.rejects(waiting, { message: "gave up" });
 * assert.equal(semaphore.waiting, 0);
 * semaphore.release();
 * assert.equal(semaphore.available, 1);
 * ```
 */
export class Semaphore {
  #max: number;
  #available: number;
  #waiting = 0;
  #head: Waiter | undefined;
  #tail: Waiter | undefined;

  /**
   * Constructs a semaphore with all `max` permits available.
   *
   * @param max The number of permits.
   * @throws {RangeError} If `max` is not a positive integer.
   *
   * @example A semaphore of three permits
   * ```ts
   * import { Semaphore } from "./semaphore.ts";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Semaphore(3).available, 3);
   * assert.throws(() => new Semaphore(0), RangeError);
   * ```
   */
  constructor(max = 1) {
    if (typeof max !== "number" || !Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(
        `Cannot create Semaphore as 'max' must be a positive integer: received ${
          String(max)
        }`,
      );
    }
    this.#max = max;
    this.#available = max;
  }

  /**
   * The number of permits in total.
   *
   * @example Reading the size
   * ```ts
   * import { Semaphore } from "./semaphore.ts";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Semaphore(4).max, 4);
   * ```
   */
  get max(): number {
    return this.#max;
  }

  /**
   * The number of permits that can be taken now without waiting.
   *
   * @example Counting free permits
   * ```ts
   * import { Semaphore } from "./semaphore.ts";
   * import assert from "node:assert/strict";
   *
   * const semaphore = new Semaphore(2);
   * semaphore.tryAcquire();
   * assert.equal(semaphore.available, 1);
   * ```
   */
  get available(): number {
    return this.#available;
  }

  /**
   * The number of `acquire()` calls waiting for a permit.
   *
   * @example Counting waiters
   * ```ts
   * import { Semaphore } from "./semaphore.ts";
   * import assert from "node:assert/strict";
   *
   * const semaphore = new Semaphore(1);
   * await semaphore.acquire();
   * const second = semaphore.acquire();
   * assert.equal(semaphore.waiting, 1);
   * semaphore.release();
   * await second;
   * assert.equal(semaphore.waiting, 0);
   * ```
   */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Takes a permit, waiting in FIFO order while none is available.
   *
   * An uncontended call returns an already-resolved promise and allocates
   * nothing. A waiting call registers one `abort` listener on `signal`, and
   * removes it when it gets its permit.
   *
   * @param options The signal that cancels the wait.
   * @returns A promise that resolves once the caller holds a permit.
   * @throws {unknown} `signal.reason` (through the promise) if the signal is
   * aborted before a permit was handed over; no permit is then held.
   *
   * @example Waiting for a permit
   * ```ts
   * import { Semaphore } from "./semaphore.ts";
   * import assert from "node:assert/strict";
   *
   * const semaphore = new Semaphore(1);
   * await semaphore.acquire();
   * let acquired = false;
   * const next = semaphore.acquire().then(() => (acquired = true));
   * await Promise.resolve();
   * assert.equal(acquired, false);
   * semaphore.release();
   * await next;
   * assert.equal(acquired, true);
   * ```
   */
  acquire(options?: SemaphoreAcquireOptions): Promise<void> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#available > 0) {
      this.#available--;
      return ACQUIRED;
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        signal,
        onAbort: undefined,
        prev: this.#tail,
        next: undefined,
      };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          this.#unlink(waiter);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      if (this.#tail === undefined) this.#head = waiter;
      else this.#tail.next = waiter;
      this.#tail = waiter;
      this.#waiting++;
    });
  }

  /**
   * Takes a permit if one is available now.
   *
   * @returns `true` if the caller now holds a permit, `false` otherwise.
   *
   * @example Taking a permit without waiting
   * ```ts
   * import { Semaphore } from "./semaphore.ts";
   * import assert from "node:assert/strict";
   *
   * const semaphore = new Semaphore(1);
   * assert.equal(semaphore.tryAcquire(), true);
   * assert.equal(semaphore.tryAcquire(), false);
   * semaphore.release();
   * assert.equal(semaphore.tryAcquire(), true);
   * ```
   */
  tryAcquire(): boolean {
    // Waiters exist only while #available is 0, so this never overtakes one.
    if (this.#available === 0) return false;
    this.#available--;
    return true;
  }

  /**
   * Gives a permit back. If callers are waiting, the oldest one gets it
   * directly (its promise resolves on a later microtask).
   *
   * @throws {RangeError} If every permit is already available: a release
   * without a matching acquire is a bug in the caller.
   *
   * @example Releasing wakes the oldest waiter
   * ```ts
   * import { Semaphore } from "./semaphore.ts";
   * import assert from "node:assert/strict";
   *
   * const semaphore = new Semaphore(1);
   * await semaphore.acquire();
   * const order: string[] = [];
   * const a = semaphore.acquire().then(() => order.push("a"));
   * const b = semaphore.acquire().then(() => order.push("b"));
   * semaphore.release();
   * await a;
   * semaphore.release();
   * await b;
   * assert.deepEqual(order, ["a", "b"]);
   * semaphore.release();
   * assert.throws(() => semaphore.release(), RangeError);
   * ```
   */
  release(): void {
    const waiter = this.#head;
    if (waiter !== undefined) {
      this.#unlink(waiter);
      if (waiter.onAbort !== undefined) {
        waiter.signal!.removeEventListener("abort", waiter.onAbort);
      }
      waiter.resolve();
      return;
    }
    if (this.#available === this.#max) {
      throw new RangeError(
        `Cannot release Semaphore: all ${this.#max} permits are already available`,
      );
    }
    this.#available++;
  }

  #unlink(waiter: Waiter): void {
    if (waiter.prev === undefined) this.#head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === undefined) this.#tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = waiter.next = undefined;
    this.#waiting--;
  }
}
