/**
 * The checks of the Cosmos connection options (internal; never re-exported).
 *
 * @module
 */

import type { TokenCredential } from "@azure/core-auth";
import type { Agent } from "@azure/cosmos";
import {
  exactlyOne,
  forbidFields,
  keysOf,
  parseConnectionString,
  rejectUnknownKeys,
  requireFunction,
  requireName,
  requireOptions,
  requireSecret,
  requireTokenCredential,
  requireUrl,
} from "../managed/_checks.ts";
import type {
  CosmosClientExtraOptions,
  CosmosConnectionOptions,
} from "./options.ts";

/** Every key of {@linkcode CosmosConnectionOptions}. */
export const COSMOS_CONNECTION_KEYS: readonly string[] = keysOf<
  CosmosConnectionOptions
>()([
  "endpoint",
  "databaseName",
  "containerName",
  "credential",
  "credentialFactory",
  "key",
  "connectionString",
  "agentFactory",
  "clientOptions",
]);

/** The fields of `CosmosClientOptions` that the connection options set. */
const CLIENT_SET_FIELDS = [
  "endpoint",
  "key",
  "aadCredentials",
  "connectionString",
  "tokenProvider",
  "resourceTokens",
  "permissionFeed",
];

/** The resolved connection settings; `key` is kept out of logs. */
export interface ResolvedConnection {
  endpoint: string;
  host: string;
  databaseName: string;
  containerName: string;
  credential: TokenCredential | undefined;
  credentialFactory:
    | (() => TokenCredential | Promise<TokenCredential>)
    | undefined;
  key: string | undefined;
  agentFactory: (() => Agent) | undefined;
  clientOptions: CosmosClientExtraOptions;
}

/**
 * Checks the connection options of a Cosmos client.
 *
 * @param owner The class being constructed, for messages.
 * @param given The options bag.
 * @param moreKeys The keys the bag may set besides the connection's.
 * @returns The resolved settings.
 * @throws {TypeError} When an option is missing, unknown or invalid (the
 * message names it and never echoes a key or connection string).
 */
export function resolveConnection(
  owner: string,
  given: unknown,
  moreKeys: readonly string[] = [],
): ResolvedConnection {
  const options = requireOptions<CosmosConnectionOptions>(owner, given);
  rejectUnknownKeys(`create ${owner}`, options, [
    ...COSMOS_CONNECTION_KEYS,
    ...moreKeys,
  ]);
  const databaseName = requireName(owner, "databaseName", options.databaseName);
  const containerName = requireName(
    owner,
    "containerName",
    options.containerName,
  );
  const auth = exactlyOne(owner, options, [
    "credential",
    "credentialFactory",
    "key",
    "connectionString",
  ]);
  let endpoint = options.endpoint;
  let key: string | undefined;
  if (auth === "connectionString") {
    if (endpoint !== undefined) {
      throw new TypeError(
        `Cannot create ${owner} as 'endpoint' and 'connectionString' were both given: the connection string carries the endpoint`,
      );
    }
    const fields = parseConnectionString(
      owner,
      "connectionString",
      options.connectionString,
      ["AccountEndpoint", "AccountKey"],
    );
    endpoint = fields.get("accountendpoint");
    key = fields.get("accountkey");
  } else if (auth === "key") {
    key = requireSecret(owner, "key", options.key);
  }
  const url = requireUrl(
    owner,
    auth === "connectionString"
      ? "connectionString's AccountEndpoint"
      : "endpoint",
    endpoint,
    ["https:", "http:"],
  );
  forbidFields(
    owner,
    "clientOptions",
    options.clientOptions,
    CLIENT_SET_FIELDS,
  );
  return {
    endpoint: url.href,
    host: url.host,
    databaseName,
    containerName,
    credential: auth === "credential"
      ? requireTokenCredential(owner, "credential", options.credential)
      : undefined,
    credentialFactory: auth === "credentialFactory"
      ? requireFunction(owner, "credentialFactory", options.credentialFactory)
      : undefined,
    key,
    agentFactory: options.agentFactory === undefined
      ? undefined
      : requireFunction(owner, "agentFactory", options.agentFactory),
    clientOptions: options.clientOptions ?? {},
  };
}
