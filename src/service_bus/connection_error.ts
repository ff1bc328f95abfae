/**
 * Which errors of `@azure/service-bus` mean a broken connection.
 *
 * @module
 */

import { isAmqpConnectionError } from "../managed/_amqp_errors.ts";

/**
 * Tells whether an error thrown by a Service Bus operation shows that the
 * client's connection or link is broken: connection lost or forced closed,
 * a communication failure or timeout, a closed client, a refused token. A
 * message-level answer (message too large, quota exceeded, entity not found,
 * server busy), an abort and a bad argument are not. `ManagedServiceBusSender`
 * replaces a pooled client whose operation failed with such an error.
 *
 * @param error What an operation threw.
 * @returns Whether the client that threw it should be replaced.
 *
 * @example Classifying errors
 * ```ts
 * import { isServiceBusConnectionError } from "@azure-clients/toolbox/service-bus";
 * import { ServiceBusError } from "@azure/service-bus";
 * import assert from "node:assert/strict";
 *
 * const lost = new ServiceBusError("connection lost", "ServiceCommunicationProblem");
 * assert.equal(isServiceBusConnectionError(lost), true);
 * const tooLarge = new ServiceBusError("too large", "MessageSizeExceeded");
 * assert.equal(isServiceBusConnectionError(tooLarge), false);
 * ```
 */
export const isServiceBusConnectionError: (error: unknown) => boolean =
  isAmqpConnectionError;
