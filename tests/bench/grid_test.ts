import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { gridCells, runGrid } from "../../scripts/bench/grid.ts";
import type { BenchBackend } from "../../scripts/bench/runner.ts";
import type { PoolFigures } from "../../scripts/bench/pool_figures.ts";

const load = {
  rate: 0,
  concurrency: 2,
  burst: 0,
  burstEverySeconds: 1,
  warmupSeconds: 0,
  durationSeconds: 0.02,
  seed: 1,
  acquireTimeoutSeconds: 1,
};

/** A backend of instant requests that logs when each configuration opens and closes. */
function loggingBackend(log: string[]): BenchBackend {
  return {
    label: "logging",
    reportsAcquire: true,
    open(settings) {
      const name = `${settings.maxSize}x${settings.clientLimit}`;
      log.push(`open ${name}`);
      let acquired = 0;
      return Promise.resolve({
        request(onAcquired: () => void) {
          acquired++;
          onAcquired();
          return new Promise<void>((resolve) => setTimeout(resolve, 1));
        },
        stats: (): PoolFigures => ({
          opened: 1,
          acquired,
          waitP50Ms: 0,
          waitP99Ms: 0,
          closed: false,
        }),
        close() {
          log.push(`close ${name}`);
          return Promise.resolve();
        },
      });
    },
    close: () => Promise.resolve(),
  };
}

describe("runGrid", () => {
  it("hands each result over as its configuration finishes, before the next one opens", async () => {
    const log: string[] = [];
    const cells = gridCells({
      clientLimits: [10],
      maxSizes: [1, 2, 4],
      maxConcurrentCreates: [undefined],
    });
    const { results } = await runGrid(loggingBackend(log), cells, load, 50, {
      onResult: (result, index) => {
        log.push(`result ${index} ${result.settings.maxSize}x10`);
      },
    });
    assert.deepEqual(log, [
      "open 1x10",
      "close 1x10",
      "result 0 1x10",
      "open 2x10",
      "close 2x10",
      "result 1 2x10",
      "open 4x10",
      "close 4x10",
      "result 2 4x10",
    ]);
    assert.equal(results.length, 3);
  });

  it("waits for an asynchronous onResult (a slow pipe) before the next configuration", async () => {
    const log: string[] = [];
    const cells = gridCells({
      clientLimits: [10],
      maxSizes: [1, 2],
      maxConcurrentCreates: [undefined],
    });
    await runGrid(loggingBackend(log), cells, load, 50, {
      onResult: async (_, index) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        log.push(`written ${index}`);
      },
    });
    assert.deepEqual(log.filter((line) => !line.startsWith("close")), [
      "open 1x10",
      "written 0",
      "open 2x10",
      "written 1",
    ]);
  });
});

describe("gridCells", () => {
  it("crosses the axes, clamps creates to maxSize and drops the duplicates that makes", () => {
    const cells = gridCells({
      clientLimits: [10, 50],
      maxSizes: [1, 2],
      maxConcurrentCreates: [2, 4],
    });
    assert.deepEqual(
      cells.map((c) =>
        `${c.maxSize}x${c.clientLimit}/${c.maxConcurrentCreates}`
      ),
      ["1x10/1", "2x10/2", "1x50/1", "2x50/2"],
    );
  });
});
