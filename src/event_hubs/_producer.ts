/**
 * How the Event Hubs clients make and close an `EventHubProducerClient`
 * (internal; never re-exported).
 *
 * @module
 */

import {
  type EventHubClientOptions,
  EventHubProducerClient,
} from "@azure/event-hubs";
import {
  closeAmqpClient,
  credentialFor,
  resolveAmqpClient,
  type ResolvedAmqpClient,
} from "../managed/_amqp.ts";
import type { AmqpCredential } from "../managed/amqp_options.ts";

/** The resolved options of the Event Hubs clients. */
export type ResolvedEventHub = ResolvedAmqpClient<EventHubClientOptions>;

/**
 * Checks the options of an Event Hubs client.
 *
 * @param owner The class being constructed, for messages.
 * @param given The options bag.
 * @param moreKeys The keys the bag may set besides the connection's.
 * @returns The resolved options.
 * @throws {TypeError} When an option is missing, unknown or invalid.
 * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
 */
export function resolveEventHub(
  owner: string,
  given: unknown,
  moreKeys: readonly string[] = [],
): ResolvedEventHub {
  return resolveAmqpClient(owner, given, "eventHubName", moreKeys);
}

/** A producer and the credential it owns. */
export interface OwnedProducer {
  producer: EventHubProducerClient;
  credential: AmqpCredential | undefined;
}

/**
 * Makes an `EventHubProducerClient` (one AMQP connection; nothing is opened
 * yet).
 *
 * @param owner The class, for messages.
 * @param settings The resolved options.
 * @returns The producer and the credential it owns.
 */
export async function openProducer(
  owner: string,
  settings: ResolvedEventHub,
): Promise<OwnedProducer> {
  const { credential, owned } = await credentialFor(owner, settings);
  const producer = settings.connectionString !== undefined
    ? new EventHubProducerClient(
      settings.connectionString,
      settings.entity,
      settings.clientOptions,
    )
    : new EventHubProducerClient(
      settings.namespace!,
      settings.entity,
      credential!,
      settings.clientOptions,
    );
  return { producer, credential: owned ? credential : undefined };
}

/**
 * Closes a producer and its own credential, giving up after
 * `closeTimeoutMs`; failures are logged, never thrown.
 *
 * @param what Who is closing, for log lines.
 * @param producer The producer.
 * @param credential The credential it owns, or `undefined`.
 * @param closeTimeoutMs How long the close may take.
 * @returns When it is closed or given up on.
 */
export async function closeProducer(
  what: string,
  producer: EventHubProducerClient,
  credential: AmqpCredential | undefined,
  closeTimeoutMs: number,
): Promise<void> {
  await closeAmqpClient(
    what,
    () => producer.close(),
    credential,
    closeTimeoutMs,
  );
}
