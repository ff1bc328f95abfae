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

/** The class names of an error's chain, for `instanceof` across copies. */
const KINDS: unique symbol = Symbol.for(
  "azure-clients-toolbox.PoolError.kinds",
) as never;

/** The names of `ctor` and its ancestors up to (not including) `Error`. */
function kindsOf(ctor: unknown): string[] {
  const kinds: string[] = [];
  for (
    let c = ctor as { name?: string } | null;
    typeof c === "function" && c !== Error;
    c = Object.getPrototypeOf(c)
  ) kinds.push(c.name!);
  return kinds;
}

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
    (this as unknown as Record<symbol, unknown>)[BRAND] = true;
    (this as unknown as Record<symbol, unknown>)[KINDS] = kindsOf(new.target);
  }

  /**
   * Makes `instanceof PoolError` hold for errors from another loaded copy of
   * this package.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== PoolError) {
      if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
      if (
        typeof value !== "object" || value === null ||
        (value as Record<symbol, unknown>)[BRAND] !== true
      ) return false;
      const kinds = (value as Record<symbol, unknown>)[KINDS];
      return Array.isArray(kinds)
        ? kinds.includes(this.name)
        : (value as Error).name === this.name;
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

/**
 * Thrown when an operation ran past its own deadline
 * (`operationTimeoutSeconds` of a managed client). The connection it ran on
 * was replaced: an operation that hangs usually means a connection that died
 * without a word. The operation may still have reached the service.
 *
 * @example Catching a timed-out send
 * ```ts
 * import { OperationTimeout } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const error = new OperationTimeout("Cannot send a message to orders: no answer within 10 s");
 * assert.equal(error.code, "OPERATION_TIMEOUT");
 * ```
 */
export class OperationTimeout extends PoolError {
  /**
   * Constructs the error.
   *
   * @param message The operation, where it went, and how long it ran.
   * @param options `cause`, passed to `Error`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, "OPERATION_TIMEOUT", options);
    this.name = "OperationTimeout";
  }
}

/**
 * Thrown when the connection an operation was in flight on died before the
 * service answered, and the operation was not sent again (resending was off,
 * or the resend failed the same way). The operation may or may not have
 * reached the service: that is the difference from {@linkcode ConnectionFailed},
 * where nothing was sent.
 *
 * @example Telling "maybe sent" from "not sent"
 * ```ts
 * import { ConnectionFailed, ConnectionLost } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const error = new ConnectionLost("Cannot send events to hub 'telemetry': the connection was lost mid-send");
 * assert.equal(error.code, "CONNECTION_LOST");
 * assert.ok(!(error instanceof ConnectionFailed));
 * ```
 */
export class ConnectionLost extends PoolError {
  /**
   * Constructs the error.
   *
   * @param message The operation, where it went, and what happened.
   * @param options `cause`, passed to `Error`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, "CONNECTION_LOST", options);
    this.name = "ConnectionLost";
  }
}

/** What a service's refusal carries besides its message. */
export interface RequestFailedOptions extends ErrorOptions {
  /** The HTTP status, or the status an AMQP condition stands for (401, 404). */
  statusCode?: number;
  /** The service's own error code (`"BlobNotFound"`, `"MessagingEntityNotFound"`). */
  serviceCode?: string;
}

/**
 * Thrown when the service answered an operation (or the proof of a new
 * connection) with a refusal that retrying will not change: the service is
 * up, the request is wrong. `statusCode` and `serviceCode` say what it
 * answered; `cause` is the SDK's error, unchanged. Its subclasses name the
 * configuration mistakes: {@linkcode AuthenticationFailed} and
 * {@linkcode EntityNotFound}.
 *
 * A connector whose `create` or `ready` throws a `RequestFailed` has
 * classified the failure itself: the pool opens once more at once (a
 * refusal may pass), and on a second refusal in a row gives it to its
 * callers as is, instead of retrying opens until their deadline.
 *
 * @example A refusal with the service's status and code
 * ```ts
 * import { RequestFailed } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const error = new RequestFailed("Cannot download blob 'a.csv': 412 ConditionNotMet", {
 *   statusCode: 412,
 *   serviceCode: "ConditionNotMet",
 * });
 * assert.equal(error.code, "REQUEST_FAILED");
 * assert.equal(error.statusCode, 412);
 * ```
 */
export class RequestFailed extends PoolError {
  /** The HTTP status (or the one an AMQP condition stands for), if known. */
  readonly statusCode: number | undefined;
  /** The service's own error code, if it gave one. */
  readonly serviceCode: string | undefined;

  /**
   * Constructs the error.
   *
   * @param message What was attempted, where (entity, host) and the answer.
   * @param options The status, the service's code and `cause`.
   * @param code The stable code of a subclass.
   */
  constructor(
    message: string,
    options?: RequestFailedOptions,
    code = "REQUEST_FAILED",
  ) {
    super(message, code, options);
    this.name = "RequestFailed";
    this.statusCode = options?.statusCode;
    this.serviceCode = options?.serviceCode;
  }
}

/**
 * Thrown when the service refused the credential: a wrong key or connection
 * string, an expired SAS token, or an identity without the role it needs
 * (HTTP 401 or 403, AMQP `unauthorized-access`). A configuration mistake, not
 * an outage: retrying with the same credential fails the same way.
 *
 * @example Telling a wrong key from an outage
 * ```ts
 * import { AuthenticationFailed, RequestFailed } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const error = new AuthenticationFailed("Cannot open Service Bus myns/orders: the credential was refused (401)", {
 *   statusCode: 401,
 * });
 * assert.ok(error instanceof RequestFailed);
 * assert.equal(error.code, "AUTHENTICATION_FAILED");
 * ```
 */
export class AuthenticationFailed extends RequestFailed {
  /**
   * Constructs the error.
   *
   * @param message What was attempted, where, and the status.
   * @param options The status, the service's code and `cause`.
   */
  constructor(message: string, options?: RequestFailedOptions) {
    super(message, options, "AUTHENTICATION_FAILED");
    this.name = "AuthenticationFailed";
  }
}

/**
 * Thrown when the entity an operation names does not exist: a queue, topic,
 * subscription, event hub, database, container, blob container or Event Grid
 * topic (HTTP 404 or AMQP `not-found`). `entity` names it. A configuration
 * mistake, not an outage.
 *
 * @example The entity is named
 * ```ts
 * import { EntityNotFound } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const error = new EntityNotFound("Cannot send to queue 'ordres' on myns: it does not exist", "ordres", {
 *   statusCode: 404,
 * });
 * assert.equal(error.code, "ENTITY_NOT_FOUND");
 * assert.equal(error.entity, "ordres");
 * ```
 */
export class EntityNotFound extends RequestFailed {
  /** The entity's name, as the caller gave it. */
  readonly entity: string;

  /**
   * Constructs the error.
   *
   * @param message What was attempted and where.
   * @param entity The entity's name.
   * @param options The status, the service's code and `cause`.
   */
  constructor(
    message: string,
    entity: string,
    options?: RequestFailedOptions,
  ) {
    super(message, options, "ENTITY_NOT_FOUND");
    this.name = "EntityNotFound";
    this.entity = entity;
  }
}
