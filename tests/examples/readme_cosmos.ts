import { ManagedCosmos } from "../../src/cosmos/mod.ts";
import { startLocalCosmos } from "../../src/testing/servers/mod.ts";

// An account on 127.0.0.1; against Azure, your `endpoint` and `key` instead.
await using local = await startLocalCosmos({
  containers: [{ database: "shop", container: "orders" }],
});

await using cosmos = new ManagedCosmos({
  ...local.connectionOptions(),
  databaseName: "shop",
  containerName: "orders",
});

// Write, then read back; each call borrows a pooled container client.
await cosmos.use((orders) =>
  orders.items.upsert({ id: "o-1", pk: "c-7", total: 42 })
);
const { resource } = await cosmos.use((orders) =>
  orders.item("o-1", "c-7").read()
);
console.log(resource?.total); // 42
