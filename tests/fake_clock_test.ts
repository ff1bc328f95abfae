import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../src/testing/fake_clock.ts";

describe("FakeClock", () => {
  it("fires timers in due order, each at its due time", () => {
    const clock = new FakeClock(100);
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(["b", clock.now()]), 20);
    clock.setTimeout(() => fired.push(["a", clock.now()]), 10);
    clock.setTimeout(() => fired.push(["c", clock.now()]), 20);
    clock.tick(25);
    assert.deepEqual(fired, [["a", 110], ["b", 120], ["c", 120]]);
    assert.equal(clock.now(), 125);
  });

  it("fires timers armed by a firing timer when they fall due within the tick", () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 5);
    clock.tick(9);
    assert.deepEqual(fired, [5]);
    clock.tick(1);
    assert.deepEqual(fired, [5, 10]);
  });

  it("does not fire a cleared timer and reports pending timers", () => {
    const clock = new FakeClock();
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 1);
    assert.equal(clock.pendingTimers, 1);
    assert.equal(clock.nextTimerAt, 1);
    clock.clearTimeout(handle);
    clock.tick(10);
    assert.equal(fired, false);
    assert.equal(clock.pendingTimers, 0);
  });

  it("lets promise callbacks run between timers in tickAsync", async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    clock.setTimeout(() => {
      Promise.resolve().then(() => {
        seen.push("callback of first");
        clock.setTimeout(() => seen.push("second"), 1);
      });
    }, 1);
    await clock.tickAsync(5);
    assert.deepEqual(seen, ["callback of first", "second"]);
    await flushMicrotasks();
  });

  it("jumps without firing timers, which then fire late on the next tick", async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 100);
    clock.setTimeout(() => fired.push(clock.now()), 300);
    clock.jump(200);
    assert.deepEqual(fired, []);
    assert.equal(clock.now(), 200);
    await clock.tickAsync(0);
    assert.deepEqual(fired, [200], "late, at the time it was noticed");
    clock.tick(100);
    assert.deepEqual(fired, [200, 300]);
  });

  it("refuses to move backwards", () => {
    assert.throws(() => new FakeClock().tick(-1), RangeError);
    assert.throws(() => new FakeClock().jump(-1), RangeError);
    assert.throws(() => new FakeClock().jump(NaN), RangeError);
  });
});
