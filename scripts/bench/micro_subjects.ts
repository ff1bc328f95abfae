/**
 * The subjects of `deno task bench:micro`, each a cycle of acquire, one
 * `await`, release: a bare semaphore of 1,000 permits (the floor),
 * `ConnectionPool.use()` at 10 connections x 100 callers with the acquire
 * timeout on, and `generic-pool` and `tarn` with 1,000 pre-created resources
 * (equal total capacity). The hand-off subjects have capacity 1: the
 * semaphore and the pool's `get()` / `release()`, so that the release can be
 * stamped.
 *
 * Runtime-neutral (Deno runs it from source, Node and Bun from a bundle).
 * The peers are bench-only npm dependencies; `src/` never imports them.
 *
 * @module
 */

import { createPool } from "generic-pool";
import { Pool as TarnPool } from "tarn";
import { ConnectionPool, type Lease } from "../../mod.ts";
import { Semaphore } from "./semaphore.ts";
import type { Role } from "./micro_report.ts";

/** Total capacity of every throughput subject: 10 connections x 100 callers, or 1,000 resources. */
export const CAPACITY = 1000;
/** The pool's acquire timeout in every subject: on, and far from firing. */
export const ACQUIRE_TIMEOUT_SECONDS = 60;

/** One subject, opened: a cycle of acquire, `await Promise.resolve()`, release. */
export interface OpenSubject {
  /** Runs one cycle. */
  cycle(): Promise<void>;
  /** Releases what `open` made. */
  close(): Promise<void>;
}

/** A subject of the throughput comparison. */
export interface MicroSubject {
  /** Its name in the table. */
  name: string;
  /** The semaphore, the pool, or a peer. */
  role: Role;
  /** Makes it, resources pre-created. */
  open(): Promise<OpenSubject>;
}

/** A resource of the exclusive pools, and the pools' connection. */
interface Resource {
  id: number;
}

function connector() {
  let next = 0;
  return {
    create: () => Promise.resolve<Resource>({ id: ++next }),
    ready: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
}

/**
 * A pool of instant connections with the acquire timeout on.
 *
 * @param maxSize Connections.
 * @param clientLimit Callers per connection.
 * @returns The pool, not yet warmed.
 *
 * @example A pool of one connection
 * ```ts
 * import { benchPool } from "./micro_subjects.ts";
 * import assert from "node:assert/strict";
 *
 * const pool = benchPool(1, 1);
 * assert.equal(await pool.warm(1), 1);
 * await pool.close();
 * ```
 */
export function benchPool(
  maxSize: number,
  clientLimit: number,
): ConnectionPool<Resource> {
  return new ConnectionPool<Resource>(connector(), {
    maxSize,
    clientLimit,
    acquireTimeoutSeconds: ACQUIRE_TIMEOUT_SECONDS,
  });
}

/** The throughput subjects, the baseline (bare semaphore) first. */
export const SUBJECTS: readonly MicroSubject[] = [
  {
    name: "bare semaphore (1,000)",
    role: "baseline",
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
    name: "ConnectionPool use() (10 x 100)",
    role: "pool",
    async open() {
      const pool = benchPool(10, 100);
      await pool.warm(10);
      const work = () => Promise.resolve();
      return { cycle: () => pool.use(work), close: () => pool.close() };
    },
  },
  {
    name: "generic-pool (1,000)",
    role: "peer",
    async open() {
      const pool = createPool<Resource>({
        create: connector().create,
        destroy: () => Promise.resolve(),
      }, {
        max: CAPACITY,
        min: CAPACITY,
      });
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
    name: "tarn (1,000)",
    role: "peer",
    async open() {
      let next = 0;
      const pool = new TarnPool<Resource>({
        create: (callback: (error: Error | null, resource: Resource) => void) =>
          callback(null, { id: ++next }),
        destroy: () => {},
        min: 0,
        max: CAPACITY,
        acquireTimeoutMillis: ACQUIRE_TIMEOUT_SECONDS * 1000,
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

/**
 * A capacity-1 subject whose release can be stamped. `acquire` returns the
 * subject's own promise and `release` takes what it resolved to, so no
 * wrapper adds a promise hop to the hand-off.
 */
export interface HandOffSubject<T = unknown> {
  /** Waits for the one unit of capacity. */
  acquire(): Promise<T>;
  /** Gives it back. */
  release(held: T): void;
  /** Releases what `open` made. */
  close(): Promise<void>;
}

/** A hand-off subject by name. */
export interface MicroHandOffSubject {
  /** Its name in the table. */
  name: string;
  /** The semaphore or the pool. */
  role: Role;
  /** Makes it with capacity 1. */
  open(): Promise<HandOffSubject>;
}

/** The hand-off subjects, the semaphore first. */
export const HAND_OFF_SUBJECTS: readonly MicroHandOffSubject[] = [
  {
    name: "bare semaphore (1)",
    role: "baseline",
    open() {
      const semaphore = new Semaphore(1);
      return Promise.resolve({
        acquire: () => semaphore.acquire(),
        release: () => semaphore.release(),
        close: () => Promise.resolve(),
      });
    },
  },
  {
    name: "ConnectionPool get() (1 x 1)",
    role: "pool",
    async open() {
      const pool = benchPool(1, 1);
      await pool.warm(1);
      const subject: HandOffSubject<Lease<Resource>> = {
        acquire: () => pool.get(),
        release: (lease) => lease.release(),
        close: () => pool.close(),
      };
      return subject as HandOffSubject;
    },
  },
];

/**
 * Runs `ops` cycles spread over `concurrency` loops running at once.
 *
 * @param cycle One acquire-await-release cycle.
 * @param concurrency Loops at once.
 * @param ops Cycles in total.
 * @returns Resolves when every cycle is done.
 *
 * @example A small batch
 * ```ts
 * import { runBatch } from "./micro_subjects.ts";
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
