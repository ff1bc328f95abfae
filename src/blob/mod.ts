/**
 * Blob Storage: {@linkcode ManagedBlobStorage}, one long-lived
 * `@azure/storage-blob` client per container under the pool's options, with
 * upload and download (whole, streamed both ways, to a file), lazy listing,
 * delete, upload from a URL, and SAS URLs signed with the account key or a
 * user delegation key; {@linkcode safeBlobName}; the connector; the
 * package's errors and the SDK's `RestError`. Loads `@azure/storage-blob`
 * (and no other Azure SDK).
 *
 * Guide: docs/blob.md (options and their defaults, every method, errors,
 * SAS, testing with `startLocalBlobStorage` from `./testing/servers` and
 * `RecordingBlobStorage` from `./testing`).
 *
 * @example A client for a container (no request is sent)
 * ```ts
 * import { ManagedBlobStorage, safeBlobName } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * await using blobs = new ManagedBlobStorage({
 *   connectionString: "UseDevelopmentStorage=true",
 *   containerName: "reports",
 * });
 * assert.equal(blobs.readyConnectionCount, 0);
 * assert.equal(safeBlobName("q4 report#1.csv"), "q4 report1.csv");
 * ```
 *
 * @module
 */

// Clients
export { ManagedBlobStorage } from "./managed_blob_storage.ts";
export { BlobContainerConnector } from "./connector.ts";
export { safeBlobName } from "./safe_blob_name.ts";

// Options and results
export type {
  BlobAccountKey,
  BlobClientExtraOptions,
  BlobConnectionOptions,
  BlobCredential,
  ManagedBlobStorageOptions,
} from "./options.ts";
export type {
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

// What every managed client shares
export { ManagedClient } from "../managed/managed_client.ts";
export type { ManagedLease } from "../managed/lease.ts";
export type {
  ManagedOperationOptions,
  ManagedPoolDefaults,
  ManagedPoolOptions,
} from "../managed/pool_options.ts";

// Errors callers catch: the package's, and the SDK's that pass through
export {
  AuthenticationFailed,
  ConnectionFailed,
  ConnectionLost,
  ConnectionsExhausted,
  EntityNotFound,
  OperationTimeout,
  PoolClosed,
  PoolError,
  RequestFailed,
} from "../pool/errors.ts";
export type { RequestFailedOptions } from "../pool/errors.ts";
export { RestError } from "@azure/storage-blob";
