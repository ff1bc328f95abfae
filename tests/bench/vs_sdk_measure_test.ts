import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  measureCount,
  measureWindow,
} from "../../scripts/bench/vs_sdk_measure.ts";

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe("measureCount", () => {
  it("runs exactly the count, at most that many at once, and counts failures apart", async () => {
    let active = 0;
    let most = 0;
    const seen: number[] = [];
    const figures = await measureCount(async (i) => {
      seen.push(i);
      active++;
      most = Math.max(most, active);
      await tick();
      active--;
      if (i % 4 === 3) throw new Error(`failed ${i}`);
    }, { concurrency: 50, count: 12 });
    assert.deepEqual(seen.sort((a, b) => a - b), [...Array(12).keys()]);
    assert.equal(most, 12);
    assert.equal(figures.ops, 12);
    assert.equal(figures.errors, 3);
    assert.equal(figures.firstError, "failed 3");
    assert.ok(figures.opsPerSecond > 0);
  });
});

describe("measureWindow", () => {
  it("keeps the callers at the concurrency and waits for the last ones before resolving", async () => {
    let active = 0;
    let most = 0;
    let finished = 0;
    let started = 0;
    const figures = await measureWindow(async () => {
      started++;
      active++;
      most = Math.max(most, active);
      await tick();
      active--;
      finished++;
    }, { concurrency: 5, warmupMs: 5, windowMs: 30 });
    assert.equal(most, 5);
    assert.equal(active, 0);
    assert.equal(finished, started);
    assert.ok(figures.ops > 0 && figures.ops <= started);
    assert.equal(figures.errors, 0);
  });

  it("starts the window only once every caller finished its first operation", async () => {
    // The first operation of each caller waits for a gate that opens after
    // the warm-up and a whole window would have passed: a window started on
    // the clock alone would count nothing.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    setTimeout(() => open(), 60);
    const firsts = new Set<number>();
    let callers = 0;
    const figures = await measureWindow(async (i) => {
      if (callers < 3) {
        callers++;
        firsts.add(i);
        await gate;
        return;
      }
      await tick();
    }, { concurrency: 3, warmupMs: 0, windowMs: 20 });
    assert.equal(firsts.size, 3);
    assert.ok(figures.ops > 0, `${figures.ops} operations counted`);
  });

  it("counts failed operations apart from the latencies", async () => {
    let n = 0;
    const figures = await measureWindow(async () => {
      await tick();
      if (n++ % 2 === 1) throw new TypeError("refused");
    }, { concurrency: 1, warmupMs: 0, windowMs: 30 });
    assert.ok(figures.errors > 0);
    assert.equal(figures.firstError, "refused");
    assert.ok(figures.ops >= figures.errors);
  });
});
