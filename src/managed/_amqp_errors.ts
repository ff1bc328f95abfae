/**
 * Which errors of the AMQP SDKs (Service Bus, Event Hubs) mean a broken
 * connection (internal; never re-exported).
 *
 * @module
 */

import {
  connectionErrorCheck,
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
  /underlying AMQP connection is closed|has been closed and can no longer be used|(client|connection) (has been |is |was )?(closed|disposed)/i;

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
