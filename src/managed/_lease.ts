/**
 * How the managed clients hand out pooled connections (internal; never
 * re-exported): a caller's `{ abortSignal, timeoutSeconds }` as the pool's
 * options, and a pool `Lease` as a client's named lease (`sender`,
 * `producer`, `container`).
 *
 * @module
 */

import type { Lease } from "../pool/lease.ts";
import type { GetOptions } from "../pool/options.ts";

/** The options a managed client's `use` and `get*` methods take. */
export interface PoolCallOptions {
  abortSignal?: AbortSignal;
  timeoutSeconds?: number;
}

/**
 * Turns a managed client's operation options into the pool's.
 *
 * @param options The caller's abort signal and acquire timeout.
 * @returns The options for `pool.use` or `pool.get`, or `undefined` when none is set.
 */
export function poolCallOptions(
  options: PoolCallOptions | undefined,
): GetOptions | undefined {
  // No options at all lets the pool take its fastest path.
  if (
    options?.abortSignal === undefined && options?.timeoutSeconds === undefined
  ) return undefined;
  return {
    abortSignal: options?.abortSignal,
    acquireTimeoutSeconds: options?.timeoutSeconds,
  };
}

/** A pool lease seen as a client's lease: the connection under the name `K`. */
export type NamedLease<K extends string, C> =
  & { readonly [P in K]: C }
  & {
    readonly released: boolean;
    release(): void;
    invalidate(): void;
  }
  & AsyncDisposable;

/**
 * Wraps a pool lease as a client's lease, which shows the connection under
 * `key` and hides the pool's `shared` view.
 *
 * @param lease The pool's lease.
 * @param key The name of the connection in the client's lease.
 * @returns The client's lease; every member reads or calls `lease`.
 */
export function namedLease<K extends string, C>(
  lease: Lease<C>,
  key: K,
): NamedLease<K, C> {
  return {
    get [key]() {
      return lease.connection;
    },
    get released() {
      return lease.released;
    },
    release: () => lease.release(),
    invalidate: () => lease.invalidate(),
    [Symbol.asyncDispose]: () => lease[Symbol.asyncDispose](),
  } as unknown as NamedLease<K, C>;
}
