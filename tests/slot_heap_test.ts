import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type HeapSlot, SlotHeap } from "../src/pool/_slot_heap.ts";
import { seededRandom } from "./_seeded.ts";

interface Slot extends HeapSlot {
  id: number;
}

function slot(id: number, clients: number, idleSince: number): Slot {
  return { id, clients, idleSince, heapIndex: undefined };
}

/** The slot rule 3 picks: fewest callers, then idle longest (ties: any of them). */
function best(slots: Slot[]): Slot | undefined {
  let pick: Slot | undefined;
  for (const s of slots) {
    if (
      pick === undefined || s.clients < pick.clients ||
      (s.clients === pick.clients && s.idleSince < pick.idleSince)
    ) pick = s;
  }
  return pick;
}

describe("SlotHeap", () => {
  it("ranks fewest callers first, then the one idle longest", () => {
    const heap = new SlotHeap<Slot>();
    const slots = [
      slot(1, 2, 0),
      slot(2, 0, 30),
      slot(3, 0, 10),
      slot(4, 1, 0),
    ];
    for (const s of slots) heap.push(s);
    const order: number[] = [];
    while (heap.peek() !== undefined) {
      const top = heap.peek()!;
      order.push(top.id);
      heap.delete(top);
    }
    assert.deepEqual(order, [3, 2, 4, 1]);
    assert.equal(heap.length, 0);
  });

  it("refuses the same slot twice and deletes only what it holds", () => {
    const heap = new SlotHeap<Slot>();
    const a = slot(1, 0, 0);
    heap.push(a);
    assert.throws(() => heap.push(a), TypeError);
    assert.equal(heap.delete(slot(2, 0, 0)), false);
    assert.equal(heap.delete(a), true);
    assert.equal(a.heapIndex, undefined);
    assert.equal(heap.delete(a), false);
    heap.rise(a); // not held: nothing happens
    heap.sink(a);
    assert.equal(heap.length, 0);
  });

  it("stays a valid heap under random pushes, deletes and changes in either direction", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const random = seededRandom(seed);
      const heap = new SlotHeap<Slot>();
      const held: Slot[] = [];
      let next = 0;
      for (let step = 0; step < 300; step++) {
        const roll = random();
        if (roll < 0.3 || held.length === 0) {
          const s = slot(
            ++next,
            Math.floor(random() * 4),
            Math.floor(random() * 50),
          );
          heap.push(s);
          held.push(s);
        } else if (roll < 0.45) {
          const s = held.splice(Math.floor(random() * held.length), 1)[0];
          assert.equal(heap.delete(s), true);
        } else {
          const s = held[Math.floor(random() * held.length)];
          const before = [s.clients, s.idleSince];
          if (random() < 0.5) {
            s.clients = Math.max(0, s.clients + (random() < 0.5 ? -1 : 1));
          } else s.idleSince = Math.floor(random() * 50);
          const earlier = s.clients < before[0] ||
            (s.clients === before[0] && s.idleSince < before[1]);
          if (earlier) heap.rise(s);
          else heap.sink(s);
        }
        assert.equal(heap.length, held.length, `seed ${seed} step ${step}`);
        const top = heap.peek();
        const want = best(held);
        assert.equal(top?.clients, want?.clients, `seed ${seed} step ${step}`);
        assert.equal(
          top?.idleSince,
          want?.idleSince,
          `seed ${seed} step ${step}`,
        );
        const order = [...heap];
        order.forEach((s, i) => {
          assert.equal(s.heapIndex, i, "each slot knows its index");
          const parent = order[(i - 1) >> 1];
          if (i > 0) {
            assert.ok(
              parent.clients < s.clients ||
                (parent.clients === s.clients &&
                  parent.idleSince <= s.idleSince),
              `seed ${seed} step ${step}: heap order at ${i}`,
            );
          }
        });
      }
    }
  });
});
