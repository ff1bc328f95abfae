/**
 * The pooled Blob Storage client.
 *
 * @module
 */

import type { ContainerClient } from "@azure/storage-blob";
import { pick } from "../managed/_checks.ts";
import type { ManagedLease } from "../managed/lease.ts";
import { ManagedClient } from "../managed/managed_client.ts";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import {
  acquireOptionsOf,
  checkOperationOptions,
  MANAGED_POOL_OPTION_KEYS,
  OPERATION_OPTION_KEYS,
} from "../managed/_pool_options.ts";
import type { Lease } from "../pool/lease.ts";
import { BlobContainerConnector } from "./connector.ts";
import type {
  BlobConnectionOptions,
  ManagedBlobStorageOptions,
} from "./options.ts";
import type {
  BlobDownloadProperties,
  BlobDownloadStream,
  BlobSasOptions,
  BlobUploadData,
  DeleteBlobOptions,
  DownloadBlobOptions,
  ListBlobsOptions,
  ListedBlob,
  UploadBlobFromUrlOptions,
  UploadBlobOptions,
  UploadBlobResult,
} from "./operation_options.ts";
import { BLOB_CONNECTION_KEYS, resolveBlobConnection } from "./_settings.ts";
import { blobError, quote } from "./_errors.ts";
import { readAll, uploadBody, webStreamOf } from "./_body.ts";
import { SasSigner, sasTerms } from "./_sas.ts";
import {
  blobName,
  optionalBoolean,
  optionalInteger,
  optionalMetadata,
  optionalOneOf,
  optionalString,
} from "./_operation_checks.ts";

const OWNER = "ManagedBlobStorage";

const UPLOAD_KEYS = [
  ...OPERATION_OPTION_KEYS,
  "contentType",
  "metadata",
  "overwrite",
  "bufferSize",
  "maxConcurrency",
];
const DOWNLOAD_KEYS = [...OPERATION_OPTION_KEYS, "maxRetryRequests"];
const LIST_KEYS = [
  ...OPERATION_OPTION_KEYS,
  "prefix",
  "maxPageSize",
  "includeMetadata",
];
const DELETE_KEYS = [...OPERATION_OPTION_KEYS, "deleteSnapshots"];
const FROM_URL_KEYS = [...OPERATION_OPTION_KEYS, "overwrite"];
const SAS_KEYS = [
  ...OPERATION_OPTION_KEYS,
  "expiresOn",
  "startsOn",
  "permissions",
];

/** Fields of the SDK's download response that are not properties of the blob. */
const NOT_PROPERTIES = new Set([
  "constructor",
  "readableStreamBody",
  "blobBody",
  "contentAsBlob",
  "originalResponse",
  "blobDownloadStream",
]);

/** The blob's properties from the SDK's download response (whose fields are getters). */
function propertiesOf(response: object): BlobDownloadProperties {
  const properties: Record<string, unknown> = {};
  for (
    let o: object | null = response;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o)
  ) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key.startsWith("_") || NOT_PROPERTIES.has(key) || key in properties) {
        continue;
      }
      const value = (response as Record<string, unknown>)[key];
      if (value !== undefined && typeof value !== "function") {
        properties[key] = value;
      }
    }
  }
  return properties as BlobDownloadProperties;
}

function sourceHost(what: string, value: unknown): string {
  let url: URL | undefined;
  if (typeof value === "string") {
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
  }
  if (
    url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")
  ) {
    // Never echoed: a source URL usually carries a SAS.
    throw new TypeError(
      `Cannot ${what} as 'sourceUrl' must be an absolute https:// or http:// URL: received ${
        url
          ? `a URL with protocol '${url.protocol}'`
          : typeof value === "string"
          ? `a string of ${value.length} characters`
          : typeof value
      }`,
    );
  }
  return url.host;
}

/**
 * A Blob Storage container for an application: one long-lived SDK client
 * (the service's guidance) under the pool's options and `stats()`, with the
 * common operations: upload (strings, bytes, `Blob`s and streams, streamed
 * in blocks), download (whole, as a web stream read on demand, or to a
 * file), lazy listing by prefix, delete, upload from a URL, and read-only
 * (or any) SAS URLs signed with the account key or, for a
 * `TokenCredential`, with one user delegation key per batch, cached until
 * near its expiry.
 *
 * Every operation checks its arguments before any I/O (a `TypeError` or
 * `RangeError`, an unknown option named with the known ones) and turns the
 * SDK's `RestError` into the package's errors, the `RestError` as `cause`:
 * `AuthenticationFailed` (401, 403), `EntityNotFound` (the container is
 * missing), `RequestFailed` with `statusCode` and `serviceCode` for any other
 * answer (a missing blob is `RequestFailed` 404 `BlobNotFound`: a state of
 * the data, not a configuration mistake), `ConnectionFailed` when a request
 * got no answer. A caller's abort rejects with its signal's reason.
 *
 * @example Constructing and closing (no request is sent)
 * ```ts
 * import { ManagedBlobStorage } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const blobs = new ManagedBlobStorage({
 *   connectionString: "UseDevelopmentStorage=true",
 *   containerName: "reports",
 * });
 * assert.equal(blobs.containerName, "reports");
 * assert.equal(blobs.stats().size, 0);
 * await blobs.close();
 * ```
 *
 * @example A misspelt option is an error
 * ```ts
 * import { ManagedBlobStorage } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * await using blobs = new ManagedBlobStorage({
 *   connectionString: "UseDevelopmentStorage=true",
 *   containerName: "reports",
 * });
 * await assert.rejects(
 *   blobs.uploadBlob("a.csv", "x", { contenttype: "text/csv" } as never),
 *   /'contenttype' is not an option \(did you mean 'contentType'\?\)/,
 * );
 * ```
 *
 * @example Round trip (needs a storage account or Azurite)
 * ```ts ignore
 * import { ManagedBlobStorage } from "@azure-clients/toolbox/blob";
 * import { DefaultAzureCredential } from "@azure/identity";
 *
 * const blobs = new ManagedBlobStorage({
 *   accountUrl: "https://acct.blob.core.windows.net",
 *   credential: new DefaultAzureCredential(),
 *   containerName: "reports",
 * });
 * await blobs.uploadBlob("2026/q4.csv", "a,b\n1,2\n", { contentType: "text/csv" });
 * const bytes = await blobs.downloadBlob("2026/q4.csv");
 * const url = await blobs.getBlobSasUrl("2026/q4.csv", { expiresOn: new Date(Date.now() + 3600_000) });
 * await blobs.close();
 * ```
 */
export class ManagedBlobStorage
  extends ManagedClient<ContainerClient, BlobContainerConnector> {
  readonly #containerName: string;
  readonly #host: string;
  readonly #signer: SasSigner;
  /** Put Blob From URL answered 501 (Azurite): copy from the URL instead. */
  #putFromUrlMissing = false;

  /**
   * Checks the options and makes the pool; opens nothing.
   *
   * @param options The connection and the pool's options.
   * @throws {TypeError} When an option is unknown, missing or invalid, or
   * both a connection string and a credential are given (the message names
   * the options, never a key).
   * @throws {RangeError} When a pool option is out of range (the message
   * names the option and the value).
   */
  constructor(options: ManagedBlobStorageOptions) {
    const settings = resolveBlobConnection(
      OWNER,
      options,
      MANAGED_POOL_OPTION_KEYS,
    );
    super(
      OWNER,
      new BlobContainerConnector(
        pick(options, BLOB_CONNECTION_KEYS) as BlobConnectionOptions,
      ),
      // One client for the app: more add memory, not throughput.
      { ...options, maxSize: options.maxSize ?? 1 },
      {
        maxIdleSeconds: Infinity,
        maxLifespanSeconds: Infinity,
        createTimeoutSeconds: 10,
        name: `blob:${settings.host}/${settings.containerName}`,
        // An HTTP client holds no connection to replace: the agent drops a
        // broken socket by itself.
        isConnectionError: () => false,
      },
    );
    this.#containerName = settings.containerName;
    this.#host = settings.host;
    this.#signer = new SasSigner(settings.credential);
  }

  /** The container's name. */
  get containerName(): string {
    return this.#containerName;
  }

  /** The account's host (and port), safe to log. */
  get host(): string {
    return this.#host;
  }

  /**
   * Takes the pooled `ContainerClient` until the lease is released (or
   * disposed with `await using`), for what the operations below do not
   * cover. Errors of the SDK reach you unchanged there.
   *
   * @param options A signal, and a bound on the acquire.
   * @returns The lease; `lease.client` is the container client.
   * @throws {TypeError} For an unknown option.
   * @throws {ConnectionsExhausted} When no client had capacity in time.
   * @throws {AuthenticationFailed} When the credential was refused.
   * @throws {EntityNotFound} When the container does not exist.
   * @throws {ConnectionFailed} When the account could not be reached.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Setting an access tier (needs a storage account or Azurite)
   * ```ts ignore
   * await using lease = await blobs.getContainerClient();
   * await lease.client.getBlobClient("2026/q4.csv").setAccessTier("Cool");
   * ```
   */
  getContainerClient(
    options?: ManagedOperationOptions,
  ): Promise<ManagedLease<ContainerClient>> {
    return this.lease(options);
  }

  /**
   * Uploads a blob, replacing one of the same name unless `overwrite` is
   * `false`. Strings and bytes go in one request; a `Blob`, a web
   * `ReadableStream` or a Node.js `Readable` is streamed in blocks of
   * `bufferSize` (at most `bufferSize` × `maxConcurrency` bytes in memory).
   *
   * @param blobName The blob's name (see `safeBlobName`).
   * @param data The content.
   * @param options Content type, metadata, overwrite, stream tuning, signal.
   * @returns The new blob's ETag, time and version.
   * @throws {TypeError} For a bad name, data or option (before any I/O).
   * @throws {RequestFailed} For a refusal (409 `BlobAlreadyExists` with
   * `overwrite: false`).
   * @throws {AuthenticationFailed} When the credential was refused.
   * @throws {EntityNotFound} When the container does not exist.
   * @throws {ConnectionFailed} When the request got no answer.
   *
   * @example Text, bytes and a stream (needs a storage account or Azurite)
   * ```ts ignore
   * await blobs.uploadBlob("a.txt", "hello", { metadata: { by: "me" } });
   * await blobs.uploadBlob("b.bin", new Uint8Array([1, 2, 3]));
   * await blobs.uploadBlob("c.csv", (await fetch(url)).body!, { contentType: "text/csv" });
   * ```
   */
  uploadBlob(
    blobName: string,
    data: BlobUploadData,
    options?: UploadBlobOptions,
  ): Promise<UploadBlobResult> {
    const what = `upload blob ${this.#quoted(blobName)} to container ${
      quote(this.#containerName)
    }`;
    return this.#run(what, options, () => {
      checkOperationOptions(what, options, UPLOAD_KEYS);
      const name = this.#name(what, blobName);
      optionalString(what, "contentType", options?.contentType);
      optionalMetadata(what, options?.metadata);
      optionalBoolean(what, "overwrite", options?.overwrite);
      optionalInteger(what, "bufferSize", options?.bufferSize, 1);
      optionalInteger(what, "maxConcurrency", options?.maxConcurrency, 1);
      const body = uploadBody(what, data);
      return async (container) => {
        const blob = container.getBlockBlobClient(name);
        const contentType = options?.contentType ?? body.contentType;
        const common = {
          abortSignal: options?.abortSignal,
          metadata: options?.metadata,
          blobHTTPHeaders: contentType === undefined
            ? undefined
            : { blobContentType: contentType },
          conditions: options?.overwrite === false
            ? { ifNoneMatch: "*" }
            : undefined,
        };
        const response = body.kind === "bytes"
          ? await blob.uploadData(body.bytes, common)
          : await blob.uploadStream(
            body.stream,
            options?.bufferSize,
            options?.maxConcurrency,
            common,
          );
        return {
          etag: response.etag,
          lastModified: response.lastModified,
          versionId: response.versionId,
        };
      };
    });
  }

  /**
   * Downloads a whole blob into memory. For large blobs prefer
   * {@linkcode ManagedBlobStorage.downloadBlobStream} or
   * {@linkcode ManagedBlobStorage.downloadBlobToFile}.
   *
   * @param blobName The blob's name.
   * @param options A signal, resume attempts.
   * @returns The bytes.
   * @throws {TypeError} For a bad name or option (before any I/O).
   * @throws {RequestFailed} For a refusal: `statusCode` 404 and
   * `serviceCode` `"BlobNotFound"` for a missing blob.
   * @throws {AuthenticationFailed} When the credential was refused.
   * @throws {EntityNotFound} When the container does not exist.
   * @throws {ConnectionFailed} When the request got no answer.
   *
   * @example Reading a CSV (needs a storage account or Azurite)
   * ```ts ignore
   * const text = new TextDecoder().decode(await blobs.downloadBlob("2026/q4.csv"));
   * ```
   */
  downloadBlob(
    blobName: string,
    options?: DownloadBlobOptions,
  ): Promise<Uint8Array> {
    const what = `download blob ${this.#quoted(blobName)} from container ${
      quote(this.#containerName)
    }`;
    return this.#run(what, options, () => {
      const name = this.#checkDownload(what, blobName, options);
      return async (container) => {
        const response = await container.getBlobClient(name).download(
          0,
          undefined,
          {
            abortSignal: options?.abortSignal,
            maxRetryRequests: options?.maxRetryRequests,
          },
        );
        const body = response.readableStreamBody;
        return body === undefined
          ? new Uint8Array(0)
          : await readAll(body, response.contentLength);
      };
    });
  }

  /**
   * Starts downloading a blob and hands its body over as a web
   * `ReadableStream` that reads from the network only as it is consumed
   * (backpressure: memory stays at a few chunks whatever the blob's size),
   * with the blob's properties. Read the stream to its end or `cancel()` it:
   * until then it holds one of the client's `clientLimit` places.
   *
   * @param blobName The blob's name.
   * @param options A signal (it also stops the body), resume attempts.
   * @returns The stream and the properties.
   * @throws {TypeError} For a bad name or option (before any I/O).
   * @throws {RequestFailed} For a refusal (404 `BlobNotFound`).
   * @throws {AuthenticationFailed} When the credential was refused.
   * @throws {EntityNotFound} When the container does not exist.
   * @throws {ConnectionFailed} When the request got no answer.
   *
   * @example Streaming a blob into a file or a response (needs a storage account or Azurite)
   * ```ts ignore
   * const { stream, properties } = await blobs.downloadBlobStream("2026/q4.csv");
   * console.log(properties.contentLength, properties.contentType);
   * return new Response(stream);
   * ```
   */
  async downloadBlobStream(
    blobName: string,
    options?: DownloadBlobOptions,
  ): Promise<BlobDownloadStream> {
    const what = `download blob ${this.#quoted(blobName)} from container ${
      quote(this.#containerName)
    }`;
    const context = this.#context(what, options);
    const name = this.#checkDownload(what, blobName, options);
    let lease: Lease<ContainerClient>;
    try {
      lease = await this.pool.get(acquireOptionsOf(options));
    } catch (error) {
      throw blobError(error, context);
    }
    try {
      const response = await lease.connection.getBlobClient(name).download(
        0,
        undefined,
        {
          abortSignal: options?.abortSignal,
          maxRetryRequests: options?.maxRetryRequests,
        },
      );
      const properties = propertiesOf(response);
      const body = response.readableStreamBody;
      if (body === undefined) {
        lease.release();
        return { stream: new Blob([]).stream(), properties };
      }
      const stream = webStreamOf(
        body,
        () => lease.release(),
        (error) => blobError(error, context),
      );
      return { stream, properties };
    } catch (error) {
      lease.release();
      throw blobError(error, context);
    }
  }

  /**
   * Downloads a blob into a file (created or replaced), streaming it: the
   * blob is never whole in memory. A download that fails midway leaves a
   * partial file.
   *
   * @param blobName The blob's name.
   * @param filePath Where to write it.
   * @param options A signal, resume attempts.
   * @returns The blob's properties.
   * @throws {TypeError} For a bad name, path or option (before any I/O).
   * @throws {RequestFailed} For a refusal (404 `BlobNotFound`).
   * @throws {AuthenticationFailed} When the credential was refused.
   * @throws {EntityNotFound} When the container does not exist.
   * @throws {ConnectionFailed} When the request got no answer.
   *
   * @example Into a temporary file (needs a storage account or Azurite)
   * ```ts ignore
   * await blobs.downloadBlobToFile("2026/q4.csv", "/tmp/q4.csv");
   * ```
   */
  downloadBlobToFile(
    blobName: string,
    filePath: string,
    options?: DownloadBlobOptions,
  ): Promise<BlobDownloadProperties> {
    const what = `download blob ${this.#quoted(blobName)} from container ${
      quote(this.#containerName)
    } to a file`;
    return this.#run(what, options, () => {
      const name = this.#checkDownload(what, blobName, options);
      if (typeof filePath !== "string" || filePath === "") {
        throw new TypeError(
          `Cannot ${what} as 'filePath' must be a non-empty string: received ${
            typeof filePath === "string" ? "an empty string" : typeof filePath
          }`,
        );
      }
      return async (container) =>
        propertiesOf(
          await container.getBlobClient(name).downloadToFile(
            filePath,
            0,
            undefined,
            {
              abortSignal: options?.abortSignal,
              maxRetryRequests: options?.maxRetryRequests,
            },
          ),
        );
    });
  }

  /**
   * Lists the container's blobs, by name, optionally those under a prefix,
   * one page per request, each fetched only when the loop reaches it (the
   * client is held only during a request, not between pages).
   *
   * @param options The prefix, the page size, whether to include metadata,
   * a signal.
   * @returns An async iterator of the SDK's `BlobItem`s.
   * @throws {TypeError} For a bad option, at once (before any I/O).
   * @throws {AuthenticationFailed} From the iterator, when the credential
   * was refused; likewise `EntityNotFound`, `RequestFailed` and
   * `ConnectionFailed`.
   *
   * @example Names under a prefix (needs a storage account or Azurite)
   * ```ts ignore
   * for await (const item of blobs.listBlobs({ prefix: "2026/" })) {
   *   console.log(item.name, item.properties.contentLength);
   * }
   * ```
   */
  listBlobs(options?: ListBlobsOptions): AsyncIterableIterator<ListedBlob> {
    const what = `list blobs in container ${quote(this.#containerName)}`;
    checkOperationOptions(what, options, LIST_KEYS);
    optionalString(what, "prefix", options?.prefix);
    optionalInteger(what, "maxPageSize", options?.maxPageSize, 1, 5000);
    optionalBoolean(what, "includeMetadata", options?.includeMetadata);
    return this.#pages(what, options);
  }

  async *#pages(
    what: string,
    options: ListBlobsOptions | undefined,
  ): AsyncIterableIterator<ListedBlob> {
    let continuationToken: string | undefined;
    do {
      const page = await this.#run(what, options, () => async (container) => {
        const pages = container.listBlobsFlat({
          prefix: options?.prefix,
          includeMetadata: options?.includeMetadata,
          abortSignal: options?.abortSignal,
        }).byPage({ continuationToken, maxPageSize: options?.maxPageSize });
        return (await pages.next()).value;
      });
      if (page === undefined) return;
      continuationToken = page.continuationToken || undefined;
      yield* page.segment.blobItems;
    } while (continuationToken !== undefined);
  }

  /**
   * Deletes a blob.
   *
   * @param blobName The blob's name.
   * @param options Whether its snapshots go too, a signal.
   * @returns When it is deleted.
   * @throws {TypeError} For a bad name or option (before any I/O).
   * @throws {RequestFailed} For a refusal (404 `BlobNotFound`; 409
   * `SnapshotsPresent` without `deleteSnapshots`).
   * @throws {AuthenticationFailed} When the credential was refused.
   * @throws {EntityNotFound} When the container does not exist.
   * @throws {ConnectionFailed} When the request got no answer.
   *
   * @example Deleting (needs a storage account or Azurite)
   * ```ts ignore
   * await blobs.deleteBlob("2026/q4.csv");
   * ```
   */
  deleteBlob(blobName: string, options?: DeleteBlobOptions): Promise<void> {
    const what = `delete blob ${this.#quoted(blobName)} from container ${
      quote(this.#containerName)
    }`;
    return this.#run(what, options, () => {
      checkOperationOptions(what, options, DELETE_KEYS);
      const name = this.#name(what, blobName);
      optionalOneOf(what, "deleteSnapshots", options?.deleteSnapshots, [
        "include",
        "only",
      ]);
      return async (container) => {
        await container.deleteBlob(name, {
          abortSignal: options?.abortSignal,
          deleteSnapshots: options?.deleteSnapshots,
        });
      };
    });
  }

  /**
   * Makes a blob from the content at a URL (another blob with a SAS, or any
   * public URL), which the service reads itself: the bytes never pass
   * through this process. It uses Put Blob From URL (sources up to 5,000
   * MiB; the new blob gets no metadata); where the service does not
   * implement it (501, as Azurite), it copies from the URL instead (Copy
   * Blob From URL: sources up to 256 MiB; the source's metadata comes
   * along), and keeps doing so.
   *
   * @param blobName The new blob's name.
   * @param sourceUrl The source, readable by the service (never logged or
   * echoed: it may carry a SAS).
   * @param options Whether an existing blob is replaced, a signal.
   * @returns The new blob's ETag, time and version.
   * @throws {TypeError} For a bad name, URL or option (before any I/O).
   * @throws {RequestFailed} For a refusal (409 with `overwrite: false`; a
   * source the service could not read).
   * @throws {AuthenticationFailed} When the credential was refused.
   * @throws {EntityNotFound} When the container does not exist.
   * @throws {ConnectionFailed} When the request got no answer.
   *
   * @example Copying a blob by its SAS URL (needs a storage account or Azurite)
   * ```ts ignore
   * const source = await blobs.getBlobSasUrl("2026/q4.csv");
   * await blobs.uploadBlobFromUrl("archive/q4.csv", source, { overwrite: false });
   * ```
   */
  uploadBlobFromUrl(
    blobName: string,
    sourceUrl: string,
    options?: UploadBlobFromUrlOptions,
  ): Promise<UploadBlobResult> {
    let what = `upload blob ${this.#quoted(blobName)} to container ${
      quote(this.#containerName)
    }`;
    return this.#run(() => what, options, () => {
      checkOperationOptions(what, options, FROM_URL_KEYS);
      const name = this.#name(what, blobName);
      what += ` from ${sourceHost(what, sourceUrl)}`;
      optionalBoolean(what, "overwrite", options?.overwrite);
      const common = {
        abortSignal: options?.abortSignal,
        conditions: options?.overwrite === false
          ? { ifNoneMatch: "*" }
          : undefined,
      };
      return async (container) => {
        const blob = container.getBlockBlobClient(name);
        if (!this.#putFromUrlMissing) {
          try {
            const response = await blob.syncUploadFromURL(sourceUrl, common);
            return {
              etag: response.etag,
              lastModified: response.lastModified,
              versionId: response.versionId,
            };
          } catch (error) {
            if ((error as { statusCode?: unknown }).statusCode !== 501) {
              throw error;
            }
            this.#putFromUrlMissing = true;
          }
        }
        const response = await blob.syncCopyFromURL(sourceUrl, common);
        return {
          etag: response.etag,
          lastModified: response.lastModified,
          versionId: response.versionId,
        };
      };
    });
  }

  /**
   * Signs a URL that gives its holder access to one blob (read-only unless
   * `permissions` says more) until `expiresOn`. With an account key
   * (connection string or shared key credential) it is signed locally; with
   * a `TokenCredential`, with a user delegation key that is fetched once and
   * reused by later calls until near its expiry (the identity needs a role
   * with `generateUserDelegationKey`, such as Storage Blob Delegator).
   *
   * @param blobName The blob's name.
   * @param options Expiry, start, permissions, a signal.
   * @returns The blob's URL with the SAS as its query.
   * @throws {TypeError} For a bad name or option (before any I/O).
   * @throws {RangeError} For an expiry in the past, or past 7 days with a
   * user delegation key.
   * @throws {AuthenticationFailed} When the delegation key was refused.
   * @throws {ConnectionFailed} When the key request got no answer.
   *
   * @example A link that works for ten minutes (needs a storage account or Azurite)
   * ```ts ignore
   * const url = await blobs.getBlobSasUrl("2026/q4.csv", {
   *   expiresOn: new Date(Date.now() + 10 * 60_000),
   * });
   * const response = await fetch(url);
   * ```
   */
  async getBlobSasUrl(
    blobName: string,
    options?: BlobSasOptions,
  ): Promise<string> {
    const what = `sign a SAS URL for blob ${
      this.#quoted(blobName)
    } in container ${quote(this.#containerName)}`;
    const [url] = await this.#sign(what, [blobName], options, "blobName");
    return url;
  }

  /**
   * Signs one URL per blob name, as {@linkcode ManagedBlobStorage.getBlobSasUrl}
   * does, with one user delegation key for all of them (or none: the account
   * key, or a cached key, signs locally).
   *
   * @param blobNames The blobs' names.
   * @param options Expiry, start, permissions, a signal.
   * @returns Each name's URL, keyed by name.
   * @throws {TypeError} For a bad name or option (before any I/O).
   * @throws {RangeError} For an expiry in the past, or past 7 days with a
   * user delegation key.
   * @throws {AuthenticationFailed} When the delegation key was refused.
   * @throws {ConnectionFailed} When the key request got no answer.
   *
   * @example Links for a report's files (needs a storage account or Azurite)
   * ```ts ignore
   * const urls = await blobs.getBlobSasUrls(["a.csv", "b.csv"]);
   * console.log(urls.get("a.csv"));
   * ```
   */
  async getBlobSasUrls(
    blobNames: readonly string[],
    options?: BlobSasOptions,
  ): Promise<Map<string, string>> {
    const what = `sign SAS URLs for ${
      Array.isArray(blobNames) ? `${blobNames.length} blobs` : "blobs"
    } in container ${quote(this.#containerName)}`;
    if (!Array.isArray(blobNames)) {
      throw new TypeError(
        `Cannot ${what} as 'blobNames' must be an array of blob names: received ${typeof blobNames}`,
      );
    }
    const urls = await this.#sign(what, blobNames, options, "blobNames[]");
    return new Map(blobNames.map((name, i) => [name, urls[i]]));
  }

  #sign(
    what: string,
    names: readonly string[],
    options: BlobSasOptions | undefined,
    option: string,
  ): Promise<string[]> {
    return this.#run(what, options, () => {
      checkOperationOptions(what, options, SAS_KEYS);
      for (const name of names) blobName(what, name, option);
      const now = Date.now();
      const terms = sasTerms(what, options, this.#signer.delegated, now);
      return (container) =>
        this.#signer.sign(
          container,
          this.connector.serviceClientOf(container),
          names,
          terms,
          options?.abortSignal,
          now,
        );
    });
  }

  /**
   * Checks an operation's arguments (`check` throws before any I/O and
   * returns the work), runs the work on a pooled client, and turns the SDK's
   * errors into the package's.
   */
  async #run<T>(
    what: string | (() => string),
    options: ManagedOperationOptions | undefined,
    check: () => (container: ContainerClient) => Promise<T>,
  ): Promise<T> {
    const work = check();
    try {
      return await this.operation(work, options);
    } catch (error) {
      throw blobError(
        error,
        this.#context(typeof what === "string" ? what : what(), options),
      );
    }
  }

  #context(what: string, options: ManagedOperationOptions | undefined) {
    return {
      action: what,
      containerName: this.#containerName,
      host: this.#host,
      abortSignal: options?.abortSignal,
    };
  }

  #checkDownload(
    what: string,
    name: unknown,
    options: DownloadBlobOptions | undefined,
  ): string {
    checkOperationOptions(what, options, DOWNLOAD_KEYS);
    optionalInteger(what, "maxRetryRequests", options?.maxRetryRequests, 0);
    return this.#name(what, name);
  }

  #name(what: string, name: unknown): string {
    return blobName(what, name);
  }

  #quoted(name: unknown): string {
    return typeof name === "string" ? quote(name) : "(invalid name)";
  }
}
