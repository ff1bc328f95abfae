/**
 * Which errors of the AMQP SDKs (Service Bus, Event Hubs) mean a broken
 * connection (internal; never re-exported).
 *
 * @module
 */

import {
  AuthenticationFailed,
  EntityNotFound,
  PoolError,
  type RequestFailed,
} from "../pool/errors.ts";
import {
  connectionErrorCheck,
  type ErrorFields,
  SOCKET_ERROR_CODES,
} from "./_connection_errors.ts";

/**
 * Error codes that mean the connection or link is broken, as the SDKs report
 * them: `MessagingError` codes from `@azure/core-amqp` (Event Hubs keeps
 * them), Service Bus's own codes, and Node system error codes.
 */
const CONNECTION_CODES = new Set<string>([
  // The service or the network ended the connection or the link.
  "ConnectionForcedError",
  "ConnectionRedirectError",
  "FramingError",
  "DetachForcedError",
  "ErrantLinkError",
  "HandleInUseError",
  "UnattachedHandleError",
  "SessionWindowViolationError",
  "ServiceCommunicationError",
  "ServiceCommunicationProblem",
  "SystemError",
  "SendOperationFailedError",
  // Auth failures: a token that was refused will be refused again on this
  // client; a new client fetches a new token.
  "UnauthorizedError",
  "UnauthorizedAccess",
  "PublisherRevokedError",
  // No answer in time (ECONNRESET and ETIMEDOUT map here too): a half-open
  // connection looks exactly like this and never heals by itself.
  "ServiceUnavailableError",
  "OperationTimeoutError",
  "ServiceTimeout",
  // Node system errors.
  ...SOCKET_ERROR_CODES,
]);

const CLOSED_MESSAGE =
  /underlying AMQP connection is closed|has been closed and can no longer be used|(client|connection) (has been |is |was )?(closed|disposed)|error occurred on the AMQP connection/i;

/**
 * What `@azure/core-amqp`'s `translate()` makes of an undefined error. The
 * SDKs reject pending operations with it when a link or connection goes away
 * without an error (a socket that simply ends), so it means a lost connection.
 */
const UNKNOWN_ERROR_MESSAGE = "Unknown error encountered.";

/**
 * Tells whether an error thrown by a Service Bus or Event Hubs operation shows
 * that the client's connection or link is broken (connection lost or forced
 * closed, communication failure, timeout, a closed client, a refused token),
 * as opposed to a message-level answer from the service (message too large,
 * quota exceeded, entity not found, server busy) or a caller's abort or bad
 * argument.
 *
 * @param error What an operation threw.
 * @returns Whether the client that threw it should be replaced.
 */
export const isAmqpConnectionError: (error: unknown) => boolean =
  connectionErrorCheck({
    codes: CONNECTION_CODES,
    message: CLOSED_MESSAGE,
    first: (error) => {
      // A caller's bad argument, never the connection's fault.
      if (error instanceof TypeError || error instanceof RangeError) {
        return false;
      }
      if (error instanceof AggregateError) {
        return error.errors.some((inner) => isAmqpConnectionError(inner));
      }
      const { name, code, message } = error;
      // Service Bus files codes it has no name for under GeneralError and
      // keeps the AMQP one as the message's prefix ("ConnectionForcedError: …").
      if (code === "GeneralError" && typeof message === "string") {
        const prefix = /^(\w+):/.exec(message)?.[1];
        if (prefix !== undefined && CONNECTION_CODES.has(prefix)) return true;
      }
      if (typeof name === "string" && CONNECTION_CODES.has(name)) return true;
      if (name === "Error" && message === UNKNOWN_ERROR_MESSAGE) return true;
      return undefined;
    },
  });

/** Codes the AMQP SDKs give a refused credential. */
const AUTH_CODES = new Set<string>([
  "UnauthorizedAccess", // Service Bus
  "UnauthorizedError", // @azure/core-amqp, Event Hubs
]);

/** Codes the AMQP SDKs give a missing queue, topic, subscription or hub. */
const NOT_FOUND_CODES = new Set<string>([
  "MessagingEntityNotFound", // Service Bus
  "MessagingEntityNotFoundError", // @azure/core-amqp, Event Hubs
]);

/** The SDK's code of an error, or of the first of an AggregateError's that has one. */
function amqpCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== "object" || error === null || depth > 3) {
    return undefined;
  }
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const code = amqpCode(inner, depth + 1);
      if (
        code !== undefined &&
        (AUTH_CODES.has(code) || NOT_FOUND_CODES.has(code))
      ) {
        return code;
      }
    }
    return undefined;
  }
  const { code, name, message, cause } = error as ErrorFields;
  if (typeof code === "string") {
    // Service Bus files codes it has no name for under GeneralError and
    // keeps the AMQP one as the message's prefix.
    if (code === "GeneralError" && typeof message === "string") {
      const prefix = /^(\w+):/.exec(message)?.[1];
      if (prefix !== undefined) return prefix;
    }
    if (AUTH_CODES.has(code) || NOT_FOUND_CODES.has(code)) return code;
  }
  if (
    typeof name === "string" &&
    (AUTH_CODES.has(name) || NOT_FOUND_CODES.has(name))
  ) {
    return name;
  }
  return cause === undefined ? undefined : amqpCode(cause, depth + 1);
}

/**
 * Turns a Service Bus or Event Hubs error that is a configuration mistake
 * into the package's: a refused credential into `AuthenticationFailed`, a
 * missing entity into `EntityNotFound`. Anything else is not a refusal.
 *
 * @param error What the SDK threw.
 * @param what What was attempted and where, for the message (`send a message
 * to queue 'orders' on myns.servicebus.windows.net`); never a secret.
 * @param entity The entity the attempt named.
 * @returns The package's error (the SDK's as `cause`), or `undefined`.
 */
export function amqpRefusal(
  error: unknown,
  what: string,
  entity: string,
): RequestFailed | undefined {
  // Already the package's (a connector's classified open failure).
  if (error instanceof PoolError) return undefined;
  const code = amqpCode(error);
  if (code === undefined) return undefined;
  if (AUTH_CODES.has(code)) {
    return new AuthenticationFailed(
      `Cannot ${what}: the service refused the credential (${code}; check the key, the connection string or the identity's role)`,
      { statusCode: 401, serviceCode: code, cause: error },
    );
  }
  if (NOT_FOUND_CODES.has(code)) {
    return new EntityNotFound(
      `Cannot ${what}: '${entity}' does not exist (${code})`,
      entity,
      { statusCode: 404, serviceCode: code, cause: error },
    );
  }
  return undefined;
}

/**
 * The error a caller of a Service Bus or Event Hubs operation gets for what
 * the SDK threw: a configuration mistake becomes the package's error
 * ({@linkcode amqpRefusal}); anything else passes through unchanged.
 *
 * @param error What the SDK threw.
 * @param what What was attempted and where, for the message.
 * @param entity The entity the attempt named.
 * @returns The error to throw.
 */
export function amqpOutcome(
  error: unknown,
  what: string,
  entity: string,
): unknown {
  return amqpRefusal(error, what, entity) ?? error;
}
