import type { CellResult } from "../../scripts/bench/types.ts";

/** The figures of a bench grid cell that a test cares about. */
export interface CellSpec {
  maxSize: number;
  clientLimit: number;
  p99: number;
  creates?: number;
  timeouts?: number;
  errors?: number;
  throughput?: number;
  opened?: number;
  count?: number;
  /** The acquire wait's p99, milliseconds. */
  waitP99?: number;
  /** Requests that queued for capacity. */
  waited?: number;
}

/**
 * A bench grid cell with the given figures; the rest are plausible filler.
 *
 * @param spec The figures.
 * @returns The cell.
 */
export function cell(spec: CellSpec): CellResult {
  const count = spec.count ?? 1000;
  return {
    settings: {
      clientLimit: spec.clientLimit,
      maxSize: spec.maxSize,
      maxConcurrentCreates: spec.creates,
    },
    effectiveMaxConcurrentCreates: spec.creates ??
      Math.max(1, Math.floor(spec.maxSize / 3)),
    requests: count,
    succeeded: count - (spec.timeouts ?? 0) - (spec.errors ?? 0),
    timeouts: spec.timeouts ?? 0,
    errors: spec.errors ?? 0,
    waited: spec.waited ?? 0,
    opened: spec.opened ?? spec.maxSize,
    offeredRate: 2000,
    throughput: spec.throughput ?? 2000,
    seconds: 2,
    wait: {
      count,
      min: 0,
      mean: 0.1,
      p50: 0.05,
      p95: 0.2,
      p99: spec.waitP99 ?? 1,
      max: Math.max(2, spec.waitP99 ?? 1),
    },
    latency: count === 0
      ? {
        count: 0,
        min: NaN,
        mean: NaN,
        p50: NaN,
        p95: NaN,
        p99: NaN,
        max: NaN,
      }
      : {
        count,
        min: 2,
        mean: 3,
        p50: 2.5,
        p95: spec.p99 / 2,
        p99: spec.p99,
        max: spec.p99 * 2,
      },
  };
}
