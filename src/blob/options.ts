/**
 * The options of `ManagedBlobStorage`: where the container is, how to
 * authenticate, and its pool.
 *
 * @module
 */

import type { TokenCredential } from "@azure/core-auth";
import type {
  StoragePipelineOptions,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import type { Agent } from "node:http";
import type { ManagedPoolOptions } from "../managed/pool_options.ts";

/**
 * An account key given as its two parts (the form of the Azure portal's
 * "Access keys" page).
 *
 * @example A key for a local Azurite account
 * ```ts
 * import type { BlobAccountKey } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const key: BlobAccountKey = { accountName: "devstoreaccount1", accountKey: "<base64 key>" };
 * assert.equal(key.accountName, "devstoreaccount1");
 * ```
 */
export interface BlobAccountKey {
  /** The storage account's name. */
  accountName: string;
  /** The account key, base64 (never logged or echoed in errors). */
  accountKey: string;
}

/**
 * How `ManagedBlobStorage` authenticates with an `accountUrl`: a
 * `TokenCredential` (Microsoft Entra ID, for example from `@azure/identity`),
 * or the account key as a `StorageSharedKeyCredential` or
 * {@linkcode BlobAccountKey}. A key signs SAS URLs itself; a
 * `TokenCredential` signs them with a user delegation key.
 */
export type BlobCredential =
  | TokenCredential
  | StorageSharedKeyCredential
  | BlobAccountKey;

/**
 * `StoragePipelineOptions` passed to every `BlobServiceClient`
 * (`retryOptions`, `userAgentOptions`, `proxyOptions`, `keepAliveOptions`,
 * `audience`, `httpClient`), with the SDK's names and units.
 *
 * @example Fewer retries and a user agent
 * ```ts
 * import type { BlobClientExtraOptions } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const extra: BlobClientExtraOptions = {
 *   retryOptions: { maxTries: 2 },
 *   userAgentOptions: { userAgentPrefix: "reports-api" },
 * };
 * assert.equal(extra.retryOptions?.maxTries, 2);
 * ```
 */
export type BlobClientExtraOptions = StoragePipelineOptions;

/**
 * Where a blob container is and how to authenticate to it: a
 * `connectionString`, or an `accountUrl` with a `credential`.
 *
 * @example A connection string
 * ```ts
 * import type { BlobConnectionOptions } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const options: BlobConnectionOptions = {
 *   connectionString: "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=<key>;EndpointSuffix=core.windows.net",
 *   containerName: "reports",
 * };
 * assert.equal(options.containerName, "reports");
 * ```
 */
export interface BlobConnectionOptions {
  /** The container's name (3-63 lower-case letters, digits and hyphens, or `$root`, `$web`, `$logs`). */
  containerName: string;
  /**
   * `DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=…`
   * (or with `BlobEndpoint=…`), or `UseDevelopmentStorage=true` for Azurite
   * on its default port. Never logged or echoed in errors. A connection
   * string with a `SharedAccessSignature` instead of a key is refused: it
   * could not sign SAS URLs.
   * @default {undefined}
   */
  connectionString?: string;
  /**
   * The account's blob endpoint, for example
   * `https://acct.blob.core.windows.net` (or
   * `http://127.0.0.1:10000/devstoreaccount1` for Azurite), without a query:
   * give the credential in `credential`. Required with `credential`.
   * @default {undefined}
   */
  accountUrl?: string;
  /**
   * A `TokenCredential` (an `https://` `accountUrl` only: the SDK sends no
   * bearer token in clear text), a `StorageSharedKeyCredential`, or
   * `{ accountName, accountKey }`. Shared by every pooled client and never
   * closed by this library.
   * @default {undefined}
   */
  credential?: BlobCredential;
  /**
   * Makes one HTTP agent per pooled client (an `https.Agent` for an
   * `https://` account), destroyed with its client: the client's sockets are
   * its own and close with it. Without it, every client in the process
   * shares the SDK's keep-alive HTTP client, whose idle sockets do not keep
   * the process alive.
   * @default {undefined}
   */
  agentFactory?: () => Agent;
  /**
   * Passed to every `BlobServiceClient`.
   * @default {{}}
   */
  clientOptions?: BlobClientExtraOptions;
}

/**
 * Options of `ManagedBlobStorage`: the connection, then the pool. The
 * defaults follow the service's guidance for HTTP clients: make one client
 * and keep it for the life of the application (an HTTP client holds no
 * connection that could go stale: its sockets are reopened by the SDK as
 * needed), so nothing is recycled unless you ask for it.
 *
 * @example One long-lived client, at most 200 operations at once
 * ```ts
 * import type { ManagedBlobStorageOptions } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const options: ManagedBlobStorageOptions = {
 *   connectionString: "UseDevelopmentStorage=true",
 *   containerName: "reports",
 *   clientLimit: 200,
 * };
 * assert.equal(options.clientLimit, 200);
 * ```
 */
export interface ManagedBlobStorageOptions extends
  BlobConnectionOptions,
  Omit<
    ManagedPoolOptions,
    | "maxSize"
    | "clientLimit"
    | "maxIdleSeconds"
    | "maxLifespanSeconds"
    | "createTimeoutSeconds"
    | "name"
  > {
  /**
   * Clients at most. One is enough: a client's requests run concurrently on
   * the HTTP agent's sockets, so a second client adds memory and a second
   * readiness probe, not throughput. Raise it with `agentFactory` to spread
   * requests over several agents.
   * @default {1}
   */
  maxSize?: number;
  /**
   * Operations at once per client; more callers wait (up to
   * `acquireTimeoutSeconds`). A download stream counts until it is read to
   * the end or cancelled. The SDK's agent opens a socket per concurrent
   * request, so this also bounds the sockets to the account.
   * @default {100}
   */
  clientLimit?: number;
  /**
   * A client idle this long is closed. `Infinity`: an HTTP client has no
   * connection of its own to expire (the agent closes idle sockets by
   * itself), and closing it would only make the next caller pay for a new
   * client, its readiness probe and, with a `TokenCredential`, a token.
   * @default {Infinity}
   */
  maxIdleSeconds?: number;
  /**
   * A client older than this takes no new callers and is replaced.
   * `Infinity`: the service's guidance is one client for the life of the
   * application. Set it (or call `recycle()`) to pick up a rotated key or a
   * changed DNS entry.
   * @default {Infinity}
   */
  maxLifespanSeconds?: number;
  /**
   * How long opening a client (its readiness probe, one `getProperties` of
   * the container sent without the SDK's retries) may take.
   * @default {10}
   */
  createTimeoutSeconds?: number;
  /**
   * The pool's name in log lines, metrics and errors.
   * @default {"blob:<host>/<containerName>"}
   */
  name?: string;
}
