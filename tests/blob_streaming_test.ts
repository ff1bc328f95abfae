/**
 * `ManagedBlobStorage` streams both ways and lists lazily, against Azurite:
 *
 * - a 64 MiB blob goes up as a stream (blocks of 4 MiB) and comes down
 *   through `downloadBlobStream`, read chunk by chunk in a child process
 *   (away from Azurite's own copy); the heap plus the memory held by array
 *   buffers grows by less than a quarter of the blob while it is read, and
 *   every byte is checked;
 * - 1,200 blobs are listed by prefix in pages of 100: the first item costs
 *   one page request, and the listing costs exactly 12.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { ManagedBlobStorage } from "../src/blob/mod.ts";
import {
  type LocalBlobStorage,
  startLocalBlobStorage,
} from "../src/testing/servers/mod.ts";
import { patternByte, runBlobChild } from "./_blob.ts";

const CONTAINER = "streams";
const MIB = 1024 * 1024;
const BLOB_SIZE = 64 * MIB;

/** Byte `i` of the big blob: a pattern that a shifted or dropped chunk breaks. */
const expected = patternByte;

describe("ManagedBlobStorage streaming and listing against Azurite", () => {
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

  it("uploads 64 MiB as a stream and downloads it through downloadBlobStream with heap growth far below its size", async () => {
    let produced = 0;
    const source = Readable.from(
      (function* () {
        for (let offset = 0; offset < BLOB_SIZE; offset += MIB) {
          const chunk = new Uint8Array(MIB);
          for (let i = 0; i < MIB; i++) chunk[i] = expected(offset + i);
          produced += MIB;
          yield chunk;
        }
      })(),
    );
    const before = server.stats().requestsByComp;
    await blobs.uploadBlob("big.bin", source, {
      bufferSize: 4 * MIB,
      maxConcurrency: 2,
    });
    assert.equal(produced, BLOB_SIZE);
    // 16 blocks of 4 MiB, then one commit: streamed, not one 64 MiB request.
    const after = server.stats().requestsByComp;
    assert.equal((after.block ?? 0) - (before.block ?? 0), 16);
    assert.equal((after.blocklist ?? 0) - (before.blocklist ?? 0), 1);

    // The client runs in a child process: this one holds Azurite's copy of
    // the blob and its response buffers.
    const run = await runBlobChild({
      mode: "download",
      connectionString: server.connectionString,
      containerName: CONTAINER,
      blobName: "big.bin",
    });
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const result = run.lines.find((line) => "peakGrowth" in line) as {
      bytes: number;
      chunks: number;
      peakGrowth: number;
      mismatch: number;
      wholeBytes: number;
      wholeGrowth: number;
    };
    assert.ok(result, JSON.stringify(run));
    assert.equal(result.bytes, BLOB_SIZE);
    assert.equal(result.mismatch, -1, `byte ${result.mismatch} differs`);
    assert.ok(result.chunks > 64, `read in ${result.chunks} chunks`);
    const growthMiB = result.peakGrowth / MIB;
    console.log(
      `64 MiB download: ${result.chunks} chunks, peak growth ${
        growthMiB.toFixed(1)
      } MiB streamed, ${(result.wholeGrowth / MIB).toFixed(1)} MiB whole`,
    );
    assert.ok(
      growthMiB < 16,
      `memory grew by ${growthMiB.toFixed(1)} MiB while reading a 64 MiB blob`,
    );
    // The measurement sees a blob held whole: the bound above means something.
    assert.equal(result.wholeBytes, BLOB_SIZE);
    assert.ok(
      result.wholeGrowth > 48 * MIB,
      `the whole blob showed as ${(result.wholeGrowth / MIB).toFixed(1)} MiB`,
    );
  });

  it("streams the same download in this process, and gives its client place back at the end", async () => {
    const { stream, properties } = await blobs.downloadBlobStream("big.bin");
    assert.equal(properties.contentLength, BLOB_SIZE);
    assert.equal(blobs.stats().activeCallers, 1);
    let received = 0;
    let mismatch = -1;
    for await (const chunk of stream) {
      if (mismatch < 0 && chunk[0] !== expected(received)) mismatch = received;
      received += chunk.byteLength;
    }
    assert.equal(received, BLOB_SIZE);
    assert.equal(mismatch, -1);
    assert.equal(
      blobs.stats().activeCallers,
      0,
      "the stream gave its place back",
    );
  });

  it("lists 1,200 blobs by prefix across 12 pages, each fetched only when the loop reaches it", async () => {
    const names = Array.from(
      { length: 1200 },
      (_, i) => `batch/${String(i).padStart(4, "0")}.txt`,
    );
    for (let i = 0; i < names.length; i += 100) {
      await Promise.all(
        names.slice(i, i + 100).map((name) => blobs.uploadBlob(name, name)),
      );
    }
    await blobs.uploadBlob("batchless.txt", "not listed");
    const pages = () => server.stats().requestsByComp.list ?? 0;
    const start = pages();
    const listing = blobs.listBlobs({ prefix: "batch/", maxPageSize: 100 });
    assert.equal(pages(), start, "nothing is fetched before the first next()");
    const seen: string[] = [];
    const pagesAt: number[] = [];
    for await (const item of listing) {
      seen.push(item.name);
      pagesAt.push(pages() - start);
    }
    assert.deepEqual(seen, names);
    // Item k arrived after exactly floor(k / 100) + 1 page requests.
    for (const k of [0, 99, 100, 650, 1199]) {
      assert.equal(pagesAt[k], Math.floor(k / 100) + 1, `item ${k}`);
    }
    assert.equal(pages() - start, 12);
    assert.equal(blobs.stats().activeCallers, 0);
  });

  it("stops fetching pages when the loop breaks", async () => {
    const pages = () => server.stats().requestsByComp.list ?? 0;
    const start = pages();
    let count = 0;
    for await (
      const _ of blobs.listBlobs({ prefix: "batch/", maxPageSize: 50 })
    ) {
      if (++count === 120) break;
    }
    assert.equal(pages() - start, 3);
  });
});
