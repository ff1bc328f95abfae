/**
 * The option bags and results of `ManagedBlobStorage`'s operations. Each
 * operation checks its bag strictly: an unknown key is a `TypeError` that
 * names the known ones.
 *
 * @module
 */

import type { BlobDownloadResponseParsed, BlobItem } from "@azure/storage-blob";
import type { Readable } from "node:stream";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";

/**
 * What `uploadBlob` accepts. Strings are sent as UTF-8; bytes in one
 * request (in blocks above the SDK's 256 MiB single-shot limit); a `Blob`,
 * a web `ReadableStream` or a Node.js `Readable` is streamed in blocks of
 * `bufferSize`, never held whole in memory.
 *
 * @example Every shape `uploadBlob` takes
 * ```ts
 * import type { BlobUploadData } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const bodies: BlobUploadData[] = [
 *   "a,b\n1,2\n",
 *   new TextEncoder().encode("bytes"),
 *   new Blob(["a blob"], { type: "text/plain" }),
 *   new Response("a stream").body!,
 * ];
 * assert.equal(bodies.length, 4);
 * ```
 */
export type BlobUploadData =
  | string
  | Uint8Array
  | ArrayBuffer
  | Blob
  | ReadableStream<Uint8Array>
  | Readable;

/**
 * Options of `uploadBlob`.
 *
 * @example A CSV with metadata that must not replace an existing blob
 * ```ts
 * import type { UploadBlobOptions } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const options: UploadBlobOptions = { contentType: "text/csv", metadata: { by: "me" }, overwrite: false };
 * assert.equal(options.overwrite, false);
 * ```
 */
export interface UploadBlobOptions extends ManagedOperationOptions {
  /**
   * The blob's `Content-Type`.
   * @default {"text/plain; charset=utf-8" for a string, a Blob's own type, else the service's "application/octet-stream"}
   */
  contentType?: string;
  /**
   * Name-value pairs stored with the blob (names must be valid C#
   * identifiers; values ASCII).
   * @default {undefined}
   */
  metadata?: Record<string, string>;
  /**
   * Whether an existing blob is replaced. `false` makes the upload fail with
   * `RequestFailed` (409, `BlobAlreadyExists`) instead.
   * @default {true}
   */
  overwrite?: boolean;
  /**
   * Streams only: the block size in bytes. Memory held by one upload is at
   * most `bufferSize` × `maxConcurrency`.
   * @default {8388608}
   */
  bufferSize?: number;
  /**
   * Streams only: blocks uploaded at once.
   * @default {5}
   */
  maxConcurrency?: number;
}

/**
 * Options of `downloadBlob`, `downloadBlobStream` and `downloadBlobToFile`.
 *
 * @example Giving up after five seconds
 * ```ts
 * import type { DownloadBlobOptions } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const options: DownloadBlobOptions = { abortSignal: AbortSignal.timeout(5000) };
 * assert.ok(options.abortSignal);
 * ```
 */
export interface DownloadBlobOptions extends ManagedOperationOptions {
  /**
   * How often the SDK resumes a body whose connection broke, from the byte
   * it reached.
   * @default {5}
   */
  maxRetryRequests?: number;
}

/**
 * A downloaded blob's properties: the SDK's download response without its
 * body and its raw HTTP response (whose request carries the credential's
 * signature).
 *
 * @example Reading a download's properties
 * ```ts
 * import type { BlobDownloadProperties } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const properties: BlobDownloadProperties = { contentType: "text/csv", contentLength: 8, etag: '"0x1"' };
 * assert.equal(properties.contentType, "text/csv");
 * ```
 */
export type BlobDownloadProperties = Omit<
  BlobDownloadResponseParsed,
  "readableStreamBody" | "blobBody" | "_response"
>;

/**
 * What `downloadBlobStream` resolves to.
 *
 * @example Reading a stream chunk by chunk
 * ```ts
 * import type { BlobDownloadStream } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const download: BlobDownloadStream = {
 *   stream: new Blob(["a,b\n"]).stream(),
 *   properties: { contentLength: 4 },
 * };
 * let bytes = 0;
 * for await (const chunk of download.stream) bytes += chunk.byteLength;
 * assert.equal(bytes, download.properties.contentLength);
 * ```
 */
export interface BlobDownloadStream {
  /**
   * The body, read from the network as it is consumed (backpressure: a
   * reader that stops holds a few kilobytes, not the blob). Read it to the
   * end or `cancel()` it: until then it counts against `clientLimit`.
   */
  stream: ReadableStream<Uint8Array>;
  /** The blob's properties (`contentLength`, `contentType`, `etag`, `metadata`, …). */
  properties: BlobDownloadProperties;
}

/**
 * What `uploadBlob` and `uploadBlobFromUrl` resolve to.
 *
 * @example The fields of a result
 * ```ts
 * import type { UploadBlobResult } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const result: UploadBlobResult = { etag: '"0x8D"', lastModified: new Date(0), versionId: undefined };
 * assert.equal(result.etag, '"0x8D"');
 * ```
 */
export interface UploadBlobResult {
  /** The new blob's ETag. */
  etag: string | undefined;
  /** When it was written. */
  lastModified: Date | undefined;
  /** Its version, on accounts with versioning on. */
  versionId: string | undefined;
}

/**
 * Options of `listBlobs`.
 *
 * @example Blobs under a virtual directory, 500 per request
 * ```ts
 * import type { ListBlobsOptions } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const options: ListBlobsOptions = { prefix: "2026/", maxPageSize: 500 };
 * assert.equal(options.prefix, "2026/");
 * ```
 */
export interface ListBlobsOptions extends ManagedOperationOptions {
  /**
   * Only blobs whose names start with this.
   * @default {undefined}
   */
  prefix?: string;
  /**
   * Blobs per request (1-5000). A page is fetched only when the loop has
   * used the previous one.
   * @default {5000 (the service's maximum)}
   */
  maxPageSize?: number;
  /**
   * Whether each item carries its `metadata`.
   * @default {false}
   */
  includeMetadata?: boolean;
}

/**
 * One blob that `listBlobs` yields: the SDK's `BlobItem`.
 *
 * @example Picking the names out of a listing
 * ```ts
 * import type { ListedBlob } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const names = (items: ListedBlob[]) => items.map((item) => item.name);
 * assert.deepEqual(names([]), []);
 * ```
 */
export type ListedBlob = BlobItem;

/**
 * Options of `deleteBlob`.
 *
 * @example Deleting a blob and its snapshots
 * ```ts
 * import type { DeleteBlobOptions } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const options: DeleteBlobOptions = { deleteSnapshots: "include" };
 * assert.equal(options.deleteSnapshots, "include");
 * ```
 */
export interface DeleteBlobOptions extends ManagedOperationOptions {
  /**
   * `"include"` deletes the blob with its snapshots, `"only"` the snapshots
   * alone. Without it, a blob that has snapshots cannot be deleted (409).
   * @default {undefined}
   */
  deleteSnapshots?: "include" | "only";
}

/**
 * Options of `uploadBlobFromUrl`.
 *
 * @example Copying without replacing
 * ```ts
 * import type { UploadBlobFromUrlOptions } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const options: UploadBlobFromUrlOptions = { overwrite: false };
 * assert.equal(options.overwrite, false);
 * ```
 */
export interface UploadBlobFromUrlOptions extends ManagedOperationOptions {
  /**
   * Whether an existing blob is replaced; `false` fails with
   * `RequestFailed` (409) instead.
   * @default {true}
   */
  overwrite?: boolean;
}

/**
 * Options of `getBlobSasUrl` and `getBlobSasUrls`.
 *
 * @example A read URL valid for ten minutes
 * ```ts
 * import type { BlobSasOptions } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const options: BlobSasOptions = { expiresOn: new Date(Date.now() + 600_000), permissions: "r" };
 * assert.equal(options.permissions, "r");
 * ```
 */
export interface BlobSasOptions extends ManagedOperationOptions {
  /**
   * When the URL stops working: in the future, and, signed with a user
   * delegation key, within 7 days (the service's limit for such keys).
   * @default {one hour from now}
   */
  expiresOn?: Date;
  /**
   * When the URL starts working. Leave it unset unless it must: a start
   * time "now" fails on a server whose clock is behind.
   * @default {undefined (at once)}
   */
  startsOn?: Date;
  /**
   * The permissions, as the SAS letters in any order: `r` read, `a` add,
   * `c` create, `w` write, `d` delete, `x` delete version, `y` permanent
   * delete, `t` tags, `m` move, `e` execute, `o` ownership, `p` permissions,
   * `i` set immutability policy.
   * @default {"r"}
   */
  permissions?: string;
}
