import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  compareSize,
  describeSettings,
  fleetCheck,
  misses,
  optionsToPaste,
  recommend,
  sameLatency,
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

  it("breaks a tie of latency on the wait: 4 x 50 without waits beats 4 x 10 with 643", () => {
    // The sample run of the README: three clientLimits at maxSize 4 with the
    // same latency; only 4 x 10 made callers queue for a connection.
    const grid = [
      cell({ maxSize: 2, clientLimit: 100, p99: 192 }),
      cell({
        maxSize: 4,
        clientLimit: 10,
        p99: 26,
        waitP99: 20.5,
        waited: 643,
      }),
      cell({
        maxSize: 4,
        clientLimit: 50,
        p99: 26.2,
        waitP99: 0.02,
        waited: 61,
      }),
      cell({ maxSize: 4, clientLimit: 100, p99: 25.7, waitP99: 0, waited: 0 }),
      cell({ maxSize: 8, clientLimit: 10, p99: 13.6, waitP99: 9.8 }),
    ];
    for (const order of [grid, [...grid].reverse()]) {
      const r = recommend(order, target);
      assert.equal(r.met, true);
      // 0.02 ms and 0 ms of wait are the same: the smaller clientLimit wins.
      assert.equal(
        describeSettings(r.choice!.settings),
        "maxSize 4 x clientLimit 50",
      );
      assert.match(
        r.summary,
        /a lower clientLimit had the same latency but made callers wait for a connection$/,
      );
      assert.ok(
        r.reasons.includes(
          "maxSize 4 x clientLimit 10 met too, at the same latency (p99 26 ms), but its callers " +
            "waited for a connection: wait p99 20.5 ms, 643 callers waited",
        ),
        r.reasons.join("\n"),
      );
      assert.ok(
        !r.reasons.some((reason) => /clientLimit 10 missed/.test(reason)),
      );
    }
  });

  it("keeps the smaller clientLimit when the latencies differ by more than 10%, waits or not", () => {
    const r = recommend([
      cell({
        maxSize: 4,
        clientLimit: 10,
        p99: 26,
        waitP99: 20.5,
        waited: 643,
      }),
      cell({ maxSize: 4, clientLimit: 50, p99: 30, waitP99: 0 }),
    ], target);
    assert.equal(r.choice?.settings.clientLimit, 10);
    assert.doesNotMatch(r.summary, /lower clientLimit/);
    assert.match(r.reasons.join("\n"), /maxSize 4 x clientLimit 10: p99 26 ms/);
  });

  it("never trades connections for wait: a larger maxSize without waits does not win", () => {
    const r = recommend([
      cell({ maxSize: 2, clientLimit: 100, p99: 26, waitP99: 20, waited: 500 }),
      cell({ maxSize: 4, clientLimit: 100, p99: 26, waitP99: 0 }),
    ], target);
    assert.equal(r.choice?.settings.maxSize, 2);
  });

  it("ends with the options to paste, and those of the closest when nothing met", () => {
    const met = recommend(
      [cell({ maxSize: 4, clientLimit: 50, p99: 20 })],
      target,
    );
    assert.equal(met.options, "{ maxSize: 4, clientLimit: 50 }");
    const missed = recommend([
      cell({ maxSize: 6, clientLimit: 50, p99: 80, creates: 2 }),
    ], target);
    assert.equal(missed.met, false);
    assert.equal(
      missed.options,
      "{ maxSize: 6, clientLimit: 50, maxConcurrentCreates: 2 }",
    );
    assert.equal(recommend([], target).options, undefined);
  });

  it("checks instances x maxSize against the connection quota when asked", () => {
    const grid = [
      cell({ maxSize: 2, clientLimit: 10, p99: 90 }),
      cell({ maxSize: 4, clientLimit: 10, p99: 20 }),
    ];
    assert.equal(recommend(grid, target).fleet, undefined);
    assert.equal(
      recommend(grid, { ...target, instances: 10, connectionQuota: 100 }).fleet,
      "Fleet: 10 instances x maxSize 4 = 40 connections fit the connection quota of 100 (60 to spare)",
    );
    assert.equal(
      recommend(grid, { ...target, instances: 30, connectionQuota: 100 }).fleet,
      "Fleet: 30 instances x maxSize 4 = 120 connections exceed the connection quota of 100. " +
        "At most 25 instances of maxSize 4 fit; 30 instances need maxSize 3 or less, and no " +
        "configuration that small met the target",
    );
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

describe("sameLatency", () => {
  it("counts p99s within 10% of the lower one, or within 1 ms, as the same", () => {
    assert.equal(sameLatency(26, 26.2), true);
    assert.equal(sameLatency(26, 28.6), true);
    assert.equal(sameLatency(26, 28.7), false);
    assert.equal(sameLatency(28.7, 26), false, "symmetric");
    assert.equal(sameLatency(0, 1), true, "the 1 ms floor");
    assert.equal(sameLatency(2, 3.01), false);
    assert.equal(sameLatency(0.02, 0), true, "waits that round to nothing");
  });

  it("never counts an unmeasured figure as the same", () => {
    assert.equal(sameLatency(NaN, 1), false);
    assert.equal(sameLatency(1, Infinity), false);
  });
});

describe("fleetCheck", () => {
  const base = { targetP99Ms: 50 };

  it("says nothing without instances or a quota", () => {
    assert.equal(fleetCheck(4, base, true), undefined);
  });

  it("counts the instances a quota allows when only the quota is given", () => {
    assert.equal(
      fleetCheck(4, { ...base, connectionQuota: 5000 }, true),
      "Fleet: at most 1,250 instances of maxSize 4 fit the connection quota of 5,000 " +
        "(give --instances to check a fleet)",
    );
  });

  it("totals the connections when only the instances are given", () => {
    assert.equal(
      fleetCheck(1, { ...base, instances: 1 }, true),
      "Fleet: 1 instance x maxSize 1 = 1 connection " +
        "(give --connection-quota to check them against the service's quota)",
    );
  });

  it("fits a fleet that fills the quota exactly", () => {
    assert.match(
      fleetCheck(4, { ...base, instances: 25, connectionQuota: 100 }, true)!,
      /= 100 connections fit the connection quota of 100 \(0 to spare\)$/,
    );
  });

  it("says when even maxSize 1 cannot fit, and suggests smaller sizes only when they could qualify", () => {
    assert.match(
      fleetCheck(4, { ...base, instances: 200, connectionQuota: 100 }, true)!,
      /; even at maxSize 1, 200 instances need more than the quota$/,
    );
    assert.match(
      fleetCheck(8, { ...base, instances: 20, connectionQuota: 100 }, false)!,
      /; 20 instances need maxSize 5 or less$/,
    );
  });
});

describe("optionsToPaste", () => {
  it("writes the options as code, maxConcurrentCreates only when set", () => {
    assert.equal(
      optionsToPaste({
        maxSize: 4,
        clientLimit: 50,
        maxConcurrentCreates: undefined,
      }),
      "{ maxSize: 4, clientLimit: 50 }",
    );
    assert.equal(
      optionsToPaste({ maxSize: 8, clientLimit: 100, maxConcurrentCreates: 3 }),
      "{ maxSize: 8, clientLimit: 100, maxConcurrentCreates: 3 }",
    );
  });
});
