/**
 * `startLocalCosmos`: a Cosmos DB account on 127.0.0.1 that the real
 * `@azure/cosmos` SDK (and `ManagedCosmos`) talks to, over TLS with a
 * certificate that only the agents it hands out trust.
 *
 * @module
 */

import https from "node:https";
import type { CosmosTestServer } from "./cosmos_server.ts";
import {
  checkLatencyOption,
  checkLatencySeconds,
  checkOptions,
  describe,
} from "./_options.ts";
import { type LatencyProxy, startLatencyProxy } from "./_latency_proxy.ts";
import { TEST_CERT_PEM, TEST_KEY_PEM } from "./_amqp_test_cert.ts";

const OWNER = "startLocalCosmos";

/** A database and container that {@linkcode startLocalCosmos} creates (and re-creates on `restart()`). */
export interface LocalCosmosContainer {
  /** The database id. */
  database: string;
  /** The container id. */
  container: string;
  /**
   * The partition key path.
   * @default {"/pk"}
   */
  partitionKeyPath?: string;
}

/**
 * Options of {@linkcode startLocalCosmos}.
 *
 * @example One container partitioned by customer
 * ```ts
 * import type { LocalCosmosOptions } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const options: LocalCosmosOptions = {
 *   containers: [{ database: "shop", container: "orders", partitionKeyPath: "/customerId" }],
 * };
 * assert.equal(options.containers?.length, 1);
 * ```
 */
export interface LocalCosmosOptions {
  /**
   * Databases and containers to create before the server is handed out.
   * @default {[]}
   */
  containers?: readonly LocalCosmosContainer[];
  /**
   * A one-way network latency, in seconds, added to every chunk in each
   * direction by a loopback TCP proxy in front of the server (TLS passes
   * through it untouched; a request and its response cost at least twice
   * this). Given (even 0), `endpoint` points at the proxy and `setLatency()`
   * can change it later; not given, clients connect to the server directly.
   * @default {0}
   */
  latencySeconds?: number;
}

/**
 * What a plain `new CosmosClient(...)` needs for a local server: spread it
 * into `CosmosClientOptions`. The agent is the server's to destroy.
 */
export interface LocalCosmosClientOptions {
  /** `https://127.0.0.1:<port>`. */
  endpoint: string;
  /** The account key (the server accepts any). */
  key: string;
  /** A keep-alive agent that trusts this server's certificate only. */
  agent: https.Agent;
  /** Endpoint discovery off: the account lists no other regions. */
  connectionPolicy: { enableEndpointDiscovery: boolean };
}

/**
 * What `ManagedCosmos`, `Cosmos` or `SimpleCosmos` need for a local server:
 * spread it into their options and add `databaseName` and `containerName`.
 */
export interface LocalCosmosConnectionOptions {
  /** `https://127.0.0.1:<port>`. */
  endpoint: string;
  /** The account key (the server accepts any). */
  key: string;
  /** Makes one agent per client that trusts this server's certificate only. */
  agentFactory: () => https.Agent;
  /** Endpoint discovery off: the account lists no other regions. */
  clientOptions: { connectionPolicy: { enableEndpointDiscovery: boolean } };
}

/** A snapshot of a local Cosmos server's connection counts, since it started. */
export interface LocalCosmosStats {
  /** TCP connections accepted. */
  tcpConnections: number;
  /** TLS handshakes completed. */
  tlsConnections: number;
  /** TCP connections open now. */
  openConnections: number;
}

/** A running local Cosmos DB account; see {@linkcode startLocalCosmos}. */
export interface LocalCosmos extends AsyncDisposable {
  /** `https://127.0.0.1:<port>`; the port stays the same across restarts. */
  readonly endpoint: string;
  /** An account key (the server does not check it; see `refuseAuth`). */
  readonly key: string;
  /** The port on 127.0.0.1 (the latency proxy's, with `latencySeconds`). */
  readonly port: number;
  /** Whether the server accepts connections now (false between `stop()` and `restart()`). */
  readonly listening: boolean;
  /**
   * A keep-alive agent that trusts this server's certificate (pinned as its
   * only CA) and nothing else, for the clients it is given to. `close()`
   * destroys it.
   *
   * @param options Further agent options (`maxSockets`, …); `ca` is set.
   * @returns The agent.
   */
  createAgent(options?: https.AgentOptions): https.Agent;
  /**
   * Options for a plain `CosmosClient`, with a new agent from
   * {@linkcode LocalCosmos.createAgent}.
   *
   * @returns `{ endpoint, key, agent, connectionPolicy }`.
   */
  clientOptions(): LocalCosmosClientOptions;
  /**
   * Options for this package's Cosmos clients, whose `agentFactory` makes
   * one agent per pooled client (destroyed with it).
   *
   * @returns `{ endpoint, key, agentFactory, clientOptions }`.
   */
  connectionOptions(): LocalCosmosConnectionOptions;
  /**
   * Creates a database and container unless they exist; `restart()`
   * re-creates them.
   *
   * @param database The database id.
   * @param container The container id.
   * @param partitionKeyPath The partition key path.
   * @returns When both exist.
   */
  ensureContainer(
    database: string,
    container: string,
    partitionKeyPath?: string,
  ): Promise<void>;
  /**
   * Connection counts since the server started.
   *
   * @returns A fresh snapshot.
   */
  stats(): LocalCosmosStats;
  /**
   * Changes the one-way latency that the proxy adds to every chunk in each
   * direction (a round trip costs twice this); chunks already on their way
   * keep their delay and their order. Only for a server started with
   * `latencySeconds` (0 is fine).
   *
   * @param seconds The one-way delay; 0 forwards at once.
   * @throws {RangeError} When `seconds` is not a finite number >= 0.
   * @throws {Error} When the server was started without `latencySeconds`.
   */
  setLatency(seconds: number): void;
  /**
   * Answers every request with 401 (or 403) and the service's error body,
   * as the service answers a wrong key (or an identity without its
   * data-plane role), until {@linkcode acceptAuth}. The server itself does
   * not check keys: this is how a test sees what a refused credential does.
   *
   * @param status 401 (the default) or 403.
   * @throws {RangeError} For another status.
   */
  refuseAuth(status?: 401 | 403): void;
  /** Serves requests again after {@linkcode refuseAuth}. */
  acceptAuth(): void;
  /**
   * Stops listening and resets every open connection, as an outage would:
   * requests fail with connection errors until `restart()`.
   *
   * @returns When the listener is closed.
   */
  stop(): Promise<void>;
  /**
   * Listens again on the same port. The server keeps its data in memory
   * only, so it comes back empty except for the containers from `options`
   * and `ensureContainer()`, which it re-creates before resolving.
   *
   * @returns When it serves again.
   * @throws {Error} After `close()`.
   */
  restart(): Promise<void>;
  /**
   * Stops the server for good and destroys every agent it handed out.
   * Calling it again does nothing.
   *
   * @returns When the listener is closed.
   */
  close(): Promise<void>;
}

function checkContainers(value: unknown): LocalCosmosContainer[] {
  if (value === undefined) return [];
  const valid = Array.isArray(value) &&
    value.every((spec) =>
      typeof spec === "object" && spec !== null &&
      typeof spec.database === "string" && spec.database.length > 0 &&
      typeof spec.container === "string" && spec.container.length > 0 &&
      (spec.partitionKeyPath === undefined ||
        (typeof spec.partitionKeyPath === "string" &&
          spec.partitionKeyPath.startsWith("/")))
    );
  if (!valid) {
    throw new TypeError(
      `Cannot start ${OWNER} as 'containers' must be an array of { database, container, partitionKeyPath? } with non-empty ids and a path starting with '/': received ${
        describe(value)
      }`,
    );
  }
  return [...value];
}

/**
 * Starts a Cosmos DB account (`@vercel/cosmosdb-server`, in memory) on
 * 127.0.0.1 and an ephemeral port, in this process, on Deno, Node.js and
 * Bun. The real `@azure/cosmos` SDK talks to it over HTTPS: databases,
 * containers, item create/read/upsert/replace/patch/delete, queries, batch,
 * bulk and the change feed. Its certificate is trusted only through the
 * agents it hands out ({@linkcode LocalCosmos.clientOptions},
 * {@linkcode LocalCosmos.connectionOptions}); nothing process-wide changes.
 * It is a test server, not an emulator: it ignores auth and a query's
 * `partitionKey` option (put the partition filter in the SQL), and batch
 * operations need their own `partitionKey`. It loads the npm package
 * `@vercel/cosmosdb-server` (a dev dependency of your tests) when called.
 *
 * @param options The containers to create.
 * @returns The running server; `close()` it when the test ends.
 * @throws {TypeError} When an option is unknown or malformed.
 * @throws {Error} When `@vercel/cosmosdb-server` cannot be loaded.
 *
 * @example A managed client against a local container
 * ```ts
 * import { startLocalCosmos } from "@azure-clients/toolbox/testing/servers";
 * import { ManagedCosmos } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const server = await startLocalCosmos({
 *   containers: [{ database: "shop", container: "orders" }],
 * });
 * const cosmos = new ManagedCosmos({
 *   ...server.connectionOptions(),
 *   databaseName: "shop",
 *   containerName: "orders",
 * });
 * try {
 *   await cosmos.use((c) => c.items.create({ id: "o-1", pk: "c-7", total: 42 }));
 *   const { resource } = await cosmos.use((c) => c.item("o-1", "c-7").read());
 *   assert.equal(resource?.total, 42);
 * } finally {
 *   await cosmos.close();
 *   await server.close();
 * }
 * ```
 *
 * @example A plain CosmosClient, and an outage
 * ```ts
 * import { startLocalCosmos } from "@azure-clients/toolbox/testing/servers";
 * import { CosmosClient } from "@azure/cosmos";
 * import assert from "node:assert/strict";
 *
 * const server = await startLocalCosmos();
 * const client = new CosmosClient(server.clientOptions());
 * try {
 *   await client.databases.createIfNotExists({ id: "shop" });
 *   await server.stop();
 *   await assert.rejects(client.database("shop").read());
 *   await server.restart();
 *   const { statusCode } = await client.databases.createIfNotExists({ id: "shop" });
 *   assert.equal(statusCode, 201); // the restarted server came back empty
 * } finally {
 *   client.dispose();
 *   await server.close();
 * }
 * ```
 */
export async function startLocalCosmos(
  options?: LocalCosmosOptions,
): Promise<LocalCosmos> {
  const given = checkOptions<LocalCosmosOptions>(OWNER, options, [
    "containers",
    "latencySeconds",
  ]);
  const containers = checkContainers(given.containers);
  const latency = checkLatencyOption(OWNER, given.latencySeconds);
  let startCosmosServer: typeof import("./cosmos_server.ts").startCosmosServer;
  let key: string;
  try {
    // Loaded here, not at import: `./testing/servers` needs no package that
    // the caller's tests do not use.
    ({ startCosmosServer, EMULATOR_KEY: key } = await import(
      "./cosmos_server.ts"
    ));
  } catch (cause) {
    throw new Error(
      `Cannot start ${OWNER}: loading the npm package '@vercel/cosmosdb-server' failed (install it as a dev dependency)`,
      { cause },
    );
  }
  const server: CosmosTestServer = await startCosmosServer({
    certificate: { cert: TEST_CERT_PEM, key: TEST_KEY_PEM },
  });
  let proxy: LatencyProxy | undefined;
  const agents = new Set<https.Agent>();
  const createAgent = (agentOptions?: https.AgentOptions): https.Agent => {
    const agent = new https.Agent({
      keepAlive: true,
      ...agentOptions,
      ca: TEST_CERT_PEM,
    });
    agents.add(agent);
    return agent;
  };
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      for (const agent of agents) agent.destroy();
      agents.clear();
      await Promise.all([proxy?.close(), server.close()]);
    })();
    return closed;
  };
  try {
    for (const spec of containers) {
      await server.ensureContainer(
        spec.database,
        spec.container,
        spec.partitionKeyPath,
      );
    }
    if (latency !== undefined) {
      proxy = await startLatencyProxy({
        targetPort: server.port,
        latencyMs: latency * 1000,
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  // Clients connect to the proxy when there is one.
  const port = proxy?.port ?? server.port;
  const endpoint = `https://127.0.0.1:${port}`;
  const connectionPolicy = () => ({ enableEndpointDiscovery: false });
  const self: LocalCosmos = {
    endpoint,
    key,
    port,
    get listening(): boolean {
      return server.listening;
    },
    createAgent,
    clientOptions: () => ({
      endpoint,
      key,
      agent: createAgent(),
      connectionPolicy: connectionPolicy(),
    }),
    connectionOptions: () => ({
      endpoint,
      key,
      agentFactory: () => createAgent(),
      clientOptions: { connectionPolicy: connectionPolicy() },
    }),
    ensureContainer: (database, container, partitionKeyPath) =>
      server.ensureContainer(database, container, partitionKeyPath),
    stats: () => ({
      tcpConnections: server.tcpConnections,
      tlsConnections: server.tlsConnections,
      openConnections: server.openSockets,
    }),
    setLatency(seconds: number): void {
      const checked = checkLatencySeconds(
        "set the latency",
        "seconds",
        seconds,
      );
      if (proxy === undefined) {
        throw new Error(
          `Cannot set the latency: start ${OWNER} with 'latencySeconds' (0 is fine) to put a delaying proxy in front of it`,
        );
      }
      proxy.latencyMs = checked * 1000;
    },
    refuseAuth: (status?: 401 | 403) => server.refuseAuth(status),
    acceptAuth: () => server.acceptAuth(),
    stop: async () => {
      await Promise.all([proxy?.stop(), server.stop()]);
    },
    restart: async () => {
      await server.restart();
      await proxy?.restart();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  return self;
}
