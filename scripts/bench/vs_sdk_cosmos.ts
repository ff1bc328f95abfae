/**
 * The Cosmos DB client shapes `deno task bench:vs-sdk` compares: one
 * long-lived `CosmosClient` (the singleton), `ManagedCosmos` (its default
 * pool and `maxSize` 4), and a new `CosmosClient` per operation. One
 * operation is a create and a point read of the same item, through
 * `use(container => container.items.create(...))` and
 * `use(container => container.item(id, pk).read())` on the managed side.
 *
 * The new-client rows share one keep-alive agent across their clients, as
 * every `CosmosClient` built without `agent` shares the SDK's module-level
 * one: what such a user pays is the client and its first account read, not a
 * TLS handshake per operation.
 *
 * @module
 */

import { type Container, CosmosClient } from "@azure/cosmos";
import { ManagedCosmos } from "../../src/cosmos/mod.ts";
import type { LocalCosmos } from "../../src/testing/servers/mod.ts";
import { type ClientShape, type OpenShape, warmUp } from "./vs_sdk_clients.ts";

/** Where the Cosmos shapes work: a local server and one of its containers. */
export interface CosmosTarget {
  /** The running server. */
  server: LocalCosmos;
  /** The database id. */
  database: string;
  /** The container id (partition key `/pk`). */
  container: string;
}

async function createAndRead(container: Container, id: string): Promise<void> {
  await container.items.create({ id, pk: id });
  await container.item(id, id).read();
}

const singleton: ClientShape<CosmosTarget> = {
  id: "singleton",
  label: "CosmosClient (singleton)",
  role: "singleton",
  async open(target) {
    const client = new CosmosClient(target.server.clientOptions());
    const container = client.database(target.database).container(
      target.container,
    );
    const send = (id: string) => createAndRead(container, id);
    await warmUp(1, send);
    return {
      send,
      api: "items.create + item(id, pk).read()",
      close: () => Promise.resolve(client.dispose()),
    };
  },
};

function managed(maxSize: number | undefined): ClientShape<CosmosTarget> {
  return {
    id: maxSize === undefined ? "managed" : `managed-${maxSize}`,
    label: maxSize === undefined
      ? "ManagedCosmos (defaults)"
      : `ManagedCosmos maxSize ${maxSize}`,
    role: "managed",
    async open(target): Promise<OpenShape> {
      const cosmos = new ManagedCosmos({
        ...target.server.connectionOptions(),
        databaseName: target.database,
        containerName: target.container,
        ...(maxSize === undefined ? {} : { maxSize }),
      });
      const send = async (id: string) => {
        await cosmos.use((c) => c.items.create({ id, pk: id }));
        await cosmos.use((c) => c.item(id, id).read());
      };
      await warmUp(await cosmos.pool.warm(), send);
      return {
        send,
        api: "use(c => c.items.create(...)) + use(c => c.item(id, pk).read())",
        close: () => cosmos.close(),
      };
    },
  };
}

const perOp: ClientShape<CosmosTarget> = {
  id: "per-op",
  label: "new CosmosClient per operation",
  role: "per-op",
  open(target) {
    const agent = target.server.createAgent();
    const options = { ...target.server.clientOptions(), agent };
    return Promise.resolve({
      async send(id) {
        const client = new CosmosClient(options);
        try {
          await createAndRead(
            client.database(target.database).container(target.container),
            id,
          );
        } finally {
          client.dispose();
        }
      },
      api: "items.create + item(id, pk).read()",
      close: () => Promise.resolve(agent.destroy()),
    });
  },
};

/**
 * Every Cosmos shape, singleton first.
 *
 * @returns The shapes, in report order.
 *
 * @example The shapes' ids
 * ```ts
 * import { cosmosShapes } from "./vs_sdk_cosmos.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   cosmosShapes().map((shape) => shape.id),
 *   ["singleton", "managed", "managed-4", "per-op"],
 * );
 * ```
 */
export function cosmosShapes(): ClientShape<CosmosTarget>[] {
  return [singleton, managed(undefined), managed(4), perOp];
}
