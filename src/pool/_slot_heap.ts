/**
 * The pool's binary heap of ready connections, specialised: it orders by
 * fewest callers, then the one idle longest, and keeps each connection's
 * index on the connection, so a move is plain field reads and writes with
 * no comparator or index callbacks (the generic heap's calls were about a
 * third of a `use()` cycle at 100 concurrent callers).
 *
 * @module
 */

/** What the heap orders and where it keeps each element's index. */
export interface HeapSlot {
  clients: number;
  idleSince: number;
  heapIndex: number | undefined;
}

/** Whether `a` ranks before `b`: fewer callers, then idle longer. */
function before(a: HeapSlot, b: HeapSlot): boolean {
  return a.clients < b.clients ||
    (a.clients === b.clients && a.idleSince < b.idleSince);
}

/**
 * A binary min-heap of slots; O(log n) push, delete, rise and sink, O(1)
 * peek. After changing a slot's `clients` or `idleSince`, call `rise` (it
 * ranks earlier) or `sink` (later).
 *
 * @example The connection with the fewest callers ranks first
 * ```ts
 * import { SlotHeap } from "./_slot_heap.ts";
 * import assert from "node:assert/strict";
 *
 * const a = { clients: 2, idleSince: 0, heapIndex: undefined };
 * const b = { clients: 1, idleSince: 5, heapIndex: undefined };
 * const heap = new SlotHeap<typeof a>();
 * heap.push(a);
 * heap.push(b);
 * assert.equal(heap.peek(), b);
 * b.clients = 3;
 * heap.sink(b);
 * assert.equal(heap.peek(), a);
 * ```
 */
export class SlotHeap<T extends HeapSlot> implements Iterable<T> {
  readonly #data: T[] = [];

  /** The number of slots. */
  get length(): number {
    return this.#data.length;
  }

  /** The slot that ranks first, if any. */
  peek(): T | undefined {
    return this.#data[0];
  }

  /** Adds `slot`, which must not be in the heap. */
  push(slot: T): void {
    if (slot.heapIndex !== undefined) {
      throw new TypeError(
        "Cannot push onto the heap: the element is already in it",
      );
    }
    const data = this.#data;
    data.push(slot);
    this.#up(slot, data.length - 1);
  }

  /** Removes `slot`; false if it was not in the heap. */
  delete(slot: T): boolean {
    const at = slot.heapIndex;
    if (at === undefined) return false;
    slot.heapIndex = undefined;
    const data = this.#data;
    const last = data.pop()!;
    if (at === data.length) return true;
    if (before(last, slot)) this.#up(last, at);
    else this.#down(last, at);
    return true;
  }

  /** Moves `slot` towards the top after it came to rank earlier. */
  rise(slot: T): void {
    if (slot.heapIndex !== undefined) this.#up(slot, slot.heapIndex);
  }

  /** Moves `slot` towards the bottom after it came to rank later. */
  sink(slot: T): void {
    if (slot.heapIndex !== undefined) this.#down(slot, slot.heapIndex);
  }

  /** A copy of the slots, in heap order. */
  [Symbol.iterator](): IterableIterator<T> {
    return this.#data.slice()[Symbol.iterator]();
  }

  /** Puts `slot` at `at` or above, moving the ones it outranks down. */
  #up(slot: T, at: number): void {
    const data = this.#data;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const above = data[parent];
      if (!before(slot, above)) break;
      data[at] = above;
      above.heapIndex = at;
      at = parent;
    }
    data[at] = slot;
    slot.heapIndex = at;
  }

  /** Puts `slot` at `at` or below, moving the ones that outrank it up. */
  #down(slot: T, at: number): void {
    const data = this.#data;
    const length = data.length;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && before(data[right], data[child])) child = right;
      const below = data[child];
      if (!before(below, slot)) break;
      data[at] = below;
      below.heapIndex = at;
      at = child;
    }
    data[at] = slot;
    slot.heapIndex = at;
  }
}
