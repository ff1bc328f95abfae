/**
 * How the Service Bus clients make and close a `ServiceBusClient` (internal;
 * never re-exported).
 *
 * @module
 */

import {
  ServiceBusClient,
  type ServiceBusClientOptions,
  type ServiceBusSender,
} from "@azure/service-bus";
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
import { errorLabel } from "../managed/_checks.ts";
import { logger } from "../managed/log.ts";

/** The resolved options of the Service Bus clients. */
export type ResolvedServiceBus = ResolvedAmqpClient<ServiceBusClientOptions>;

/**
 * Checks the options of a Service Bus client.
 *
 * @param owner The class being constructed, for messages.
 * @param given The options bag.
 * @param moreKeys The keys the bag may set besides the connection's.
 * @returns The resolved options.
 * @throws {TypeError} When an option is missing, unknown or invalid.
 * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
 */
export function resolveServiceBus(
  owner: string,
  given: unknown,
  moreKeys: readonly string[] = [],
): ResolvedServiceBus {
  return resolveAmqpClient(owner, given, "queueName", moreKeys);
}

/** One client and what it owns. */
export interface OwnedClient {
  client: ServiceBusClient;
  credential: AmqpCredential | undefined;
  /** The client's own retry options, lowered for readiness probes. */
  retries: OwnRetryOptions;
}

/**
 * Makes a `ServiceBusClient` (one AMQP connection; nothing is opened yet).
 *
 * @param owner The class, for messages.
 * @param settings The resolved options.
 * @returns The client and the credential it owns.
 */
export async function openClient(
  owner: string,
  settings: ResolvedServiceBus,
): Promise<OwnedClient> {
  const { credential, owned } = await credentialFor(owner, settings);
  const { options, retries } = withOwnRetryOptions(settings.clientOptions);
  const client = settings.connectionString !== undefined
    ? new ServiceBusClient(settings.connectionString, options)
    : new ServiceBusClient(settings.namespace!, credential!, options);
  return { client, credential: owned ? credential : undefined, retries };
}

/**
 * Opens a sender's link (and with it the connection, its auth and the link's
 * token) by asking for a message batch, with the SDK's retries off (see
 * `withoutRetries`); nothing is written to the queue.
 *
 * @param owned The sender's client.
 * @param sender The sender.
 * @param signal Aborts the open.
 * @returns When the link is open.
 */
export async function proveSender(
  owned: OwnedClient,
  sender: ServiceBusSender,
  signal: AbortSignal,
): Promise<void> {
  await withoutRetries(
    owned.retries,
    () => sender.createMessageBatch({ abortSignal: signal }),
  );
}

/**
 * The client's AMQP connection (a field of the SDK's private connection
 * context), for `destroyAmqpSocket`.
 *
 * @param client The SDK client.
 * @returns Its rhea-promise connection, or `undefined`.
 */
function connectionOf(client: ServiceBusClient): unknown {
  return (client as unknown as {
    _connectionContext?: { connection?: unknown };
  })._connectionContext?.connection;
}

/**
 * Closes links, then the client, then destroys its socket (whether or not
 * the connection ever opened), then closes its own credential, giving up
 * after `closeTimeoutMs`; failures are logged, never thrown.
 *
 * @param what Who is closing, for log lines.
 * @param owned The client.
 * @param closables Senders and receivers to close first.
 * @param closeTimeoutMs How long the close may take.
 * @returns When it is closed or given up on.
 */
export async function closeClient(
  what: string,
  owned: OwnedClient,
  closables: { close(): Promise<void> }[],
  closeTimeoutMs: number,
): Promise<void> {
  await closeAmqpClient(
    what,
    async () => {
      for (const closable of closables) {
        try {
          await closable.close();
        } catch (error) {
          logger.info(`${what}: closing a link failed: ${errorLabel(error)}`);
        }
      }
      await owned.client.close();
    },
    owned.credential,
    closeTimeoutMs,
    () => connectionOf(owned.client),
  );
}
