/**
 * `startLocalBlobStorage`: Azurite in this process, its options, its
 * certificate trusted only through the agents it hands out (never
 * process-wide), bearer tokens with `oauth`, its counters, and `close()`.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import { BlobServiceClient } from "@azure/storage-blob";
import { ManagedBlobStorage } from "../src/blob/mod.ts";
import { ConnectionFailed } from "../src/pool/errors.ts";
import { startLocalBlobStorage } from "../src/testing/servers/mod.ts";

describe("startLocalBlobStorage", () => {
  it("serves HTTP on 127.0.0.1 with Azurite's account, creates containers and counts requests", async () => {
    const server = await startLocalBlobStorage({ containers: ["one", "two"] });
    try {
      assert.match(
        server.blobEndpoint,
        /^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/,
      );
      assert.equal(server.https, false);
      assert.equal(server.accountName, "devstoreaccount1");
      assert.match(
        server.connectionString,
        /BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;$/,
      );
      assert.deepEqual(Object.keys(server.connectionOptions()), [
        "connectionString",
      ]);
      const client = BlobServiceClient.fromConnectionString(
        server.connectionString,
      );
      const names = [];
      for await (const container of client.listContainers()) {
        names.push(container.name);
      }
      assert.deepEqual(names, ["one", "two"]);
      await server.createContainer("three");
      await server.createContainer("three");
      const stats = server.stats();
      assert.ok(stats.connections >= 1);
      assert.equal(stats.requestsByComp.list, 1);
      assert.ok(stats.requests >= 5);
      assert.throws(() => server.createAgent(), /the server speaks HTTP/);
      assert.throws(() => server.tokenConnectionOptions(), /oauth: true/);
    } finally {
      await server.close();
      await server.close();
    }
  });

  it("refuses unknown and malformed options", async () => {
    await assert.rejects(
      startLocalBlobStorage({ container: ["a"] } as never),
      /Cannot start startLocalBlobStorage: unknown option 'container' \(known: containers, https, oauth\)/,
    );
    await assert.rejects(
      startLocalBlobStorage({ oauth: true, https: false }),
      /'oauth' needs 'https'/,
    );
    await assert.rejects(
      startLocalBlobStorage({ https: "yes" } as never),
      /'https' must be a boolean: received "yes"/,
    );
  });

  it("serves HTTPS with a certificate that only its agents trust", async () => {
    const server = await startLocalBlobStorage({
      https: true,
      containers: ["tls"],
    });
    try {
      assert.match(server.blobEndpoint, /^https:\/\/127\.0\.0\.1:\d+\//);
      const trusted = new ManagedBlobStorage({
        ...server.connectionOptions(),
        containerName: "tls",
      });
      await trusted.uploadBlob("a.txt", "over tls");
      assert.equal(
        new TextDecoder().decode(await trusted.downloadBlob("a.txt")),
        "over tls",
      );
      await trusted.close();
      // Without the server's agent the certificate is not trusted: nothing
      // process-wide was changed.
      const untrusted = new ManagedBlobStorage({
        connectionString: server.connectionString,
        containerName: "tls",
        acquireTimeoutSeconds: 3,
      });
      try {
        const error = await untrusted.downloadBlob("a.txt").then(
          () => undefined,
          (e) => e,
        );
        assert.ok(error instanceof ConnectionFailed, String(error));
      } finally {
        await untrusted.close();
      }
      const plain = await new Promise<number>((resolve, reject) => {
        https.get(`${server.blobEndpoint}?comp=list`, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        }).on("error", () => resolve(-1)).on("timeout", reject);
      });
      assert.equal(
        plain,
        -1,
        "the default agent does not trust the certificate",
      );
    } finally {
      await server.close();
    }
  });

  it("takes bearer tokens with oauth, from its fake credential or another", async () => {
    const server = await startLocalBlobStorage({
      oauth: true,
      containers: ["auth"],
    });
    try {
      assert.equal(server.https, true);
      let asked = 0;
      const fake = server.tokenCredential();
      const blobs = new ManagedBlobStorage({
        ...server.tokenConnectionOptions({
          getToken: (scopes, options) => {
            asked++;
            assert.deepEqual(scopes, ["https://storage.azure.com/.default"]);
            return fake.getToken(scopes, options);
          },
        }),
        containerName: "auth",
      });
      try {
        await blobs.uploadBlob("t.txt", "token");
        assert.equal(
          new TextDecoder().decode(await blobs.downloadBlob("t.txt")),
          "token",
        );
        assert.ok(asked >= 1);
      } finally {
        await blobs.close();
      }
    } finally {
      await server.close();
    }
  });
});
