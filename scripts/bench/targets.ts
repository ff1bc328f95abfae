/**
 * Backends of `deno task bench --target`: a managed client per grid cell,
 * against a local server started in this process (127.0.0.1, port 0), or with
 * `--azure` against the real account named in environment variables. Loaded
 * by dynamic import only, so the default run never loads an Azure SDK.
 *
 * Operations: Cosmos point reads; one Service Bus message or one event per
 * send, through the managed client's lease (`getSender`, `getProducer`), so
 * that the acquire wait is measured. Against Azure, Cosmos reads an item that
 * does not exist (a 404 costs one RU and writes nothing); Service Bus and
 * Event Hubs do send, to the queue and hub you name.
 *
 * @module
 */

import { BenchArgsError, type BenchTarget } from "./args.ts";
import type { PoolStats } from "../../mod.ts";
import { poolFigures } from "./pool_figures.ts";
import type { BenchBackend, BenchSubject } from "./runner.ts";
import type { PoolSettings } from "./types.ts";

/** How to open a target backend. */
export interface TargetOptions {
  /** Use the real Azure account from `env` instead of a local server. */
  azure: boolean;
  /** The environment variables. */
  env: Record<string, string>;
}

/** The pool options every managed client takes from a grid cell. */
function poolOptions(settings: PoolSettings, acquireTimeoutSeconds: number) {
  return {
    clientLimit: settings.clientLimit,
    maxSize: settings.maxSize,
    maxConcurrentCreates: settings.maxConcurrentCreates,
    acquireTimeoutSeconds,
  };
}

function required(
  env: Record<string, string>,
  names: string[],
  target: string,
): string[] {
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new BenchArgsError(
      `Invalid --azure: --target ${target} needs the environment variables ${
        names.join(", ")
      }; ` +
        `missing: ${missing.join(", ")}`,
    );
  }
  return names.map((name) => env[name]);
}

/** The host of a URL or of a connection string's Endpoint, never a key. */
function hostOf(endpointOrConnectionString: string): string {
  const match = /(?:^|;)\s*(?:Endpoint|AccountEndpoint)\s*=\s*([^;]+)/i.exec(
    endpointOrConnectionString,
  );
  const url = match ? match[1] : endpointOrConnectionString;
  try {
    return new URL(url).host;
  } catch {
    return "(unparsed endpoint)";
  }
}

async function cosmosBackend(options: TargetOptions): Promise<BenchBackend> {
  const [{ ManagedCosmos }, { CosmosClient }] = await Promise.all([
    import("../../src/cosmos/mod.ts"),
    import("@azure/cosmos"),
  ]);
  const connectionPolicy = { enableEndpointDiscovery: false };
  if (options.azure) {
    const [endpoint, key, databaseName, containerName] = required(
      options.env,
      [
        "AZURE_COSMOS_ENDPOINT",
        "AZURE_COSMOS_KEY",
        "AZURE_COSMOS_DATABASE",
        "AZURE_COSMOS_CONTAINER",
      ],
      "cosmos",
    );
    return {
      label: `ManagedCosmos against Azure Cosmos DB ${hostOf(endpoint)} ` +
        `(${databaseName}/${containerName}): point reads of a missing item`,
      reportsAcquire: true,
      open(settings, acquireTimeoutSeconds): Promise<BenchSubject> {
        const cosmos = new ManagedCosmos({
          endpoint,
          key,
          databaseName,
          containerName,
          ...poolOptions(settings, acquireTimeoutSeconds),
        });
        return Promise.resolve({
          request: (onAcquired) =>
            cosmos.use(async (container) => {
              onAcquired();
              // A 404 is an answer, not an error: the round trip is what is measured.
              await container.item(
                "azure-clients-toolbox-bench-missing",
                "none",
              ).read();
            }),
          stats: () => poolFigures(cosmos.pool.stats()),
          close: () => cosmos.close(),
        });
      },
      close: () => Promise.resolve(),
    };
  }
  const { startCosmosServer, EMULATOR_KEY } = await import(
    "../../src/testing/servers/cosmos_server.ts"
  );
  const server = await startCosmosServer();
  const databaseName = "bench";
  const containerName = "items";
  await server.ensureContainer(databaseName, containerName);
  {
    const agent = server.createAgent();
    const client = new CosmosClient({
      endpoint: server.endpoint,
      key: EMULATOR_KEY,
      agent,
      connectionPolicy,
    });
    try {
      await client.database(databaseName).container(containerName).items.upsert(
        {
          id: "doc",
          pk: "p",
        },
      );
    } finally {
      client.dispose();
      agent.destroy();
    }
  }
  return {
    label:
      "ManagedCosmos against a local @vercel/cosmosdb-server (HTTPS, in this process): point reads",
    reportsAcquire: true,
    open(settings, acquireTimeoutSeconds): Promise<BenchSubject> {
      const cosmos = new ManagedCosmos({
        endpoint: server.endpoint,
        key: EMULATOR_KEY,
        databaseName,
        containerName,
        // One keep-alive agent per client, destroyed with it: each pooled client is a connection.
        agentFactory: () => server.createAgent(),
        clientOptions: { connectionPolicy },
        ...poolOptions(settings, acquireTimeoutSeconds),
      });
      return Promise.resolve({
        request: (onAcquired) =>
          cosmos.use(async (container) => {
            onAcquired();
            await container.item("doc", "p").read();
          }),
        stats: () => poolFigures(cosmos.pool.stats()),
        close: () => cosmos.close(),
      });
    },
    close: () => server.close(),
  };
}

/**
 * A backend whose subject is a managed client; `send` takes a lease from its
 * pool (reporting the moment it has one), sends once, and gives it back.
 */
function leasingBackend<
  T extends { pool: { stats(): PoolStats }; close(): Promise<void> },
>(
  label: string,
  make: (settings: PoolSettings, acquireTimeoutSeconds: number) => T,
  send: (client: T, n: number, onAcquired: () => void) => Promise<void>,
  closeBackend: () => Promise<void>,
): BenchBackend {
  return {
    label,
    reportsAcquire: true,
    open(settings, acquireTimeoutSeconds): Promise<BenchSubject> {
      const client = make(settings, acquireTimeoutSeconds);
      let n = 0;
      return Promise.resolve({
        request: (onAcquired) => send(client, ++n, onAcquired),
        stats: () => poolFigures(client.pool.stats()),
        close: () => client.close(),
      });
    },
    close: closeBackend,
  };
}

async function serviceBusBackend(
  options: TargetOptions,
): Promise<BenchBackend> {
  const { ManagedServiceBusSender, isServiceBusConnectionError } = await import(
    "../../src/service_bus/mod.ts"
  );
  type Sender = InstanceType<typeof ManagedServiceBusSender>;
  // The lease path of the managed sender, so that the acquire wait is measured.
  const send = async (sender: Sender, n: number, onAcquired: () => void) => {
    const lease = await sender.getSender();
    onAcquired();
    try {
      await lease.client.sendMessages({ body: { bench: n } });
    } catch (error) {
      if (isServiceBusConnectionError(error)) lease.invalidate();
      throw error;
    } finally {
      lease.release();
    }
  };
  // Fail fast against a broken backend rather than retrying inside the SDK.
  const clientOptions = {
    retryOptions: { maxRetries: 0, timeoutInMs: 10_000 },
  };
  if (options.azure) {
    const [connectionString, queueName] = required(
      options.env,
      ["SERVICEBUS_CONNECTION_STRING", "SERVICEBUS_QUEUE"],
      "servicebus",
    );
    return leasingBackend(
      `ManagedServiceBusSender against Azure Service Bus ${
        hostOf(connectionString)
      } ` +
        `(queue ${queueName}): one message per send`,
      (settings, acquireTimeoutSeconds) =>
        new ManagedServiceBusSender({
          connectionString,
          queueName,
          clientOptions,
          ...poolOptions(settings, acquireTimeoutSeconds),
        }),
      send,
      () => Promise.resolve(),
    );
  }
  const { startAmqpBroker } = await import(
    "../../src/testing/servers/amqp_broker.ts"
  );
  const broker = await startAmqpBroker({ queues: ["bench"] });
  return leasingBackend(
    "ManagedServiceBusSender against a local AMQP broker (in this process): one message per send",
    (settings, acquireTimeoutSeconds) =>
      new ManagedServiceBusSender({
        connectionString: broker.connectionString(),
        queueName: "bench",
        clientOptions,
        ...poolOptions(settings, acquireTimeoutSeconds),
      }),
    send,
    () => broker.stop(),
  );
}

async function eventHubsBackend(
  options: TargetOptions,
): Promise<BenchBackend> {
  const { ManagedEventHubProducer, isEventHubConnectionError } = await import(
    "../../src/event_hubs/mod.ts"
  );
  type Producer = InstanceType<typeof ManagedEventHubProducer>;
  // The lease path of the managed producer, so that the acquire wait is measured.
  const send = async (hub: Producer, n: number, onAcquired: () => void) => {
    const lease = await hub.getProducer();
    onAcquired();
    try {
      await lease.client.sendBatch([{ body: { bench: n } }]);
    } catch (error) {
      if (isEventHubConnectionError(error)) lease.invalidate();
      throw error;
    } finally {
      lease.release();
    }
  };
  const clientOptions = {
    retryOptions: { maxRetries: 0, timeoutInMs: 10_000 },
  };
  if (options.azure) {
    const [connectionString, eventHubName] = required(
      options.env,
      ["EVENTHUB_CONNECTION_STRING", "EVENTHUB_NAME"],
      "eventhubs",
    );
    return leasingBackend(
      `ManagedEventHubProducer against Azure Event Hubs ${
        hostOf(connectionString)
      } ` +
        `(hub ${eventHubName}): one event per send`,
      (settings, acquireTimeoutSeconds) =>
        new ManagedEventHubProducer({
          connectionString,
          eventHubName,
          clientOptions,
          ...poolOptions(settings, acquireTimeoutSeconds),
        }),
      send,
      () => Promise.resolve(),
    );
  }
  const { startAmqpBroker } = await import(
    "../../src/testing/servers/amqp_broker.ts"
  );
  const broker = await startAmqpBroker({ eventHubs: { bench: 4 } });
  return leasingBackend(
    "ManagedEventHubProducer against a local AMQP broker (in this process): one event per send",
    (settings, acquireTimeoutSeconds) =>
      new ManagedEventHubProducer({
        connectionString: broker.connectionString(),
        eventHubName: "bench",
        clientOptions,
        ...poolOptions(settings, acquireTimeoutSeconds),
      }),
    send,
    () => broker.stop(),
  );
}

/**
 * Opens the backend for `--target`.
 *
 * @param target The service.
 * @param options A local server, or the real account from the environment.
 * @returns The backend; close it when done.
 * @throws {BenchArgsError} When `--azure` is given without the environment
 * variables the target needs (the message names them, never their values).
 */
export async function openTargetBackend(
  target: BenchTarget,
  options: TargetOptions,
): Promise<BenchBackend> {
  switch (target) {
    case "cosmos":
      return await cosmosBackend(options);
    case "servicebus":
      return await serviceBusBackend(options);
    case "eventhubs":
      return await eventHubsBackend(options);
    default:
      throw new BenchArgsError(
        `Invalid --target: ${target} has no managed client to drive`,
      );
  }
}
