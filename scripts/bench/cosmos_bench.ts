/**
 * `deno bench -A scripts/bench/cosmos_bench.ts`: N point reads through
 * `ManagedCosmos` against N reads that each make a new `CosmosClient`, all
 * against a local `@vercel/cosmosdb-server` (HTTPS, keep-alive) started in
 * this process.
 *
 * Rows (group "cosmos", the first is the baseline):
 * - `ManagedCosmos`: one pool kept across iterations, `maxSize` clients with
 *   one keep-alive agent each (`agentFactory`).
 * - `new client + agent per op`: what code that builds a client per request
 *   with its own agent pays: a TLS handshake and a client per operation.
 * - `new client per op, shared agent`: a client per operation over one
 *   keep-alive agent, as with the SDK's process-wide default agent (which
 *   this bench cannot use, since it must trust the server's expired
 *   certificate for its own clients only). Sockets are reused; only the
 *   client objects are not.
 *
 * Parameters (environment variables, defaults printed at start):
 * `COSMOS_BENCH_OPS` operations per iteration (50), `COSMOS_BENCH_CONCURRENCY`
 * operations in flight at once (10), `COSMOS_BENCH_MAX_SIZE` pool size (4).
 *
 * @module
 */

import { CosmosClient } from "@azure/cosmos";
import { ManagedCosmos } from "../../src/cosmos/mod.ts";
import {
  EMULATOR_KEY,
  startCosmosServer,
} from "../../src/testing/servers/cosmos_server.ts";

function intFromEnv(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot run the Cosmos bench as ${name} must be a positive integer: received ${raw}`,
    );
  }
  return value;
}

const OPS = intFromEnv("COSMOS_BENCH_OPS", 50);
const CONCURRENCY = intFromEnv("COSMOS_BENCH_CONCURRENCY", 10);
const MAX_SIZE = intFromEnv("COSMOS_BENCH_MAX_SIZE", 4);
console.log(
  `cosmos bench: COSMOS_BENCH_OPS=${OPS} COSMOS_BENCH_CONCURRENCY=${CONCURRENCY} COSMOS_BENCH_MAX_SIZE=${MAX_SIZE}`,
);

const DB = "bench";
const CONTAINER = "items";
const server = await startCosmosServer();
await server.ensureContainer(DB, CONTAINER);
const connectionPolicy = { enableEndpointDiscovery: false };
{
  const agent = server.createAgent();
  const client = new CosmosClient({
    endpoint: server.endpoint,
    key: EMULATOR_KEY,
    agent,
    connectionPolicy,
  });
  await client.database(DB).container(CONTAINER).items.upsert({
    id: "doc",
    pk: "p",
    value: 1,
  });
  client.dispose();
  agent.destroy();
}

const managed = new ManagedCosmos({
  endpoint: server.endpoint,
  key: EMULATOR_KEY,
  databaseName: DB,
  containerName: CONTAINER,
  maxSize: MAX_SIZE,
  clientLimit: Math.max(1, Math.ceil(CONCURRENCY / MAX_SIZE)),
  agentFactory: () => server.createAgent(),
  clientOptions: { connectionPolicy },
});
await managed.pool.warm(MAX_SIZE);
const sharedAgent = server.createAgent();

/** Runs `OPS` operations, `CONCURRENCY` at a time. */
async function runOps(op: () => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < OPS) {
      next++;
      await op();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, OPS) }, worker));
}

async function readWithNewClient(
  agent: ReturnType<typeof server.createAgent> | undefined,
): Promise<void> {
  const own = agent ?? server.createAgent();
  const client = new CosmosClient({
    endpoint: server.endpoint,
    key: EMULATOR_KEY,
    agent: own,
    connectionPolicy,
  });
  try {
    await client.database(DB).container(CONTAINER).item("doc", "p").read();
  } finally {
    client.dispose();
    if (agent === undefined) own.destroy();
  }
}

Deno.bench({
  name: "ManagedCosmos",
  group: "cosmos",
  baseline: true,
  // An async function: Deno.bench awaits only those.
  async fn() {
    await runOps(() =>
      managed.use((container) => container.item("doc", "p").read())
    );
  },
});

Deno.bench({
  name: "new client + agent per op",
  group: "cosmos",
  async fn() {
    await runOps(() => readWithNewClient(undefined));
  },
});

Deno.bench({
  name: "new client per op, shared agent",
  group: "cosmos",
  async fn() {
    await runOps(() => readWithNewClient(sharedAgent));
  },
});

// Deno.bench has no after-all hook: close everything when the last bench ends.
globalThis.addEventListener("unload", () => {
  sharedAgent.destroy();
  // not awaited: the process is exiting; close() only disposes clients and destroys their agents
  managed.close().catch(() => {});
  server.close().catch(() => {});
});
