/**
 * The pool's OpenTelemetry metrics: the semantic conventions' connection-pool
 * instruments (`db.client.connection.*`, status "development"), recorded
 * through the caller's structural {@linkcode PoolMeter}. The pool makes one
 * `PoolMetrics` only when it is given a meter, and calls it behind a null
 * check, so a pool without a meter does no work for metrics.
 *
 * What the states mean for a shared connection: a connection is counted from
 * the moment it is ready until its close starts (ready or draining), as
 * `used` while at least one caller holds it and as `idle` while none does. At
 * any quiet moment the two states add up to `readyConnections +
 * drainingConnections` of `pool.stats()`, and `pending_requests` equals
 * `waitingCallers`.
 *
 * @module
 */

import type {
  PoolCounter,
  PoolHistogram,
  PoolMeter,
  PoolMetricAttributes,
} from "./meter.ts";

/** `ValueType` of `@opentelemetry/api`: INT = 0, DOUBLE = 1. */
const INT = 0;
const DOUBLE = 1;

/** Seconds: from a fast hand-out (sub-millisecond) to an acquire deadline. */
const SECONDS_BUCKETS = [
  0.0001,
  0.0005,
  0.001,
  0.005,
  0.01,
  0.05,
  0.1,
  0.5,
  1,
  5,
  10,
  30,
  60,
];

/** The instruments: name, kind, unit and the conventions' description. */
export const POOL_INSTRUMENTS = {
  count: {
    name: "db.client.connection.count",
    kind: "upDownCounter",
    unit: "{connection}",
    description:
      "The number of connections that are currently in state described by the `state` attribute.",
  },
  max: {
    name: "db.client.connection.max",
    kind: "upDownCounter",
    unit: "{connection}",
    description: "The maximum number of open connections allowed.",
  },
  pendingRequests: {
    name: "db.client.connection.pending_requests",
    kind: "upDownCounter",
    unit: "{request}",
    description:
      "The number of current pending requests for an open connection.",
  },
  timeouts: {
    name: "db.client.connection.timeouts",
    kind: "counter",
    unit: "{timeout}",
    description:
      "The number of connection timeouts that have occurred trying to obtain a connection from the pool.",
  },
  createTime: {
    name: "db.client.connection.create_time",
    kind: "histogram",
    unit: "s",
    description: "The time it took to create a new connection.",
  },
  waitTime: {
    name: "db.client.connection.wait_time",
    kind: "histogram",
    unit: "s",
    description: "The time it took to obtain an open connection from the pool.",
  },
  useTime: {
    name: "db.client.connection.use_time",
    kind: "histogram",
    unit: "s",
    description:
      "The time between borrowing a connection and returning it to the pool.",
  },
} as const;

/** The attribute that names the pool, on every measurement. */
export const POOL_NAME_ATTRIBUTE = "db.client.connection.pool.name";
/** The attribute of `db.client.connection.count`. */
export const STATE_ATTRIBUTE = "db.client.connection.state";

/** A counter whose `add` cannot throw into the pool. */
function guardedCounter(counter: PoolCounter): PoolCounter {
  return {
    add(value, attributes) {
      try {
        counter.add(value, attributes);
      } catch {
        // A broken meter must not break the pool's bookkeeping.
      }
    },
  };
}

/** A histogram whose `record` cannot throw into the pool. */
function guardedHistogram(histogram: PoolHistogram): PoolHistogram {
  return {
    record(value, attributes) {
      try {
        histogram.record(value, attributes);
      } catch {
        // A broken meter must not break the pool's bookkeeping.
      }
    },
  };
}

/** Records one pool's metrics; every method is one or two measurements. */
export class PoolMetrics {
  readonly #count: PoolCounter;
  readonly #max: PoolCounter;
  readonly #pending: PoolCounter;
  readonly #timeouts: PoolCounter;
  readonly #createTime: PoolHistogram;
  readonly #waitTime: PoolHistogram;
  readonly #useTime: PoolHistogram;
  readonly #pool: PoolMetricAttributes;
  readonly #idle: PoolMetricAttributes;
  readonly #used: PoolMetricAttributes;
  readonly #maxSize: number;
  /** When each open in flight started (clock ms), for `create_time`. */
  readonly #openStarts = new WeakMap<object, number>();

  /**
   * Creates the instruments and records `max`.
   *
   * @param meter The caller's meter.
   * @param poolName The pool's name (`db.client.connection.pool.name`).
   * @param maxSize The pool's `maxSize` (`db.client.connection.max`).
   */
  constructor(meter: PoolMeter, poolName: string, maxSize: number) {
    const I = POOL_INSTRUMENTS;
    const counter = (
      spec: { name: string; kind: string; unit: string; description: string },
    ) =>
      guardedCounter(
        spec.kind === "counter"
          ? meter.createCounter(spec.name, {
            description: spec.description,
            unit: spec.unit,
            valueType: INT,
          })
          : meter.createUpDownCounter(spec.name, {
            description: spec.description,
            unit: spec.unit,
            valueType: INT,
          }),
      );
    const histogram = (spec: { name: string; description: string }) =>
      guardedHistogram(meter.createHistogram(spec.name, {
        description: spec.description,
        unit: "s",
        valueType: DOUBLE,
        advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
      }));
    this.#count = counter(I.count);
    this.#max = counter(I.max);
    this.#pending = counter(I.pendingRequests);
    this.#timeouts = counter(I.timeouts);
    this.#createTime = histogram(I.createTime);
    this.#waitTime = histogram(I.waitTime);
    this.#useTime = histogram(I.useTime);
    this.#pool = { [POOL_NAME_ATTRIBUTE]: poolName };
    this.#idle = { [POOL_NAME_ATTRIBUTE]: poolName, [STATE_ATTRIBUTE]: "idle" };
    this.#used = { [POOL_NAME_ATTRIBUTE]: poolName, [STATE_ATTRIBUTE]: "used" };
    this.#maxSize = maxSize;
    this.#max.add(maxSize, this.#pool);
  }

  /** The pool closed: it allows no connections any more. */
  closed(): void {
    this.#max.add(-this.#maxSize, this.#pool);
  }

  /** An open started at `now`. */
  openStarted(slot: object, now: number): void {
    this.#openStarts.set(slot, now);
  }

  /** An open succeeded at `now`: the connection is ready and idle. */
  opened(slot: object, now: number): void {
    const started = this.#openStarts.get(slot);
    if (started !== undefined) {
      this.#openStarts.delete(slot);
      this.#createTime.record((now - started) / 1000, this.#pool);
    }
    this.#count.add(1, this.#idle);
  }

  /** An open failed; it is not a create time. */
  openFailed(slot: object): void {
    this.#openStarts.delete(slot);
  }

  /**
   * A caller got a lease after waiting `waitedMs`; `firstCaller` when the
   * connection had none before (it turns from idle to used).
   */
  acquired(firstCaller: boolean, waitedMs: number): void {
    this.#waitTime.record(waitedMs / 1000, this.#pool);
    if (firstCaller) {
      this.#count.add(-1, this.#idle);
      this.#count.add(1, this.#used);
    }
  }

  /**
   * A caller returned its lease after `usedMs`; `lastCaller` when the
   * connection is still counted (ready or draining) and has no caller left.
   */
  released(lastCaller: boolean, usedMs: number): void {
    this.#useTime.record(usedMs / 1000, this.#pool);
    if (lastCaller) {
      this.#count.add(-1, this.#used);
      this.#count.add(1, this.#idle);
    }
  }

  /** A counted connection starts closing; `used` if callers still hold it. */
  closing(used: boolean): void {
    this.#count.add(-1, used ? this.#used : this.#idle);
  }

  /** A caller joined the queue. */
  queued(): void {
    this.#pending.add(1, this.#pool);
  }

  /** A caller left the queue (served, timed out, aborted or rejected). */
  dequeued(): void {
    this.#pending.add(-1, this.#pool);
  }

  /** A caller's deadline passed (`ConnectionsExhausted`). */
  timedOut(): void {
    this.#timeouts.add(1, this.#pool);
  }
}
