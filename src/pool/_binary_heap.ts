/**
 * A binary heap whose elements can be re-positioned or removed when their
 * priority changes.
 *
 * @module
 */

/**
 * Accessors for where a {@linkcode BinaryHeap} keeps each element's position,
 * for elements that carry a field for it.
 *
 * @typeParam T The element type.
 *
 * @example Keeping positions on the elements
 * ```ts
 * import { BinaryHeap, type HeapPositions } from "./_binary_heap.ts";
 * import assert from "node:assert/strict";
 *
 * interface Job { priority: number; at?: number }
 * const positions: HeapPositions<Job> = { get: (j) => j.at, set: (j, at) => (j.at = at) };
 * const heap = new BinaryHeap<Job>((a, b) => a.priority - b.priority, positions);
 * const job: Job = { priority: 2 };
 * heap.push(job, { priority: 1 });
 * assert.equal(job.at, 1);
 * ```
 */
export interface HeapPositions<T> {
  /** The element's position, or `undefined` when it is not in the heap. */
  get(value: T): number | undefined;
  /** Records the element's position, or `undefined` when it leaves the heap. */
  set(value: T, index: number | undefined): void;
}

/**
 * A binary heap ordered by a comparison function: `peek()` and `pop()` give
 * the element that `compare` ranks first (the smallest). Unlike a
 * push/pop-only heap, it keeps each element's position, so an element whose
 * priority changed can be moved (`update`) or taken out (`delete`) in
 * O(log n). Each element may be in the heap at most once.
 *
 * | Method      | Average case | Worst case |
 * | ----------- | ------------ | ---------- |
 * | peek()      | O(1)         | O(1)       |
 * | pop()       | O(log n)     | O(log n)   |
 * | push(value) | O(1)         | O(log n)   |
 * | update(value) | O(log n)   | O(log n)   |
 * | delete(value) | O(log n)   | O(log n)   |
 * | has(value)  | O(1)         | O(1)       |
 *
 * @typeParam T The element type.
 *
 * @example Re-positioning an element after its priority changed
 * ```ts
 * import { BinaryHeap } from "./_binary_heap.ts";
 * import assert from "node:assert/strict";
 *
 * const load = new Map([["a", 0], ["b", 1]]);
 * const heap = new BinaryHeap<string>((x, y) => load.get(x)! - load.get(y)!);
 * heap.push("a", "b");
 * assert.equal(heap.peek(), "a");
 * load.set("a", 5);
 * heap.update("a");
 * assert.equal(heap.peek(), "b");
 * ```
 */
export class BinaryHeap<T> implements Iterable<T> {
  #data: T[] = [];
  #compare: (a: T, b: T) => number;
  #getIndex: (value: T) => number | undefined;
  #setIndex: (value: T, index: number | undefined) => void;

  /**
   * Constructs an empty heap.
   *
   * @param compare Negative when `a` comes before `b`, positive when after.
   * @param positions Where the heap keeps each element's position. By default
   * a `Map`; a caller whose elements have a field for it can pass accessors
   * instead, which saves a hash lookup per move.
   */
  constructor(compare: (a: T, b: T) => number, positions?: HeapPositions<T>) {
    this.#compare = compare;
    if (positions === undefined) {
      const index = new Map<T, number>();
      this.#getIndex = (value) => index.get(value);
      this.#setIndex = (value, at) => {
        if (at === undefined) index.delete(value);
        else index.set(value, at);
      };
    } else {
      this.#getIndex = positions.get;
      this.#setIndex = positions.set;
    }
  }

  /** The number of elements in the heap. */
  get length(): number {
    return this.#data.length;
  }

  /**
   * Whether the heap holds no element.
   *
   * @returns `true` when empty.
   */
  isEmpty(): boolean {
    return this.#data.length === 0;
  }

  /**
   * The first element, without removing it.
   *
   * @returns The first element, or `undefined` when empty.
   */
  peek(): T | undefined {
    return this.#data[0];
  }

  /**
   * Whether `value` is in the heap.
   *
   * @param value The element to look for.
   * @returns `true` when present.
   */
  has(value: T): boolean {
    return this.#getIndex(value) !== undefined;
  }

  /**
   * Adds elements.
   *
   * @param values The elements to add.
   * @returns The new length.
   * @throws {TypeError} If an element is already in the heap.
   */
  push(...values: T[]): number {
    for (const value of values) {
      if (this.#getIndex(value) !== undefined) {
        throw new TypeError(
          "Cannot push onto the heap: the element is already in it",
        );
      }
      this.#data.push(value);
      this.#setIndex(value, this.#data.length - 1);
      this.#siftUp(this.#data.length - 1);
    }
    return this.#data.length;
  }

  /**
   * Removes and returns the first element.
   *
   * @returns The first element, or `undefined` when empty.
   */
  pop(): T | undefined {
    const data = this.#data;
    if (data.length === 0) return undefined;
    const top = data[0]!;
    this.#removeAt(0);
    return top;
  }

  /**
   * Re-positions `value` after its priority changed.
   *
   * @param value An element in the heap.
   * @returns `true` if the element was in the heap.
   */
  update(value: T): boolean {
    const at = this.#getIndex(value);
    if (at === undefined) return false;
    if (!this.#siftUp(at)) this.#siftDown(at);
    return true;
  }

  /**
   * Moves `value` towards the front after its priority rose (it now ranks
   * earlier): half of `update`'s work when the direction is known.
   *
   * @param value An element of the heap.
   * @returns `false` if `value` is not in the heap.
   *
   * @example Raising an element that got less busy
   * ```ts
   * import { BinaryHeap } from "./_binary_heap.ts";
   * import assert from "node:assert/strict";
   *
   * const load = new Map([["a", 0], ["b", 1]]);
   * const heap = new BinaryHeap<string>((x, y) => load.get(x)! - load.get(y)!);
   * heap.push("a", "b");
   * load.set("b", -1);
   * heap.rise("b");
   * assert.equal(heap.peek(), "b");
   * ```
   */
  rise(value: T): boolean {
    const at = this.#getIndex(value);
    if (at === undefined) return false;
    this.#siftUp(at);
    return true;
  }

  /**
   * Moves `value` towards the end after its priority fell (it now ranks
   * later): half of `update`'s work when the direction is known.
   *
   * @param value An element of the heap.
   * @returns `false` if `value` is not in the heap.
   *
   * @example Sinking an element that got busier
   * ```ts
   * import { BinaryHeap } from "./_binary_heap.ts";
   * import assert from "node:assert/strict";
   *
   * const load = new Map([["a", 0], ["b", 1]]);
   * const heap = new BinaryHeap<string>((x, y) => load.get(x)! - load.get(y)!);
   * heap.push("a", "b");
   * load.set("a", 2);
   * heap.sink("a");
   * assert.equal(heap.peek(), "b");
   * ```
   */
  sink(value: T): boolean {
    const at = this.#getIndex(value);
    if (at === undefined) return false;
    this.#siftDown(at);
    return true;
  }

  /**
   * Removes `value` from the heap.
   *
   * @param value The element to remove.
   * @returns `true` if the element was in the heap.
   */
  delete(value: T): boolean {
    const at = this.#getIndex(value);
    if (at === undefined) return false;
    this.#removeAt(at);
    return true;
  }

  /** Removes every element. */
  clear(): void {
    for (const value of this.#data) this.#setIndex(value, undefined);
    this.#data = [];
  }

  /**
   * The elements in heap (not sorted) order, as a new array.
   *
   * @returns A copy of the elements.
   */
  toArray(): T[] {
    return this.#data.slice();
  }

  /**
   * Iterates the elements in heap (not sorted) order, without removing them.
   *
   * @returns An iterator over a copy of the elements.
   */
  [Symbol.iterator](): IterableIterator<T> {
    return this.#data.slice()[Symbol.iterator]();
  }

  #removeAt(at: number): void {
    const data = this.#data;
    const removed = data[at]!;
    this.#setIndex(removed, undefined);
    const last = data.pop()!;
    if (at === data.length) return;
    data[at] = last;
    this.#setIndex(last, at);
    if (!this.#siftUp(at)) this.#siftDown(at);
  }

  /** Moves the element at `at` up while it ranks before its parent; whether it moved. */
  #siftUp(at: number): boolean {
    const data = this.#data;
    const value = data[at]!;
    const start = at;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const above = data[parent]!;
      if (this.#compare(value, above) >= 0) break;
      data[at] = above;
      this.#setIndex(above, at);
      at = parent;
    }
    if (at === start) return false;
    data[at] = value;
    this.#setIndex(value, at);
    return true;
  }

  #siftDown(at: number): void {
    const data = this.#data;
    const length = data.length;
    const value = data[at]!;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= length) break;
      const right = left + 1;
      const child =
        right < length && this.#compare(data[right]!, data[left]!) < 0
          ? right
          : left;
      const below = data[child]!;
      if (this.#compare(below, value) >= 0) break;
      data[at] = below;
      this.#setIndex(below, at);
      at = child;
    }
    data[at] = value;
    this.#setIndex(value, at);
  }
}
