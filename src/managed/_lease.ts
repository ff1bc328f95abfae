/**
 * How the managed clients build their leases (internal; never re-exported):
 * one idempotent release, whether the client comes from a pool or from an
 * unpooled twin.
 *
 * @module
 */

import type { Lease } from "../pool/lease.ts";
import type { ManagedLease } from "./lease.ts";

/**
 * Makes a lease on `client` whose first `release()` or `invalidate()` calls
 * `end` once; later calls do nothing.
 *
 * @param client The SDK client.
 * @param end Gives the client back; `invalidate` says the client is broken.
 * @returns The lease.
 */
export function leaseOf<C>(
  client: C,
  end: (invalidate: boolean) => void,
): ManagedLease<C> {
  let released = false;
  const finish = (invalidate: boolean) => {
    if (released) return;
    released = true;
    end(invalidate);
  };
  return {
    client,
    get released() {
      return released;
    },
    release: () => finish(false),
    invalidate: () => finish(true),
    [Symbol.asyncDispose]: () => Promise.resolve(finish(false)),
  };
}

/**
 * A pool lease seen as a managed client's lease (the pool's `shared` view
 * stays internal).
 *
 * @param lease The pool's lease.
 * @returns The managed lease; releasing it releases `lease`.
 */
export function managedLease<C>(lease: Lease<C>): ManagedLease<C> {
  return leaseOf(
    lease.connection,
    (invalidate) => invalidate ? lease.invalidate() : lease.release(),
  );
}
