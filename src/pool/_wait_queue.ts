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

/** The resolve function of the promise being made (see {@linkcode capture}). */
let capturedResolve: ((value: never) => void) | undefined;

/** One executor for every waiter's promise: no closure per waiter. */
function capture(resolve: (value: never) => void): void {
  capturedResolve = resolve;
}

/**
 * A thenable that rejects whoever adopts it: a waiter is rejected by
 * resolving its promise with one, so it keeps only its resolve function (the
 * reject function and its field, 40-70 bytes a queued caller, go at once).
 * Rejection is the rare path; it costs one more microtask there.
 */
class Rejection {
  constructor(readonly reason: unknown) {}

  then(_: unknown, reject: (reason: unknown) => void): void {
    reject(this.reason);
  }
}

/**
 * The abort listener of a waiter that has a signal: one object (an
 * `EventListenerObject`), not a closure and its context.
 */
class AbortWatch<T> {
  constructor(
    readonly queue: WaitQueue<T>,
    readonly waiter: Waiter<T>,
    readonly signal: AbortSignal,
  ) {}

  handleEvent(): void {
    this.queue.reject(this.waiter, this.signal.reason);
  }
}

/**
 * One queued caller. The pool resolves or rejects it exactly once. Kept
 * small: a queue of 10,000 callers holds 10,000 of them (its deadline is
 * `enqueuedAt` plus its list's timeout).
 */
export class Waiter<T> {
  prev: Waiter<T> | undefined = undefined;
  next: Waiter<T> | undefined = undefined;
  deadlinePrev: Waiter<T> | undefined = undefined;
  deadlineNext: Waiter<T> | undefined = undefined;
  list: DeadlineList<T> | undefined = undefined;
  abort: AbortWatch<T> | undefined = undefined;
  constructor(
    readonly enqueuedAt: number,
    readonly resolve: (value: T) => void,
  ) {}
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
  /**
   * The last list used, kept (even empty) so a lone waiter after another
   * does not make and drop a list and a map entry each time; any other
   * empty list leaves the map, so arbitrary timeouts cannot grow it.
   */
  #recent: DeadlineList<T> | undefined = undefined;
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

  /**
   * Queues a caller until `now + timeoutMs`; an abort of `signal` rejects it
   * with the reason.
   *
   * @returns The caller's promise: the only one a waiter has.
   */
  enqueue(
    now: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const promise = new Promise<T>(capture);
    const waiter = new Waiter<T>(
      now,
      capturedResolve as (value: T) => void,
    );
    capturedResolve = undefined;
    waiter.prev = this.#tail;
    if (this.#tail) this.#tail.next = waiter;
    else this.#head = waiter;
    this.#tail = waiter;
    if (this.#length++ === 0) this.#deadline.hold(true);
    let list = this.#recent;
    if (list === undefined || list.timeoutMs !== timeoutMs) {
      list = this.#lists.get(timeoutMs);
      if (list === undefined) {
        list = new DeadlineList<T>(timeoutMs);
        this.#lists.set(timeoutMs, list);
      }
      const previous = this.#recent;
      this.#recent = list;
      if (previous !== undefined && previous.head === undefined) {
        this.#lists.delete(previous.timeoutMs);
      }
    }
    list.push(waiter);
    if (signal !== undefined) {
      waiter.abort = new AbortWatch(this, waiter, signal);
      signal.addEventListener("abort", waiter.abort, { once: true });
    }
    // Armed already for an earlier deadline: nothing to do (it re-checks when it fires).
    this.#deadline.arm(now + timeoutMs, now);
    return promise;
  }

  /** Stops the deadline timer for good (the pool closed and every waiter left). */
  stop(): void {
    this.#deadline.cancel();
  }

  /** Takes `waiter` out of the queue and resolves it. */
  resolve(waiter: Waiter<T>, value: T): void {
    this.#take(waiter);
    waiter.resolve(value);
  }

  /** Takes `waiter` out of the queue and rejects it. */
  reject(waiter: Waiter<T>, reason: unknown): void {
    this.#take(waiter);
    // A promise resolved with a thenable adopts its outcome: this rejection.
    (waiter.resolve as (value: unknown) => void)(new Rejection(reason));
  }

  /** Rejects every waiter, oldest first. */
  rejectAll(reason: unknown): void {
    let waiter: Waiter<T> | undefined;
    while ((waiter = this.#head) !== undefined) this.reject(waiter, reason);
  }

  /** Takes `waiter` out and drops its abort listener; the caller settles it. */
  #take(waiter: Waiter<T>): void {
    this.#unlink(waiter);
    const abort = waiter.abort;
    if (abort !== undefined) {
      abort.signal.removeEventListener("abort", abort);
      waiter.abort = undefined;
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
      if (list.head === undefined && list !== this.#recent) {
        this.#lists.delete(list.timeoutMs);
      }
    }
    // A waiting caller may keep the process alive; an empty queue must not.
    // The timer stays armed, unref'd: arming it again for the next waiter
    // (setTimeout and clearTimeout, 1.5 µs on Deno) would cost every hand-off
    // to a lone waiter more than the rest of the hand-off.
    if (this.#length === 0) this.#deadline.hold(false);
  }

  #expire(due: number): void {
    // A timer that fired has seen its delay pass, even under a mocked setTimeout with a real clock.
    const now = Math.max(this.#now(), due);
    for (const list of [...this.#lists.values()]) {
      let waiter = list.head;
      const timeoutMs = list.timeoutMs;
      while (waiter !== undefined && waiter.enqueuedAt + timeoutMs <= now) {
        const next = waiter.deadlineNext;
        this.reject(waiter, this.#expired(waiter, now));
        waiter = next;
      }
    }
    let earliest = Infinity;
    for (const list of this.#lists.values()) {
      const head = list.head; // the kept recent list may be empty
      if (head === undefined) continue;
      const deadline = head.enqueuedAt + list.timeoutMs;
      if (deadline < earliest) earliest = deadline;
    }
    if (earliest !== Infinity) this.#deadline.arm(earliest, now);
  }
}
