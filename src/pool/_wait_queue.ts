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
 * scan (rule 4).
 *
 * @module
 */

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

/** All waiters in arrival order, plus their deadline lists. */
export class WaitQueue<T> {
  #head: Waiter<T> | undefined = undefined;
  #tail: Waiter<T> | undefined = undefined;
  #length = 0;
  readonly lists: Map<number, DeadlineList<T>> = new Map();

  get length(): number {
    return this.#length;
  }

  get head(): Waiter<T> | undefined {
    return this.#head;
  }

  push(waiter: Waiter<T>, timeoutMs: number): void {
    waiter.prev = this.#tail;
    if (this.#tail) this.#tail.next = waiter;
    else this.#head = waiter;
    this.#tail = waiter;
    this.#length++;
    let list = this.lists.get(timeoutMs);
    if (list === undefined) {
      list = new DeadlineList<T>(timeoutMs);
      this.lists.set(timeoutMs, list);
    }
    list.push(waiter);
  }

  /** Takes `waiter` out of both orders; the caller settles it. */
  remove(waiter: Waiter<T>): void {
    if (waiter.prev) waiter.prev.next = waiter.next;
    else this.#head = waiter.next;
    if (waiter.next) waiter.next.prev = waiter.prev;
    else this.#tail = waiter.prev;
    waiter.prev = waiter.next = undefined;
    this.#length--;
    const list = waiter.list;
    if (list !== undefined) {
      list.unlink(waiter);
      if (list.head === undefined) this.lists.delete(list.timeoutMs);
    }
  }

  /** The earliest deadline of any waiter, or `Infinity`. */
  earliestDeadline(): number {
    let earliest = Infinity;
    for (const list of this.lists.values()) {
      if (list.head!.deadline < earliest) earliest = list.head!.deadline;
    }
    return earliest;
  }
}
