import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { percentile } from "../../src/pool/_percentile.ts";
import { SampleBuffer, summarize } from "../../scripts/bench/stats.ts";

// The bench summarises with the library's one percentile: its definition is what the tables mean.
describe("percentile", () => {
  it("returns the nearest-rank sample: the smallest with at least p% at or below it", () => {
    const sorted = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    assert.equal(percentile(sorted, 10), 10);
    assert.equal(percentile(sorted, 11), 20);
    assert.equal(percentile(sorted, 50), 50);
    assert.equal(percentile(sorted, 95), 100);
    assert.equal(percentile(sorted, 99), 100);
    assert.equal(percentile(sorted, 100), 100);
  });

  it("never interpolates: every answer is one of the samples", () => {
    const sorted = [1, 1000];
    for (const p of [1, 25, 49.9, 50, 50.1, 75, 99, 100]) {
      assert.ok(sorted.includes(percentile(sorted, p)), `p${p}`);
    }
    assert.equal(percentile(sorted, 50), 1);
    assert.equal(percentile(sorted, 50.1), 1000);
  });

  it("puts the p99 of 1..1000 at 990 and of 1..100 at 99", () => {
    const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    assert.equal(percentile(range(1000), 99), 990);
    assert.equal(percentile(range(100), 99), 99);
    assert.equal(percentile(range(101), 99), 100);
  });

  it("answers the only sample for every p, and NaN for no samples", () => {
    assert.equal(percentile([7], 1), 7);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it("rejects p outside (0, 100] with a RangeError naming the value", () => {
    for (const p of [0, -1, 100.5, NaN]) {
      assert.throws(() => percentile([1, 2], p), {
        name: "RangeError",
        message:
          `Cannot compute a percentile as 'p' must be in (0, 100]: received ${p}`,
      });
    }
  });
});

describe("summarize", () => {
  it("sorts a copy and reports count, min, mean, p50, p95, p99 and max", () => {
    const samples = [5, 3, 9, 1, 7];
    const summary = summarize(samples);
    assert.deepEqual(summary, {
      count: 5,
      min: 1,
      mean: 5,
      p50: 5,
      p95: 9,
      p99: 9,
      max: 9,
    });
    assert.deepEqual(samples, [5, 3, 9, 1, 7], "the input was sorted in place");
  });

  it("sorts numerically, not as strings", () => {
    assert.equal(summarize([100, 9, 20]).p50, 20);
  });

  it("finds a tail the mean hides: one slow caller in a hundred", () => {
    const samples = [...Array(98).fill(2), 500, 500];
    const summary = summarize(samples);
    assert.equal(summary.p50, 2);
    assert.equal(summary.p95, 2);
    assert.equal(summary.p99, 500);
    assert.ok(summary.mean < 12);
  });

  it("gives NaN figures and count 0 for no samples", () => {
    const summary = summarize([]);
    assert.equal(summary.count, 0);
    for (const key of ["min", "mean", "p50", "p95", "p99", "max"] as const) {
      assert.ok(Number.isNaN(summary[key]), key);
    }
  });

  it("rejects a NaN sample", () => {
    assert.throws(() => summarize([1, NaN]), {
      name: "RangeError",
      message: "Cannot summarize latencies: a sample is NaN",
    });
  });
});

describe("SampleBuffer", () => {
  it("keeps every sample across growth, in order", () => {
    const buffer = new SampleBuffer(1);
    for (let i = 0; i < 1000; i++) buffer.push(i);
    assert.equal(buffer.length, 1000);
    assert.equal(buffer.values()[0], 0);
    assert.equal(buffer.values()[999], 999);
    assert.equal(buffer.values().length, 1000);
  });

  it("summarises what was pushed, the same as summarize", () => {
    const buffer = new SampleBuffer(4);
    const samples = [0.5, 12, 3.25, 800, 4];
    for (const sample of samples) buffer.push(sample);
    assert.deepEqual(buffer.summary(), summarize(samples));
  });
});
