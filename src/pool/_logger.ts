/**
 * How the pool talks to the caller's logger: guarded, and without echoing
 * what a connector's error might carry.
 *
 * @module
 */

import type { PoolLogger } from "./options.ts";

/** `name: message` of an error, or its type; never throws. */
export function errorName(error: unknown): string {
  // A connector's error is not trusted: its getters may throw.
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return typeof error;
  } catch {
    return "an error that could not be described";
  }
}

/** The caller's logger with each method guarded, so a throwing logger cannot break the pool. */
export function guardedLogger(
  logger: PoolLogger | undefined,
): PoolLogger | undefined {
  if (logger === undefined) return undefined;
  const guard =
    (method: (...args: unknown[]) => void) => (...args: unknown[]) => {
      try {
        method.apply(logger, args);
      } catch {
        // A broken logger must not break the pool; there is nowhere to report it.
      }
    };
  return {
    error: guard(logger.error),
    warning: guard(logger.warning),
    info: guard(logger.info),
    verbose: guard(logger.verbose),
  };
}
