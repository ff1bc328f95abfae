/**
 * The measurements of `deno task bench:micro`, in the process that runs them:
 * throughput (best of interleaved rounds), hand-off latency (release to the
 * next caller's continuation) and heap per queued caller. Runtime-neutral:
 * the runtime's garbage collector and heap reading come in as functions.
 *
 * @module
 */

import type { Lease } from "../../mod.ts";
import { percentile } from "../../src/pool/_percentile.ts";
import { systemClock } from "../../src/pool/clock.ts";
import {
  benchPool,
  HAND_OFF_SUBJECTS,
  type HandOffSubject,
  runBatch,
  SUBJECTS,
} from "./micro_subjects.ts";
import { Semaphore } from "./semaphore.ts";
import type {
  HandOffRow,
  HeapFigures,
  LatencyFigures,
  MicroResult,
  MicroSettings,
  ThroughputRow,
} from "./micro_report.ts";

/** What the runtime provides to measure heap. */
export interface HeapProbe {
  /** A full, synchronous garbage collection. */
  gc(): void;
  /** Bytes of heap in use now. */
  heapUsed(): number;
}

/** Options of {@linkcode measureMicro}. */
export interface MeasureOptions extends MicroSettings {
  /** For example `Deno 2.9.6`. */
  runtime: string;
  /** Undefined when the runtime cannot collect garbage on demand. */
  heap: HeapProbe | undefined;
  /** Called as each part starts, for a progress line. */
  onProgress?: (text: string) => void;
}

/** Unmeasured batches at the calibrated size before the rounds. */
const WARM_UP_BATCHES = 2;
/** Heap readings per figure (after one discarded); the median counts. */
const HEAP_ROUNDS = 3;
/** The largest batch, so a very fast runtime does not run a batch for seconds. */
const MAX_BATCH_OPS = 5_000_000;

/** Nanoseconds per reading of the pool's default clock: best of 3 runs of 10^6. */
function clockReadNs(): number {
  const reads = 1_000_000;
  let best = Infinity;
  let sink = 0;
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    for (let i = 0; i < reads; i++) sink += systemClock.now();
    best = Math.min(best, ((performance.now() - start) * 1e6) / reads);
  }
  // The sum is used, so the loop cannot be dropped as dead code.
  return sink === -1 ? NaN : best;
}

async function timedBatch(
  cycle: () => Promise<void>,
  concurrency: number,
  ops: number,
): Promise<number> {
  const start = performance.now();
  await runBatch(cycle, concurrency, ops);
  return ops / ((performance.now() - start) / 1000);
}

/**
 * Batch size for about `batchMs`: every loop runs at least twice, so that a
 * batch at 10,000 loops measures queued callers, not only the start.
 */
async function calibrate(
  cycle: () => Promise<void>,
  concurrency: number,
  batchMs: number,
): Promise<number> {
  const minOps = Math.max(2 * concurrency, 1000);
  const size = (rate: number) =>
    Math.min(
      MAX_BATCH_OPS,
      Math.max(minOps, Math.round(rate * batchMs / 1000)),
    );
  let ops = size(await timedBatch(cycle, concurrency, minOps));
  for (let i = 0; i < WARM_UP_BATCHES; i++) {
    ops = size(await timedBatch(cycle, concurrency, ops));
  }
  return ops;
}

async function measureThroughput(
  options: MeasureOptions,
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = SUBJECTS.map((subject) => ({
    name: subject.name,
    role: subject.role,
    opsPerSecond: [],
  }));
  for (const concurrency of options.concurrencies) {
    options.onProgress?.(`throughput at concurrency ${concurrency}`);
    // Fresh subjects per concurrency, so no queue state carries over.
    const open = [];
    for (const subject of SUBJECTS) open.push(await subject.open());
    try {
      const ops: number[] = [];
      for (const subject of open) {
        ops.push(
          await calibrate(subject.cycle, concurrency, options.batchMs),
        );
      }
      const best = open.map(() => 0);
      for (let round = 0; round < options.rounds; round++) {
        // Interleaved, and a different subject first each round: a slow
        // moment of a shared machine does not land on one subject only.
        for (let k = 0; k < open.length; k++) {
          const i = (k + round) % open.length;
          const rate = await timedBatch(open[i].cycle, concurrency, ops[i]);
          best[i] = Math.max(best[i], rate);
        }
      }
      best.forEach((rate, i) => rows[i].opsPerSecond.push(rate));
    } finally {
      for (const subject of open) await subject.close();
    }
  }
  return rows;
}

/**
 * Hand-off samples in microseconds: `callers` loops on a capacity-1 subject;
 * the holder stamps the time just before it releases, and the caller that
 * comes through the queue records the time it resumed.
 */
async function handOffSamples(
  subject: HandOffSubject,
  callers: number,
  samples: number,
): Promise<Float64Array> {
  const out = new Float64Array(samples);
  let taken = 0;
  let stampedAt = NaN;
  const loop = async () => {
    while (taken < samples) {
      const held = await subject.acquire();
      const resumedAt = performance.now();
      // Only an acquire that waited for a stamped release is a hand-off.
      if (!Number.isNaN(stampedAt) && taken < samples) {
        out[taken++] = (resumedAt - stampedAt) * 1000;
      }
      stampedAt = NaN;
      await Promise.resolve();
      stampedAt = performance.now();
      subject.release(held);
    }
  };
  const loops: Promise<void>[] = [];
  for (let i = 0; i < callers; i++) loops.push(loop());
  await Promise.all(loops);
  return out.subarray(0, taken).sort();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function handOffFigures(
  subject: HandOffSubject,
  callers: number,
  options: MeasureOptions,
): Promise<LatencyFigures> {
  const samples = Math.max(options.handOffSamples, 2 * callers);
  await handOffSamples(subject, callers, samples); // warm-up, discarded
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const sorted = await handOffSamples(subject, callers, samples);
    p50s.push(percentile(sorted, 50));
    p99s.push(percentile(sorted, 99));
  }
  return { p50Us: median(p50s), p99Us: median(p99s) };
}

async function measureHandOff(options: MeasureOptions): Promise<HandOffRow[]> {
  const rows: HandOffRow[] = [];
  for (const entry of HAND_OFF_SUBJECTS) {
    options.onProgress?.(`hand-off of ${entry.name}`);
    const subject = await entry.open();
    try {
      rows.push({
        name: entry.name,
        role: entry.role,
        twoCallers: await handOffFigures(subject, 2, options),
        queued: await handOffFigures(subject, options.queued + 1, options),
      });
    } finally {
      await subject.close();
    }
  }
  return rows;
}

const SETTLED: Promise<void> = Promise.resolve();

/** Lets every pending promise reaction and timer of this turn run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Heap of `queued` callers waiting on a full subject. Each caller is the same
 * shape on both subjects, `acquire().then(release)`, so its own promise chain
 * is included and equal; `fill` makes the subject full first.
 */
async function queuedHeap(
  probe: HeapProbe,
  fill: () => Promise<{
    call(): Promise<void>;
    releaseHolders(): void;
    close(): Promise<void>;
  }>,
  queued: number,
): Promise<{ before: number; after: number }> {
  // Allocated before the first reading, so the array is not counted.
  const callers: Promise<void>[] = Array.from(
    { length: queued },
    () => SETTLED,
  );
  const full = await fill();
  await settle();
  probe.gc();
  probe.gc();
  const before = probe.heapUsed();
  for (let i = 0; i < queued; i++) callers[i] = full.call();
  await settle();
  probe.gc();
  probe.gc();
  const after = probe.heapUsed();
  full.releaseHolders();
  await Promise.all(callers);
  await full.close();
  return { before, after };
}

async function semaphoreFull(capacity: number) {
  const semaphore = new Semaphore(capacity);
  for (let i = 0; i < capacity; i++) await semaphore.acquire();
  return {
    call: () => semaphore.acquire().then(() => semaphore.release()),
    releaseHolders: () => {
      for (let i = 0; i < capacity; i++) semaphore.release();
    },
    close: () => Promise.resolve(),
  };
}

async function poolFull(maxSize: number, clientLimit: number) {
  const pool = benchPool(maxSize, clientLimit);
  await pool.warm(maxSize);
  const holders: Lease<unknown>[] = [];
  for (let i = 0; i < maxSize * clientLimit; i++) {
    holders.push(await pool.get());
  }
  return {
    call: () => pool.get().then((lease) => lease.release()),
    releaseHolders: () => {
      for (const lease of holders) lease.release();
    },
    close: () => pool.close(),
  };
}

async function measureHeap(
  probe: HeapProbe,
  options: MeasureOptions,
): Promise<HeapFigures> {
  options.onProgress?.("heap");
  const { queued } = options;
  const perQueued = async (
    fill: Parameters<typeof queuedHeap>[1],
  ): Promise<number> => {
    const readings: number[] = [];
    // The first reading is discarded: it still sees the warm-up's garbage
    // and the lazily compiled code (it was negative on Deno).
    for (let round = 0; round <= HEAP_ROUNDS; round++) {
      const { before, after } = await queuedHeap(probe, fill, queued);
      if (round > 0) readings.push((after - before) / queued);
    }
    return median(readings);
  };
  const semaphorePerQueued = await perQueued(() => semaphoreFull(1000));
  const poolPerQueued = await perQueued(() => poolFull(10, 100));
  // The whole pool counts here: the reading before it is made.
  const totals: number[] = [];
  for (let round = 0; round <= HEAP_ROUNDS; round++) {
    probe.gc();
    probe.gc();
    const empty = probe.heapUsed();
    const { after } = await queuedHeap(probe, () => poolFull(100, 1), queued);
    if (round > 0) totals.push(after - empty);
  }
  return { semaphorePerQueued, poolPerQueued, poolWithQueue: median(totals) };
}

/**
 * Runs every measurement of the micro bench in this process.
 *
 * @param options How to run, and the runtime's heap probe.
 * @returns The figures.
 *
 * @example A very short run
 * ```ts
 * import { measureMicro } from "./micro_measure.ts";
 * import assert from "node:assert/strict";
 *
 * const result = await measureMicro({
 *   runtime: "test", heap: undefined, rounds: 1, batchMs: 1, handOffSamples: 100,
 *   queued: 10, concurrencies: [1],
 * });
 * assert.equal(result.throughput[0].role, "baseline");
 * assert.ok(result.handOff[1].twoCallers.p50Us > 0);
 * ```
 */
export async function measureMicro(
  options: MeasureOptions,
): Promise<MicroResult> {
  const started = performance.now();
  const throughput = await measureThroughput(options);
  const handOff = await measureHandOff(options);
  const heap = options.heap === undefined
    ? undefined
    : await measureHeap(options.heap, options);
  const { rounds, batchMs, handOffSamples, queued, concurrencies } = options;
  return {
    runtime: options.runtime,
    settings: { rounds, batchMs, handOffSamples, queued, concurrencies },
    throughput,
    handOff,
    heap,
    seconds: (performance.now() - started) / 1000,
    clockReadNs: clockReadNs(),
  };
}
