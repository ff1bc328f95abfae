/**
 * Every user mistake with `ManagedBlobStorage`, against Azurite: each is
 * told apart, named, and raised before any I/O when it can be.
 *
 * - unknown options (constructor and operations) list the known ones and
 *   suggest the one meant; bad values and bad blob names are a `TypeError`
 *   or `RangeError` sent before any request;
 * - a missing container is `EntityNotFound` naming it; a wrong key is
 *   `AuthenticationFailed` with the status, in well under 2 s; a refused
 *   port is `ConnectionFailed` (the breaker), not a wait until the deadline;
 * - after `close()` the process exits by itself.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import {
  AuthenticationFailed,
  BlobContainerConnector,
  ConnectionFailed,
  EntityNotFound,
  ManagedBlobStorage,
  PoolClosed,
  RequestFailed,
} from "../src/blob/mod.ts";
import {
  type LocalBlobStorage,
  startLocalBlobStorage,
} from "../src/testing/servers/mod.ts";
import { runBlobChild } from "./_blob.ts";

const CONTAINER = "mistakes";
/** A well-formed account key that is not Azurite's ("Wrong-Key-For-Azurite-0000000"). */
const WRONG_KEY = "V3JvbmctS2V5LUZvci1BenVyaXRlLTAwMDAwMDA=";

/** A port on 127.0.0.1 that nothing listens on. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function chain(error: unknown): unknown[] {
  const links: unknown[] = [];
  for (let e = error; e !== undefined && links.length < 6;) {
    links.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return links;
}

describe("ManagedBlobStorage user mistakes", () => {
  let server: LocalBlobStorage;
  let blobs: ManagedBlobStorage;
  before(async () => {
    server = await startLocalBlobStorage({ containers: [CONTAINER] });
    blobs = new ManagedBlobStorage({
      ...server.connectionOptions(),
      containerName: CONTAINER,
    });
  });
  after(async () => {
    await blobs.close();
    await server.close();
  });

  it("names an unknown constructor option and suggests the one meant", () => {
    assert.throws(
      () =>
        new ManagedBlobStorage({
          ...server.connectionOptions(),
          containerName: CONTAINER,
          maxsize: 2,
        } as never),
      /^TypeError: Cannot create ManagedBlobStorage as 'maxsize' is not an option \(did you mean 'maxSize'\?\): known options are containerName, connectionString, accountUrl, credential, agentFactory, clientOptions, clientLimit/,
    );
    assert.throws(
      () =>
        new ManagedBlobStorage({
          ...server.connectionOptions(),
          container: CONTAINER,
        } as never),
      /'container' is not an option \(did you mean 'containerName'\?\)/,
    );
  });

  it("refuses bad connection options, naming them and never echoing a key", () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        "no credential",
        { containerName: CONTAINER },
        /no credential was given: pass one of 'connectionString' or 'credential'/,
      ],
      ["both", {
        containerName: CONTAINER,
        connectionString: server.connectionString,
        credential: { accountName: "a", accountKey: WRONG_KEY },
      }, /only one of 'connectionString' or 'credential' may be given/],
      ["an accountUrl with a connection string", {
        containerName: CONTAINER,
        connectionString: server.connectionString,
        accountUrl: server.blobEndpoint,
      }, /'accountUrl' and 'connectionString' were both given/],
      [
        "a bad container name",
        {
          ...server.connectionOptions(),
          containerName: "Reports_2026",
        },
        /'containerName' must be 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit: received a name of 12 characters with upper-case letters$/,
      ],
      ["a SAS in the accountUrl", {
        containerName: CONTAINER,
        accountUrl: `${server.blobEndpoint}?sv=2025&sig=${WRONG_KEY}`,
        credential: { accountName: "devstoreaccount1", accountKey: WRONG_KEY },
      }, /'accountUrl' must not carry a query or fragment/],
      ["a TokenCredential over http", {
        containerName: CONTAINER,
        accountUrl: server.blobEndpoint,
        credential: server.tokenCredential(),
      }, /a TokenCredential needs an https:\/\/ 'accountUrl'/],
      [
        "a credential of the wrong shape",
        {
          containerName: CONTAINER,
          accountUrl: server.blobEndpoint,
          credential: WRONG_KEY,
        },
        /'credential' must be a TokenCredential, a StorageSharedKeyCredential or \{ accountName, accountKey \}: received a string of 40 characters/,
      ],
      ["a SAS connection string", {
        containerName: CONTAINER,
        connectionString:
          `BlobEndpoint=${server.blobEndpoint};SharedAccessSignature=sv=2025&sig=${WRONG_KEY}`,
      }, /carries a SharedAccessSignature, not an AccountKey/],
      ["a connection string without a key", {
        containerName: CONTAINER,
        connectionString:
          `AccountName=devstoreaccount1;BlobEndpoint=${server.blobEndpoint}`,
      }, /'connectionString' lacks AccountKey/],
      [
        "a pool option out of range",
        {
          ...server.connectionOptions(),
          containerName: CONTAINER,
          maxSize: 0,
        },
        /^RangeError: Cannot create ManagedBlobStorage as 'maxSize' must be a positive integer: received 0$/,
      ],
    ];
    for (const [what, options, message] of cases) {
      let error: unknown;
      try {
        new ManagedBlobStorage(options as never);
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof Error, `${what}: no error`);
      assert.match(String(error), message, what);
      assert.ok(!String(error).includes(WRONG_KEY), `${what}: echoed the key`);
      assert.ok(
        !String(error).includes(server.accountKey),
        `${what}: echoed the account key`,
      );
    }
  });

  it("refuses unknown operation options, bad values and bad names before any request", async () => {
    await blobs.uploadBlob("warm.txt", "x");
    const before = server.stats().requests;
    const mistakes: [string, () => Promise<unknown>, RegExp][] = [
      [
        "upload option",
        () => blobs.uploadBlob("a", "x", { metaData: {} } as never),
        /^TypeError: Cannot upload blob 'a' to container 'mistakes' as 'metaData' is not an option \(did you mean 'metadata'\?\): known options are abortSignal, acquireTimeoutSeconds, contentType, metadata, overwrite, bufferSize, maxConcurrency$/,
      ],
      [
        "download option",
        () =>
          blobs.downloadBlob("a", { signal: AbortSignal.timeout(1) } as never),
        /'signal' is not an option \(it was renamed 'abortSignal'\)/,
      ],
      [
        "stream option",
        () => blobs.downloadBlobStream("a", { maxretries: 1 } as never),
        /'maxretries' is not an option/,
      ],
      [
        "delete option",
        () => blobs.deleteBlob("a", { snapshots: "include" } as never),
        /'snapshots' is not an option/,
      ],
      [
        "from-URL option",
        () =>
          blobs.uploadBlobFromUrl(
            "a",
            "https://x/y",
            { overWrite: false } as never,
          ),
        /'overWrite' is not an option \(did you mean 'overwrite'\?\)/,
      ],
      [
        "empty name",
        () => blobs.uploadBlob("", "x"),
        /^TypeError: Cannot upload blob '' to container 'mistakes' as 'blobName' must be a non-empty string: received an empty string$/,
      ],
      [
        "non-string name",
        () => blobs.downloadBlob(42 as never),
        /^TypeError: Cannot download blob \(invalid name\) from container 'mistakes' as 'blobName' must be a non-empty string: received 42$/,
      ],
      [
        "long name",
        () => blobs.deleteBlob("x".repeat(1025)),
        /^RangeError: .*'blobName' must be at most 1024 characters: received 1025$/,
      ],
      [
        "bad data",
        () => blobs.uploadBlob("a", 42 as never),
        /'data' must be a string, a Uint8Array, an ArrayBuffer, a Blob, a ReadableStream or a Node.js Readable: received 42/,
      ],
      [
        "bad metadata",
        () => blobs.uploadBlob("a", "x", { metadata: { n: 1 } } as never),
        /'metadata' must be an object of string values/,
      ],
      [
        "bad bufferSize",
        () => blobs.uploadBlob("a", "x", { bufferSize: 0 }),
        /^RangeError: .*'bufferSize' must be an integer from 1 up: received 0$/,
      ],
      [
        "bad overwrite",
        () => blobs.uploadBlob("a", "x", { overwrite: "no" } as never),
        /'overwrite' must be a boolean: received a string of 2 characters/,
      ],
      [
        "bad deleteSnapshots",
        () => blobs.deleteBlob("a", { deleteSnapshots: "all" } as never),
        /'deleteSnapshots' must be "include" or "only": received "all"/,
      ],
      [
        "bad source URL",
        () => blobs.uploadBlobFromUrl("a", `ftp://host/x?sig=${WRONG_KEY}`),
        /'sourceUrl' must be an absolute https:\/\/ or http:\/\/ URL: received a URL with protocol 'ftp:'/,
      ],
      [
        "bad file path",
        () => blobs.downloadBlobToFile("a", ""),
        /'filePath' must be a non-empty string/,
      ],
      [
        "bad signal",
        () => blobs.downloadBlob("a", { abortSignal: "now" } as never),
        /'abortSignal' must be an AbortSignal/,
      ],
      [
        "bad names list",
        () => blobs.getBlobSasUrls("a.csv" as never),
        /'blobNames' must be an array of blob names/,
      ],
    ];
    for (const [what, attempt, message] of mistakes) {
      const error = await attempt().then(() => undefined, (e) => e);
      assert.ok(
        error instanceof TypeError || error instanceof RangeError,
        `${what}: ${String(error)}`,
      );
      assert.match(String(error), message, what);
      assert.ok(!String(error).includes(WRONG_KEY), `${what}: echoed`);
    }
    assert.throws(
      () => blobs.listBlobs({ maxPageSize: 0 }),
      /^RangeError: Cannot list blobs in container 'mistakes' as 'maxPageSize' must be an integer from 1 to 5000: received 0$/,
    );
    assert.throws(
      () => blobs.listBlobs({ prefx: "a" } as never),
      /'prefx' is not an option/,
    );
    assert.equal(server.stats().requests, before, "no request was sent");
  });

  it("names a missing container in EntityNotFound, at once", async () => {
    const missing = new ManagedBlobStorage({
      ...server.connectionOptions(),
      containerName: "no-such-container",
    });
    try {
      const started = Date.now();
      const errors = await Promise.all(
        [
          () => missing.uploadBlob("a.txt", "x"),
          () => missing.downloadBlob("a.txt"),
          () => missing.getContainerClient(),
        ].map((attempt) => attempt().then(() => undefined, (e) => e)),
      );
      assert.ok(Date.now() - started < 2000);
      for (const error of errors) {
        assert.ok(error instanceof EntityNotFound, String(error));
        assert.equal(error.entity, "no-such-container");
        assert.equal(error.statusCode, 404);
        assert.equal(error.serviceCode, "ContainerNotFound");
        assert.match(
          error.message,
          /^Cannot open container 'no-such-container' on 127\.0\.0\.1:\d+: container 'no-such-container' does not exist \(404 ContainerNotFound\)$/,
        );
        assert.equal((error.cause as Error).name, "RestError");
      }
    } finally {
      await missing.close();
    }
  });

  it("names a container deleted under a working client in EntityNotFound", async () => {
    await server.createContainer("short-lived");
    const client = new ManagedBlobStorage({
      ...server.connectionOptions(),
      containerName: "short-lived",
    });
    try {
      await client.uploadBlob("a.txt", "x");
      await client.use((container) => container.delete());
      const error = await client.uploadBlob("b.txt", "x").then(
        () => undefined,
        (e) => e,
      );
      assert.ok(error instanceof EntityNotFound, String(error));
      assert.equal(error.entity, "short-lived");
      assert.match(
        error.message,
        /^Cannot upload blob 'b\.txt' to container 'short-lived' on 127\.0\.0\.1:\d+: container 'short-lived' does not exist \(404 ContainerNotFound\)$/,
      );
    } finally {
      await client.close();
    }
  });

  it("fails a wrong key fast with AuthenticationFailed and the status", async () => {
    const wrong = new ManagedBlobStorage({
      accountUrl: server.blobEndpoint,
      credential: { accountName: server.accountName, accountKey: WRONG_KEY },
      containerName: CONTAINER,
    });
    try {
      const started = performance.now();
      const error = await wrong.uploadBlob("a.txt", "x").then(
        () => undefined,
        (e) => e,
      );
      const elapsed = performance.now() - started;
      assert.ok(error instanceof AuthenticationFailed, String(error));
      assert.ok(error instanceof RequestFailed);
      assert.equal(error.code, "AUTHENTICATION_FAILED");
      assert.equal(error.statusCode, 403);
      assert.match(
        error.message,
        /^Cannot open container 'mistakes' on 127\.0\.0\.1:\d+: the credential was refused \(403 AuthorizationFailure\)$/,
      );
      assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms`);
      // Later callers are refused at once too (the breaker is open).
      await assert.rejects(wrong.downloadBlob("a.txt"), AuthenticationFailed);
    } finally {
      await wrong.close();
    }
  });

  it("fails a refused port fast with ConnectionFailed carrying ECONNREFUSED, not at the deadline", async () => {
    const port = await refusedPort();
    const refused = new ManagedBlobStorage({
      connectionString:
        `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${server.accountKey};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
      containerName: CONTAINER,
      acquireTimeoutSeconds: 5,
    });
    try {
      const started = performance.now();
      const errors = await Promise.all(
        [0, 1, 2].map(() =>
          refused.downloadBlob("a.txt").then(() => undefined, (e) => e)
        ),
      );
      const elapsed = performance.now() - started;
      for (const error of errors) {
        assert.ok(error instanceof ConnectionFailed, String(error));
        assert.ok(
          chain(error).some((link) =>
            (link as { code?: unknown }).code === "ECONNREFUSED"
          ),
          "ECONNREFUSED along the cause",
        );
      }
      assert.ok(elapsed < 4000, `took ${Math.round(elapsed)} ms`);
    } finally {
      await refused.close();
    }
  });

  it("refuses callers after close() with PoolClosed", async () => {
    const closing = new ManagedBlobStorage({
      ...server.connectionOptions(),
      containerName: CONTAINER,
    });
    await closing.uploadBlob("closed.txt", "x");
    await closing.close();
    await assert.rejects(closing.downloadBlob("closed.txt"), PoolClosed);
  });

  it("makes a connector that opens nothing until asked, and proves the container", async () => {
    const connector = new BlobContainerConnector({
      ...server.connectionOptions(),
      containerName: CONTAINER,
    });
    const container = await connector.create(new AbortController().signal);
    assert.equal(
      await connector.ready(container, new AbortController().signal),
      true,
    );
    assert.equal(
      connector.serviceClientOf(container).accountName,
      "devstoreaccount1",
    );
    await connector.close(container);
    assert.throws(() => connector.serviceClientOf(container), TypeError);
  });

  it("leaves the process able to exit after close()", async () => {
    const run = await runBlobChild({
      mode: "exit",
      connectionString: server.connectionString,
      containerName: CONTAINER,
    });
    assert.ok(
      run.lines.some((line) => "closed" in line),
      `close() never resolved: ${run.stderr.slice(-2000)}`,
    );
    assert.equal(
      run.code,
      0,
      `the child was still alive 10 s after close() (or failed): ${
        run.stderr.slice(-2000)
      }`,
    );
    console.log(`exited ${run.exitAfterCloseMs} ms after close()`);
  });
});
