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
  type OwnRetryOptions,
  resolveAmqpClient,
  type ResolvedAmqpClient,
  withoutRetries,
  withOwnRetryOptions,
} from "../managed/_amqp.ts";
import type { AmqpCredential } from "../managed/amqp_options.ts";
import {
  preferNoDelay,
  watchAmqpConnection,
} from "../managed/_amqp_connection.ts";
import { logger } from "../managed/log.ts";

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

/** A producer and what it owns. */
export interface OwnedProducer {
  producer: EventHubProducerClient;
  credential: AmqpCredential | undefined;
  /** The producer's own retry options, lowered for readiness probes. */
  retries: OwnRetryOptions;
  /** Stops watching its connection, once watched. */
  unwatch?: () => void;
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
  const { options, retries } = withOwnRetryOptions(settings.clientOptions);
  const producer = settings.connectionString !== undefined
    ? new EventHubProducerClient(
      settings.connectionString,
      settings.entity,
      options,
    )
    : new EventHubProducerClient(
      settings.namespace!,
      settings.entity,
      credential!,
      options,
    );
  if (!preferNoDelay(contextOf(producer))) {
    logger.info(
      "Event Hubs: the producer's AMQP connection was not found; Nagle's algorithm stays on",
    );
  }
  return { producer, credential: owned ? credential : undefined, retries };
}

/**
 * Watches a producer's AMQP connection (see `watchAmqpConnection`) until it
 * is closed; `broken` hears once of its death.
 *
 * @param owned The producer.
 * @param broken Told once, with a short reason.
 */
export function watchProducer(
  owned: OwnedProducer,
  broken: (reason: string) => void,
): void {
  owned.unwatch?.();
  owned.unwatch = watchAmqpConnection(contextOf(owned.producer), broken);
}

/**
 * Reads the hub's properties (connection, auth, management link; no event is
 * written) with the SDK's retries off (see `withoutRetries`): a refused
 * connection fails at once with its real error instead of after the SDK's
 * 30 s retry sleeps.
 *
 * @param owned The producer.
 * @param signal Aborts the read.
 * @returns When the hub answered.
 */
export async function proveProducer(
  owned: OwnedProducer,
  signal: AbortSignal,
): Promise<void> {
  await withoutRetries(owned.retries, async () => {
    await owned.producer.getEventHubProperties({ abortSignal: signal });
    // Opens the round-robin send link (the one partition keys use too), so
    // that the first send finds it open; a batch writes nothing.
    await owned.producer.createBatch({ abortSignal: signal });
  });
}

/**
 * The producer's AMQP connection (a field of the SDK's private connection
 * context), for `destroyAmqpSocket`.
 *
 * @param producer The SDK producer.
 * @returns Its rhea-promise connection, or `undefined`.
 */
function connectionOf(producer: EventHubProducerClient): unknown {
  return (contextOf(producer) as { connection?: unknown } | undefined)
    ?.connection;
}

/** The producer's (private) connection context. */
function contextOf(producer: EventHubProducerClient): unknown {
  return (producer as unknown as { _context?: unknown })._context;
}

/**
 * Closes a producer, then destroys its socket (whether or not the connection
 * ever opened), then closes its own credential, giving up after
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
    () => connectionOf(producer),
  );
}
