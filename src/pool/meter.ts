/**
 * The shape of an OpenTelemetry `Meter` that the pool records its metrics
 * with. Structural: the pool imports no OpenTelemetry package, and a `Meter`
 * from `@opentelemetry/api` (`metrics.getMeter(...)`) satisfies it.
 *
 * @module
 */

/**
 * Options of one instrument, as OpenTelemetry's `MetricOptions` has them.
 *
 * @example The options of the wait-time histogram
 * ```ts
 * import type { PoolInstrumentOptions } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const options: PoolInstrumentOptions = {
 *   description: "The time it took to obtain an open connection from the pool.",
 *   unit: "s",
 * };
 * assert.equal(options.unit, "s");
 * ```
 */
export interface PoolInstrumentOptions {
  /** What the instrument measures. */
  description?: string;
  /** The unit, in UCUM (`s`, `{connection}`). */
  unit?: string;
  /** `0` for integers, `1` for doubles (`ValueType` of `@opentelemetry/api`). */
  valueType?: number;
  /** Hints to the SDK, such as histogram bucket boundaries. */
  advice?: { explicitBucketBoundaries?: number[] };
}

/**
 * Attributes of one measurement: the pool's name, and for
 * `db.client.connection.count` the connection state.
 *
 * @example The attributes of an idle-connection count
 * ```ts
 * import type { PoolMetricAttributes } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const attributes: PoolMetricAttributes = {
 *   "db.client.connection.pool.name": "orders",
 *   "db.client.connection.state": "idle",
 * };
 * assert.equal(attributes["db.client.connection.state"], "idle");
 * ```
 */
export type PoolMetricAttributes = Record<string, string>;

/**
 * A counter or an up-down counter: `add` a (for a counter, non-negative)
 * value.
 *
 * @example A counter that sums what it is given
 * ```ts
 * import type { PoolCounter } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * let sum = 0;
 * const counter: PoolCounter = { add: (value) => void (sum += value) };
 * counter.add(2);
 * assert.equal(sum, 2);
 * ```
 */
export interface PoolCounter {
  /**
   * Adds `value`.
   *
   * @param value The increment (negative for an up-down counter going down).
   * @param attributes The measurement's attributes.
   */
  add(value: number, attributes?: PoolMetricAttributes): void;
}

/**
 * A histogram: `record` one value.
 *
 * @example A histogram that keeps its values
 * ```ts
 * import type { PoolHistogram } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const values: number[] = [];
 * const histogram: PoolHistogram = { record: (value) => void values.push(value) };
 * histogram.record(0.25);
 * assert.deepEqual(values, [0.25]);
 * ```
 */
export interface PoolHistogram {
  /**
   * Records `value`.
   *
   * @param value The value (seconds, for the pool's histograms).
   * @param attributes The measurement's attributes.
   */
  record(value: number, attributes?: PoolMetricAttributes): void;
}

/**
 * What the pool needs of a meter: the three synchronous instrument factories
 * of OpenTelemetry's `Meter`. With one, the pool records the semantic
 * conventions' connection-pool metrics (`db.client.connection.*`); without
 * one it records nothing and does no work for metrics.
 *
 * @example A meter that counts what it is asked to create
 * ```ts
 * import { ConnectionPool, type PoolMeter } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const names: string[] = [];
 * const instrument = { add() {}, record() {} };
 * const meter: PoolMeter = {
 *   createCounter: (name) => (names.push(name), instrument),
 *   createUpDownCounter: (name) => (names.push(name), instrument),
 *   createHistogram: (name) => (names.push(name), instrument),
 * };
 * const pool = new ConnectionPool({
 *   create: () => Promise.resolve({}),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(),
 * }, { meter, name: "orders" });
 * assert.ok(names.includes("db.client.connection.count"));
 * await pool.close();
 * ```
 */
export interface PoolMeter {
  /**
   * Creates a monotonic counter.
   *
   * @param name The instrument's name.
   * @param options Its description and unit.
   * @returns The counter.
   */
  createCounter(name: string, options?: PoolInstrumentOptions): PoolCounter;
  /**
   * Creates a counter that goes up and down.
   *
   * @param name The instrument's name.
   * @param options Its description and unit.
   * @returns The counter.
   */
  createUpDownCounter(
    name: string,
    options?: PoolInstrumentOptions,
  ): PoolCounter;
  /**
   * Creates a histogram.
   *
   * @param name The instrument's name.
   * @param options Its description, unit and bucket advice.
   * @returns The histogram.
   */
  createHistogram(name: string, options?: PoolInstrumentOptions): PoolHistogram;
}
