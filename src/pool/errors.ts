/**
 * The errors a caller of {@linkcode ConnectionPool} is meant to catch.
 *
 * All of them extend {@linkcode PoolError}, set `name` and a stable `code`, and
 * are recognised across two loaded copies of this package (a `Symbol.for`
 * brand backs `instanceof`).
 *
 * @module
 */

const BRAND: unique symbol = Symbol.for(
  "azure-clients-toolbox.PoolError",
) as never;

/**
 * Base class of every error the pool raises on purpose.
 *
 * @example Recognising any pool error
 * ```ts
 * import { PoolClosed, PoolError } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const error: unknown = new PoolClosed("pool#1");
 * assert.ok(error instanceof PoolError);
 * assert.equal((error as PoolError).code, "POOL_CLOSED");
 * ```
 */
export class PoolError extends Error {
  /** A stable, machine-readable code (for example `"CONNECTIONS_EXHAUSTED"`). */
  readonly code: string;

  /**
   * Constructs a pool error.
   *
   * @param message What was attempted and the state found.
   * @param code The stable code of the subclass.
   * @param options `cause`, passed to `Error`.
   */
  constructor(message: string, code = "POOL_ERROR", options?: ErrorOptions) {
    super(message, options);
    this.name = "PoolError";
    this.code = code;
    (this as unknown as Record<symbol, boolean>)[BRAND] = true;
  }

  /**
   * Makes `instanceof PoolError` hold for errors from another loaded copy of
   * this package.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== PoolError) {
      return Function.prototype[Symbol.hasInstance].call(this, value) ||
        (typeof value === "object" && value !== null &&
          (value as Record<symbol, unknown>)[BRAND] === true &&
          (value as Error).name === this.name);
    }
    return typeof value === "object" && value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/**
 * Thrown when a caller's deadline passes before any connection had spare
 * capacity for it.
 *
 * @example Catching exhaustion
 * ```ts
 * import { ConnectionsExhausted } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const error = new ConnectionsExhausted("Cannot acquire a connection: waited 60000 ms");
 * assert.equal(error.name, "ConnectionsExhausted");
 * assert.equal(error.code, "CONNECTIONS_EXHAUSTED");
 * ```
 */
export class ConnectionsExhausted extends PoolError {
  /**
   * Constructs the error.
   *
   * @param message How long the caller waited and what the pool held.
   * @param options `cause`: the last open failure, when there was one.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, "CONNECTIONS_EXHAUSTED", options);
    this.name = "ConnectionsExhausted";
  }
}

/**
 * Thrown when opening a connection failed (the connector's `create` threw, or
 * `ready` threw or answered `false`). The connector's error is the `cause`.
 *
 * @example Reading the cause
 * ```ts
 * import { ConnectionFailed } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const cause = new Error("ECONNREFUSED");
 * const error = new ConnectionFailed("Cannot open a connection", { cause });
 * assert.equal(error.cause, cause);
 * ```
 */
export class ConnectionFailed extends PoolError {
  /**
   * Constructs the error.
   *
   * @param message What failed.
   * @param options `cause`: the connector's error, unchanged.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, "CONNECTION_FAILED", options);
    this.name = "ConnectionFailed";
  }
}

/**
 * Thrown to callers that ask a closed (or closing) pool for a connection, and
 * to callers still waiting when `close()` is called.
 *
 * @example A closed pool refuses callers
 * ```ts
 * import { PoolClosed } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * assert.match(new PoolClosed("pool#1").message, /closed/);
 * ```
 */
export class PoolClosed extends PoolError {
  /**
   * Constructs the error.
   *
   * @param poolId The pool's log id, for example `pool#1`.
   * @param options `cause`, passed to `Error`.
   */
  constructor(poolId: string, options?: ErrorOptions) {
    super(
      `Cannot acquire a connection: ${poolId} is closed`,
      "POOL_CLOSED",
      options,
    );
    this.name = "PoolClosed";
  }
}
