/**
 * The options of the Cosmos DB clients.
 *
 * @module
 */

import type { TokenCredential } from "@azure/core-auth";
import type { Agent, CosmosClientOptions } from "@azure/cosmos";
import type { ManagedPoolOptions } from "../managed/pool_options.ts";
import type { Clock } from "../pool/clock.ts";

/**
 * `CosmosClientOptions` minus what the Cosmos clients of this package set
 * themselves (endpoint and credentials).
 *
 * @example Options passed to every client
 * ```ts
 * import type { CosmosClientExtraOptions } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const extra: CosmosClientExtraOptions = { userAgentSuffix: "orders-api" };
 * assert.equal(extra.userAgentSuffix, "orders-api");
 * ```
 */
export type CosmosClientExtraOptions = Omit<
  CosmosClientOptions,
  | "endpoint"
  | "key"
  | "aadCredentials"
  | "connectionString"
  | "tokenProvider"
  | "resourceTokens"
  | "permissionFeed"
>;

/**
 * Where a Cosmos container is and how to authenticate to it. Give exactly one
 * of `credential`, `credentialFactory`, `key` or `connectionString`.
 *
 * @example Options with an account key
 * ```ts
 * import type { CosmosConnectionOptions } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const options: CosmosConnectionOptions = {
 *   endpoint: "https://myaccount.documents.azure.com:443/",
 *   databaseName: "shop",
 *   containerName: "orders",
 *   key: "<account key>",
 * };
 * assert.equal(options.containerName, "orders");
 * ```
 */
export interface CosmosConnectionOptions {
  /**
   * The account endpoint, an `https://` (or `http://`) URL. Required unless
   * `connectionString` is given.
   * @default {undefined}
   */
  endpoint?: string;
  /** The database name. */
  databaseName: string;
  /** The container name. */
  containerName: string;
  /**
   * A `TokenCredential` (for example from `@azure/identity`) shared by every
   * client and never closed by this library.
   * @default {undefined}
   */
  credential?: TokenCredential;
  /**
   * Makes one credential per client. The library created those, so closing a
   * client also closes its credential when the credential has a `close`
   * method.
   * @default {undefined}
   */
  credentialFactory?: () => TokenCredential | Promise<TokenCredential>;
  /**
   * The account key (never logged or echoed in errors).
   * @default {undefined}
   */
  key?: string;
  /**
   * `AccountEndpoint=...;AccountKey=...;` (never logged or echoed in errors).
   * @default {undefined}
   */
  connectionString?: string;
  /**
   * Makes one HTTP agent per client; the agent is destroyed with its client.
   * Without it, clients use `clientOptions.agent` (shared, the caller's to
   * destroy) or the SDK's process-wide keep-alive agent.
   * @default {undefined}
   */
  agentFactory?: () => Agent;
  /**
   * Passed to every `CosmosClient` (copied per client, since the SDK writes to
   * it).
   * @default {{}}
   */
  clientOptions?: CosmosClientExtraOptions;
}

/**
 * Options of `ManagedCosmos`: the connection, then the pool
 * ({@linkcode ManagedPoolOptions}). Defaults: `maxIdleSeconds` and
 * `maxLifespanSeconds` Infinity (one `CosmosClient` for the app's lifetime,
 * as Microsoft advises: an HTTP client has no AMQP idle rule to beat, and
 * idle sockets are its HTTP agent's business; the Python original recycled
 * after 30 s idle or 60 s of age, and every new client reads the account
 * and the container again), `createTimeoutSeconds` 10, `name`
 * `"cosmos:<host>/<databaseName>/<containerName>"`.
 *
 * @example Tuning the pool
 * ```ts
 * import type { ManagedCosmosOptions } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const options: ManagedCosmosOptions = {
 *   endpoint: "https://myaccount.documents.azure.com:443/",
 *   databaseName: "shop",
 *   containerName: "orders",
 *   key: "<account key>",
 *   maxSize: 4,
 *   clientLimit: 50,
 * };
 * assert.equal(options.maxSize, 4);
 * ```
 */
export interface ManagedCosmosOptions
  extends CosmosConnectionOptions, ManagedPoolOptions {}

/**
 * Options of `Cosmos` (one client for the app's life, or replaced after a
 * lifespan when asked).
 *
 * @example A ten-minute client lifespan
 * ```ts
 * import type { CosmosOptions } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const options: CosmosOptions = {
 *   endpoint: "https://myaccount.documents.azure.com:443/",
 *   databaseName: "shop",
 *   containerName: "orders",
 *   key: "<account key>",
 *   maxLifespanSeconds: 600,
 * };
 * assert.equal(options.maxLifespanSeconds, 600);
 * ```
 */
export interface CosmosOptions extends CosmosConnectionOptions {
  /**
   * After this long, new callers get a new client; the old one closes when
   * its last caller leaves. `Infinity` keeps one client until `close()`,
   * as Microsoft advises for `CosmosClient` (every new client reads the
   * account and the container again).
   * @default {Infinity}
   */
  maxLifespanSeconds?: number;
  /**
   * The clock for the lifespan; tests pass a fake one.
   * @default {systemClock}
   */
  clock?: Clock;
}
