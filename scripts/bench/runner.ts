/**
 * Runs one grid cell of `deno task bench`: a fresh pool, an unmeasured
 * warm-up, then a measured window of open-loop (or closed-loop) load, with
 * bursts. Uses only timers and `performance.now()`.
 *
 * Open loop: arrivals follow a seeded Poisson process at `rate` and do not
 * wait for earlier requests, so a pool that is too small shows up as queueing
 * (latency) and then as timeouts, never as a politely lower offered load.
 * Latency is measured from the moment a request is launched; the launcher
 * ticks on a ~1 ms timer, and how late it ran is reported as `maxLagMs`.
 *
 * @module
 */

import { ConnectionsExhausted } from "../../mod.ts";
import { seededRandom } from "../../src/testing/seeded_random.ts";
import type { PoolFigures } from "./pool_figures.ts";
import { SampleBuffer } from "./stats.ts";
import type { CellResult, PoolSettings } from "./types.ts";

/** A pool (or managed client) under test, made for one grid cell. */
export interface BenchSubject {
  /**
   * Runs one request through the pool.
   *
   * @param onAcquired To call when the request got its lease, if the subject
   * can tell; otherwise the acquire-wait figures come from `stats()`.
   */
  request(onAcquired: () => void): Promise<void>;
  /** The pool's counters, as `poolFigures` reads them. */
  stats(): PoolFigures;
  /** Closes the pool (and whatever the subject opened). */
  close(): Promise<void>;
}

/** A backend: makes one subject per grid cell. */
export interface BenchBackend {
  /** One line for the report: what was measured. */
  readonly label: string;
  /** Whether `request` reports the moment of acquisition. */
  readonly reportsAcquire: boolean;
  /**
   * Makes a subject with these pool settings.
   *
   * @param settings The grid cell.
   * @param acquireTimeoutSeconds The pool's `acquireTimeoutSeconds`.
   */
  open(
    settings: PoolSettings,
    acquireTimeoutSeconds: number,
  ): Promise<BenchSubject>;
  /** Stops the backend (a local server, say). */
  close(): Promise<void>;
}

/** The load shape of a cell. */
export interface LoadShape {
  /** Open-loop arrivals per second; ignored when `concurrency` is set. */
  rate: number;
  /** Closed-loop callers, each issuing requests back to back. */
  concurrency: number | undefined;
  /** Extra requests arriving together every `burstEverySeconds` (from the start of the warm-up). */
  burst: number;
  /** Seconds between bursts. */
  burstEverySeconds: number;
  /** Unmeasured seconds first. */
  warmupSeconds: number;
  /** Measured seconds. */
  durationSeconds: number;
  /** Seed of the arrival process. */
  seed: number;
  /** The pool's `acquireTimeoutSeconds`. */
  acquireTimeoutSeconds: number;
}

/** What {@linkcode runCell} returns: the cell's result plus harness health. */
export interface CellRun {
  /** The measured figures. */
  result: CellResult;
  /** The latest the launcher ran behind the arrival schedule, milliseconds. */
  maxLagMs: number;
}

/** Progress of a running cell, for the progress line. */
export interface CellProgress {
  /** `"warmup"`, `"measure"` or `"drain"`. */
  phase: "warmup" | "measure" | "drain";
  /** Seconds into the phase. */
  seconds: number;
  /** Requests in flight now. */
  inFlight: number;
}

/** Acquire waits at or above this count as "waited" (queued for capacity). */
const WAITED_MS = 1;
const PROGRESS_EVERY_MS = 200;

/**
 * Runs one grid cell and closes its subject.
 *
 * @param backend Makes the pool under test.
 * @param settings The grid cell.
 * @param load The load shape.
 * @param onProgress Called about every 200 ms.
 * @returns The measured figures.
 *
 * @example A tiny closed-loop cell against an instant backend
 * ```ts
 * import { runCell, type BenchBackend } from "./runner.ts";
 * import { ConnectionPool } from "@azure-clients/toolbox";
 * import { poolFigures } from "./pool_figures.ts";
 * import assert from "node:assert/strict";
 *
 * const backend: BenchBackend = {
 *   label: "instant",
 *   reportsAcquire: true,
 *   open: (settings, acquireTimeoutSeconds) => {
 *     const pool = new ConnectionPool({
 *       create: () => Promise.resolve({}),
 *       ready: () => Promise.resolve(true),
 *       close: () => Promise.resolve(),
 *     }, { ...settings, acquireTimeoutSeconds });
 *     return Promise.resolve({
 *       request: (onAcquired) => pool.use(() => onAcquired()),
 *       stats: () => poolFigures(pool.stats()),
 *       close: () => pool.close(),
 *     });
 *   },
 *   close: () => Promise.resolve(),
 * };
 * const { result } = await runCell(backend, { clientLimit: 2, maxSize: 1, maxConcurrentCreates: undefined }, {
 *   rate: 0, concurrency: 4, burst: 0, burstEverySeconds: 1, warmupSeconds: 0,
 *   durationSeconds: 0.05, seed: 1, acquireTimeoutSeconds: 1,
 * });
 * assert.ok(result.succeeded > 0);
 * assert.equal(result.timeouts + result.errors, 0);
 * assert.equal(result.opened, 1);
 * ```
 */
export async function runCell(
  backend: BenchBackend,
  settings: PoolSettings,
  load: LoadShape,
  onProgress?: (progress: CellProgress) => void,
): Promise<CellRun> {
  const subject = await backend.open(settings, load.acquireTimeoutSeconds);
  let subjectClosed = false;
  try {
    const wait = new SampleBuffer(8192);
    const latency = new SampleBuffer(8192);
    const random = seededRandom(load.seed);
    const warmupMs = load.warmupSeconds * 1000;
    const durationMs = load.durationSeconds * 1000;
    const start = performance.now();
    const windowStart = start + warmupMs;
    const windowEnd = windowStart + durationMs;
    let requests = 0;
    let succeeded = 0;
    let servedInWindow = 0;
    let timeouts = 0;
    let errors = 0;
    let waited = 0;
    let inFlight = 0;
    let maxLagMs = 0;
    let stopped = false;
    let firstError: unknown;
    let allSettled: (() => void) | undefined;

    const launch = (): Promise<void> => {
      const launchedAt = performance.now();
      const measured = launchedAt >= windowStart && launchedAt < windowEnd;
      if (measured) requests++;
      inFlight++;
      const onAcquired = () => {
        if (!measured) return;
        const waitedMs = performance.now() - launchedAt;
        wait.push(waitedMs);
        if (waitedMs >= WAITED_MS) waited++;
      };
      let request: Promise<void>;
      try {
        request = subject.request(onAcquired);
      } catch (error) {
        // A subject that throws instead of rejecting must not stop the launcher.
        request = Promise.reject(error);
      }
      return request.then(
        () => {
          const now = performance.now();
          if (now >= windowStart && now < windowEnd) servedInWindow++;
          if (measured) {
            succeeded++;
            latency.push(now - launchedAt);
          }
        },
        (error: unknown) => {
          if (!measured) return;
          // A failed request's caller waited too: its time counts in the percentiles.
          latency.push(performance.now() - launchedAt);
          if (error instanceof ConnectionsExhausted) timeouts++;
          else {
            errors++;
            firstError ??= error;
          }
        },
      ).finally(() => {
        inFlight--;
        if (inFlight === 0 && stopped) allSettled?.();
      });
    };

    // Bursts land at 0, burstEvery, 2 x burstEvery, ... from the start of the warm-up.
    let nextBurst = load.burst > 0 ? start : Infinity;
    const burstEveryMs = load.burstEverySeconds * 1000;
    const closedLoop = load.concurrency !== undefined;
    const meanGapMs = closedLoop || load.rate <= 0
      ? Infinity
      : 1000 / load.rate;
    let nextArrival = start +
      (Number.isFinite(meanGapMs) ? -Math.log(1 - random()) * meanGapMs : 0);
    let lastProgress = start;

    // A closed-loop caller checks the clock itself and yields to the timers now
    // and then: against an instant backend its requests settle in microtasks,
    // which would otherwise starve the launcher's tick.
    const loop = async (): Promise<void> => {
      let yieldedAt = performance.now();
      while (!stopped) {
        await launch();
        const now = performance.now();
        if (now >= windowEnd) break;
        if (now - yieldedAt >= 5) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          yieldedAt = performance.now();
        }
      }
    };
    const loops: Promise<void>[] = [];
    if (closedLoop) {
      for (let i = 0; i < load.concurrency!; i++) loops.push(loop());
    }

    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        if (now >= windowEnd) {
          stopped = true;
          resolve();
          return;
        }
        while (nextBurst <= now) {
          maxLagMs = Math.max(maxLagMs, now - nextBurst);
          for (let i = 0; i < load.burst; i++) launch().catch(() => {});
          nextBurst += burstEveryMs;
        }
        while (nextArrival <= now) {
          maxLagMs = Math.max(maxLagMs, now - nextArrival);
          launch().catch(() => {});
          nextArrival += -Math.log(1 - random()) * meanGapMs;
        }
        if (
          onProgress !== undefined && now - lastProgress >= PROGRESS_EVERY_MS
        ) {
          lastProgress = now;
          const inWarmup = now < windowStart;
          onProgress({
            phase: inWarmup ? "warmup" : "measure",
            seconds: (now - (inWarmup ? start : windowStart)) / 1000,
            inFlight,
          });
        }
        setTimeout(tick, 1);
      };
      tick();
    });

    // Every request launched ends by its acquire deadline or its operation.
    const drainStart = performance.now();
    const progressTimer = onProgress === undefined
      ? undefined
      : setInterval(() => {
        onProgress({
          phase: "drain",
          seconds: (performance.now() - drainStart) / 1000,
          inFlight,
        });
      }, PROGRESS_EVERY_MS);
    if (inFlight > 0) {
      await new Promise<void>((resolve) => (allSettled = resolve));
    }
    await Promise.all(loops);
    if (progressTimer !== undefined) clearInterval(progressTimer);

    const stats = subject.stats();
    subjectClosed = true;
    await subject.close();
    if (errors > 0 && firstError !== undefined && succeeded === 0) {
      throw new Error(`Every request failed in ${JSON.stringify(settings)}`, {
        cause: firstError,
      });
    }
    const waitSummary = backend.reportsAcquire ? wait.summary() : {
      // The subject cannot see its lease: the pool's own wait window stands in.
      count: stats.acquired,
      min: NaN,
      mean: NaN,
      p50: stats.waitP50Ms,
      p95: NaN,
      p99: stats.waitP99Ms,
      max: NaN,
    };
    return {
      maxLagMs,
      result: {
        settings,
        effectiveMaxConcurrentCreates: settings.maxConcurrentCreates ??
          Math.max(1, Math.floor(settings.maxSize / 3)),
        requests,
        succeeded,
        timeouts,
        errors,
        waited: backend.reportsAcquire ? waited : NaN,
        opened: stats.opened,
        offeredRate: closedLoop ? 0 : requests / load.durationSeconds,
        throughput: servedInWindow / load.durationSeconds,
        seconds: load.durationSeconds,
        wait: waitSummary,
        latency: latency.summary(),
      },
    };
  } finally {
    // Whatever went wrong mid-run, the pool (and its sockets) must not outlive the cell.
    if (!subjectClosed) await subject.close().catch(() => {});
  }
}
