/**
 * The checks of the Cosmos connection options (internal; never re-exported).
 *
 * @module
 */

import type { TokenCredential } from "@azure/core-auth";
import type { Agent } from "@azure/cosmos";
import {
  type CredentialChoice,
  credentialChoice,
  exactlyOne,
  forbidFields,
  keysOf,
  parseConnectionString,
  refuseWithConnectionString,
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

/** The options that authenticate; exactly one is given. */
const CREDENTIAL_OPTIONS = [
  "credential",
  "credentialFactory",
  "key",
  "connectionString",
] as const;

/** Every key of {@linkcode CosmosConnectionOptions}. */
export const COSMOS_CONNECTION_KEYS: readonly string[] = keysOf<
  CosmosConnectionOptions
>()([
  "endpoint",
  "databaseName",
  "containerName",
  ...CREDENTIAL_OPTIONS,
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
export interface ResolvedConnection extends CredentialChoice<TokenCredential> {
  endpoint: string;
  host: string;
  databaseName: string;
  containerName: string;
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
  const options = requireOptions<CosmosConnectionOptions>(owner, given, [
    ...COSMOS_CONNECTION_KEYS,
    ...moreKeys,
  ]);
  const databaseName = requireName(owner, "databaseName", options.databaseName);
  const containerName = requireName(
    owner,
    "containerName",
    options.containerName,
  );
  const auth = exactlyOne(owner, options, CREDENTIAL_OPTIONS);
  let endpoint = options.endpoint;
  let key: string | undefined;
  if (auth === "connectionString") {
    refuseWithConnectionString(owner, "endpoint", endpoint);
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
    ...credentialChoice(owner, auth, options, requireTokenCredential),
    key,
    agentFactory: options.agentFactory === undefined
      ? undefined
      : requireFunction(owner, "agentFactory", options.agentFactory),
    clientOptions: options.clientOptions ?? {},
  };
}
