import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BinaryHeap } from "../src/pool/_binary_heap.ts";
import { seededRandom } from "./_seeded.ts";

describe("BinaryHeap", () => {
  it("pops elements in comparison order", () => {
    const heap = new BinaryHeap<number>((a, b) => a - b);
    heap.push(5, 1, 4, 2, 3);
    const popped: number[] = [];
    while (!heap.isEmpty()) popped.push(heap.pop()!);
    assert.deepEqual(popped, [1, 2, 3, 4, 5]);
    assert.equal(heap.pop(), undefined);
    assert.equal(heap.peek(), undefined);
  });

  it("re-positions an element whose priority rose or fell", () => {
    const priority = new Map<string, number>([["a", 1], ["b", 2], ["c", 3]]);
    const heap = new BinaryHeap<string>((x, y) =>
      priority.get(x)! - priority.get(y)!
    );
    heap.push("a", "b", "c");
    priority.set("a", 10);
    assert.equal(heap.update("a"), true);
    assert.equal(heap.peek(), "b");
    priority.set("c", 0);
    heap.update("c");
    assert.equal(heap.peek(), "c");
    assert.equal(heap.update("missing"), false);
  });

  it("deletes an element from anywhere in the heap", () => {
    const heap = new BinaryHeap<number>((a, b) => a - b);
    heap.push(1, 2, 3, 4, 5, 6, 7);
    assert.equal(heap.delete(4), true);
    assert.equal(heap.delete(4), false);
    assert.equal(heap.has(4), false);
    assert.equal(heap.length, 6);
    const popped: number[] = [];
    while (!heap.isEmpty()) popped.push(heap.pop()!);
    assert.deepEqual(popped, [1, 2, 3, 5, 6, 7]);
  });

  it("refuses to hold the same element twice", () => {
    const heap = new BinaryHeap<object>(() => 0);
    const element = {};
    heap.push(element);
    assert.throws(() => heap.push(element), TypeError);
  });

  it("stays a valid heap under random pushes, updates, deletes and pops", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seededRandom(seed);
      const keys = new Map<object, number>();
      const heap = new BinaryHeap<object>((a, b) =>
        keys.get(a)! - keys.get(b)!
      );
      const live: object[] = [];
      for (let step = 0; step < 500; step++) {
        const action = random();
        if (action < 0.4 || live.length === 0) {
          const element = {};
          keys.set(element, Math.floor(random() * 100));
          heap.push(element);
          live.push(element);
        } else if (action < 0.7) {
          const element = live[Math.floor(random() * live.length)]!;
          keys.set(element, Math.floor(random() * 100));
          heap.update(element);
        } else if (action < 0.85) {
          const at = Math.floor(random() * live.length);
          heap.delete(live[at]!);
          live.splice(at, 1);
        } else {
          const top = heap.pop()!;
          const min = Math.min(...live.map((e) => keys.get(e)!));
          assert.equal(
            keys.get(top),
            min,
            `seed ${seed} step ${step}: pop gave a non-minimum`,
          );
          live.splice(live.indexOf(top), 1);
        }
        assert.equal(heap.length, live.length, `seed ${seed} step ${step}`);
        if (live.length > 0) {
          const min = Math.min(...live.map((e) => keys.get(e)!));
          assert.equal(
            keys.get(heap.peek()!),
            min,
            `seed ${seed} step ${step}: peek is not the minimum`,
          );
        }
      }
    }
  });

  it("iterates and copies without removing", () => {
    const heap = new BinaryHeap<number>((a, b) => a - b);
    heap.push(3, 1, 2);
    assert.deepEqual([...heap].sort(), [1, 2, 3]);
    assert.deepEqual(heap.toArray().sort(), [1, 2, 3]);
    assert.equal(heap.length, 3);
    heap.clear();
    assert.equal(heap.length, 0);
  });
});
