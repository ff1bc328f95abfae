/**
 * How the pool talks to the caller's logger: guarded, and without echoing
 * what a connector's error might carry.
 *
 * @module
 */

import type { PoolLogger } from "./options.ts";

/**
 * `name: message` of an error, or its type; never blank (an error without a
 * message is described by its code and status, an AggregateError by its
 * first error); never throws.
 */
export function errorName(error: unknown, depth = 0): string {
  // A connector's error is not trusted: its getters may throw.
  try {
    if (!(error instanceof Error)) return typeof error;
    if (typeof error.message === "string" && error.message.trim() !== "") {
      return `${error.name}: ${error.message}`;
    }
    if (
      error instanceof AggregateError && error.errors.length > 0 && depth < 3
    ) {
      return `${error.name} of ${error.errors.length}, the first ${
        errorName(error.errors[0], depth + 1)
      }`;
    }
    const { code, statusCode } = error as {
      code?: unknown;
      statusCode?: unknown;
    };
    const details = [
      code === undefined ? "" : `code ${String(code)}`,
      statusCode === undefined ? "" : `status ${String(statusCode)}`,
    ].filter((detail) => detail !== "");
    return `${error.name} (${[...details, "no message"].join(", ")})`;
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
