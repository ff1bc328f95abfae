/**
 * Which Service Bus errors break one link but not its connection (internal;
 * never re-exported).
 *
 * @module
 */

import { isServiceBusConnectionError } from "./connection_error.ts";

/**
 * Codes (and AMQP condition names) of a link that is gone or useless while
 * its connection is fine: the service detached it, the entity is missing or
 * disabled, a handle clash on that link.
 */
const LINK_CODES = new Set<string>([
  "DetachForcedError",
  "ErrantLinkError",
  "HandleInUseError",
  "UnattachedHandleError",
  "MessagingEntityNotFound",
  "MessagingEntityNotFoundError",
  "MessagingEntityDisabled",
  "MessagingEntityDisabledError",
]);

/** The SDK's words for a sender or receiver object that was closed. */
const CLOSED_LINK =
  /The (sender|receiver)( for "[^"]*")? has been closed and can no longer be used/i;

/**
 * Tells whether an error broke only the link it happened on: the next
 * operation should open a new link on the same connection.
 *
 * @param error What an operation threw.
 * @returns Whether only the link is broken.
 */
export function isServiceBusLinkError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, name, message } = error as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
  };
  if (typeof code === "string" && LINK_CODES.has(code)) return true;
  if (typeof name === "string" && LINK_CODES.has(name)) return true;
  if (typeof message === "string") {
    const prefix = /^(\w+):/.exec(message)?.[1];
    if (code === "GeneralError" && prefix && LINK_CODES.has(prefix)) {
      return true;
    }
    if (CLOSED_LINK.test(message)) return true;
  }
  return false;
}

/**
 * The connection check of a pool whose connections carry many links: a
 * connection error that is only a link's does not condemn the connection.
 *
 * @param error What an operation threw.
 * @returns Whether the pooled connection should be replaced.
 */
export function isNamespaceConnectionError(error: unknown): boolean {
  return isServiceBusConnectionError(error) && !isServiceBusLinkError(error);
}
