/**
 * A real Cosmos DB server (`@vercel/cosmosdb-server`) started in-process on
 * 127.0.0.1 for tests, with counts of the TCP and TLS connections it accepted.
 *
 * ```
 *   test ──► CosmosClient(agent: trusts this server only) ──TLS──► https.Server :port
 *                                                                  │ "connection"       → sockets, openSockets
 *                                                                  │ "secureConnection" → tlsConnections
 * ```
 *
 * The server keeps its data in memory and forgets it when it stops listening,
 * so `restart()` re-creates the databases and containers made through
 * `ensureContainer()` before it resolves.
 *
 * @module
 */

import { CosmosClient } from "@azure/cosmos";
import { createHttpsServer } from "@vercel/cosmosdb-server";
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";

/** The Cosmos DB emulator's published account key; the test server ignores auth. */
export const EMULATOR_KEY =
  "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU9DJwa8NUZrDXvSl7yD3dfQsqvA/7uwKe4BYx5a4BQhnNnvQ==";

/** A container the server re-creates after every restart. */
interface ContainerSpec {
  database: string;
  container: string;
  partitionKeyPath: string;
}

/** Options of {@linkcode startCosmosServer}. */
export interface CosmosServerOptions {
  /**
   * The TLS certificate and key (PEM) to serve instead of the package's
   * bundled one (CN=cosmosdb, expired in 2021), so that clients can pin it
   * with an agent's `ca` instead of turning verification off.
   * @default {undefined}
   */
  certificate?: { cert: string; key: string };
}

/** A running test server; see {@linkcode startCosmosServer}. */
export interface CosmosTestServer extends AsyncDisposable {
  /** `https://127.0.0.1:<port>`; the port stays the same across restarts. */
  readonly endpoint: string;
  /** The TCP port. */
  readonly port: number;
  /** TLS handshakes completed since the server first started. */
  readonly tlsConnections: number;
  /** TCP connections accepted since the server first started. */
  readonly tcpConnections: number;
  /** TCP connections open now. */
  readonly openSockets: number;
  /** Whether the server accepts connections now. */
  readonly listening: boolean;
  /**
   * A keep-alive agent that trusts this server's expired certificate (and
   * only for the clients it is given to). The caller destroys it.
   */
  createAgent(options?: https.AgentOptions): https.Agent;
  /** Creates the database and container (partition key `/pk` by default) unless they exist. */
  ensureContainer(
    database: string,
    container: string,
    partitionKeyPath?: string,
  ): Promise<void>;
  /** Resolves once at most `count` TCP connections are open (event-driven). */
  waitForOpenSockets(count: number, timeoutMs?: number): Promise<void>;
  /**
   * Answers every request with `status` (401 or 403) and the service's
   * error body, as the service answers a wrong key or an identity without
   * its data-plane role, until {@linkcode acceptAuth}.
   */
  refuseAuth(status?: 401 | 403): void;
  /** Serves requests again after {@linkcode refuseAuth}. */
  acceptAuth(): void;
  /** Stops listening and destroys every open connection (clients see resets). */
  stop(): Promise<void>;
  /** Listens again on the same port and re-creates the ensured containers. */
  restart(): Promise<void>;
  /** Stops the server for good. */
  close(): Promise<void>;
}

/**
 * Starts `@vercel/cosmosdb-server` with `keepAlive: true` (without it the
 * server answers `Connection: close` and every request opens a new TLS
 * connection) on 127.0.0.1, port 0.
 *
 * @param options The certificate to serve.
 * @returns The running server.
 */
export async function startCosmosServer(
  options: CosmosServerOptions = {},
): Promise<CosmosTestServer> {
  const server = createHttpsServer(
    { keepAlive: true, ...options.certificate } as https.ServerOptions,
  );
  const sockets = new Set<Socket>();
  const socketWaiters = new Set<() => void>();
  const ensured: ContainerSpec[] = [];
  let tlsConnections = 0;
  let tcpConnections = 0;
  let listening = false;
  let closed = false;

  const notifySocketWaiters = () => {
    for (const waiter of [...socketWaiters]) waiter();
  };
  server.on("connection", (socket: Socket) => {
    tcpConnections++;
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      notifySocketWaiters();
    });
  });
  server.on("secureConnection", () => void tlsConnections++);
  // A refusal answers before the server's own handler sees the request.
  let refusing: 401 | 403 | undefined;
  const handlers = server.listeners("request") as Array<
    (request: IncomingMessage, response: ServerResponse) => void
  >;
  server.removeAllListeners("request");
  server.on(
    "request",
    (request: IncomingMessage, response: ServerResponse) => {
      if (refusing === undefined) {
        for (const handler of handlers) handler.call(server, request, response);
        return;
      }
      request.resume();
      response.writeHead(refusing, { "content-type": "application/json" });
      response.end(JSON.stringify(
        refusing === 401
          ? {
            code: "Unauthorized",
            message:
              "The input authorization token can't serve the request. The wrong key is being used or the expected payload is not built as per the protocol.",
          }
          : {
            code: "Forbidden",
            message:
              "Request blocked by Auth: the principal does not have the required data-plane role.",
          },
      ));
    },
  );
  // A client that gives up mid-handshake makes the TLS layer emit this; it is
  // not a test failure.
  server.on("tlsClientError", () => {});

  const listen = async (port: number) => {
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    listening = true;
  };
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const endpoint = `https://127.0.0.1:${port}`;

  const createAgent = (options?: https.AgentOptions) =>
    new https.Agent({ keepAlive: true, ...options, rejectUnauthorized: false });

  const create = async (spec: ContainerSpec) => {
    const agent = createAgent();
    const client = new CosmosClient({
      endpoint,
      key: EMULATOR_KEY,
      agent,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    try {
      const { database } = await client.databases.createIfNotExists({
        id: spec.database,
      });
      await database.containers.createIfNotExists({
        id: spec.container,
        partitionKey: { paths: [spec.partitionKeyPath] },
      });
    } finally {
      client.dispose();
      agent.destroy();
    }
  };

  const stop = async () => {
    if (!listening) return;
    listening = false;
    const closing = new Promise<void>((resolve) =>
      server.close(() => resolve())
    );
    for (const socket of sockets) socket.destroy();
    await closing;
  };

  const self: CosmosTestServer = {
    endpoint,
    port,
    get tlsConnections() {
      return tlsConnections;
    },
    get tcpConnections() {
      return tcpConnections;
    },
    get openSockets() {
      return sockets.size;
    },
    get listening() {
      return listening;
    },
    createAgent,
    async ensureContainer(database, container, partitionKeyPath = "/pk") {
      const spec = { database, container, partitionKeyPath };
      await create(spec);
      ensured.push(spec);
    },
    waitForOpenSockets(count, timeoutMs = 5000) {
      if (sockets.size <= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          socketWaiters.delete(check);
          reject(
            new Error(
              `Waited ${timeoutMs} ms for ${count} open sockets: ${sockets.size} still open`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (sockets.size > count) return;
          clearTimeout(timer);
          socketWaiters.delete(check);
          resolve();
        };
        socketWaiters.add(check);
      });
    },
    refuseAuth(status = 401) {
      if (status !== 401 && status !== 403) {
        throw new RangeError(
          `Cannot refuse auth as 'status' must be 401 or 403: received ${
            String(status)
          }`,
        );
      }
      refusing = status;
    },
    acceptAuth() {
      refusing = undefined;
    },
    stop,
    async restart() {
      if (closed) {
        throw new Error("Cannot restart the Cosmos test server: it is closed");
      }
      if (listening) return;
      await listen(port);
      for (const spec of ensured) await create(spec);
    },
    async close() {
      if (closed) return;
      closed = true;
      await stop();
    },
    [Symbol.asyncDispose]() {
      return self.close();
    },
  };
  return self;
}
