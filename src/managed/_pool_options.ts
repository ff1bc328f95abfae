/**
 * How a managed client's options become its pool's (internal; never
 * re-exported). The pool checks each value and throws a `RangeError` naming
 * the option.
 *
 * @module
 */

import { poolLogger } from "./log.ts";
import type { ConnectionPoolOptions } from "../pool/options.ts";

/** The pool options every managed client takes. */
export type PoolFields =
  & Pick<
    ConnectionPoolOptions,
    | "clientLimit"
    | "maxSize"
    | "maxIdleSeconds"
    | "maxConcurrentCreates"
    | "acquireTimeoutSeconds"
    | "createTimeoutSeconds"
    | "initialBackoffSeconds"
    | "maxBackoffSeconds"
    | "name"
    | "clock"
  >
  & { maxLifespanSeconds?: number | null };

/** A managed client's own defaults and error classifier. */
export interface PoolDefaults {
  maxIdleSeconds: number;
  /** Default 30. */
  createTimeoutSeconds?: number;
  /** Default none; when set, `null` in the options means no limit. */
  maxLifespanSeconds?: number;
  name: string;
  isConnectionError: (error: unknown) => boolean;
}

/**
 * The default only for a missing value: `null` (or any other wrong value)
 * goes through to the pool, which names it in a `TypeError`.
 */
function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/**
 * Picks the pool's options out of a managed client's options, with the
 * client's defaults, its classifier and the library's pool logger.
 *
 * @param options The client's options.
 * @param defaults The client's defaults (idle time, pool name, ...).
 * @returns The pool options.
 */
export function poolOptionsOf(
  options: PoolFields,
  defaults: PoolDefaults,
): ConnectionPoolOptions {
  const lifespan = options.maxLifespanSeconds;
  return {
    clientLimit: orDefault(options.clientLimit, 100),
    maxSize: orDefault(options.maxSize, 10),
    maxIdleSeconds: orDefault(options.maxIdleSeconds, defaults.maxIdleSeconds),
    // Without a default, a null reaches the pool, which rejects it.
    maxLifespanSeconds: lifespan === undefined
      ? defaults.maxLifespanSeconds
      : lifespan === null && defaults.maxLifespanSeconds !== undefined
      ? undefined
      : lifespan as number | undefined,
    maxConcurrentCreates: options.maxConcurrentCreates,
    acquireTimeoutSeconds: orDefault(options.acquireTimeoutSeconds, 60),
    createTimeoutSeconds: orDefault(
      options.createTimeoutSeconds,
      defaults.createTimeoutSeconds ?? 30,
    ),
    initialBackoffSeconds: options.initialBackoffSeconds,
    maxBackoffSeconds: options.maxBackoffSeconds,
    isConnectionError: defaults.isConnectionError,
    logger: poolLogger,
    name: orDefault(options.name, defaults.name),
    clock: options.clock,
  };
}
