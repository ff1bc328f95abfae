import { ManagedBlobStorage } from "../../src/blob/mod.ts";
import { startLocalBlobStorage } from "../../src/testing/servers/mod.ts";

// Azurite on 127.0.0.1; against Azure, your `connectionString` instead.
await using local = await startLocalBlobStorage({ containers: ["reports"] });

await using blobs = new ManagedBlobStorage({
  ...local.connectionOptions(),
  containerName: "reports",
});

await blobs.uploadBlob("2026/q4.csv", "month,total\n10,42\n", {
  contentType: "text/csv",
});
const csv = new TextDecoder().decode(await blobs.downloadBlob("2026/q4.csv"));
for await (const blob of blobs.listBlobs({ prefix: "2026/" })) {
  console.log(blob.name, csv.length); // 2026/q4.csv 18
}
