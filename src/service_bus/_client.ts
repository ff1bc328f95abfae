/**
 * How the Service Bus clients make and close a `ServiceBusClient` (internal;
 * never re-exported).
 *
 * @module
 */

import {
  ServiceBusClient,
  type ServiceBusClientOptions,
} from "@azure/service-bus";
import {
  closeAmqpClient,
  credentialFor,
  resolveAmqpClient,
  type ResolvedAmqpClient,
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
  const client = settings.connectionString !== undefined
    ? new ServiceBusClient(settings.connectionString, settings.clientOptions)
    : new ServiceBusClient(
      settings.namespace!,
      credential!,
      settings.clientOptions,
    );
  return { client, credential: owned ? credential : undefined };
}

/**
 * Closes links, then the client, then its own credential, giving up after
 * `closeTimeoutMs`; failures are logged, never thrown.
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
  );
}
