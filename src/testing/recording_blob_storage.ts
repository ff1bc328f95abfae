/**
 * `RecordingBlobStorage`: a stand-in for `ManagedBlobStorage` in unit tests
 * that should not start a server, and `BlobStore`, the interface both
 * satisfy.
 *
 * @module
 */

// Type-only: `./testing` loads no Azure SDK at run time.
import type {
  BlobDownloadProperties,
  BlobDownloadStream,
  BlobSasOptions,
  BlobUploadData,
  DeleteBlobOptions,
  DownloadBlobOptions,
  ListBlobsOptions,
  ListedBlob,
  ManagedBlobStorage,
  UploadBlobFromUrlOptions,
  UploadBlobOptions,
  UploadBlobResult,
} from "../blob/mod.ts";
import { RequestFailed } from "../pool/errors.ts";
import { CallScript } from "./_call_script.ts";

/**
 * The blob surface of `ManagedBlobStorage`: write your code against it,
 * pass the managed client in production and a
 * {@linkcode RecordingBlobStorage} in unit tests.
 *
 * @example A function that accepts either
 * ```ts
 * import { type BlobStore, RecordingBlobStorage } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * async function saveReport(blobs: BlobStore, csv: string): Promise<string> {
 *   await blobs.uploadBlob("2026/q4.csv", csv, { contentType: "text/csv" });
 *   return blobs.getBlobSasUrl("2026/q4.csv");
 * }
 *
 * const blobs = new RecordingBlobStorage();
 * const url = await saveReport(blobs, "a,b\n");
 * assert.equal(blobs.text("2026/q4.csv"), "a,b\n");
 * assert.match(url, /\/reports\/2026\/q4\.csv\?/);
 * ```
 */
export type BlobStore = Pick<
  ManagedBlobStorage,
  | "uploadBlob"
  | "downloadBlob"
  | "downloadBlobStream"
  | "downloadBlobToFile"
  | "listBlobs"
  | "deleteBlob"
  | "uploadBlobFromUrl"
  | "getBlobSasUrl"
  | "getBlobSasUrls"
  | "close"
>;

/** A blob a {@linkcode RecordingBlobStorage} holds. */
export interface RecordedBlob {
  /** The content. */
  data: Uint8Array;
  /** The content type it was uploaded with (as `ManagedBlobStorage` would set it). */
  contentType: string | undefined;
  /** Its metadata. */
  metadata: Record<string, string>;
  /** A new ETag per upload. */
  etag: string;
  /** When it was uploaded. */
  lastModified: Date;
}

/** One call a {@linkcode RecordingBlobStorage} received. */
export interface RecordedBlobCall {
  /** Which method was called. */
  method:
    | "uploadBlob"
    | "downloadBlob"
    | "downloadBlobStream"
    | "downloadBlobToFile"
    | "listBlobs"
    | "deleteBlob"
    | "uploadBlobFromUrl"
    | "getBlobSasUrl"
    | "getBlobSasUrls";
  /** The blob names it named (none for `listBlobs`). */
  blobNames: string[];
  /** The options, as given (a shallow copy). */
  options: object | undefined;
  /** What the call rejected with, if it was made to fail. */
  error?: unknown;
}

/** Options of {@linkcode RecordingBlobStorage}. */
export interface RecordingBlobStorageOptions {
  /**
   * The container named in SAS URLs and errors.
   * @default {"reports"}
   */
  containerName?: string;
  /**
   * The account URL that SAS URLs start with.
   * @default {"https://recording.blob.core.windows.net"}
   */
  accountUrl?: string;
}

function notFound(what: string, name: string): RequestFailed {
  return new RequestFailed(`Cannot ${what} '${name}': 404 BlobNotFound`, {
    statusCode: 404,
    serviceCode: "BlobNotFound",
  });
}

async function bytesOf(data: BlobUploadData): Promise<Uint8Array> {
  if (typeof data === "string") return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data.slice();
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (typeof Blob !== "undefined" && data instanceof Blob) {
    return new Uint8Array(await data.arrayBuffer());
  }
  const chunks: Uint8Array[] = [];
  for await (
    const chunk of data as AsyncIterable<Uint8Array | string>
  ) {
    chunks.push(
      typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk,
    );
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function contentTypeOf(
  data: BlobUploadData,
  given?: string,
): string | undefined {
  if (given !== undefined) return given;
  if (typeof data === "string") return "text/plain; charset=utf-8";
  if (typeof Blob !== "undefined" && data instanceof Blob && data.type !== "") {
    return data.type;
  }
  return undefined;
}

/**
 * A `BlobStore` in memory that records what it is asked: uploads keep the
 * bytes (streams are read to their end), downloads and listings serve what
 * was uploaded (a missing blob is `RequestFailed` 404 `BlobNotFound`, as
 * the managed client reports it), deletes remove, SAS URLs are made up
 * (`…?sv=recording&se=…&sp=r&sig=recording`), and `uploadBlobFromUrl` copies
 * a blob of this double when the URL names one (else it stores the URL's
 * text). Every call is in `calls`; `failNext(count, error)` makes the next
 * calls reject; after `close()` calls reject with `PoolClosed`; an aborted
 * `abortSignal` rejects with its reason. It checks no names or options:
 * test those against `startLocalBlobStorage` from `./testing/servers`.
 *
 * @example Recording, serving, and a scripted failure
 * ```ts
 * import { RecordingBlobStorage } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * const blobs = new RecordingBlobStorage();
 * await blobs.uploadBlob("a.txt", "hello", { metadata: { by: "me" } });
 * assert.equal(new TextDecoder().decode(await blobs.downloadBlob("a.txt")), "hello");
 * blobs.failNext(1, new Error("service busy"));
 * await assert.rejects(blobs.deleteBlob("a.txt"), /service busy/);
 * await blobs.deleteBlob("a.txt");
 * await assert.rejects(blobs.downloadBlob("a.txt"), { statusCode: 404 });
 * assert.deepEqual(blobs.calls.map((c) => c.method), [
 *   "uploadBlob", "downloadBlob", "deleteBlob", "deleteBlob", "downloadBlob",
 * ]);
 * ```
 */
export class RecordingBlobStorage implements BlobStore {
  readonly #blobs = new Map<string, RecordedBlob>();
  readonly #calls: RecordedBlobCall[] = [];
  readonly #script = new CallScript("RecordingBlobStorage");
  readonly #containerName: string;
  readonly #accountUrl: string;
  #etags = 0;

  /**
   * Makes an empty double.
   *
   * @param options The container and account named in SAS URLs.
   */
  constructor(options: RecordingBlobStorageOptions = {}) {
    this.#containerName = options.containerName ?? "reports";
    this.#accountUrl = (options.accountUrl ??
      "https://recording.blob.core.windows.net").replace(/\/+$/, "");
  }

  /** Every call, in order, including those made to fail. */
  get calls(): readonly RecordedBlobCall[] {
    return this.#calls;
  }

  /** The blobs held now, by name. */
  get blobs(): ReadonlyMap<string, RecordedBlob> {
    return this.#blobs;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#script.closed;
  }

  /**
   * A held blob's content as UTF-8 text.
   *
   * @param blobName The blob's name.
   * @returns The text, or `undefined` when no such blob is held.
   */
  text(blobName: string): string | undefined {
    const blob = this.#blobs.get(blobName);
    return blob === undefined ? undefined : new TextDecoder().decode(blob.data);
  }

  /**
   * Makes the next `count` calls reject with `error` (after failures
   * already scripted); they are recorded in `calls` with the error and
   * change nothing.
   *
   * @param count How many calls.
   * @param error What they reject with.
   * @returns This double.
   * @throws {RangeError} When `count` is not a positive integer.
   */
  failNext(count: number, error: unknown): this {
    this.#script.failNext(count, error);
    return this;
  }

  /**
   * Stores a blob (reading a stream to its end).
   *
   * @param blobName The blob's name.
   * @param data The content.
   * @param options Content type, metadata, `overwrite`.
   * @returns Its made-up ETag and time.
   * @throws {RequestFailed} 409 `BlobAlreadyExists` with `overwrite: false`.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  async uploadBlob(
    blobName: string,
    data: BlobUploadData,
    options?: UploadBlobOptions,
  ): Promise<UploadBlobResult> {
    this.#begin("uploadBlob", [blobName], options);
    if (options?.overwrite === false && this.#blobs.has(blobName)) {
      throw new RequestFailed(
        `Cannot upload blob '${blobName}': 409 BlobAlreadyExists`,
        { statusCode: 409, serviceCode: "BlobAlreadyExists" },
      );
    }
    return this.#store(blobName, {
      data: await bytesOf(data),
      contentType: contentTypeOf(data, options?.contentType),
      metadata: { ...options?.metadata },
    });
  }

  /**
   * Serves a stored blob's bytes (a copy).
   *
   * @param blobName The blob's name.
   * @param options A signal.
   * @returns The bytes.
   * @throws {RequestFailed} 404 `BlobNotFound` when it is not held.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  downloadBlob(
    blobName: string,
    options?: DownloadBlobOptions,
  ): Promise<Uint8Array> {
    return this.#attempt(() => {
      this.#begin("downloadBlob", [blobName], options);
      return this.#get("download blob", blobName).data.slice();
    });
  }

  /**
   * Serves a stored blob as a stream, with its properties.
   *
   * @param blobName The blob's name.
   * @param options A signal.
   * @returns The stream and the properties.
   * @throws {RequestFailed} 404 `BlobNotFound` when it is not held.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  downloadBlobStream(
    blobName: string,
    options?: DownloadBlobOptions,
  ): Promise<BlobDownloadStream> {
    return this.#attempt(() => {
      this.#begin("downloadBlobStream", [blobName], options);
      const blob = this.#get("download blob", blobName);
      return {
        stream: new Blob([blob.data.slice()]).stream(),
        properties: this.#properties(blob),
      };
    });
  }

  /**
   * Writes a stored blob to a file.
   *
   * @param blobName The blob's name.
   * @param filePath Where to write it.
   * @param options A signal.
   * @returns Its properties.
   * @throws {RequestFailed} 404 `BlobNotFound` when it is not held.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, the aborted signal's reason, or the
   * file system's error.
   */
  async downloadBlobToFile(
    blobName: string,
    filePath: string,
    options?: DownloadBlobOptions,
  ): Promise<BlobDownloadProperties> {
    this.#begin("downloadBlobToFile", [blobName], options);
    const blob = this.#get("download blob", blobName);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(filePath, blob.data);
    return this.#properties(blob);
  }

  /**
   * Lists the stored blobs whose names start with `prefix`, by name.
   *
   * @param options The prefix, whether to include metadata, a signal.
   * @returns The blobs, shaped like the SDK's `BlobItem`.
   * @throws {PoolClosed} From the iterator after `close()`.
   * @throws {unknown} From the iterator: a scripted error, or the aborted
   * signal's reason.
   */
  listBlobs(options?: ListBlobsOptions): AsyncIterableIterator<ListedBlob> {
    return this.#list(options);
  }

  async *#list(
    options: ListBlobsOptions | undefined,
  ): AsyncIterableIterator<ListedBlob> {
    this.#begin("listBlobs", [], options);
    const prefix = options?.prefix ?? "";
    const names = [...this.#blobs.keys()].filter((n) => n.startsWith(prefix))
      .sort();
    for (const name of names) {
      const blob = this.#blobs.get(name);
      if (blob === undefined) continue;
      yield {
        name,
        deleted: false,
        snapshot: "",
        properties: {
          etag: blob.etag,
          lastModified: blob.lastModified,
          contentLength: blob.data.byteLength,
          contentType: blob.contentType,
        },
        metadata: options?.includeMetadata ? { ...blob.metadata } : undefined,
      };
    }
  }

  /**
   * Deletes a stored blob.
   *
   * @param blobName The blob's name.
   * @param options A signal.
   * @returns When it is deleted.
   * @throws {RequestFailed} 404 `BlobNotFound` when it is not held.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  deleteBlob(blobName: string, options?: DeleteBlobOptions): Promise<void> {
    return this.#attempt(() => {
      this.#begin("deleteBlob", [blobName], options);
      this.#get("delete blob", blobName);
      this.#blobs.delete(blobName);
    });
  }

  /**
   * Stores a copy of the blob of this double that `sourceUrl` names (one of
   * its SAS URLs), or else the URL itself as text, so that the upload can be
   * asserted on.
   *
   * @param blobName The new blob's name.
   * @param sourceUrl The source.
   * @param options `overwrite`, a signal.
   * @returns Its made-up ETag and time.
   * @throws {RequestFailed} 409 `BlobAlreadyExists` with `overwrite: false`.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  uploadBlobFromUrl(
    blobName: string,
    sourceUrl: string,
    options?: UploadBlobFromUrlOptions,
  ): Promise<UploadBlobResult> {
    return this.#attempt(() => {
      this.#begin("uploadBlobFromUrl", [blobName], options);
      if (options?.overwrite === false && this.#blobs.has(blobName)) {
        throw new RequestFailed(
          `Cannot upload blob '${blobName}' from a URL: 409 BlobAlreadyExists`,
          { statusCode: 409, serviceCode: "BlobAlreadyExists" },
        );
      }
      const source = this.#blobs.get(this.#nameOf(sourceUrl) ?? "");
      return this.#store(
        blobName,
        source === undefined
          ? {
            data: new TextEncoder().encode(sourceUrl),
            contentType: undefined,
            metadata: {},
          }
          : { ...source, data: source.data.slice() },
      );
    });
  }

  /**
   * Makes up a SAS URL for a blob (it need not exist).
   *
   * @param blobName The blob's name.
   * @param options Expiry and permissions (written into the URL), a signal.
   * @returns `<accountUrl>/<container>/<name>?sv=recording&se=…&sp=…&sig=recording`.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  getBlobSasUrl(blobName: string, options?: BlobSasOptions): Promise<string> {
    return this.#attempt(() => {
      this.#begin("getBlobSasUrl", [blobName], options);
      return this.#sasUrl(blobName, options);
    });
  }

  /**
   * Makes up a SAS URL per blob name.
   *
   * @param blobNames The blobs' names.
   * @param options Expiry and permissions, a signal.
   * @returns Each name's URL, keyed by name.
   * @throws {PoolClosed} After `close()`.
   * @throws {unknown} A scripted error, or the aborted signal's reason.
   */
  getBlobSasUrls(
    blobNames: readonly string[],
    options?: BlobSasOptions,
  ): Promise<Map<string, string>> {
    return this.#attempt(() => {
      this.#begin("getBlobSasUrls", [...blobNames], options);
      return new Map(
        blobNames.map((name) => [name, this.#sasUrl(name, options)]),
      );
    });
  }

  /**
   * Marks the double closed; later calls reject with `PoolClosed`.
   *
   * @returns At once.
   */
  close(): Promise<void> {
    this.#script.close();
    return Promise.resolve();
  }

  /** Runs a synchronous call as a promise (so that a throw is a rejection). */
  #attempt<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Records a call, and throws what the script says it fails with. */
  #begin(
    method: RecordedBlobCall["method"],
    blobNames: string[],
    given: { abortSignal?: AbortSignal } | undefined,
  ): void {
    const options = given === undefined ? undefined : { ...given };
    const failure = this.#script.next(given?.abortSignal);
    if (failure !== undefined) {
      this.#calls.push({ method, blobNames, options, error: failure.error });
      throw failure.error;
    }
    this.#calls.push({ method, blobNames, options });
  }

  #get(what: string, name: string): RecordedBlob {
    const blob = this.#blobs.get(name);
    if (blob === undefined) throw notFound(what, name);
    return blob;
  }

  #store(
    name: string,
    blob: Omit<RecordedBlob, "etag" | "lastModified">,
  ): UploadBlobResult {
    const stored: RecordedBlob = {
      ...blob,
      etag: `"0x${(++this.#etags).toString(16).padStart(8, "0")}"`,
      lastModified: new Date(),
    };
    this.#blobs.set(name, stored);
    return {
      etag: stored.etag,
      lastModified: stored.lastModified,
      versionId: undefined,
    };
  }

  #properties(blob: RecordedBlob): BlobDownloadProperties {
    return {
      contentLength: blob.data.byteLength,
      contentType: blob.contentType,
      etag: blob.etag,
      lastModified: blob.lastModified,
      metadata: { ...blob.metadata },
    };
  }

  #blobUrl(name: string): string {
    const path = name.split("/").map(encodeURIComponent).join("/");
    return `${this.#accountUrl}/${this.#containerName}/${path}`;
  }

  #nameOf(url: string): string | undefined {
    const prefix = `${this.#accountUrl}/${this.#containerName}/`;
    if (!url.startsWith(prefix)) return undefined;
    return url.slice(prefix.length).split("?")[0].split("/").map(
      decodeURIComponent,
    ).join("/");
  }

  #sasUrl(name: string, options: BlobSasOptions | undefined): string {
    const expiresOn = options?.expiresOn ?? new Date(Date.now() + 3_600_000);
    const query = new URLSearchParams({
      sv: "recording",
      se: expiresOn.toISOString().replace(/\.\d{3}Z$/, "Z"),
      sp: options?.permissions ?? "r",
      sig: "recording",
    });
    return `${this.#blobUrl(name)}?${query}`;
  }
}
