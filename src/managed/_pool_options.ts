/**
 * How a managed client's options become its pool's, and one operation's
 * options the pool's acquire options (internal; never re-exported).
 *
 * @module
 */

import { describeValue, keysOf, rejectUnknownKeys } from "./_checks.ts";
import { poolLogger } from "./log.ts";
import type {
  ManagedOperationOptions,
  ManagedPoolDefaults,
  ManagedPoolOptions,
} from "./pool_options.ts";
import type { ConnectionPoolOptions, GetOptions } from "../pool/options.ts";
import { KNOWN_OPTIONS, resolvePoolOptions } from "../pool/_options.ts";

/**
 * Every key of {@linkcode ManagedPoolOptions}: the pool's, but the two the
 * client sets itself.
 */
export const MANAGED_POOL_OPTION_KEYS: readonly string[] = [...KNOWN_OPTIONS]
  .filter((key) => key !== "isConnectionError" && key !== "logger");

/** Every key of {@linkcode ManagedOperationOptions}. */
export const OPERATION_OPTION_KEYS: readonly string[] = keysOf<
  ManagedOperationOptions
>()(["abortSignal", "acquireTimeoutSeconds"]);

/**
 * The default only for a missing value: `null` (or any other wrong value)
 * goes on to the pool's checks, which name it in a `TypeError`.
 */
function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/**
 * Picks the pool's options out of a managed client's options, with the
 * client's defaults, its classifier and the library's pool logger, and
 * checks them under the client's name ("Cannot create ManagedCosmos as
 * 'clientLimit' must be a positive integer: received 0").
 *
 * @param owner The class being constructed.
 * @param options The client's options.
 * @param defaults The client's defaults.
 * @returns The pool options.
 * @throws {TypeError} For a value of the wrong type.
 * @throws {RangeError} For a number out of range.
 */
export function poolOptionsOf(
  owner: string,
  options: ManagedPoolOptions,
  defaults: ManagedPoolDefaults,
): ConnectionPoolOptions {
  const lifespan = orDefault(
    options.maxLifespanSeconds,
    defaults.maxLifespanSeconds,
  );
  // Every pool option the user may set is forwarded as given (none is
  // silently dropped); then the client's defaults and its own settings.
  const given: Record<string, unknown> = {};
  for (const key of MANAGED_POOL_OPTION_KEYS) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) given[key] = value;
  }
  const pool: ConnectionPoolOptions = {
    ...given,
    clientLimit: orDefault(options.clientLimit, defaults.clientLimit),
    maxIdleSeconds: orDefault(options.maxIdleSeconds, defaults.maxIdleSeconds),
    // The pool spells "no limit" as undefined; the managed clients as Infinity.
    maxLifespanSeconds: lifespan === Infinity ? undefined : lifespan,
    createTimeoutSeconds: orDefault(
      options.createTimeoutSeconds,
      defaults.createTimeoutSeconds,
    ),
    isConnectionError: defaults.isConnectionError,
    logger: poolLogger,
    name: orDefault(options.name, defaults.name),
  };
  resolvePoolOptions(pool, owner);
  return pool;
}

/**
 * Turns one operation's options into the pool's acquire options (after the
 * operation checked their keys).
 *
 * @param options The caller's options.
 * @returns The options for `pool.use` or `pool.get`; `undefined` when
 * neither a signal nor a timeout is set (the pool's fastest path).
 */
export function acquireOptionsOf(
  options: ManagedOperationOptions | undefined,
): GetOptions | undefined {
  if (options === undefined) return undefined;
  const { abortSignal, acquireTimeoutSeconds } = options;
  if (abortSignal === undefined && acquireTimeoutSeconds === undefined) {
    return undefined;
  }
  return { abortSignal, acquireTimeoutSeconds };
}

/**
 * Checks an operation's options before any work: no unknown key, a real
 * signal, not aborted yet.
 *
 * @param what The action, for messages ("send a message").
 * @param options The caller's options.
 * @param known Every key the options may set.
 * @throws {TypeError} For an unknown key or a signal that is not an AbortSignal.
 * @throws {unknown} The signal's reason when it is aborted already.
 */
export function checkOperationOptions(
  what: string,
  options: ManagedOperationOptions | undefined,
  known: readonly string[],
): void {
  rejectUnknownKeys(what, options, known);
  checkAbortSignal(what, options?.abortSignal);
  options?.abortSignal?.throwIfAborted();
}

/**
 * Checks an `abortSignal` option.
 *
 * @param what The action, for the message.
 * @param signal The value received.
 * @throws {TypeError} When it is set and not an `AbortSignal`.
 */
export function checkAbortSignal(what: string, signal: unknown): void {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot ${what} as 'abortSignal' must be an AbortSignal: received ${
        describeValue(signal)
      }`,
    );
  }
}
