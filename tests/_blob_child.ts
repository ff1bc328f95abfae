/**
 * The child process of the Blob tests that must measure or watch a client
 * alone, away from the in-process Azurite of its parent:
 *
 * - `download`: reads a blob through `downloadBlobStream`, chunk by chunk,
 *   and prints `{ "bytes", "chunks", "peakGrowth", "mismatch" }`: how much
 *   the live heap plus array buffers (measured after a full collection,
 *   every 32 chunks) grew at most while reading, and the first
 *   byte that differs from the parent's pattern (`-1` for none); then, as a
 *   control of the measurement, the growth with the whole blob downloaded
 *   by `downloadBlob` (`wholeGrowth`);
 * - `exit`: uploads, downloads (whole and as a stream), lists, signs a SAS
 *   URL and deletes, then closes the client, prints `{ "closed": … }` and
 *   must exit by itself.
 *
 * Its input is the environment variable `BLOB_CHILD`, a JSON
 * {@linkcode BlobChildSpec}. It runs on Deno (the sources) and on Node and
 * Bun (compiled to npm/tests/).
 *
 * @module
 */

import process from "node:process";
import { ManagedBlobStorage } from "../src/blob/mod.ts";
import { patternByte } from "./_blob.ts";

/** What the parent asks the child to do. */
export interface BlobChildSpec {
  mode: "download" | "exit";
  connectionString: string;
  containerName: string;
  /** `download`: the blob to read. */
  blobName?: string;
}

function held(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + (usage.arrayBuffers || usage.external || 0);
}

/** A full collection (Node and Deno with --expose-gc, Bun always), or nothing. */
const collect: () => void = (globalThis as { gc?: () => void }).gc ??
  ((globalThis as { Bun?: { gc(force: boolean): void } }).Bun
    ? () =>
      (globalThis as unknown as { Bun: { gc(force: boolean): void } }).Bun.gc(
        true,
      )
    : () => {});

function print(line: unknown): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function download(
  blobs: ManagedBlobStorage,
  name: string,
): Promise<void> {
  // Warm up: the client, the SDK's modules and the agent exist before the baseline.
  await blobs.uploadBlob("warm-up.txt", "x");
  await blobs.downloadBlob("warm-up.txt");
  collect();
  const baseline = held();
  const { stream } = await blobs.downloadBlobStream(name);
  let bytes = 0;
  let chunks = 0;
  let peak = 0;
  let mismatch = -1;
  for await (const chunk of stream) {
    chunks++;
    for (let i = 0; i < chunk.byteLength && mismatch < 0; i += 997) {
      if (chunk[i] !== patternByte(bytes + i)) mismatch = bytes + i;
    }
    const last = chunk.byteLength - 1;
    if (mismatch < 0 && chunk[last] !== patternByte(bytes + last)) {
      mismatch = bytes + last;
    }
    bytes += chunk.byteLength;
    if (chunks % 32 === 0) {
      collect();
      peak = Math.max(peak, held() - baseline);
    }
  }
  // The control: the whole blob in memory, measured the same way.
  collect();
  const before = held();
  const whole = await blobs.downloadBlob(name);
  collect();
  const wholeGrowth = held() - before;
  print({
    bytes,
    chunks,
    peakGrowth: peak,
    mismatch,
    wholeBytes: whole.byteLength,
    wholeGrowth,
  });
}

async function exercise(blobs: ManagedBlobStorage): Promise<void> {
  await blobs.uploadBlob("exit/a.txt", "a");
  await blobs.downloadBlob("exit/a.txt");
  const { stream } = await blobs.downloadBlobStream("exit/a.txt");
  await new Response(stream).arrayBuffer();
  for await (const _ of blobs.listBlobs({ prefix: "exit/" })) { /* all */ }
  await blobs.getBlobSasUrl("exit/a.txt");
  await blobs.deleteBlob("exit/a.txt");
}

const spec = JSON.parse(process.env.BLOB_CHILD ?? "{}") as BlobChildSpec;
const blobs = new ManagedBlobStorage({
  connectionString: spec.connectionString,
  containerName: spec.containerName,
});
try {
  if (spec.mode === "download") await download(blobs, spec.blobName!);
  else await exercise(blobs);
} finally {
  await blobs.close();
  print({ closed: Date.now() });
}
