/**
 * The comparison micro-benchmark: acquire, one `await`, release, in N loops at
 * once, through `ConnectionPool` (10 connections x 100 callers), a bare
 * semaphore of 1,000 permits (the floor), `generic-pool` and `tarn` (1,000
 * pre-created resources each, so total capacity is equal). Used by
 * `scripts/pool_bench.ts` (`deno task bench:micro`) and by
 * `deno task bench --micro`, which prints ratios to the semaphore.
 *
 * The peers are bench-only npm dependencies; `src/` never imports them.
 *
 * @module
 */

import { createPool } from "generic-pool";
import { Pool as TarnPool } from "tarn";
import { ConnectionPool } from "../../mod.ts";
import { Semaphore } from "./semaphore.ts";
import { formatCount } from "./format.ts";
import { textTable } from "./report.ts";

/** Total capacity of every subject: 10 connections x 100 callers, or 1,000 exclusive resources. */
export const CAPACITY = 1000;
/** Operations in one measured batch, whatever the concurrency. */
export const BATCH_OPS = 20_000;
/** Unmeasured batches run first on every subject and concurrency. */
export const WARM_UP_BATCHES = 5;
/** The concurrencies measured. */
export const CONCURRENCIES: readonly number[] = [1, 100, 10_000];

/** One subject, opened: a cycle of acquire, `await Promise.resolve()`, release. */
export interface OpenSubject {
  /** Runs one cycle. */
  cycle(): Promise<void>;
  /** Releases what `open` made. */
  close(): Promise<void>;
}

/** A subject of the comparison. */
export interface MicroSubject {
  /** Its name in the output. */
  name: string;
  /**
   * Timed iterations per `deno bench` case; a slow peer gets fewer so that
   * `deno task bench:micro` stays under two minutes.
   */
  iterations: number;
  /** Makes it, resources pre-created. */
  open(): Promise<OpenSubject>;
}

/** A resource of the exclusive pools. */
interface Resource {
  id: number;
}

/** The subjects, the baseline (bare semaphore) first. */
export const SUBJECTS: readonly MicroSubject[] = [
  {
    name: "bare semaphore",
    iterations: 20,
    open() {
      const semaphore = new Semaphore(CAPACITY);
      return Promise.resolve({
        async cycle() {
          await semaphore.acquire();
          await Promise.resolve();
          semaphore.release();
        },
        close: () => Promise.resolve(),
      });
    },
  },
  {
    name: "ConnectionPool use()",
    iterations: 20,
    async open() {
      const pool = poolOf10x100();
      await pool.warm(10);
      const work = () => Promise.resolve();
      return { cycle: () => pool.use(work), close: () => pool.close() };
    },
  },
  {
    name: "ConnectionPool get()",
    iterations: 20,
    async open() {
      const pool = poolOf10x100();
      await pool.warm(10);
      return {
        async cycle() {
          const lease = await pool.get();
          await Promise.resolve();
          lease.release();
        },
        close: () => pool.close(),
      };
    },
  },
  {
    name: "generic-pool",
    iterations: 10,
    async open() {
      let next = 0;
      const pool = createPool<Resource>({
        create: () => Promise.resolve({ id: ++next }),
        destroy: () => Promise.resolve(),
      }, { max: CAPACITY, min: CAPACITY });
      await pool.ready();
      return {
        async cycle() {
          const resource = await pool.acquire();
          await Promise.resolve();
          // not awaited: generic-pool's release resolves on a later tick, as in its docs' use.
          pool.release(resource).catch(() => {});
        },
        async close() {
          await pool.drain();
          await pool.clear();
        },
      };
    },
  },
  {
    name: "tarn",
    iterations: 4,
    async open() {
      let next = 0;
      const pool = new TarnPool<Resource>({
        create: (callback: (error: Error | null, resource: Resource) => void) =>
          callback(null, { id: ++next }),
        destroy: () => {},
        min: 0,
        max: CAPACITY,
        acquireTimeoutMillis: 60_000,
      });
      // Pre-create every resource: acquire all of them, then give them back.
      const warm = await Promise.all(
        Array.from({ length: CAPACITY }, () => pool.acquire().promise),
      );
      for (const resource of warm) pool.release(resource);
      return {
        async cycle() {
          const resource = await pool.acquire().promise;
          await Promise.resolve();
          pool.release(resource);
        },
        async close() {
          await pool.destroy();
        },
      };
    },
  },
];

function poolOf10x100(): ConnectionPool<Resource> {
  let next = 0;
  return new ConnectionPool<Resource>({
    create: () => Promise.resolve({ id: ++next }),
    ready: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  }, { maxSize: 10, clientLimit: 100 });
}

/**
 * Runs `ops` cycles spread over `concurrency` loops running at once.
 *
 * @param cycle One acquire-await-release cycle.
 * @param concurrency Loops at once.
 * @param ops Cycles in total.
 *
 * @example A small batch
 * ```ts
 * import { runBatch } from "./micro.ts";
 * import assert from "node:assert/strict";
 *
 * let n = 0;
 * await runBatch(() => Promise.resolve(void n++), 3, 10);
 * assert.equal(n, 10);
 * ```
 */
export async function runBatch(
  cycle: () => Promise<void>,
  concurrency: number,
  ops: number,
): Promise<void> {
  let remaining = ops;
  const loop = async () => {
    while (remaining > 0) {
      remaining--;
      await cycle();
    }
  };
  const loops: Promise<void>[] = [];
  for (let i = 0; i < Math.min(concurrency, ops); i++) loops.push(loop());
  await Promise.all(loops);
}

/** Options of {@linkcode microRatios}. */
export interface MicroRatioOptions {
  /**
   * Measured batches per subject and concurrency; the median counts.
   * @default {5}
   */
  runs?: number;
  /**
   * Cycles per batch.
   * @default {BATCH_OPS}
   */
  ops?: number;
  /**
   * The concurrencies.
   * @default {CONCURRENCIES}
   */
  concurrencies?: readonly number[];
  /**
   * Called after each subject and concurrency, for a progress line.
   * @default {undefined}
   */
  onProgress?: (text: string) => void;
}

/** One measured row: a subject's median throughput at each concurrency. */
export interface MicroRow {
  /** The subject. */
  name: string;
  /** Median operations per second, one per concurrency. */
  opsPerSecond: number[];
}

/**
 * Measures every subject at every concurrency: `WARM_UP_BATCHES` warm-up batches, then `runs`
 * batches; the median batch counts.
 *
 * @param options Runs, batch size, concurrencies.
 * @returns One row per subject, the semaphore first.
 *
 * @example A quick measurement
 * ```ts
 * import { microRatios } from "./micro.ts";
 * import assert from "node:assert/strict";
 *
 * const rows = await microRatios({ runs: 1, ops: 200, concurrencies: [1] });
 * assert.equal(rows[0].name, "bare semaphore");
 * assert.ok(rows.every((row) => row.opsPerSecond[0] > 0));
 * ```
 */
export async function microRatios(
  options: MicroRatioOptions = {},
): Promise<MicroRow[]> {
  const runs = options.runs ?? 5;
  const ops = options.ops ?? BATCH_OPS;
  const concurrencies = options.concurrencies ?? CONCURRENCIES;
  const rows: MicroRow[] = [];
  for (const subject of SUBJECTS) {
    const row: MicroRow = { name: subject.name, opsPerSecond: [] };
    for (const concurrency of concurrencies) {
      // A fresh subject per concurrency, so no queue state carries over.
      const open = await subject.open();
      try {
        // Warm-up: enough batches for the JIT to settle (one was not: the
        // first measured batches then ran at a third of the final speed).
        for (let warmUp = 0; warmUp < WARM_UP_BATCHES; warmUp++) {
          await runBatch(open.cycle, concurrency, ops);
        }
        const rates: number[] = [];
        for (let run = 0; run < runs; run++) {
          const start = performance.now();
          await runBatch(open.cycle, concurrency, ops);
          rates.push(ops / ((performance.now() - start) / 1000));
        }
        rates.sort((a, b) => a - b);
        row.opsPerSecond.push(rates[Math.floor(rates.length / 2)]);
      } finally {
        await open.close();
      }
      options.onProgress?.(
        `${subject.name} at concurrency ${formatCount(concurrency)}`,
      );
    }
    rows.push(row);
  }
  return rows;
}

function formatRate(opsPerSecond: number): string {
  if (opsPerSecond >= 1e6) return `${(opsPerSecond / 1e6).toFixed(2)}M`;
  if (opsPerSecond >= 1e3) return `${(opsPerSecond / 1e3).toFixed(0)}k`;
  return opsPerSecond.toFixed(0);
}

/**
 * Lays the measurements out as a table of ops/s with the ratio to the
 * semaphore, then checks the pool's goals: within 2x of the semaphore
 * (ratio at least 0.5) and ahead of both peers at every concurrency.
 *
 * @param rows From {@linkcode microRatios}, the semaphore first.
 * @param concurrencies The concurrencies, in the rows' order.
 * @param ops Cycles per batch, for the heading.
 * @returns The table and one verdict line per goal.
 *
 * @example A made-up measurement
 * ```ts
 * import { microTable } from "./micro.ts";
 * import assert from "node:assert/strict";
 *
 * const text = microTable([
 *   { name: "bare semaphore", opsPerSecond: [10e6] },
 *   { name: "ConnectionPool use()", opsPerSecond: [6e6] },
 *   { name: "generic-pool", opsPerSecond: [1e6] },
 * ], [1]);
 * assert.match(text, /ConnectionPool use\(\)\s+6\.00M \(0\.60x\)/);
 * assert.match(text, /within 2x of the semaphore: yes/);
 * ```
 */
export function microTable(
  rows: readonly MicroRow[],
  concurrencies: readonly number[],
  ops: number = BATCH_OPS,
): string {
  const base = rows[0];
  const table = [
    ["implementation", ...concurrencies.map((c) => `conc ${formatCount(c)}`)],
    ...rows.map((row) => [
      row.name,
      ...row.opsPerSecond.map((rate, i) =>
        `${formatRate(rate)} (${(rate / base.opsPerSecond[i]).toFixed(2)}x)`
      ),
    ]),
  ];
  const ours = rows.filter((row) => row.name.startsWith("ConnectionPool"));
  const peers = rows.filter((row) => row !== base && !ours.includes(row));
  const verdicts = ours.map((row) => {
    const within = row.opsPerSecond.every((rate, i) =>
      rate >= base.opsPerSecond[i] / 2
    );
    const ahead = row.opsPerSecond.every((rate, i) =>
      peers.every((peer) => rate > peer.opsPerSecond[i])
    );
    return `${row.name}: within 2x of the semaphore: ${
      within ? "yes" : "no"
    }; ` +
      `ahead of ${
        peers.map((peer) => peer.name).join(" and ")
      } at every concurrency: ${ahead ? "yes" : "no"}`;
  });
  return [
    `Throughput, ops/s (ratio to the bare semaphore); ${
      formatCount(ops)
    } cycles per batch, median of the batches; capacity ${
      formatCount(CAPACITY)
    }`,
    "",
    textTable(table),
    "",
    ...verdicts,
    "",
  ].join("\n");
}
