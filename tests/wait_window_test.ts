import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WaitWindow } from "../src/pool/_wait_window.ts";
import { percentile } from "../src/pool/_percentile.ts";
import { seededRandom } from "./_seeded.ts";

/** The last `size` of `all`, as the window must see them. */
function expected(all: number[], size: number, fractions: number[]): number[] {
  const window = all.slice(-size);
  if (window.length === 0) return fractions.map(() => 0);
  const sorted = Float64Array.from(window).sort();
  return fractions.map((p) => percentile(sorted, p * 100));
}

describe("WaitWindow", () => {
  it("keeps the last `size` waits whether zeros are counted or written, for random mixes and sizes", () => {
    const fractions = [0.01, 0.5, 0.9, 0.99, 1];
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed);
      const size = 1 + Math.floor(random() * 16);
      const window = new WaitWindow(size);
      const all: number[] = [];
      const steps = Math.floor(random() * 80);
      for (let step = 0; step < steps; step++) {
        const roll = random();
        if (roll < 0.45) {
          // a run of immediate acquires, sometimes longer than the window
          const run = 1 + Math.floor(random() * (2 * size + 2));
          for (let i = 0; i < run; i++) window.recordZero();
          for (let i = 0; i < run; i++) all.push(0);
        } else if (roll < 0.9) {
          const ms = Math.round(random() * 1000) / 10;
          window.record(ms);
          all.push(ms);
        } else {
          assert.deepEqual(
            window.percentiles(...fractions),
            expected(all, size, fractions),
            `seed ${seed}, step ${step}`,
          );
        }
      }
      assert.deepEqual(
        window.percentiles(...fractions),
        expected(all, size, fractions),
        `seed ${seed}, end`,
      );
    }
  });
});
