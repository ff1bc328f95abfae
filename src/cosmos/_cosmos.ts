/**
 * Cosmos DB clients: {@linkcode ManagedCosmos} (a pool of `CosmosClient`s),
 * {@linkcode Cosmos} (one client, recycled after a lifespan),
 * {@linkcode SimpleCosmos} (one client, opened and closed on request), the
 * {@linkcode CosmosConnector} they share, and patch helpers.
 *
 * Sockets: a `CosmosClient` sends its requests through an HTTP agent. Without
 * one, every client in the process shares the SDK's module-level keep-alive
 * agent, so pooling clients bounds concurrency and reuses client state but does
 * not change how many sockets are open. Give each pooled client its own agent
 * with `agentFactory` (the connector destroys it with the client) to tie
 * sockets to clients; an agent passed in `clientOptions.agent` is shared by all
 * clients and stays the caller's to destroy.
 *
 * @module
 */

import type { TokenCredential } from "@azure/core-auth";
import {
  type Agent,
  type Container,
  CosmosClient,
  type CosmosClientOptions,
  type PatchOperation,
} from "@azure/cosmos";
import { logger } from "../managed/log.ts";
import { type Clock, systemClock } from "../pool/clock.ts";
import { ConnectionPool } from "../pool/connection_pool.ts";
import type { Connector } from "../pool/connector.ts";
import { PoolClosed } from "../pool/errors.ts";
import type { CloseOptions } from "../pool/options.ts";
import {
  errorLabel,
  exactlyOne,
  forbidFields,
  parseConnectionString,
  requireFunction,
  requireName,
  requireOptions,
  requireSecret,
  requireTokenCredential,
  requireUrl,
} from "../managed/_checks.ts";
import { namedLease, poolCallOptions } from "../managed/_lease.ts";
import { poolOptionsOf } from "../managed/_pool_options.ts";

// ---- errors ------------------------------------------------------------

/** Error codes of a transport that failed: the client, not the request, is at fault. */
const CONNECTION_ERROR_CODES = new Set<string>([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPROTO",
  "ERR_SOCKET_CLOSED",
  "ERR_STREAM_DESTROYED",
  "ERR_HTTP2_STREAM_ERROR",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "REQUEST_SEND_ERROR", // @azure/core-rest-pipeline's code for a request that never got an answer
  "TimeoutError", // @azure/cosmos: no answer within connectionPolicy.requestTimeout
  // TLS: a handshake that fails will fail again on this client's agent.
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

const CONNECTION_ERROR_MESSAGE =
  /socket hang up|other side closed|connection (was )?(reset|closed|refused)|client (has been |is |was )?(closed|disposed)|session is closed/i;

/**
 * Tells whether an error thrown by a Cosmos operation shows that the client's
 * connection is broken (connection reset or refused, socket hang-up, TLS
 * failure, request timeout, a closed client), as opposed to an answer from the
 * service. Answers with an HTTP status (404, 409, 412, 429, 5xx) and aborts by
 * the caller are not connection errors. `ManagedCosmos` invalidates a pooled
 * client when its `use` callback throws such an error.
 *
 * @param error What an operation threw.
 * @returns Whether the client that threw it should be replaced.
 *
 * @example Classifying errors
 * ```ts
 * import { isCosmosConnectionError } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
 * assert.equal(isCosmosConnectionError(reset), true);
 * const notFound = Object.assign(new Error("Entity not found"), { code: 404 });
 * assert.equal(isCosmosConnectionError(notFound), false);
 * ```
 */
export function isCosmosConnectionError(error: unknown): boolean {
  // A wrapped transport error keeps the original as `cause`; look a few levels down.
  for (let depth = 0; depth < 4; depth++) {
    if (typeof error !== "object" || error === null) return false;
    const { name, code, statusCode, message } = error as {
      name?: unknown;
      code?: unknown;
      statusCode?: unknown;
      message?: unknown;
    };
    if (name === "AbortError") return false;
    // The service answered: the connection works.
    if (typeof statusCode === "number" || typeof code === "number") {
      return false;
    }
    if (typeof code === "string") {
      if (CONNECTION_ERROR_CODES.has(code)) return true;
      if (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")) {
        return true;
      }
    }
    if (typeof message === "string" && CONNECTION_ERROR_MESSAGE.test(message)) {
      return true;
    }
    error = (error as { cause?: unknown }).cause;
  }
  return false;
}

// ---- options -------------------------------------------------------------

/**
 * `CosmosClientOptions` minus what the Cosmos clients of this module set
 * themselves (endpoint and credentials).
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
 * import type { CosmosConnectionOptions } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * const options: CosmosConnectionOptions = {
 *   endpoint: "https://myaccount.documents.azure.com:443/",
 *   dbname: "shop",
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
  dbname: string;
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

/** The resolved connection settings; `key` is kept out of logs. */
interface ResolvedConnection {
  endpoint: string;
  host: string;
  dbname: string;
  containerName: string;
  credential: TokenCredential | undefined;
  credentialFactory:
    | (() => TokenCredential | Promise<TokenCredential>)
    | undefined;
  key: string | undefined;
  agentFactory: (() => Agent) | undefined;
  clientOptions: CosmosClientExtraOptions;
}

function resolveConnection(owner: string, given: unknown): ResolvedConnection {
  const options = requireOptions<CosmosConnectionOptions>(owner, given);
  const dbname = requireName(owner, "dbname", options.dbname);
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
      [
        "AccountEndpoint",
        "AccountKey",
      ],
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
  forbidFields(owner, "clientOptions", options.clientOptions, [
    "endpoint",
    "key",
    "aadCredentials",
    "connectionString",
    "tokenProvider",
    "resourceTokens",
    "permissionFeed",
  ]);
  return {
    endpoint: url.href,
    host: url.host,
    dbname,
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

// ---- connector -----------------------------------------------------------

/** What a client owns and must release with it. */
interface Owned {
  client: CosmosClient;
  credential: TokenCredential | undefined;
  agent: Agent | undefined;
}

/**
 * Opens, proves and closes Cosmos container clients for a
 * {@linkcode ConnectionPool}: `create` makes a `CosmosClient` and its database
 * and container proxies (no I/O), `ready` reads the container (retried once),
 * `close` disposes the client and whatever the connector made for it (a
 * credential from `credentialFactory`, an agent from `agentFactory`).
 *
 * @example Opening one container client by hand
 * ```ts
 * import { CosmosConnector } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * const connector = new CosmosConnector({
 *   endpoint: "https://localhost:8081",
 *   dbname: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 * });
 * const container = await connector.create(new AbortController().signal);
 * assert.equal(container.id, "orders");
 * assert.equal(container.database.id, "shop");
 * await connector.close(container);
 * ```
 */
export class CosmosConnector implements Connector<Container> {
  readonly #settings: ResolvedConnection;
  readonly #owned = new Map<Container, Owned>();

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the container is and how to authenticate.
   * @throws {TypeError} When an option is missing or invalid (the message
   * names it and never echoes a key or connection string).
   */
  constructor(options: CosmosConnectionOptions) {
    this.#settings = resolveConnection("CosmosConnector", options);
  }

  /** The endpoint's host (and port), safe to log. */
  get host(): string {
    return this.#settings.host;
  }

  /**
   * Makes a `CosmosClient` and returns its container proxy. No request is sent.
   *
   * @param signal Aborts the creation (checked before and after the
   * credential factory).
   * @returns The container proxy; `container.database.client` is its client.
   * @throws {unknown} What the credential factory, the agent factory or the
   * `CosmosClient` constructor threw, or the signal's reason.
   */
  async create(signal: AbortSignal): Promise<Container> {
    signal.throwIfAborted();
    const settings = this.#settings;
    let credential = settings.credential;
    let ownedCredential: TokenCredential | undefined;
    if (settings.credentialFactory !== undefined) {
      credential = ownedCredential = await settings.credentialFactory();
    }
    let agent: Agent | undefined;
    try {
      signal.throwIfAborted();
      agent = settings.agentFactory?.();
      const extra = settings.clientOptions;
      const options: CosmosClientOptions = {
        ...extra,
        // The SDK writes into these objects; give each client its own copies.
        connectionPolicy: { ...extra.connectionPolicy },
        defaultHeaders: { ...extra.defaultHeaders },
        endpoint: settings.endpoint,
      };
      if (agent !== undefined) options.agent = agent;
      if (settings.key !== undefined) options.key = settings.key;
      else options.aadCredentials = credential;
      const client = new CosmosClient(options);
      const container = client.database(settings.dbname).container(
        settings.containerName,
      );
      this.#owned.set(container, {
        client,
        credential: ownedCredential,
        agent,
      });
      return container;
    } catch (error) {
      agent?.destroy();
      await closeCredential(ownedCredential);
      throw error;
    }
  }

  /**
   * Proves the client works by reading the container; one failed read is
   * retried once.
   *
   * @param container A container proxy from `create`.
   * @param signal Aborts the reads.
   * @returns `true` once a read succeeded.
   * @throws {unknown} The SDK's error from the second failed read (for a
   * wrong database or container name, an error with `code` 404), or the
   * signal's reason.
   */
  async ready(container: Container, signal: AbortSignal): Promise<boolean> {
    let failure: unknown;
    for (let attempt = 1; attempt <= 2; attempt++) {
      signal.throwIfAborted();
      try {
        await container.read({ abortSignal: signal });
        return true;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        failure = error;
        logger.info(
          `Cosmos ${this.#settings.host} readiness read #${attempt} of ${container.database.id}/${container.id} failed: ${
            errorLabel(error)
          }`,
        );
      }
    }
    throw failure;
  }

  /**
   * Disposes the client behind `container`, destroys the agent made by
   * `agentFactory` and closes the credential made by `credentialFactory`.
   * Closing an unknown or already closed container does nothing.
   *
   * @param container A container proxy from `create`.
   */
  async close(container: Container): Promise<void> {
    const owned = this.#owned.get(container);
    if (owned === undefined) return;
    this.#owned.delete(container);
    try {
      owned.client.dispose();
    } finally {
      owned.agent?.destroy();
      await closeCredential(owned.credential);
    }
  }
}

async function closeCredential(
  credential: TokenCredential | undefined,
): Promise<void> {
  const close = (credential as { close?: unknown } | undefined)?.close;
  if (typeof close !== "function") return;
  try {
    await close.call(credential);
  } catch (error) {
    // Nothing the caller can act on: the client is gone either way.
    logger.info(`Closing a Cosmos credential failed: ${errorLabel(error)}`);
  }
}

// ---- leases ----------------------------------------------------------------

/**
 * A caller's hold on a container client. Give it back with `release()` or
 * `await using`; call `invalidate()` after an error that
 * {@linkcode isCosmosConnectionError} recognises, so the client is replaced.
 *
 * @example Holding a container with `await using`
 * ```ts ignore
 * await using lease = await cosmos.getContainerClient();
 * await lease.container.items.upsert({ id: "1", pk: "a" });
 * ```
 */
export interface ContainerLease extends AsyncDisposable {
  /** The container proxy. */
  readonly container: Container;
  /** Whether `release()` or `invalidate()` was called. */
  readonly released: boolean;
  /** Gives the container back; calling it again does nothing. */
  release(): void;
  /**
   * Marks the client broken: no new caller gets it and it closes when its
   * last caller leaves. Also releases this lease.
   */
  invalidate(): void;
}

/**
 * Options of one operation of a Cosmos client.
 *
 * @example Bounding an operation
 * ```ts
 * import type { CosmosOperationOptions } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * const options: CosmosOperationOptions = { abortSignal: AbortSignal.timeout(5000) };
 * assert.ok(options.abortSignal);
 * ```
 */
export interface CosmosOperationOptions {
  /**
   * Cancels waiting for a client (the promise rejects with the signal's
   * reason). Pass it on to the SDK calls inside a `use` callback.
   * @default {undefined}
   */
  abortSignal?: AbortSignal;
  /**
   * How long to wait for a pooled client (`ManagedCosmos` only).
   * @default {acquireTimeoutSeconds}
   */
  timeoutSeconds?: number;
}

// ---- ManagedCosmos ---------------------------------------------------------

/**
 * Options of {@linkcode ManagedCosmos}: the connection, then the pool.
 * Defaults follow the Python original's `ManagedCosmos` (idle 30 s, lifespan
 * 60 s).
 *
 * @example Tuning the pool
 * ```ts
 * import type { ManagedCosmosOptions } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * const options: ManagedCosmosOptions = {
 *   endpoint: "https://myaccount.documents.azure.com:443/",
 *   dbname: "shop",
 *   containerName: "orders",
 *   key: "<account key>",
 *   maxSize: 4,
 *   clientLimit: 50,
 * };
 * assert.equal(options.maxSize, 4);
 * ```
 */
export interface ManagedCosmosOptions extends CosmosConnectionOptions {
  /**
   * Concurrent callers one client serves at most.
   * @default {100}
   */
  clientLimit?: number;
  /**
   * Clients the pool holds at most.
   * @default {10}
   */
  maxSize?: number;
  /**
   * A client idle this long is closed.
   * @default {30}
   */
  maxIdleSeconds?: number;
  /**
   * A client older than this takes no new callers and closes when its last
   * caller leaves; `null` means no limit.
   * @default {60}
   */
  maxLifespanSeconds?: number | null;
  /**
   * Clients being opened at once, at most.
   * @default {Math.max(1, Math.floor(maxSize / 3))}
   */
  maxConcurrentCreates?: number;
  /**
   * How long a caller waits for a client before `ConnectionsExhausted`.
   * @default {60}
   */
  acquireTimeoutSeconds?: number;
  /**
   * How long opening one client (creating it and reading the container) may
   * take.
   * @default {10}
   */
  createTimeoutSeconds?: number;
  /**
   * First delay after a failed open; doubles per failure.
   * @default {0.1}
   */
  initialBackoffSeconds?: number;
  /**
   * Longest delay between attempts to open after failures.
   * @default {30}
   */
  maxBackoffSeconds?: number;
  /**
   * The pool's name in log lines and errors.
   * @default {"cosmos:<host>/<dbname>/<containerName>"}
   */
  name?: string;
  /**
   * The pool's clock; tests pass a fake one.
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * A pool of Cosmos container clients: callers share up to `maxSize` clients,
 * at most `clientLimit` at a time each; clients are recycled after
 * `maxIdleSeconds` idle or `maxLifespanSeconds` of age, and one whose
 * operation fails with a connection error ({@linkcode isCosmosConnectionError})
 * is replaced. Nothing is opened until first use.
 *
 * @example Constructing and closing (no request is sent)
 * ```ts
 * import { ManagedCosmos } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * const cosmos = new ManagedCosmos({
 *   endpoint: "https://localhost:8081",
 *   dbname: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 *   maxSize: 4,
 * });
 * assert.equal(cosmos.pool.stats().size, 0);
 * await cosmos.close();
 * assert.equal(cosmos.pool.closed, true);
 * ```
 *
 * @example Using a container (needs a Cosmos account)
 * ```ts ignore
 * import { ManagedCosmos } from "./_cosmos.ts";
 * import { DefaultAzureCredential } from "@azure/identity";
 *
 * const cosmos = new ManagedCosmos({
 *   endpoint: "https://myaccount.documents.azure.com:443/",
 *   dbname: "shop",
 *   containerName: "orders",
 *   credential: new DefaultAzureCredential(),
 * });
 * const order = await cosmos.use(async (container) => {
 *   const { resource } = await container.item("o-1", "customer-7").read();
 *   return resource;
 * });
 * await cosmos.close();
 * ```
 */
export class ManagedCosmos implements AsyncDisposable {
  /** The pool, for `stats()`, `readyConnectionCount` and `warm()`. */
  readonly pool: ConnectionPool<Container>;
  /** The connector the pool opens clients with. */
  readonly connector: CosmosConnector;

  /**
   * Checks the options and makes the pool; opens nothing.
   *
   * @param options The connection and the pool's options.
   * @throws {TypeError} When a connection option is missing or invalid, or
   * two credentials are given (the message names the options, never a key).
   * @throws {RangeError} When a pool option is out of range (the message
   * names the option and the value).
   */
  constructor(options: ManagedCosmosOptions) {
    const settings = resolveConnection("ManagedCosmos", options);
    this.connector = new CosmosConnector(options);
    this.pool = new ConnectionPool(
      this.connector,
      poolOptionsOf(options, {
        maxIdleSeconds: 30,
        maxLifespanSeconds: 60,
        createTimeoutSeconds: 10,
        name:
          `cosmos:${settings.host}/${settings.dbname}/${settings.containerName}`,
        isConnectionError: isCosmosConnectionError,
      }),
    );
  }

  /**
   * Runs `fn` with a pooled container client and gives the client back when
   * `fn` settles. If `fn` throws a connection error
   * ({@linkcode isCosmosConnectionError}), that client is invalidated; the
   * error is re-thrown unchanged either way.
   *
   * @typeParam T What `fn` resolves to.
   * @param fn The work; it receives the container proxy.
   * @param options An abort signal and an acquire timeout.
   * @returns What `fn` returned.
   * @throws {ConnectionsExhausted} When no client had capacity in time.
   * @throws {ConnectionFailed} When opening a client failed (`cause` is the
   * SDK's error, for example a 404 for a wrong container name).
   * @throws {PoolClosed} After `close()`.
   *
   * @example Reading an item (needs a Cosmos account)
   * ```ts ignore
   * const { resource } = await cosmos.use((container) => container.item("1", "a").read());
   * ```
   */
  use<T>(
    fn: (container: Container) => T | Promise<T>,
    options?: CosmosOperationOptions,
  ): Promise<T> {
    return this.pool.use(
      (container) => fn(container),
      poolCallOptions(options),
    );
  }

  /**
   * Takes a pooled container client until the lease is released (or
   * disposed with `await using`). After a connection error call
   * `lease.invalidate()`.
   *
   * @param options An abort signal and an acquire timeout.
   * @returns The lease.
   * @throws {ConnectionsExhausted} When no client had capacity in time.
   * @throws {ConnectionFailed} When opening a client failed.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Holding a container (needs a Cosmos account)
   * ```ts ignore
   * await using lease = await cosmos.getContainerClient();
   * await lease.container.items.create({ id: "1", pk: "a" });
   * ```
   */
  async getContainerClient(
    options?: CosmosOperationOptions,
  ): Promise<ContainerLease> {
    const lease = await this.pool.get(poolCallOptions(options));
    return namedLease(lease, "container");
  }

  /**
   * Closes the pool: refuses new callers, waits for leases (or
   * `timeoutSeconds`), then closes every client.
   *
   * @param options How long to wait for leases.
   * @returns When every client is closed.
   */
  close(options?: CloseOptions): Promise<void> {
    return this.pool.close(options);
  }

  /**
   * Closes the pool, for `await using`.
   *
   * @returns When every client is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// ---- Cosmos ----------------------------------------------------------------

/**
 * Options of {@linkcode Cosmos}.
 *
 * @example A ten-minute client lifespan
 * ```ts
 * import type { CosmosOptions } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * const options: CosmosOptions = {
 *   endpoint: "https://myaccount.documents.azure.com:443/",
 *   dbname: "shop",
 *   containerName: "orders",
 *   key: "<account key>",
 *   clientLifespanSeconds: 600,
 * };
 * assert.equal(options.clientLifespanSeconds, 600);
 * ```
 */
export interface CosmosOptions extends CosmosConnectionOptions {
  /**
   * After this long, new callers get a new client; the old one closes when
   * its last caller leaves.
   * @default {60}
   */
  clientLifespanSeconds?: number;
  /**
   * The clock for the lifespan; tests pass a fake one.
   * @default {systemClock}
   */
  clock?: Clock;
}

/** One client of `Cosmos` and the callers holding it. */
interface Generation {
  container: Container;
  createdAt: number;
  users: number;
  retired: boolean;
}

/**
 * One Cosmos container client kept open and shared by every caller, replaced
 * after `clientLifespanSeconds` (no pool). The client is made on first use;
 * no readiness read is sent.
 *
 * @example Sharing one client (no request is sent)
 * ```ts
 * import { Cosmos } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * const cosmos = new Cosmos({
 *   endpoint: "https://localhost:8081",
 *   dbname: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 * });
 * const first = await cosmos.getContainerClient();
 * const second = await cosmos.getContainerClient();
 * assert.equal(first.container, second.container);
 * first.release();
 * second.release();
 * await cosmos.close();
 * ```
 */
export class Cosmos implements AsyncDisposable {
  /** The connector that makes the client. */
  readonly connector: CosmosConnector;
  readonly #lifespanMs: number;
  readonly #clock: Clock;
  readonly #generations = new Set<Generation>();
  #current: Generation | undefined;
  #opening: Promise<void> | undefined;
  #closed = false;

  /**
   * Checks the options; opens nothing.
   *
   * @param options The connection and the client lifespan.
   * @throws {TypeError} When a connection option is missing or invalid.
   * @throws {RangeError} When `clientLifespanSeconds` is not a positive number.
   */
  constructor(options: CosmosOptions) {
    resolveConnection("Cosmos", options);
    this.connector = new CosmosConnector(options);
    const lifespan = options.clientLifespanSeconds ?? 60;
    if (
      typeof lifespan !== "number" || !Number.isFinite(lifespan) ||
      lifespan <= 0
    ) {
      const message =
        `Cannot create Cosmos as 'clientLifespanSeconds' must be a positive number of seconds: received ${
          typeof lifespan === "number" ? lifespan : typeof lifespan
        }`;
      throw typeof lifespan === "number"
        ? new RangeError(message)
        : new TypeError(message);
    }
    this.#lifespanMs = lifespan * 1000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Takes the shared container client (making it, or a replacement after its
   * lifespan, when needed).
   *
   * @param options An abort signal.
   * @returns A lease; release it when done.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} The signal's reason, or what making the client threw.
   *
   * @example Holding the container (needs a Cosmos account)
   * ```ts ignore
   * await using lease = await cosmos.getContainerClient();
   * await lease.container.items.upsert({ id: "1", pk: "a" });
   * ```
   */
  async getContainerClient(
    options?: CosmosOperationOptions,
  ): Promise<ContainerLease> {
    const signal = options?.abortSignal;
    for (;;) {
      if (this.#closed) throw new PoolClosed("Cosmos");
      signal?.throwIfAborted();
      const current = this.#usable();
      if (current !== undefined) {
        current.users++;
        return this.#lease(current);
      }
      await (this.#opening ??= this.#open(signal).finally(
        () => (this.#opening = undefined),
      ));
    }
  }

  /**
   * Runs `fn` with the shared container client. If `fn` throws a connection
   * error ({@linkcode isCosmosConnectionError}), the client is replaced for
   * later callers; the error is re-thrown unchanged.
   *
   * @typeParam T What `fn` resolves to.
   * @param fn The work; it receives the container proxy.
   * @param options An abort signal.
   * @returns What `fn` returned.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Counting items (needs a Cosmos account)
   * ```ts ignore
   * const { resources } = await cosmos.use((c) => c.items.query("SELECT VALUE COUNT(1) FROM c").fetchAll());
   * ```
   */
  async use<T>(
    fn: (container: Container) => T | Promise<T>,
    options?: CosmosOperationOptions,
  ): Promise<T> {
    const lease = await this.getContainerClient(options);
    try {
      return await fn(lease.container);
    } catch (error) {
      if (isCosmosConnectionError(error)) lease.invalidate();
      throw error;
    } finally {
      lease.release();
    }
  }

  /**
   * Closes the client now if nobody holds it, otherwise when its last caller
   * releases it; refuses new callers with `PoolClosed`.
   *
   * @returns When the clients nobody held are closed.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#opening?.catch(() => {});
    const idle: Promise<void>[] = [];
    for (const generation of this.#generations) {
      generation.retired = true;
      if (generation.users === 0) idle.push(this.#closeGeneration(generation));
    }
    this.#current = undefined;
    await Promise.all(idle);
  }

  /**
   * Closes the client, for `await using`.
   *
   * @returns When the clients nobody held are closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #usable(): Generation | undefined {
    const current = this.#current;
    if (current === undefined) return undefined;
    if (
      !current.retired &&
      this.#clock.now() - current.createdAt < this.#lifespanMs
    ) return current;
    this.#retire(current, "lifespan");
    return undefined;
  }

  async #open(signal: AbortSignal | undefined): Promise<void> {
    const container = await this.connector.create(
      signal ?? new AbortController().signal,
    );
    const generation: Generation = {
      container,
      createdAt: this.#clock.now(),
      users: 0,
      retired: false,
    };
    this.#generations.add(generation);
    if (this.#closed) {
      await this.#closeGeneration(generation);
      return;
    }
    this.#current = generation;
    logger.info(`Cosmos ${this.connector.host} client opened`);
  }

  #retire(generation: Generation, reason: string): void {
    generation.retired = true;
    if (this.#current === generation) this.#current = undefined;
    logger.info(
      `Cosmos ${this.connector.host} client retired (${reason}), ${generation.users} callers left`,
    );
    if (generation.users === 0) {
      // not awaited: closing a Cosmos client only disposes it and its agent
      this.#closeGeneration(generation).catch(() => {});
    }
  }

  #closeGeneration(generation: Generation): Promise<void> {
    if (!this.#generations.delete(generation)) return Promise.resolve();
    return this.connector.close(generation.container);
  }

  #lease(generation: Generation): ContainerLease {
    let released = false;
    const release = (invalidate: boolean) => {
      if (released) return;
      released = true;
      if (invalidate && !generation.retired) {
        this.#retire(generation, "invalidated");
      }
      generation.users--;
      if (generation.retired && generation.users === 0) {
        // not awaited: see #retire
        this.#closeGeneration(generation).catch(() => {});
      }
    };
    return {
      container: generation.container,
      get released() {
        return released;
      },
      release: () => release(false),
      invalidate: () => release(true),
      [Symbol.asyncDispose]: () => Promise.resolve(release(false)),
    };
  }
}

// ---- SimpleCosmos ------------------------------------------------------------

/**
 * One Cosmos container client, opened by `getContainerClient()` and closed by
 * `close()`; nothing is recycled or pooled.
 *
 * @example Opening and closing (no request is sent)
 * ```ts
 * import { SimpleCosmos } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * const cosmos = new SimpleCosmos({
 *   endpoint: "https://localhost:8081",
 *   dbname: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 * });
 * const container = await cosmos.getContainerClient();
 * assert.equal(cosmos.container, container);
 * await cosmos.close();
 * assert.equal(cosmos.isOpen, false);
 * ```
 */
export class SimpleCosmos implements AsyncDisposable {
  /** The connector that makes the client. */
  readonly connector: CosmosConnector;
  #container: Container | undefined;
  #opening: Promise<Container> | undefined;

  /**
   * Checks the options; opens nothing.
   *
   * @param options The connection.
   * @throws {TypeError} When a connection option is missing or invalid.
   */
  constructor(options: CosmosConnectionOptions) {
    resolveConnection("SimpleCosmos", options);
    this.connector = new CosmosConnector(options);
  }

  /** Whether a client is open. */
  get isOpen(): boolean {
    return this.#container !== undefined;
  }

  /**
   * The open container client.
   *
   * @throws {Error} When no client is open (call `getContainerClient()` first).
   */
  get container(): Container {
    if (this.#container === undefined) {
      throw new Error(
        "Cannot use SimpleCosmos's container: call getContainerClient() first",
      );
    }
    return this.#container;
  }

  /**
   * Opens the client unless it is open, and returns its container proxy.
   *
   * @param options An abort signal.
   * @returns The container proxy.
   * @throws {unknown} The signal's reason, or what making the client threw.
   *
   * @example Opening (needs a Cosmos account)
   * ```ts ignore
   * const container = await cosmos.getContainerClient();
   * ```
   */
  async getContainerClient(
    options?: Pick<CosmosOperationOptions, "abortSignal">,
  ): Promise<Container> {
    if (this.#container !== undefined) return this.#container;
    this.#opening ??= this.connector.create(
      options?.abortSignal ?? new AbortController().signal,
    )
      .then((container) => (this.#container = container))
      .finally(() => (this.#opening = undefined));
    return await this.#opening;
  }

  /**
   * Closes the client, if open. `getContainerClient()` may open a new one
   * afterwards.
   *
   * @returns When the client is closed.
   */
  async close(): Promise<void> {
    await this.#opening?.catch(() => {});
    const container = this.#container;
    this.#container = undefined;
    if (container !== undefined) await this.connector.close(container);
  }

  /**
   * Closes the client, for `await using`.
   *
   * @returns When the client is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// ---- patch helpers -----------------------------------------------------------

/**
 * The Cosmos patch operation names, as in the Python original's `PatchOp`.
 * `set` adds a property that does not exist, while `replace` fails on one
 * that does not; `incr` adds a number; `move` moves a value from one path to
 * another.
 *
 * @example Naming an operation
 * ```ts
 * import { PatchOp } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(PatchOp.Incr, "incr");
 * ```
 */
export const PatchOp = {
  Add: "add",
  Remove: "remove",
  Replace: "replace",
  Set: "set",
  Incr: "incr",
  Move: "move",
} as const;

/** One of the {@linkcode PatchOp} names. */
export type PatchOp = (typeof PatchOp)[keyof typeof PatchOp];

/**
 * One patch instruction. For `move`, `from` is the source path; for `remove`
 * there is no value; `incr` takes a number.
 *
 * @example A list of operations
 * ```ts
 * import { type Operation, PatchOp } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * const ops: Operation[] = [
 *   { op: PatchOp.Set, path: "/status", value: "paid" },
 *   { op: PatchOp.Incr, path: "/total", value: 5 },
 *   { op: PatchOp.Move, from: "/freight", path: "/shipping" },
 * ];
 * assert.equal(ops.length, 3);
 * ```
 */
export type Operation =
  | { op: "add" | "replace" | "set"; path: string; value: unknown }
  | { op: "incr"; path: string; value: number }
  | { op: "remove"; path: string }
  | { op: "move"; from: string; path: string };

function checkPath(index: number, field: string, path: unknown): string {
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(
      `Cannot make patch operation #${index} as '${field}' must be a JSON pointer starting with '/': received ${
        typeof path === "string" ? JSON.stringify(path) : typeof path
      }`,
    );
  }
  return path;
}

/**
 * Turns {@linkcode Operation}s into the SDK's patch operations, for
 * `container.item(id, pk).patch(...)`. (The SDK's `PatchOperation` type does
 * not list `move`, which the service accepts; it is passed through as is.)
 *
 * @param operations The operations, at most 10 per request by the service.
 * @returns The SDK's patch operations.
 * @throws {TypeError} For an unknown op, a path that is not a JSON pointer, a
 * missing value, or a non-numeric `incr` value.
 *
 * @example Patching an item
 * ```ts
 * import { PatchOp, toPatchOperations } from "./_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * const ops = toPatchOperations([
 *   { op: PatchOp.Incr, path: "/total", value: 5 },
 *   { op: PatchOp.Move, from: "/freight", path: "/shipping" },
 * ]);
 * assert.deepEqual(ops, [
 *   { op: "incr", path: "/total", value: 5 },
 *   { op: "move", from: "/freight", path: "/shipping" },
 * ]);
 * ```
 */
export function toPatchOperations(
  operations: readonly Operation[],
): PatchOperation[] {
  return operations.map((operation, index): PatchOperation => {
    const { op } = operation;
    const path = checkPath(index, "path", operation.path);
    switch (op) {
      case "remove":
        return { op, path };
      case "move":
        return {
          op,
          from: checkPath(index, "from", operation.from),
          path,
        } as unknown as PatchOperation;
      case "incr":
        if (
          typeof operation.value !== "number" ||
          !Number.isFinite(operation.value)
        ) {
          throw new TypeError(
            `Cannot make patch operation #${index} as 'incr' needs a finite number: received ${typeof operation
              .value}`,
          );
        }
        return { op, path, value: operation.value };
      case "add":
      case "replace":
      case "set":
        if (!("value" in operation) || operation.value === undefined) {
          throw new TypeError(
            `Cannot make patch operation #${index} as '${op}' needs a value`,
          );
        }
        return { op, path, value: operation.value };
      default:
        throw new TypeError(
          `Cannot make patch operation #${index} as its op must be one of ${
            Object.values(PatchOp).join(", ")
          }: received ${JSON.stringify(op)}`,
        );
    }
  });
}
