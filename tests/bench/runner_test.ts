import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type BenchBackend, runCell } from "../../scripts/bench/runner.ts";
import type { PoolFigures } from "../../scripts/bench/pool_figures.ts";
import { ConnectionsExhausted } from "../../mod.ts";
import { seededRandom } from "../_seeded.ts";

const settings = {
  clientLimit: 4,
  maxSize: 2,
  maxConcurrentCreates: undefined,
};
const load = {
  rate: 0,
  concurrency: 3,
  burst: 0,
  burstEverySeconds: 1,
  warmupSeconds: 0,
  durationSeconds: 0.05,
  seed: 1,
  acquireTimeoutSeconds: 1,
};

/** A backend whose requests do what `behaviour` says, with stats it counts itself. */
function fakeBackend(
  behaviour: (n: number) => Promise<void>,
  reportsAcquire = true,
) {
  let closed = 0;
  let calls = 0;
  const backend: BenchBackend = {
    label: "fake",
    reportsAcquire,
    open: () =>
      Promise.resolve({
        request(onAcquired: () => void) {
          onAcquired();
          return behaviour(++calls);
        },
        stats: (): PoolFigures => ({
          opened: 2,
          acquired: calls,
          waitP50Ms: 0.5,
          waitP99Ms: 3,
          closed: false,
        }),
        close: () => {
          closed++;
          return Promise.resolve();
        },
      }),
    close: () => Promise.resolve(),
  };
  return { backend, closed: () => closed };
}

describe("runCell", () => {
  it("accounts for every measured request exactly once and closes its subject", async () => {
    const fake = fakeBackend(() =>
      new Promise((resolve) => setTimeout(resolve, 1))
    );
    const { result } = await runCell(fake.backend, settings, load);
    assert.ok(result.requests > 0);
    assert.equal(
      result.succeeded + result.timeouts + result.errors,
      result.requests,
    );
    assert.equal(result.latency.count, result.requests);
    assert.equal(result.wait.count, result.requests);
    assert.equal(result.opened, 2);
    assert.equal(result.offeredRate, 0, "a closed loop offers no rate");
    assert.equal(result.effectiveMaxConcurrentCreates, 1);
    assert.equal(fake.closed(), 1);
  });

  it("counts ConnectionsExhausted as timeouts and other failures as errors", async () => {
    const fake = fakeBackend(async (n) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (n % 3 === 0) throw new ConnectionsExhausted("waited");
      if (n % 3 === 1) throw new Error("boom");
    });
    const { result } = await runCell(fake.backend, settings, load);
    assert.ok(
      result.timeouts > 0 && result.errors > 0 && result.succeeded > 0,
      JSON.stringify(result),
    );
    assert.equal(
      result.succeeded + result.timeouts + result.errors,
      result.requests,
    );
  });

  it("fails the run, with the cause, when every request failed", async () => {
    const cause = new Error("ECONNREFUSED");
    const fake = fakeBackend(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      throw cause;
    });
    await assert.rejects(
      runCell(fake.backend, settings, load),
      (error: Error) => {
        assert.match(error.message, /^Every request failed/);
        assert.equal(error.cause, cause);
        return true;
      },
    );
    assert.equal(fake.closed(), 1);
  });

  it("counts a request that throws instead of rejecting, and still closes its subject", async () => {
    const fake = fakeBackend(() => {
      throw new ReferenceError("send is not defined");
    });
    await assert.rejects(
      runCell(fake.backend, settings, {
        ...load,
        concurrency: undefined,
        rate: 200,
      }),
      {
        message: /^Every request failed/,
      },
    );
    assert.equal(fake.closed(), 1);
  });

  it("stops a closed loop on time even when requests settle in microtasks", async () => {
    const fake = fakeBackend(() => Promise.resolve());
    const { result } = await runCell(fake.backend, settings, load);
    assert.ok(result.succeeded > 0);
  });

  it("takes the acquire-wait figures from the pool when the subject cannot see its lease", async () => {
    const fake = fakeBackend(
      () => new Promise((resolve) => setTimeout(resolve, 1)),
      false,
    );
    const { result } = await runCell(fake.backend, settings, load);
    assert.equal(result.wait.p50, 0.5);
    assert.equal(result.wait.p99, 3);
    assert.ok(Number.isNaN(result.waited));
  });

  it("launches open-loop arrivals and bursts into the measured window", async () => {
    const fake = fakeBackend(() =>
      new Promise((resolve) => setTimeout(resolve, 1))
    );
    const { result } = await runCell(fake.backend, settings, {
      ...load,
      concurrency: undefined,
      rate: 200,
      burst: 25,
      burstEverySeconds: 0.02,
    });
    // The burst at 0 ms is launched before the first timer: it always lands
    // (later ones could miss the window on a stalled machine).
    assert.ok(result.requests >= 25, `requests ${result.requests}`);
    assert.ok(result.offeredRate > 0);
  });
});

// The arrival process of --seed comes from the one seeded generator.
describe("seededRandom", () => {
  it("repeats a sequence for a seed and differs between seeds", () => {
    const take = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5 }, () => random());
    };
    assert.deepEqual(take(42), take(42));
    assert.notDeepEqual(take(42), take(43));
    assert.ok(take(1).every((x) => x >= 0 && x < 1));
  });
});
