import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  formatBytes,
  formatRate,
  formatUs,
  microGoals,
  type MicroResult,
  renderMicro,
} from "../../scripts/bench/micro_report.ts";

/** A run where the pool meets every goal; tests change one figure at a time. */
function result(): MicroResult {
  return {
    runtime: "Deno 2.9.6",
    seconds: 31.4,
    settings: {
      rounds: 4,
      batchMs: 100,
      handOffSamples: 20_000,
      queued: 10_000,
      concurrencies: [1, 100, 10_000],
    },
    throughput: [
      {
        name: "bare semaphore",
        role: "baseline",
        opsPerSecond: [20e6, 10e6, 8e6],
      },
      {
        name: "ConnectionPool use()",
        role: "pool",
        opsPerSecond: [16e6, 8e6, 4e6],
      },
      { name: "generic-pool", role: "peer", opsPerSecond: [4e6, 2e6, 1e6] },
      { name: "tarn", role: "peer", opsPerSecond: [1e6, 1e6, 0.5e6] },
    ],
    handOff: [
      {
        name: "bare semaphore",
        role: "baseline",
        twoCallers: { p50Us: 0.2, p99Us: 0.3 },
        queued: { p50Us: 0.3, p99Us: 0.7 },
      },
      {
        name: "ConnectionPool get()",
        role: "pool",
        twoCallers: { p50Us: 0.6, p99Us: 1.5 },
        queued: { p50Us: 0.7, p99Us: 20 },
      },
    ],
    heap: {
      semaphorePerQueued: 330,
      poolPerQueued: 429,
      poolWithQueue: 9.99e6,
    },
  };
}

function metByGoal(r: MicroResult): Record<string, boolean | undefined> {
  return Object.fromEntries(microGoals(r).map((c) => [c.goal, c.met]));
}

describe("microGoals", () => {
  it("checks the eight goals of issue 12 in order, all met at their exact limits", () => {
    const checks = microGoals(result());
    assert.deepEqual(checks.map((c) => c.goal), [
      "use() >= 0.8x the semaphore at concurrency 1",
      "use() >= 0.8x the semaphore at concurrency 100",
      "use() >= 0.5x the semaphore at concurrency 10,000",
      "use() >= 2x the best peer at every concurrency",
      "hand-off p50 with 2 callers within 3x the semaphore's",
      "hand-off p99 with 10,000 queued <= 20 µs",
      "bytes per queued caller <= 1.3x the semaphore's",
      "heap of a pool with 100 connections and 10,000 queued < 10 MB",
    ]);
    assert.deepEqual(checks.map((c) => c.met), Array(8).fill(true));
  });

  it("misses a ratio just under its floor, and holds 10,000 to 0.5x, not 0.8x", () => {
    const r = result();
    r.throughput[1].opsPerSecond = [15.9e6, 8e6, 3.99e6];
    const met = metByGoal(r);
    assert.equal(met["use() >= 0.8x the semaphore at concurrency 1"], false);
    assert.equal(met["use() >= 0.8x the semaphore at concurrency 100"], true);
    assert.equal(
      met["use() >= 0.5x the semaphore at concurrency 10,000"],
      false,
    );
    // Rounded away from the limit: a miss never reads as the limit itself.
    assert.equal(microGoals(r)[0].figure, "0.79x");
  });

  it("compares the pool with the best peer at each concurrency", () => {
    const r = result();
    // tarn is the best peer at 10,000 only: 4M is not 2x its 2.1M.
    r.throughput[3].opsPerSecond = [1e6, 1e6, 2.1e6];
    const lead = microGoals(r)[3];
    assert.equal(lead.met, false);
    assert.equal(lead.figure, "4.0x, 4.0x, 1.9x");
  });

  it("misses the hand-off goals just past their limits", () => {
    const r = result();
    r.handOff[1].twoCallers.p50Us = 0.61;
    r.handOff[1].queued.p99Us = 20.01;
    const met = metByGoal(r);
    assert.equal(
      met["hand-off p50 with 2 callers within 3x the semaphore's"],
      false,
    );
    assert.equal(met["hand-off p99 with 10,000 queued <= 20 µs"], false);
  });

  it("misses the heap goals just past their limits, and reports them unmeasured without gc", () => {
    const r = result();
    r.heap = {
      semaphorePerQueued: 330,
      poolPerQueued: 430,
      poolWithQueue: 10e6,
    };
    const checks = microGoals(r);
    assert.equal(checks[6].met, false);
    assert.equal(checks[6].figure, "430 B vs 330 B: 1.31x");
    assert.equal(checks[7].met, false);
    r.heap = undefined;
    const unmeasured = microGoals(r).slice(6);
    assert.deepEqual(unmeasured.map((c) => c.met), [undefined, undefined]);
    assert.deepEqual(unmeasured.map((c) => c.figure), [
      "not measured (no gc)",
      "not measured (no gc)",
    ]);
  });

  it("refuses a table without the semaphore row, naming the role", () => {
    const r = result();
    r.throughput = r.throughput.slice(1);
    assert.throws(() => microGoals(r), {
      name: "RangeError",
      message: "Cannot report the micro bench as no row has the role baseline",
    });
  });
});

describe("renderMicro", () => {
  it("prints each rate with its ratio to the semaphore, the hand-off table, the heap and the goals", () => {
    const r = result();
    r.handOff[1].queued.p99Us = 25;
    const text = renderMicro(r);
    assert.match(
      text,
      /^Deno 2\.9\.6: best of 4 interleaved rounds of ~100 ms batches/,
    );
    assert.match(
      text,
      /bare semaphore\s+20\.00M \(1\.00x\)\s+10\.00M \(1\.00x\)\s+8\.00M \(1\.00x\)/,
    );
    assert.match(
      text,
      /ConnectionPool use\(\)\s+16\.00M \(0\.80x\)\s+8\.00M \(0\.80x\)\s+4\.00M \(0\.50x\)/,
    );
    assert.match(
      text,
      /tarn\s+1\.00M \(0\.05x\)\s+1\.00M \(0\.10x\)\s+500k \(0\.06x\)/,
    );
    assert.match(
      text,
      /ConnectionPool get\(\)\s+0\.60 \/ 1\.50\s+0\.70 \/ 25\.0/,
    );
    assert.match(
      text,
      /semaphore 330 B, pool 429 B; pool of 100 connections in use with 10,000 queued: 9\.99 MB/,
    );
    assert.match(text, /goals \(issue 12\), 7 of 8 met:/);
    assert.match(
      text,
      /\n {2}\[no\] {2}hand-off p99 with 10,000 queued <= 20 µs: 25\.0 µs\n/,
    );
    assert.match(
      text,
      /\n {2}\[yes\] use\(\) >= 2x the best peer at every concurrency: 4\.0x, 4\.0x, 4\.0x\n/,
    );
  });

  it("shows the clock's cost and the concurrency-1 ceiling it leaves, when measured", () => {
    const r = result();
    assert.doesNotMatch(renderMicro(r), /clock/);
    r.clockReadNs = 50; // the semaphore's cycle is 50 ns (20M ops/s): ceiling 0.5x
    r.throughput[1].opsPerSecond[0] = 9e6;
    const text = renderMicro(r);
    assert.match(text, /one reading of the pool's clock costs 50 ns here/);
    assert.match(
      text,
      /\[no\] {2}use\(\) >= 0\.8x the semaphore at concurrency 1: 0\.45x \(0\.50x at most with the one clock reading rule 5 needs\)/,
    );
    assert.equal(
      microGoals(r)[1].figure,
      "0.80x",
      "only concurrency 1 has a ceiling",
    );
  });

  it("marks unmeasured heap goals n/a", () => {
    const r = result();
    r.heap = undefined;
    const text = renderMicro(r);
    assert.match(text, /heap: not measured/);
    assert.match(text, /\[n\/a\] bytes per queued caller/);
    assert.match(text, /6 of 8 met/);
  });
});

describe("micro bench number formats", () => {
  it("formats rates, microseconds and bytes at each magnitude", () => {
    assert.deepEqual(
      [formatRate(20_904_000), formatRate(999_499), formatRate(12.4)],
      ["20.90M", "999k", "12"],
    );
    assert.deepEqual(
      [
        formatUs(0.164),
        formatUs(9.999),
        formatUs(12.46),
        formatUs(134.9),
        formatUs(NaN),
      ],
      ["0.16", "10.00", "12.5", "135", "-"],
    );
    assert.deepEqual(
      [formatBytes(9_999), formatBytes(10_000), formatBytes(1_000_000)],
      ["9999 B", "10.0 KB", "1.00 MB"],
    );
  });
});
