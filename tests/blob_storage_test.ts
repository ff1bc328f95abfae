/**
 * `ManagedBlobStorage` against Azurite (`startLocalBlobStorage`) with the
 * real `@azure/storage-blob`: round trips of every kind of body, the
 * download forms, delete, upload from a URL (Azurite answers Put Blob From
 * URL with 501: the client copies from the URL instead, and remembers),
 * the pool's defaults, and the errors of a missing blob.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { ManagedBlobStorage, RequestFailed } from "../src/blob/mod.ts";
import {
  type LocalBlobStorage,
  startLocalBlobStorage,
} from "../src/testing/servers/mod.ts";
import { PoolError } from "../src/pool/errors.ts";
import { FakeClock } from "../src/testing/mod.ts";

const CONTAINER = "reports";

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

describe("ManagedBlobStorage against Azurite", () => {
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

  it("keeps one long-lived client by default: maxSize 1, never recycled for idleness or age", async () => {
    const clock = new FakeClock();
    const lasting = new ManagedBlobStorage({
      ...server.connectionOptions(),
      containerName: CONTAINER,
      clock,
    });
    try {
      await Promise.all(
        Array.from(
          { length: 100 },
          (_, i) => lasting.uploadBlob(`d/${i}`, "x"),
        ),
      );
      assert.equal(lasting.stats().size, 1);
      assert.equal(lasting.readyConnectionCount, 1);
      // Thirty days idle, then more work: still the first client.
      clock.tick(30 * 24 * 3600 * 1000);
      await lasting.downloadBlob("d/0");
      const stats = lasting.stats();
      assert.equal(stats.connectionsCreated, 1);
      assert.equal(stats.connectionsClosed, 0);
      assert.equal(stats.size, 1);
    } finally {
      await lasting.close();
    }
  });

  it("round-trips text with a content type and metadata", async () => {
    const written = await blobs.uploadBlob("2026/q4.csv", "a,b\n1,2\n", {
      contentType: "text/csv",
      metadata: { by: "me" },
    });
    assert.match(written.etag ?? "", /^"?0x/);
    assert.ok(written.lastModified instanceof Date);
    const bytes = await blobs.downloadBlob("2026/q4.csv");
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(bytes), "a,b\n1,2\n");
    const { stream, properties } = await blobs.downloadBlobStream(
      "2026/q4.csv",
    );
    assert.equal(await text(stream), "a,b\n1,2\n");
    assert.equal(properties.contentType, "text/csv");
    assert.deepEqual(properties.metadata, { by: "me" });
    assert.equal(properties.contentLength, 8);
    assert.equal(properties.etag, written.etag);
  });

  it("gives a string the text/plain UTF-8 content type unless told otherwise", async () => {
    await blobs.uploadBlob("plain.txt", "héllo");
    const { stream, properties } = await blobs.downloadBlobStream("plain.txt");
    assert.equal(await text(stream), "héllo");
    assert.equal(properties.contentType, "text/plain; charset=utf-8");
  });

  it("round-trips bytes, an ArrayBuffer and a Blob (with its own type)", async () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    await blobs.uploadBlob("bytes.bin", bytes);
    assert.deepEqual(await blobs.downloadBlob("bytes.bin"), bytes);
    await blobs.uploadBlob("buffer.bin", bytes.buffer.slice(0, 16));
    assert.deepEqual(
      await blobs.downloadBlob("buffer.bin"),
      bytes.slice(0, 16),
    );
    await blobs.uploadBlob(
      "blob.json",
      new Blob(['{"a":1}'], { type: "application/json" }),
    );
    const { stream, properties } = await blobs.downloadBlobStream("blob.json");
    assert.equal(await text(stream), '{"a":1}');
    // Bun's Blob adds a charset to its type.
    assert.match(properties.contentType ?? "", /^application\/json\b/);
  });

  it("streams a web ReadableStream and a Node.js Readable up in blocks", async () => {
    const before = server.stats().requestsByComp;
    const chunks = ["one,", "two,", "three"];
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) {
          controller.enqueue(new TextEncoder().encode(chunk));
        }
        controller.close();
      },
    });
    await blobs.uploadBlob("web.txt", web, { contentType: "text/plain" });
    assert.equal(
      new TextDecoder().decode(await blobs.downloadBlob("web.txt")),
      "one,two,three",
    );
    const node = Readable.from(
      (function* () {
        for (let i = 0; i < 5; i++) yield new Uint8Array(1000).fill(i);
      })(),
    );
    // Blocks of 2,000 bytes: three blocks staged, then one commit.
    await blobs.uploadBlob("node.bin", node, { bufferSize: 2000 });
    const back = await blobs.downloadBlob("node.bin");
    assert.equal(back.byteLength, 5000);
    assert.equal(back[0], 0);
    assert.equal(back[4999], 4);
    const after = server.stats().requestsByComp;
    assert.equal((after.block ?? 0) - (before.block ?? 0), 1 + 3);
    assert.equal((after.blocklist ?? 0) - (before.blocklist ?? 0), 2);
  });

  it("refuses to replace a blob with overwrite: false (RequestFailed 409)", async () => {
    await blobs.uploadBlob("once.txt", "first");
    const error = await blobs.uploadBlob("once.txt", "second", {
      overwrite: false,
    }).then(() => undefined, (e) => e);
    assert.ok(error instanceof RequestFailed, String(error));
    assert.equal(error.statusCode, 409);
    assert.equal(error.serviceCode, "BlobAlreadyExists");
    assert.match(
      error.message,
      /^Cannot upload blob 'once\.txt' to container 'reports' on 127\.0\.0\.1:\d+: 409 BlobAlreadyExists$/,
    );
    assert.equal((error.cause as Error).name, "RestError");
    assert.equal(
      new TextDecoder().decode(await blobs.downloadBlob("once.txt")),
      "first",
    );
  });

  it("reports a missing blob as RequestFailed 404 BlobNotFound, naming the blob and the container", async () => {
    for (
      const attempt of [
        () => blobs.downloadBlob("missing/blob.csv"),
        () => blobs.downloadBlobStream("missing/blob.csv"),
        () => blobs.deleteBlob("missing/blob.csv"),
      ]
    ) {
      const error = await attempt().then(() => undefined, (e) => e);
      assert.ok(error instanceof RequestFailed, String(error));
      assert.equal(error.constructor.name, "RequestFailed");
      assert.equal(error.code, "REQUEST_FAILED");
      assert.equal(error.statusCode, 404);
      assert.equal(error.serviceCode, "BlobNotFound");
      assert.match(
        error.message,
        /^Cannot (download|delete) blob 'missing\/blob\.csv' from container 'reports' on 127\.0\.0\.1:\d+: 404 BlobNotFound$/,
      );
    }
    // The failed stream gave its place back.
    assert.equal(blobs.stats().activeCallers, 0);
  });

  it("downloads to a file, streaming", async () => {
    const dir = await mkdtemp(join(tmpdir(), "blob-test-"));
    try {
      await blobs.uploadBlob("file.csv", "x,y\n", { contentType: "text/csv" });
      const path = join(dir, "q4.csv");
      const properties = await blobs.downloadBlobToFile("file.csv", path);
      assert.equal(await readFile(path, "utf8"), "x,y\n");
      assert.equal(properties.contentLength, 4);
      assert.equal(properties.contentType, "text/csv");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("deletes a blob", async () => {
    await blobs.uploadBlob("gone.txt", "x");
    await blobs.deleteBlob("gone.txt");
    await assert.rejects(blobs.downloadBlob("gone.txt"), { statusCode: 404 });
  });

  it("lists blobs by prefix with their properties and, when asked, metadata", async () => {
    await blobs.uploadBlob("list/a.txt", "a", { metadata: { k: "1" } });
    await blobs.uploadBlob("list/b.txt", "bb");
    await blobs.uploadBlob("listless.txt", "c");
    const items = [];
    for await (
      const item of blobs.listBlobs({ prefix: "list/", includeMetadata: true })
    ) items.push(item);
    assert.deepEqual(items.map((i) => i.name), ["list/a.txt", "list/b.txt"]);
    assert.equal(items[1].properties.contentLength, 2);
    assert.deepEqual(items[0].metadata, { k: "1" });
  });

  it("uploads from a URL: Azurite refuses Put Blob From URL (501), so it copies from the URL, and then copies at once", async () => {
    await blobs.uploadBlob("source.txt", "copied", {
      metadata: { from: "src" },
    });
    const source = await blobs.getBlobSasUrl("source.txt");
    const before = server.stats().requests;
    await blobs.uploadBlobFromUrl("copy.txt", source, { overwrite: true });
    // Put Blob From URL (501), then Copy Blob From URL.
    assert.equal(server.stats().requests - before, 2);
    assert.equal(
      new TextDecoder().decode(await blobs.downloadBlob("copy.txt")),
      "copied",
    );
    const again = server.stats().requests;
    await blobs.uploadBlobFromUrl("copy2.txt", source);
    assert.equal(server.stats().requests - again, 1, "no second 501");
    assert.equal(
      new TextDecoder().decode(await blobs.downloadBlob("copy2.txt")),
      "copied",
    );
    const refused = await blobs.uploadBlobFromUrl("copy.txt", source, {
      overwrite: false,
    }).then(() => undefined, (e) => e);
    assert.ok(refused instanceof RequestFailed, String(refused));
    assert.equal(refused.statusCode, 409);
    assert.match(
      refused.message,
      /^Cannot upload blob 'copy\.txt' to container 'reports' from 127\.0\.0\.1:\d+ on 127\.0\.0\.1:\d+: 409 BlobAlreadyExists$/,
    );
  });

  it("fails an upload from a URL whose source is missing with RequestFailed naming the blob", async () => {
    const source = await blobs.getBlobSasUrl("no-such-source.txt");
    const error = await blobs.uploadBlobFromUrl("copy3.txt", source).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(error instanceof RequestFailed, String(error));
    assert.match(error.message, /'copy3\.txt'/);
    assert.ok(!error.message.includes("sig="), error.message);
  });

  it("hands the ContainerClient over through use() and getContainerClient()", async () => {
    const name = await blobs.use((container) => container.containerName);
    assert.equal(name, CONTAINER);
    {
      await using lease = await blobs.getContainerClient();
      await lease.client.getBlockBlobClient("lease.txt").upload("x", 1);
      assert.equal(blobs.stats().activeCallers, 1);
    }
    assert.equal(blobs.stats().activeCallers, 0);
    assert.equal(
      new TextDecoder().decode(await blobs.downloadBlob("lease.txt")),
      "x",
    );
  });

  it("holds a client place while a download stream is read, and gives it back when the stream is cancelled", async () => {
    await blobs.uploadBlob("held.bin", new Uint8Array(300_000));
    const { stream } = await blobs.downloadBlobStream("held.bin");
    assert.equal(blobs.stats().activeCallers, 1);
    const reader = stream.getReader();
    const first = await reader.read();
    assert.ok(first.value !== undefined && first.value.byteLength > 0);
    await reader.cancel();
    assert.equal(blobs.stats().activeCallers, 0);
  });

  it("rejects with the caller's abort reason, unchanged", async () => {
    const reason = new Error("caller gave up");
    const controller = new AbortController();
    controller.abort(reason);
    await assert.rejects(
      blobs.uploadBlob("aborted.txt", "x", { abortSignal: controller.signal }),
      (error) => error === reason,
    );
    const late = new AbortController();
    const pending = blobs.downloadBlob("2026/q4.csv", {
      abortSignal: late.signal,
    });
    late.abort(reason);
    const error = await pending.then(() => undefined, (e) => e);
    // Aborted in flight (the reason), or finished before the abort landed.
    if (error !== undefined) assert.equal(error, reason);
    assert.ok(!(error instanceof PoolError));
  });
});
