import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  compareSize,
  describeSettings,
  misses,
  recommend,
} from "../../scripts/bench/recommend.ts";
import { cell } from "./_cells.ts";

const target = { targetP99Ms: 50, offeredRate: 2000 };

describe("recommend", () => {
  it("chooses the fewest connections that meet the target, whatever the input order", () => {
    const grid = [
      cell({ maxSize: 8, clientLimit: 10, p99: 12 }),
      cell({ maxSize: 4, clientLimit: 100, p99: 31 }),
      cell({ maxSize: 2, clientLimit: 100, p99: 180 }),
      cell({ maxSize: 4, clientLimit: 10, p99: 45 }),
    ];
    for (const order of [grid, [...grid].reverse()]) {
      const r = recommend(order, target);
      assert.equal(r.met, true);
      assert.deepEqual(r.choice?.settings, {
        clientLimit: 10,
        maxSize: 4,
        maxConcurrentCreates: undefined,
      });
    }
  });

  it("prefers the lower clientLimit between two that meet the target at one maxSize", () => {
    const r = recommend([
      cell({ maxSize: 4, clientLimit: 100, p99: 10 }),
      cell({ maxSize: 4, clientLimit: 50, p99: 40 }),
    ], target);
    assert.equal(r.choice?.settings.clientLimit, 50);
  });

  it("prefers fewer concurrent creates when size and clientLimit tie", () => {
    const r = recommend([
      cell({ maxSize: 6, clientLimit: 50, p99: 10, creates: 3 }),
      cell({ maxSize: 6, clientLimit: 50, p99: 40, creates: 1 }),
    ], target);
    assert.equal(r.choice?.settings.maxConcurrentCreates, 1);
  });

  it("treats a p99 equal to the target as met", () => {
    const r = recommend(
      [cell({ maxSize: 1, clientLimit: 10, p99: 50 })],
      target,
    );
    assert.equal(r.met, true);
  });

  it("rejects a configuration with timeouts or errors even when its p99 is low", () => {
    const r = recommend([
      cell({ maxSize: 1, clientLimit: 10, p99: 5, timeouts: 3 }),
      cell({ maxSize: 2, clientLimit: 10, p99: 5, errors: 1 }),
      cell({ maxSize: 4, clientLimit: 10, p99: 20 }),
    ], target);
    assert.equal(r.choice?.settings.maxSize, 4);
    assert.match(
      r.reasons.join("\n"),
      /maxSize 1 x clientLimit 10 missed: 3 timeouts/,
    );
    assert.match(
      r.reasons.join("\n"),
      /maxSize 2 x clientLimit 10 missed: 1 errors/,
    );
  });

  it("rejects a configuration that served less than 95% of the offered rate", () => {
    const r = recommend([
      cell({ maxSize: 1, clientLimit: 10, p99: 20, throughput: 1800 }),
      cell({ maxSize: 2, clientLimit: 10, p99: 20, throughput: 1900 }),
    ], target);
    assert.equal(r.choice?.settings.maxSize, 2);
    assert.match(r.reasons.join("\n"), /served 1,800 of 2,000 req\/s/);
  });

  it("has no throughput requirement in a closed loop", () => {
    const r = recommend([
      cell({ maxSize: 1, clientLimit: 10, p99: 20, throughput: 10 }),
    ], {
      targetP99Ms: 50,
      concurrency: 100,
    });
    assert.equal(r.met, true);
    assert.match(r.summary, /at 100 concurrent callers/);
  });

  it("explains the choice with its figures and each smaller maxSize with its closest miss", () => {
    const r = recommend([
      cell({ maxSize: 1, clientLimit: 10, p99: 900, timeouts: 40 }),
      cell({ maxSize: 1, clientLimit: 100, p99: 400 }),
      cell({ maxSize: 2, clientLimit: 100, p99: 180 }),
      cell({ maxSize: 4, clientLimit: 10, p99: 70 }),
      cell({ maxSize: 4, clientLimit: 50, p99: 31, opened: 3 }),
      cell({ maxSize: 8, clientLimit: 10, p99: 5 }),
    ], target);
    assert.equal(
      r.summary,
      "Set maxSize 4 x clientLimit 50: the smallest pool that met p99 ≤ 50 ms at 2,000 req/s",
    );
    assert.deepEqual(r.reasons, [
      "maxSize 4 x clientLimit 50: p99 31 ms ≤ 50 ms at 2,000 req/s " +
      "(2,000 req/s served, 0 timeouts, 3 connections opened)",
      "maxSize 1 missed at every clientLimit tried; its closest, maxSize 1 x clientLimit 100: p99 400 ms > 50 ms",
      "maxSize 2 x clientLimit 100 missed: p99 180 ms > 50 ms",
      "maxSize 4 x clientLimit 10 missed: p99 70 ms > 50 ms",
    ]);
  });

  it("says so when nothing met the target, and offers the closest", () => {
    const r = recommend([
      cell({ maxSize: 1, clientLimit: 10, p99: 1000, timeouts: 500 }),
      cell({ maxSize: 2, clientLimit: 10, p99: 120 }),
      cell({ maxSize: 4, clientLimit: 10, p99: 80 }),
    ], target);
    assert.equal(r.met, false);
    assert.equal(r.choice?.settings.maxSize, 4);
    assert.equal(
      r.summary,
      "No configuration met p99 ≤ 50 ms at 2,000 req/s; the closest was maxSize 4 x clientLimit 10",
    );
    assert.match(
      r.reasons[0],
      /^maxSize 4 x clientLimit 10: p99 80 ms > 50 ms$/,
    );
    assert.match(
      r.reasons.join("\n"),
      /Try larger --max-size or --client-limit values/,
    );
  });

  it("ranks failing configurations by p99 before failures, and a cell with no completions last", () => {
    const r = recommend([
      cell({ maxSize: 1, clientLimit: 10, p99: NaN, count: 0 }),
      cell({ maxSize: 2, clientLimit: 10, p99: 300, timeouts: 1 }),
      cell({ maxSize: 4, clientLimit: 10, p99: 900 }),
    ], target);
    assert.equal(r.met, false);
    assert.equal(r.choice?.settings.maxSize, 2);
  });

  it("answers an empty grid without a choice", () => {
    const r = recommend([], target);
    assert.equal(r.met, false);
    assert.equal(r.choice, undefined);
  });

  it("refuses a target that is not a positive number", () => {
    for (const targetP99Ms of [0, -1, NaN, Infinity]) {
      assert.throws(() => recommend([], { targetP99Ms }), {
        name: "RangeError",
        message:
          `Cannot recommend a pool: targetP99Ms must be a positive number, got ${targetP99Ms}`,
      });
    }
  });
});

describe("misses", () => {
  it("lists every way a cell missed, and nothing for a cell that met the target", () => {
    assert.deepEqual(
      misses(cell({ maxSize: 1, clientLimit: 1, p99: 10 }), target),
      [],
    );
    assert.deepEqual(
      misses(
        cell({
          maxSize: 1,
          clientLimit: 1,
          p99: 75.25,
          timeouts: 1200,
          errors: 2,
          throughput: 900,
        }),
        target,
      ),
      [
        "p99 75.3 ms > 50 ms",
        "1,200 timeouts",
        "2 errors",
        "served 900 of 2,000 req/s",
      ],
    );
    assert.deepEqual(
      misses(cell({ maxSize: 1, clientLimit: 1, p99: NaN, count: 0 }), target),
      [
        "no request completed",
      ],
    );
  });

  it("uses the given served ratio", () => {
    const c = cell({ maxSize: 1, clientLimit: 1, p99: 10, throughput: 1500 });
    assert.deepEqual(misses(c, { ...target, minServedRatio: 0.7 }), []);
    assert.equal(misses(c, { ...target, minServedRatio: 0.8 }).length, 1);
  });
});

describe("compareSize and describeSettings", () => {
  it("orders by maxSize, then clientLimit, then effective maxConcurrentCreates", () => {
    const sorted = [
      cell({ maxSize: 4, clientLimit: 10, p99: 1, creates: 2 }),
      cell({ maxSize: 2, clientLimit: 100, p99: 1 }),
      cell({ maxSize: 4, clientLimit: 10, p99: 1, creates: 1 }),
      cell({ maxSize: 4, clientLimit: 5, p99: 1 }),
    ].sort(compareSize);
    assert.deepEqual(
      sorted.map((c) => describeSettings(c.settings)),
      [
        "maxSize 2 x clientLimit 100",
        "maxSize 4 x clientLimit 5",
        "maxSize 4 x clientLimit 10 x maxConcurrentCreates 1",
        "maxSize 4 x clientLimit 10 x maxConcurrentCreates 2",
      ],
    );
  });
});
