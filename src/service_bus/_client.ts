/**
 * How the Service Bus clients check their options and make and close a
 * `ServiceBusClient` (internal; never re-exported).
 *
 * @module
 */

import {
  ServiceBusClient,
  type ServiceBusClientOptions,
  type ServiceBusSender,
} from "@azure/service-bus";
import {
  amqpConnectionKeys,
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
import {
  errorLabel,
  parseConnectionString,
  requireOptions,
} from "../managed/_checks.ts";
import { logger } from "../managed/log.ts";

/** The resolved options of the Service Bus clients. */
export interface ResolvedServiceBus
  extends ResolvedAmqpClient<ServiceBusClientOptions> {
  /**
   * Which option named the entity: `"queueName"`, `"topicName"`, or
   * `undefined` when it came from the connection string's `EntityPath`.
   */
  entityOption: "queueName" | "topicName" | undefined;
}

/** The keys of one entity-bound Service Bus client's connection options. */
export const SERVICE_BUS_CONNECTION_KEYS: readonly string[] = [
  ...amqpConnectionKeys("queueName"),
  "topicName",
];

function hasEntityPath(connectionString: unknown): boolean {
  return typeof connectionString === "string" &&
    /(^|;)\s*entitypath\s*=\s*[^;\s]/i.test(connectionString);
}

/**
 * Checks the options of a Service Bus client bound to one entity: the
 * connection, and exactly one of `queueName` or `topicName` (either may be
 * left out when the connection string has `EntityPath`).
 *
 * @param owner The class being constructed, for messages.
 * @param given The options bag.
 * @param moreKeys The keys the bag may set besides the connection's.
 * @returns The resolved options.
 * @throws {TypeError} When an option is missing, unknown or invalid, or both
 * or neither of `queueName` and `topicName` are given.
 * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
 */
export function resolveServiceBus(
  owner: string,
  given: unknown,
  moreKeys: readonly string[] = [],
): ResolvedServiceBus {
  const options = requireOptions<Record<string, unknown>>(owner, given, [
    ...SERVICE_BUS_CONNECTION_KEYS,
    ...moreKeys,
  ]);
  const queue = options.queueName !== undefined;
  const topic = options.topicName !== undefined;
  if (queue && topic) {
    throw new TypeError(
      `Cannot create ${owner} as 'queueName' and 'topicName' are both given: give exactly one`,
    );
  }
  if (
    !queue && !topic && options.connectionString !== undefined &&
    !hasEntityPath(options.connectionString)
  ) {
    throw new TypeError(
      `Cannot create ${owner} as neither 'queueName' nor 'topicName' is given and the connection string has no EntityPath: give exactly one`,
    );
  }
  if (!queue && !topic && options.connectionString === undefined) {
    // Without a connection string there is no EntityPath to fall back on;
    // the credential checks still come first when no credential was given.
    resolveAmqpClient<ServiceBusClientOptions>(
      owner,
      { ...options, queueName: "-" },
      "queueName",
      ["topicName", ...moreKeys],
    );
    throw new TypeError(
      `Cannot create ${owner} as neither 'queueName' nor 'topicName' is given: give exactly one`,
    );
  }
  const entityOption = topic ? "topicName" : "queueName";
  return {
    ...resolveAmqpClient<ServiceBusClientOptions>(
      owner,
      given,
      entityOption,
      [topic ? "queueName" : "topicName", ...moreKeys],
    ),
    entityOption: topic ? "topicName" : queue ? "queueName" : undefined,
  };
}

/**
 * Checks the options of a client for a whole namespace (`ManagedServiceBus`):
 * the connection without an entity; a connection string's `EntityPath` is
 * allowed (its key may be scoped to that entity) and ignored.
 *
 * @param owner The class being constructed, for messages.
 * @param given The options bag.
 * @param moreKeys The keys the bag may set besides the connection's.
 * @returns The resolved options (`entity` is the connection string's
 * `EntityPath`, or empty).
 * @throws {TypeError} When an option is missing, unknown or invalid (naming
 * `queueName`/`topicName` as not options: entities are named per call).
 * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
 */
export function resolveNamespace(
  owner: string,
  given: unknown,
  moreKeys: readonly string[] = [],
): ResolvedServiceBus {
  const options = requireOptions<Record<string, unknown>>(owner, given);
  for (const key of ["queueName", "topicName"]) {
    if (key in options) {
      throw new TypeError(
        `Cannot create ${owner} as '${key}' is not an option: it serves every entity of the namespace, named per call (sender(entityName), receiver({ queueName }))`,
      );
    }
  }
  const entityPath = typeof options.connectionString === "string"
    ? parseConnectionString(
      owner,
      "connectionString",
      options.connectionString,
      [],
    ).get("entitypath") || undefined
    : undefined;
  const resolved = resolveAmqpClient<ServiceBusClientOptions>(
    owner,
    { ...options, queueName: entityPath ?? "-" },
    "queueName",
    moreKeys,
  );
  return { ...resolved, entity: entityPath ?? "", entityOption: undefined };
}

/** One client and what it owns. */
export interface OwnedClient {
  client: ServiceBusClient;
  credential: AmqpCredential | undefined;
  /** The client's own retry options, lowered for readiness probes. */
  retries: OwnRetryOptions;
  /** Stops watching its connection, once watched. */
  unwatch?: () => void;
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
  settings: ResolvedAmqpClient<ServiceBusClientOptions>,
): Promise<OwnedClient> {
  const { credential, owned } = await credentialFor(owner, settings);
  const { options, retries } = withOwnRetryOptions(settings.clientOptions);
  const client = settings.connectionString !== undefined
    ? new ServiceBusClient(settings.connectionString, options)
    : new ServiceBusClient(settings.namespace!, credential!, options);
  if (!preferNoDelay(contextOf(client))) {
    logger.info(
      "Service Bus: the client's AMQP connection was not found; Nagle's algorithm stays on",
    );
  }
  return { client, credential: owned ? credential : undefined, retries };
}

/**
 * Watches a client's AMQP connection (see `watchAmqpConnection`) until
 * {@linkcode closeClient}; `broken` hears once of its death.
 *
 * @param owned The client.
 * @param broken Told once, with a short reason.
 */
export function watchClient(
  owned: OwnedClient,
  broken: (reason: string) => void,
): void {
  owned.unwatch?.();
  owned.unwatch = watchAmqpConnection(contextOf(owned.client), broken);
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
  return (contextOf(client) as { connection?: unknown } | undefined)
    ?.connection;
}

/**
 * The client's (private) connection context, for `preferNoDelay` and
 * `watchAmqpConnection`.
 *
 * @param client The SDK client.
 * @returns Its connection context, or `undefined`.
 */
function contextOf(client: ServiceBusClient): unknown {
  return (client as unknown as { _connectionContext?: unknown })
    ._connectionContext;
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
  // Our own close is not a death to report.
  owned.unwatch?.();
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

/**
 * How messages name the entity of a Service Bus client bound to one:
 * `queue 'orders'`, `topic 'events'`, or `entity 'x'` when it came from a
 * connection string's EntityPath.
 *
 * @param settings The resolved options.
 * @returns The label.
 */
export function entityLabel(settings: ResolvedServiceBus): string {
  const kind = settings.entityOption === "topicName"
    ? "topic"
    : settings.entityOption === "queueName"
    ? "queue"
    : "entity";
  return `${kind} '${settings.entity}'`;
}
