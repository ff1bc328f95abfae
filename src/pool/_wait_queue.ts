/**
 * The callers waiting for capacity, kept so that every step is O(1) and the
 * whole queue needs one timer.
 *
 * ```
 *  service order (FIFO, all waiters)        deadline order (one list per timeout)
 *  head ─▶ w1 ⇄ w2 ⇄ w3 ⇄ w4 ◀─ tail         60000 ms: w1 ⇄ w2 ⇄ w4
 *                                           5000 ms: w3
 * ```
 *
 * A waiter sits in the FIFO and in the list of its timeout. Callers with the
 * same timeout arrive in deadline order, so the head of each timeout list is
 * its earliest deadline: the pool arms one timer for the earliest head of all
 * lists (there are as many lists as distinct timeouts in use, usually one).
 * Every unlink is O(1), so an abort or a deadline removes a waiter without a
 * scan, and nothing polls: a waiter is woken by the release or readiness that
 * frees capacity, or rejected by the timer or its signal.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import { DueTimer } from "./_due_timer.ts";

/** One queued caller. The pool resolves or rejects it exactly once. */
export class Waiter<T> {
  prev: Waiter<T> | undefined = undefined;
  next: Waiter<T> | undefined = undefined;
  deadlinePrev: Waiter<T> | undefined = undefined;
  deadlineNext: Waiter<T> | undefined = undefined;
  list: DeadlineList<T> | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  readonly resolve: (value: T) => void;
  readonly reject: (reason: unknown) => void;
  readonly promise: Promise<T>;

  constructor(
    readonly enqueuedAt: number,
    readonly deadline: number,
    readonly signal: AbortSignal | undefined,
  ) {
    let resolve!: (value: T) => void;
    let reject!: (reason: unknown) => void;
    this.promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.resolve = resolve;
    this.reject = reject;
  }
}

/** The waiters of one timeout, in deadline order. */
export class DeadlineList<T> {
  head: Waiter<T> | undefined = undefined;
  tail: Waiter<T> | undefined = undefined;

  constructor(readonly timeoutMs: number) {}

  push(waiter: Waiter<T>): void {
    waiter.list = this;
    waiter.deadlinePrev = this.tail;
    if (this.tail) this.tail.deadlineNext = waiter;
    else this.head = waiter;
    this.tail = waiter;
  }

  unlink(waiter: Waiter<T>): void {
    if (waiter.deadlinePrev) {
      waiter.deadlinePrev.deadlineNext = waiter.deadlineNext;
    } else this.head = waiter.deadlineNext;
    if (waiter.deadlineNext) {
      waiter.deadlineNext.deadlinePrev = waiter.deadlinePrev;
    } else this.tail = waiter.deadlinePrev;
    waiter.deadlinePrev = waiter.deadlineNext = waiter.list = undefined;
  }
}

/**
 * All waiters in arrival order, plus their deadline lists and the one timer
 * that rejects each waiter whose deadline passed.
 */
export class WaitQueue<T> {
  #head: Waiter<T> | undefined = undefined;
  #tail: Waiter<T> | undefined = undefined;
  #length = 0;
  readonly #lists = new Map<number, DeadlineList<T>>();
  readonly #now: () => number;
  readonly #expired: (waiter: Waiter<T>, now: number) => unknown;
  /** Not unref'd: a waiting caller is pending work, an empty queue arms nothing. */
  readonly #deadline: DueTimer;
  /** Told each time a waiter leaves, however it leaves (the pool's metrics). */
  onLeave: (() => void) | undefined = undefined;

  /**
   * @param clock Whose timer measures the deadlines.
   * @param now Reads the time (the pool's reading, which it also keeps).
   * @param expired The rejection for a waiter whose deadline passed.
   */
  constructor(
    clock: Clock,
    now: () => number,
    expired: (waiter: Waiter<T>, now: number) => unknown,
  ) {
    this.#now = now;
    this.#expired = expired;
    this.#deadline = new DueTimer(clock, (due) => this.#expire(due), false);
  }

  get length(): number {
    return this.#length;
  }

  get head(): Waiter<T> | undefined {
    return this.#head;
  }

  /** Queues a caller until `now + timeoutMs`; an abort of `signal` rejects it with the reason. */
  enqueue(
    now: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Waiter<T> {
    const waiter = new Waiter<T>(now, now + timeoutMs, signal);
    waiter.prev = this.#tail;
    if (this.#tail) this.#tail.next = waiter;
    else this.#head = waiter;
    this.#tail = waiter;
    this.#length++;
    let list = this.#lists.get(timeoutMs);
    if (list === undefined) {
      list = new DeadlineList<T>(timeoutMs);
      this.#lists.set(timeoutMs, list);
    }
    list.push(waiter);
    if (signal !== undefined) {
      waiter.onAbort = () => {
        this.#unlink(waiter);
        waiter.reject(signal.reason);
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
    }
    this.#deadline.arm(waiter.deadline, now);
    return waiter;
  }

  /** Takes `waiter` out of the queue and resolves it. */
  resolve(waiter: Waiter<T>, value: T): void {
    this.#take(waiter);
    waiter.resolve(value);
  }

  /** Takes `waiter` out of the queue and rejects it. */
  reject(waiter: Waiter<T>, reason: unknown): void {
    this.#take(waiter);
    waiter.reject(reason);
  }

  /** Rejects every waiter, oldest first. */
  rejectAll(reason: unknown): void {
    let waiter: Waiter<T> | undefined;
    while ((waiter = this.#head) !== undefined) this.reject(waiter, reason);
  }

  /** Takes `waiter` out and drops its abort listener; the caller settles it. */
  #take(waiter: Waiter<T>): void {
    this.#unlink(waiter);
    if (waiter.onAbort !== undefined) {
      waiter.signal!.removeEventListener("abort", waiter.onAbort);
    }
  }

  /** Takes `waiter` out of both orders. */
  #unlink(waiter: Waiter<T>): void {
    if (waiter.prev) waiter.prev.next = waiter.next;
    else this.#head = waiter.next;
    if (waiter.next) waiter.next.prev = waiter.prev;
    else this.#tail = waiter.prev;
    waiter.prev = waiter.next = undefined;
    this.#length--;
    this.onLeave?.();
    const list = waiter.list;
    if (list !== undefined) {
      list.unlink(waiter);
      if (list.head === undefined) this.#lists.delete(list.timeoutMs);
    }
    // A waiting caller may keep the process alive; an empty queue must not.
    if (this.#length === 0) this.#deadline.cancel();
  }

  #expire(due: number): void {
    // A timer that fired has seen its delay pass, even under a mocked setTimeout with a real clock.
    const now = Math.max(this.#now(), due);
    for (const list of [...this.#lists.values()]) {
      let waiter = list.head;
      while (waiter !== undefined && waiter.deadline <= now) {
        const next = waiter.deadlineNext;
        this.reject(waiter, this.#expired(waiter, now));
        waiter = next;
      }
    }
    let earliest = Infinity;
    for (const list of this.#lists.values()) {
      if (list.head!.deadline < earliest) earliest = list.head!.deadline;
    }
    if (earliest !== Infinity) this.#deadline.arm(earliest, now);
  }
}
