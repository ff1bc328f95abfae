/**
 * The connector that opens, proves and closes blob container clients.
 *
 * @module
 */

import {
  BlobServiceClient,
  type ContainerClient,
  type StoragePipelineOptions,
} from "@azure/storage-blob";
import type { Agent } from "node:http";
import { errorLabel } from "../managed/_checks.ts";
import { logger } from "../managed/log.ts";
import type { Connector } from "../pool/connector.ts";
import { blobError, quote } from "./_errors.ts";
import type { BlobConnectionOptions } from "./options.ts";
import {
  resolveBlobConnection,
  type ResolvedBlobConnection,
} from "./_settings.ts";

/** What a container client owns besides itself. */
interface Owned {
  service: BlobServiceClient;
  probe: ContainerClient;
  agent: Agent | undefined;
}

/**
 * Opens, proves and closes blob container clients for a `ConnectionPool`:
 * `create` makes a `BlobServiceClient` and its `ContainerClient` (no I/O),
 * `ready` reads the container's properties once, without the SDK's retries
 * (so that a refused port or a wrong key fails in milliseconds and the
 * pool's backoff and breaker decide), and turns a refused credential into
 * `AuthenticationFailed` and a missing container into `EntityNotFound`;
 * `close` destroys the agent made by `agentFactory`. The storage SDK has
 * nothing else to close: without `agentFactory`, its clients share one
 * keep-alive HTTP client.
 *
 * @example Opening one container client by hand
 * ```ts
 * import { BlobContainerConnector } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const connector = new BlobContainerConnector({
 *   connectionString: "UseDevelopmentStorage=true",
 *   containerName: "reports",
 * });
 * const container = await connector.create(new AbortController().signal);
 * assert.equal(container.containerName, "reports");
 * assert.equal(connector.host, "127.0.0.1:10000");
 * await connector.close(container);
 * ```
 */
export class BlobContainerConnector implements Connector<ContainerClient> {
  readonly #settings: ResolvedBlobConnection;
  readonly #owned = new Map<ContainerClient, Owned>();

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the container is and how to authenticate.
   * @throws {TypeError} When an option is missing or invalid (the message
   * names it and never echoes a key or connection string).
   */
  constructor(options: BlobConnectionOptions) {
    this.#settings = resolveBlobConnection("BlobContainerConnector", options);
  }

  /** The account's host (and port), safe to log. */
  get host(): string {
    return this.#settings.host;
  }

  /** The container's name. */
  get containerName(): string {
    return this.#settings.containerName;
  }

  /**
   * Makes a `BlobServiceClient` and its `ContainerClient`. No request is sent.
   *
   * @param signal Aborts the creation.
   * @returns The container client.
   * @throws {unknown} What the agent factory or the SDK's constructor threw,
   * or the signal's reason.
   */
  create(signal: AbortSignal): Promise<ContainerClient> {
    try {
      signal.throwIfAborted();
      const { accountUrl, credential, clientOptions, containerName } =
        this.#settings;
      const agent = this.#settings.agentFactory?.();
      try {
        // `agent` is not in StoragePipelineOptions' type, but the SDK hands
        // its options to core-rest-pipeline, which sends through that agent.
        const options = (
          retryOptions: StoragePipelineOptions["retryOptions"],
        ) =>
          ({
            ...clientOptions,
            retryOptions,
            ...(agent === undefined ? {} : { agent }),
          }) as StoragePipelineOptions;
        const service = new BlobServiceClient(
          accountUrl,
          credential,
          options(clientOptions.retryOptions),
        );
        // The readiness probe tries once: the pool retries opens with its
        // own backoff and breaker, which the SDK's 4 s retry delays defeat.
        const probe = new BlobServiceClient(
          accountUrl,
          credential,
          options({ ...clientOptions.retryOptions, maxTries: 1 }),
        ).getContainerClient(containerName);
        const container = service.getContainerClient(containerName);
        this.#owned.set(container, { service, probe, agent });
        return Promise.resolve(container);
      } catch (error) {
        agent?.destroy();
        throw error;
      }
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Proves the client works: reads the container's properties once, which
   * needs the container and a credential allowed to read it, and writes
   * nothing.
   *
   * @param container A container client from `create`.
   * @param signal Aborts the read.
   * @returns `true` once the read succeeded.
   * @throws {AuthenticationFailed} When the credential was refused (401, 403).
   * @throws {EntityNotFound} When the container does not exist.
   * @throws {RequestFailed} For another answer (a 400 for an API version the
   * server does not know, for example).
   * @throws {unknown} The SDK's error when no answer came (a refused port,
   * a TLS failure), which the pool wraps in `ConnectionFailed`; or the
   * signal's reason.
   */
  async ready(
    container: ContainerClient,
    signal: AbortSignal,
  ): Promise<boolean> {
    const probe = this.#owned.get(container)?.probe ?? container;
    try {
      await probe.getProperties({ abortSignal: signal });
      return true;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      logger.info(
        `Blob ${this.host} readiness of container ${
          quote(container.containerName)
        } failed: ${errorLabel(error)}`,
      );
      const translated = blobError(error, {
        action: `open container ${quote(container.containerName)}`,
        containerName: container.containerName,
        host: this.host,
      });
      // No answer: the plain error, for the pool to wrap and retry.
      throw translated instanceof Error &&
          translated.name === "ConnectionFailed"
        ? error
        : translated;
    }
  }

  /**
   * The `BlobServiceClient` behind a container client (for user delegation
   * keys and account-level calls).
   *
   * @param container A container client from `create`.
   * @returns Its service client.
   * @throws {TypeError} When `container` was not made by this connector or
   * is closed.
   */
  serviceClientOf(container: ContainerClient): BlobServiceClient {
    const owned = this.#owned.get(container);
    if (owned === undefined) {
      throw new TypeError(
        "Cannot find the service client of a container client that this connector did not make or has closed",
      );
    }
    return owned.service;
  }

  /**
   * Destroys the agent made by `agentFactory` for `container`. Closing an
   * unknown or already closed container client does nothing.
   *
   * @param container A container client from `create`.
   * @returns At once.
   */
  close(container: ContainerClient): Promise<void> {
    const owned = this.#owned.get(container);
    this.#owned.delete(container);
    owned?.agent?.destroy();
    return Promise.resolve();
  }
}
