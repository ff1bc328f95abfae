/**
 * Which errors of `@azure/event-hubs` mean a broken connection.
 *
 * @module
 */

import { isAmqpConnectionError } from "../managed/_amqp_errors.ts";

/**
 * Tells whether an error thrown by an Event Hubs operation shows that the
 * producer's connection or link is broken: connection lost or forced closed,
 * a communication failure or timeout, a closed client, a refused token. A
 * message-level answer (event too large, quota exceeded, hub not found,
 * server busy), an abort and a bad argument are not.
 * `ManagedEventHubProducer` replaces a pooled producer whose operation failed
 * with such an error.
 *
 * @param error What an operation threw.
 * @returns Whether the producer that threw it should be replaced.
 *
 * @example Classifying errors
 * ```ts
 * import { isEventHubConnectionError } from "@azure-clients/toolbox/event-hubs";
 * import { MessagingError } from "@azure/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const forced = Object.assign(new MessagingError("closed"), { code: "ConnectionForcedError" });
 * assert.equal(isEventHubConnectionError(forced), true);
 * const tooLarge = Object.assign(new MessagingError("too large"), { code: "MessageTooLargeError" });
 * assert.equal(isEventHubConnectionError(tooLarge), false);
 * ```
 */
export const isEventHubConnectionError: (error: unknown) => boolean =
  isAmqpConnectionError;
