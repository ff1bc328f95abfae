/**
 * `RecordingBlobStorage`: it records, serves what was uploaded, fails on
 * request, and refuses after `close()`, as `ManagedBlobStorage` does; code
 * typed against `BlobStore` takes either.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { ManagedBlobStorage } from "../src/blob/mod.ts";
import { PoolClosed, RequestFailed } from "../src/pool/errors.ts";
import { type BlobStore, RecordingBlobStorage } from "../src/testing/mod.ts";

async function archive(blobs: BlobStore, name: string): Promise<string> {
  const source = await blobs.getBlobSasUrl(name);
  await blobs.uploadBlobFromUrl(`archive/${name}`, source);
  await blobs.deleteBlob(name);
  return source;
}

describe("RecordingBlobStorage", () => {
  it("is a BlobStore, as ManagedBlobStorage is", async () => {
    const managed: BlobStore = new ManagedBlobStorage({
      connectionString: "UseDevelopmentStorage=true",
      containerName: "reports",
    });
    await managed.close();
    const blobs = new RecordingBlobStorage();
    await blobs.uploadBlob("q4.csv", "a,b\n", { contentType: "text/csv" });
    const source = await archive(blobs, "q4.csv");
    assert.match(
      source,
      /^https:\/\/recording\.blob\.core\.windows\.net\/reports\/q4\.csv\?sv=recording&se=.*Z&sp=r&sig=recording$/,
    );
    assert.deepEqual([...blobs.blobs.keys()], ["archive/q4.csv"]);
    assert.equal(blobs.text("archive/q4.csv"), "a,b\n");
    assert.equal(blobs.blobs.get("archive/q4.csv")?.contentType, "text/csv");
    assert.deepEqual(blobs.calls.map((c) => [c.method, c.blobNames]), [
      ["uploadBlob", ["q4.csv"]],
      ["getBlobSasUrl", ["q4.csv"]],
      ["uploadBlobFromUrl", ["archive/q4.csv"]],
      ["deleteBlob", ["q4.csv"]],
    ]);
  });

  it("stores every kind of body and serves it whole, as a stream and as a file", async () => {
    const blobs = new RecordingBlobStorage({ containerName: "c1" });
    await blobs.uploadBlob("text", "héllo");
    await blobs.uploadBlob("bytes", new Uint8Array([1, 2]));
    await blobs.uploadBlob("buffer", new Uint8Array([3]).buffer);
    await blobs.uploadBlob("blob", new Blob(["b"], { type: "text/x" }));
    await blobs.uploadBlob("web", new Blob(["w1", "w2"]).stream());
    await blobs.uploadBlob("node", Readable.from(["n1", "n2"]));
    assert.equal(blobs.text("text"), "héllo");
    assert.equal(
      blobs.blobs.get("text")?.contentType,
      "text/plain; charset=utf-8",
    );
    assert.deepEqual(await blobs.downloadBlob("bytes"), new Uint8Array([1, 2]));
    assert.deepEqual(await blobs.downloadBlob("buffer"), new Uint8Array([3]));
    assert.equal(blobs.blobs.get("blob")?.contentType, "text/x");
    assert.equal(blobs.text("web"), "w1w2");
    assert.equal(blobs.text("node"), "n1n2");
    const { stream, properties } = await blobs.downloadBlobStream("text");
    assert.equal(await new Response(stream).text(), "héllo");
    assert.equal(properties.contentLength, 6);
    const dir = await mkdtemp(join(tmpdir(), "recording-"));
    try {
      await blobs.downloadBlobToFile("node", join(dir, "n.txt"));
      assert.equal(await readFile(join(dir, "n.txt"), "utf8"), "n1n2");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("lists by prefix, in name order, with metadata when asked", async () => {
    const blobs = new RecordingBlobStorage();
    await blobs.uploadBlob("b/2", "x", { metadata: { k: "v" } });
    await blobs.uploadBlob("b/1", "yy");
    await blobs.uploadBlob("c/1", "z");
    const items = [];
    for await (
      const item of blobs.listBlobs({ prefix: "b/", includeMetadata: true })
    ) items.push(item);
    assert.deepEqual(items.map((i) => i.name), ["b/1", "b/2"]);
    assert.equal(items[0].properties.contentLength, 2);
    assert.deepEqual(items[1].metadata, { k: "v" });
  });

  it("answers a missing blob and a refused overwrite as the managed client does", async () => {
    const blobs = new RecordingBlobStorage();
    await assert.rejects(
      blobs.downloadBlob("none"),
      (error) =>
        error instanceof RequestFailed && error.statusCode === 404 &&
        error.serviceCode === "BlobNotFound",
    );
    await assert.rejects(blobs.deleteBlob("none"), { statusCode: 404 });
    await blobs.uploadBlob("once", "1");
    await assert.rejects(
      blobs.uploadBlob("once", "2", { overwrite: false }),
      { statusCode: 409, serviceCode: "BlobAlreadyExists" },
    );
    assert.equal(blobs.text("once"), "1");
  });

  it("fails the next calls with failNext, recording them and changing nothing", async () => {
    const blobs = new RecordingBlobStorage();
    const busy = new Error("service busy");
    blobs.failNext(2, busy);
    await assert.rejects(blobs.uploadBlob("a", "x"), (e) => e === busy);
    const listing = blobs.listBlobs();
    await assert.rejects(listing.next(), (e) => e === busy);
    await blobs.uploadBlob("a", "x");
    assert.deepEqual(blobs.calls.map((c) => [c.method, c.error]), [
      ["uploadBlob", busy],
      ["listBlobs", busy],
      ["uploadBlob", undefined],
    ]);
    assert.throws(() => blobs.failNext(0, busy), RangeError);
  });

  it("signs many URLs, rejects an aborted signal with its reason, and refuses after close()", async () => {
    const blobs = new RecordingBlobStorage({
      accountUrl: "http://127.0.0.1:10000/devstoreaccount1/",
    });
    const urls = await blobs.getBlobSasUrls(["a b.csv", "c.csv"], {
      permissions: "rw",
    });
    assert.match(
      urls.get("a b.csv")!,
      /^http:\/\/127\.0\.0\.1:10000\/devstoreaccount1\/reports\/a%20b\.csv\?.*sp=rw/,
    );
    const reason = new Error("gave up");
    await assert.rejects(
      blobs.downloadBlob("a", { abortSignal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
    await blobs.close();
    assert.equal(blobs.closed, true);
    await assert.rejects(blobs.uploadBlob("a", "x"), PoolClosed);
  });
});
