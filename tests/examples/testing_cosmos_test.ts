import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ManagedCosmos } from "../../src/cosmos/mod.ts";
import {
  type LocalCosmos,
  startLocalCosmos,
} from "../../src/testing/servers/mod.ts";

interface Order {
  id: string;
  customerId: string;
  total: number;
}

// The code under test: orders, partitioned by customer.
class OrderRepository {
  readonly #cosmos: ManagedCosmos;
  constructor(cosmos: ManagedCosmos) {
    this.#cosmos = cosmos;
  }
  async save(order: Order): Promise<void> {
    await this.#cosmos.use((container) => container.items.upsert(order));
  }
  async ofCustomer(customerId: string): Promise<Order[]> {
    return await this.#cosmos.use(async (container) => {
      const { resources } = await container.items.query<Order>({
        query: "SELECT c.id, c.customerId, c.total FROM c " +
          "WHERE c.customerId = @customerId ORDER BY c.id",
        parameters: [{ name: "@customerId", value: customerId }],
      }).fetchAll();
      return resources;
    });
  }
}

describe("OrderRepository", () => {
  let server: LocalCosmos;
  let cosmos: ManagedCosmos;

  before(async () => {
    server = await startLocalCosmos({
      containers: [{
        database: "shop",
        container: "orders",
        partitionKeyPath: "/customerId",
      }],
    });
    cosmos = new ManagedCosmos({
      ...server.connectionOptions(), // endpoint, key, and agents that trust the server
      databaseName: "shop",
      containerName: "orders",
    });
  });
  after(async () => {
    await cosmos.close();
    await server.close();
  });

  it("returns a customer's orders, and only theirs", async () => {
    const orders = new OrderRepository(cosmos);
    await orders.save({ id: "o-1", customerId: "c-1", total: 42 });
    await orders.save({ id: "o-2", customerId: "c-2", total: 7 });
    await orders.save({ id: "o-3", customerId: "c-1", total: 5 });
    assert.deepEqual(await orders.ofCustomer("c-1"), [
      { id: "o-1", customerId: "c-1", total: 42 },
      { id: "o-3", customerId: "c-1", total: 5 },
    ]);
  });

  it("fails while the database is down and works once it is back", async () => {
    const orders = new OrderRepository(cosmos);
    await server.stop();
    await assert.rejects(orders.ofCustomer("c-1"));
    await server.restart(); // same port; it comes back empty
    await orders.save({ id: "o-4", customerId: "c-1", total: 1 });
    assert.deepEqual(await orders.ofCustomer("c-1"), [
      { id: "o-4", customerId: "c-1", total: 1 },
    ]);
  });
});
