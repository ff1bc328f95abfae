/**
 * The options of {@linkcode ConnectionPool} and of its methods.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import type { PoolMeter } from "./meter.ts";

/**
 * A structural logger with Azure's four levels. An `AzureLogger` from
 * `@azure/logger` satisfies it. `console` does not (it has `warn`, not
 * `warning`): pass `{ ...console, warning: console.warn }`.
 *
 * @example A logger that collects lines
 * ```ts
 * import type { PoolLogger } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const push = (...args: unknown[]) => void lines.push(args.join(" "));
 * const logger: PoolLogger = { error: push, warning: push, info: push, verbose: push };
 * logger.info("pool#1 conn#1 ready");
 * assert.deepEqual(lines, ["pool#1 conn#1 ready"]);
 * ```
 */
export interface PoolLogger {
  /** Failures that lose work. */
  error(...args: unknown[]): void;
  /** Failures a caller will see. */
  warning(...args: unknown[]): void;
  /** Lifecycle: open, ready, recycle, close. */
  info(...args: unknown[]): void;
  /** Acquire, release and waits. */
  verbose(...args: unknown[]): void;
}

/**
 * Options of a {@linkcode ConnectionPool}. Durations are seconds: positive,
 * finite numbers, fractions allowed.
 *
 * @example Tuning a pool
 * ```ts
 * import type { ConnectionPoolOptions } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const options: ConnectionPoolOptions = { clientLimit: 50, maxSize: 4, maxIdleSeconds: 200 };
 * assert.equal(options.maxSize, 4);
 * ```
 */
export interface ConnectionPoolOptions {
  /**
   * Concurrent callers one connection serves at most.
   * @default {100}
   */
  clientLimit?: number;
  /**
   * Connections the pool holds at most: ready, opening, draining or closing.
   * @default {10}
   */
  maxSize?: number;
  /**
   * Ready connections the pool keeps without waiting for a caller: it opens
   * them in the background from construction on, and replaces the ones that
   * expire (idle or lifespan) or are invalidated. At most `maxSize`.
   * @default {0}
   */
  minReady?: number;
  /**
   * A connection idle (no callers) this long is closed and never handed out
   * again. Idle time counts from its last caller's release, as the pool last
   * read its clock (at most 1 s earlier, or a quarter of this when shorter,
   * while timers run on time): an error that only ever retires a connection
   * sooner, never later. Whether it is handed out is decided on a fresh
   * clock reading. `Infinity` never retires a connection for idleness.
   * @default {300}
   */
  maxIdleSeconds?: number;
  /**
   * A connection older than its lifespan gets no new callers and is closed
   * when its last caller leaves. Each connection's lifespan is drawn from
   * `[1 - lifespanJitter, 1] x maxLifespanSeconds` (see `lifespanJitter`).
   * Shortly before a connection retires while callers use the pool (a tenth
   * of `maxLifespanSeconds` ahead, or the overdue limit of an open if that
   * is shorter; see `createTimeoutSeconds`), its replacement is opened, if
   * `maxSize` allows. `undefined` means no limit.
   * @default {undefined}
   */
  maxLifespanSeconds?: number;
  /**
   * Spreads lifespans so that connections opened together do not retire
   * together: each connection's lifespan is drawn uniformly from
   * `[1 - lifespanJitter, 1] x maxLifespanSeconds`. A number in `[0, 1)`;
   * 0 gives every connection exactly `maxLifespanSeconds`.
   * @default {0.1}
   */
  lifespanJitter?: number;
  /**
   * Connections being opened at once, at most.
   * @default {Math.max(1, Math.floor(maxSize / 3))}
   */
  maxConcurrentCreates?: number;
  /**
   * How long a caller waits for capacity before `ConnectionsExhausted`.
   * @default {60}
   */
  acquireTimeoutSeconds?: number;
  /**
   * Callers that may queue for capacity at once. Beyond it a new caller gets
   * `ConnectionsExhausted` at once, saying the queue is full (load shedding
   * instead of a pile-up); `0` never queues. `undefined` means no limit.
   * @default {undefined}
   */
  maxWaitingCallers?: number;
  /**
   * The longest one open (`create` then `ready`) may take, on the clock,
   * however busy the process. Within it, an open that runs far longer than
   * recent ones is aborted through its signal, counted as a failed open, and
   * another one starts: when its own time (the time since it started, less
   * the time this process was too busy to run, measured by a timer that runs
   * only while opens are in flight) passes four times the slowest of the
   * last 16 that succeeded, at least 0.1 s (doubled for each further one from
   * the third open in a row given up this way). A burst of CPU-bound callers
   * therefore slows opens without getting them aborted. Before any open
   * succeeded, an open running past 0.5 s of its own time stops counting
   * against `maxConcurrentCreates` (another may start beside it, at most
   * `maxConcurrentCreates` such), and is aborted once an open succeeds and
   * shows it is overdue. If the connector ignores the abort, that create no
   * longer counts against `maxConcurrentCreates`, only against `maxSize`,
   * until it settles (a connection it delivers late is closed).
   * @default {30}
   */
  createTimeoutSeconds?: number;
  /**
   * While the circuit breaker is closed, the first delay after a failed open
   * before the next attempt; it doubles per failure in a row, with jitter
   * (half to all of it), up to `maxBackoffSeconds`.
   * @default {0.01}
   */
  initialBackoffSeconds?: number;
  /**
   * While the circuit breaker is closed, the longest delay between attempts
   * to open after failures (while it is open, `breakerProbeSeconds` applies).
   * @default {Math.max(0.1, initialBackoffSeconds)}
   */
  maxBackoffSeconds?: number;
  /**
   * The circuit breaker opens once opens have kept failing, with no success
   * in between, for this long, and at least `breakerMinimumFailures` of them
   * failed. While it is open, callers that find no ready connection get
   * `ConnectionFailed` at once (cause: the last open error). Until then they
   * wait, up to their deadline, while opens are retried.
   * @default {0.5}
   */
  breakerOpenAfterSeconds?: number;
  /**
   * How many opens must have failed, with no success in between, before the
   * circuit breaker opens (see `breakerOpenAfterSeconds`).
   * @default {5}
   */
  breakerMinimumFailures?: number;
  /**
   * While the circuit breaker is open and callers ask, one probe open runs
   * every this long (jittered between half and all of it); callers that come
   * while it runs wait for it. Its success closes the breaker and serves
   * them; its failure fails them and waits for the next probe.
   * @default {0.5}
   */
  breakerProbeSeconds?: number;
  /**
   * Decides whether an error thrown by a `use` callback means its connection
   * is broken; if so the connection is invalidated (no new callers get it,
   * it closes when its last caller leaves) and the error is re-thrown
   * unchanged.
   * @default {() => false}
   */
  isConnectionError?: (error: unknown) => boolean;
  /**
   * Where debug lines go. Nothing is logged without one.
   * @default {undefined}
   */
  logger?: PoolLogger;
  /**
   * An OpenTelemetry `Meter` (or anything of its shape): the pool then
   * records the connection-pool metrics of the semantic conventions
   * (`db.client.connection.*`), each with `db.client.connection.pool.name` =
   * `name`. Without one the pool records nothing.
   * @default {undefined}
   */
  meter?: PoolMeter;
  /**
   * A name used in log lines, errors, metrics and channel messages instead
   * of `pool#N`; it must not carry a secret.
   * @default {"pool#N"}
   */
  name?: string;
  /**
   * The clock for time and timers; tests pass a fake one.
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * Options of one acquire (`pool.get` and `pool.use`).
 *
 * @example Bounding one acquire
 * ```ts
 * import type { GetOptions } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const options: GetOptions = {
 *   abortSignal: AbortSignal.timeout(1000),
 *   acquireTimeoutSeconds: 5,
 * };
 * assert.equal(options.acquireTimeoutSeconds, 5);
 * ```
 */
export interface GetOptions {
  /**
   * Aborting it removes the caller from the queue; the acquire rejects with
   * `abortSignal.reason`, unchanged.
   * @default {undefined}
   */
  abortSignal?: AbortSignal;
  /**
   * Overrides the pool's `acquireTimeoutSeconds` for this caller: how long
   * the acquire (not the work done with the connection) may wait.
   * @default {the pool's acquireTimeoutSeconds}
   */
  acquireTimeoutSeconds?: number;
}

/**
 * Options of `pool.close`.
 *
 * @example Closing with a grace period
 * ```ts
 * import type { CloseOptions } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const options: CloseOptions = { timeoutSeconds: 5 };
 * assert.equal(options.timeoutSeconds, 5);
 * ```
 */
export interface CloseOptions {
  /**
   * How long to wait for leases to come back before closing their connections
   * under them. `undefined` waits for every lease.
   * @default {undefined}
   */
  timeoutSeconds?: number;
}
