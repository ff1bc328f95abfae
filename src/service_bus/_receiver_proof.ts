/**
 * How a Service Bus receiver is proven when it opens (internal; never
 * re-exported): as a sender is, before the caller gets it, so that a wrong
 * key or a missing queue fails `receiver()` at once instead of the first
 * receive after the SDK's retries (90 s).
 *
 * @module
 */

import type { ServiceBusReceiver } from "@azure/service-bus";
import { withoutRetries } from "../managed/_amqp.ts";
import { amqpRefusal } from "../managed/_amqp_errors.ts";
import { errorLabel } from "../managed/_checks.ts";
import { bound } from "../pool/_bound.ts";
import { ConnectionFailed } from "../pool/errors.ts";
import type { OwnedClient } from "./_client.ts";

/**
 * The largest sequence number, in the shape the SDK checks for (`long`'s
 * `Long`: `__isLong__`, big-endian bytes): a peek from it finds no message,
 * so it moves no peek cursor and locks nothing.
 */
const BEYOND_ANY_MESSAGE = {
  __isLong__: true,
  low: -1,
  high: 0x7fffffff,
  unsigned: false,
  toBytesBE: (): number[] => [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
};

/** How long a receiver's proof may take (the pools' `createTimeoutSeconds` default). */
export const RECEIVER_PROOF_TIMEOUT_MS = 30_000;

/**
 * Proves a receiver: a peek past the last message, which opens the
 * connection, authenticates for the entity and finds it, through the
 * entity's management link; it receives, locks and moves nothing. The SDK's
 * own retries are off for it and it is bounded.
 *
 * @param owned The receiver's client.
 * @param receiver The SDK receiver.
 * @param what What was attempted and where, for messages (`open a receiver
 * for queue 'orders' on myns...`).
 * @param entity The queue or subscription path.
 * @throws {AuthenticationFailed} When the service refused the credential.
 * @throws {EntityNotFound} When the queue, topic or subscription does not
 * exist.
 * @throws {ConnectionFailed} When the namespace could not be reached in
 * time (`cause`: the SDK's error).
 */
export async function proveReceiver(
  owned: OwnedClient,
  receiver: ServiceBusReceiver,
  what: string,
  entity: string,
): Promise<void> {
  const controller = new AbortController();
  try {
    await bound(
      withoutRetries(owned.retries, () =>
        receiver.peekMessages(1, {
          fromSequenceNumber: BEYOND_ANY_MESSAGE as never,
          abortSignal: controller.signal,
        })),
      { timeoutMs: RECEIVER_PROOF_TIMEOUT_MS },
    );
  } catch (error) {
    controller.abort();
    throw amqpRefusal(error, what, entity) ??
      new ConnectionFailed(`Cannot ${what}: ${errorLabel(error)}`, {
        cause: error,
      });
  }
}
