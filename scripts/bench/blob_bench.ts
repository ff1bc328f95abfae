/**
 * `deno task bench:blob`: uploads and downloads of small
 * (1 KiB) and medium (1 MiB) blobs at concurrency 1 and 20, against Azurite
 * (started by `startLocalBlobStorage` in a child Deno process, so that the
 * server's work is not on the measured event loop), through:
 *
 * - `ManagedBlobStorage` (`uploadBlob`, `downloadBlob`);
 * - one long-lived `ContainerClient` (the SDK's advice, the baseline):
 *   `uploadData`, `download` with the body read into one `Buffer`;
 * - a new `BlobServiceClient` per operation (the Python original's way),
 *   the same calls.
 *
 * Each cell runs for `BLOB_BENCH_SECONDS` after a warm-up of the same
 * length, `BLOB_BENCH_ROUNDS` times with the subjects interleaved; the
 * median ops/s is reported with its ratio to the long-lived client.
 * Parameters (environment variables, defaults printed at start):
 * `BLOB_BENCH_SECONDS` (1), `BLOB_BENCH_ROUNDS` (3).
 *
 * @module
 */

import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { Buffer } from "node:buffer";
import { ManagedBlobStorage } from "../../src/blob/mod.ts";

function numberFromEnv(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Cannot run the Blob bench as ${name} must be a positive number: received ${raw}`,
    );
  }
  return value;
}

const SECONDS = numberFromEnv("BLOB_BENCH_SECONDS", 1);
const ROUNDS = Math.round(numberFromEnv("BLOB_BENCH_ROUNDS", 3));
console.log(
  `blob bench: BLOB_BENCH_SECONDS=${SECONDS} BLOB_BENCH_ROUNDS=${ROUNDS} (Deno ${Deno.version.deno})`,
);

const CONTAINER = "bench";
const SERVER = `
import { startLocalBlobStorage } from ${
  JSON.stringify(
    new URL("../../src/testing/servers/mod.ts", import.meta.url).href,
  )
};
const server = await startLocalBlobStorage({ containers: [${
  JSON.stringify(CONTAINER)
}] });
console.log(JSON.stringify({ connectionString: server.connectionString }));
await Deno.stdin.readable.pipeTo(new WritableStream());
await server.close();
`;

/** Azurite in a child process; resolves with its connection string. */
async function startServer(): Promise<
  { connectionString: string; stop(): Promise<void> }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", SERVER],
    cwd: new URL("../../", import.meta.url),
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("Azurite's child exited before it was ready");
    text += value;
    const line = text.split("\n").find((l) => l.startsWith("{"));
    if (line !== undefined) {
      reader.releaseLock();
      const writer = child.stdin.getWriter();
      return {
        connectionString: JSON.parse(line).connectionString,
        async stop() {
          await writer.close();
          await child.stdout.cancel().catch(() => {});
          await child.status;
        },
      };
    }
  }
}

/** A body read to its end into one array, as user code does (`Buffer.concat`). */
async function readBody(
  body: NodeJS.ReadableStream | undefined,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

interface Subject {
  name: string;
  upload(name: string, data: Uint8Array): Promise<unknown>;
  download(name: string): Promise<unknown>;
}

function sdkSubject(
  name: string,
  container: () => ContainerClient,
): Subject {
  return {
    name,
    upload: (blob, data) =>
      container().getBlockBlobClient(blob).uploadData(data),
    download: async (blob) =>
      readBody(
        (await container().getBlobClient(blob).download()).readableStreamBody,
      ),
  };
}

/** Operations completed in `seconds` by `concurrency` loops. */
async function measure(
  op: (i: number) => Promise<unknown>,
  concurrency: number,
  seconds: number,
): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await op(next++);
        done++;
      }
    }),
  );
  return done / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const server = await startServer();
const { connectionString } = server;
const managed = new ManagedBlobStorage({
  connectionString,
  containerName: CONTAINER,
});
const longLived = BlobServiceClient.fromConnectionString(connectionString)
  .getContainerClient(CONTAINER);
const subjects: Subject[] = [
  {
    name: "ManagedBlobStorage",
    upload: (blob, data) => managed.uploadBlob(blob, data),
    download: (blob) => managed.downloadBlob(blob),
  },
  sdkSubject("one long-lived ContainerClient", () => longLived),
  sdkSubject(
    "new BlobServiceClient per op",
    () =>
      BlobServiceClient.fromConnectionString(connectionString)
        .getContainerClient(CONTAINER),
  ),
];

const sizes = [["1 KiB", 1024], ["1 MiB", 1024 * 1024]] as const;
const rows: string[] = [];
try {
  for (const [label, size] of sizes) {
    const data = new Uint8Array(size).fill(7);
    await longLived.getBlockBlobClient(`download-${size}`).uploadData(data);
    for (const kind of ["upload", "download"] as const) {
      for (const concurrency of [1, 20]) {
        const results = new Map<string, number[]>();
        for (let round = 0; round < ROUNDS; round++) {
          for (const subject of subjects) {
            const op = kind === "upload"
              ? (i: number) => subject.upload(`up-${size}/${i % 50}`, data)
              : () => subject.download(`download-${size}`);
            if (round === 0) await measure(op, concurrency, SECONDS); // warm-up
            const opsPerSecond = await measure(op, concurrency, SECONDS);
            results.set(subject.name, [
              ...(results.get(subject.name) ?? []),
              opsPerSecond,
            ]);
          }
        }
        const baseline = median(results.get(subjects[1].name)!);
        for (const subject of subjects) {
          const value = median(results.get(subject.name)!);
          const row =
            `| ${kind} ${label} | ${concurrency} | ${subject.name} | ${
              value.toFixed(0)
            } | ${(value / baseline).toFixed(2)}x |`;
          rows.push(row);
          console.log(row);
        }
      }
    }
  }
} finally {
  await managed.close();
  await server.stop();
}
console.log("\n| workload | concurrency | client | ops/s | vs long-lived |");
console.log("|---|---|---|---|---|");
for (const row of rows) console.log(row);
