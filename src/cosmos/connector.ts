/**
 * The connector that opens, proves and closes Cosmos container clients.
 *
 * @module
 */

import type { TokenCredential } from "@azure/core-auth";
import {
  type Agent,
  type Container,
  CosmosClient,
  type CosmosClientOptions,
} from "@azure/cosmos";
import { errorLabel } from "../managed/_checks.ts";
import { closeCredential } from "../managed/_credentials.ts";
import { logger } from "../managed/log.ts";
import type { Connector } from "../pool/connector.ts";
import type { CosmosConnectionOptions } from "./options.ts";
import { resolveConnection, type ResolvedConnection } from "./_settings.ts";
import { ClosableHttpClient } from "./_http_client.ts";
import { cosmosRefusal } from "./_refusals.ts";

/** What a client owns and must release with it. */
interface Owned {
  client: CosmosClient;
  credential: TokenCredential | undefined;
  agent: Agent | undefined;
  http: ClosableHttpClient;
}

/**
 * Opens, proves and closes Cosmos container clients for a
 * `ConnectionPool`: `create` makes a `CosmosClient` and its database
 * and container proxies (no I/O), `ready` reads the container (retried once),
 * `close` disposes the client, stops its requests still in flight, and
 * releases whatever the connector made for it (a credential from
 * `credentialFactory`, an agent from `agentFactory`). Every client sends
 * through its own wrapper of the HTTP client (`clientOptions.httpClient`, or
 * the SDK's default), so that an abandoned open is torn down at once: its
 * sockets, its retries and their timers, including the SDK's account read,
 * which takes no caller signal.
 *
 * @example Opening one container client by hand
 * ```ts
 * import { CosmosConnector } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const connector = new CosmosConnector({
 *   endpoint: "https://localhost:8081",
 *   databaseName: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 * });
 * const container = await connector.create(new AbortController().signal);
 * assert.equal(container.id, "orders");
 * assert.equal(container.database.id, "shop");
 * await connector.close(container);
 * ```
 */
export class CosmosConnector implements Connector<Container> {
  readonly #settings: ResolvedConnection;
  readonly #owned = new Map<Container, Owned>();

  /**
   * Checks the options; opens nothing.
   *
   * @param options Where the container is and how to authenticate.
   * @throws {TypeError} When an option is missing or invalid (the message
   * names it and never echoes a key or connection string).
   */
  constructor(options: CosmosConnectionOptions) {
    this.#settings = resolveConnection("CosmosConnector", options);
  }

  /** The endpoint's host (and port), safe to log. */
  get host(): string {
    return this.#settings.host;
  }

  /**
   * Makes a `CosmosClient` and returns its container proxy. No request is sent.
   *
   * @param signal Aborts the creation (checked before and after the
   * credential factory).
   * @returns The container proxy; `container.database.client` is its client.
   * @throws {unknown} What the credential factory, the agent factory or the
   * `CosmosClient` constructor threw, or the signal's reason.
   */
  async create(signal: AbortSignal): Promise<Container> {
    signal.throwIfAborted();
    const settings = this.#settings;
    let credential = settings.credential;
    let ownedCredential: TokenCredential | undefined;
    if (settings.credentialFactory !== undefined) {
      credential = ownedCredential = await settings.credentialFactory();
    }
    let agent: Agent | undefined;
    try {
      signal.throwIfAborted();
      agent = settings.agentFactory?.();
      const extra = settings.clientOptions;
      const options: CosmosClientOptions = {
        ...extra,
        // The SDK writes into these objects; give each client its own copies.
        connectionPolicy: { ...extra.connectionPolicy },
        defaultHeaders: { ...extra.defaultHeaders },
        endpoint: settings.endpoint,
      };
      const http = new ClosableHttpClient(settings.host, extra.httpClient);
      options.httpClient = http;
      if (agent !== undefined) options.agent = agent;
      if (settings.key !== undefined) options.key = settings.key;
      else options.aadCredentials = credential;
      const client = new CosmosClient(options);
      const container = client.database(settings.databaseName).container(
        settings.containerName,
      );
      this.#owned.set(container, {
        client,
        credential: ownedCredential,
        agent,
        http,
      });
      return container;
    } catch (error) {
      agent?.destroy();
      await closeCredential(`Cosmos ${settings.host}`, ownedCredential);
      throw error;
    }
  }

  /**
   * Proves the client works by reading the container; one failed read is
   * retried once.
   *
   * @param container A container proxy from `create`.
   * @param signal Aborts the reads. The pool aborts it when it gives up on
   * the open: then every request of this client stops at once (the SDK's
   * account read too, which takes no signal) and the client sends no more;
   * `close` releases the rest.
   * @returns `true` once a read succeeded.
   * @throws {EntityNotFound} When the database or the container does not
   * exist (404; no retry).
   * @throws {AuthenticationFailed} When the service refused the credential
   * (401 or 403; no retry).
   * @throws {unknown} The SDK's error from the second failed read, or the
   * signal's reason.
   */
  async ready(container: Container, signal: AbortSignal): Promise<boolean> {
    const http = this.#owned.get(container)?.http;
    const abandon = () => http?.close(signal.reason);
    if (signal.aborted) abandon();
    else signal.addEventListener("abort", abandon, { once: true });
    try {
      return await this.#read(container, signal);
    } finally {
      signal.removeEventListener("abort", abandon);
    }
  }

  async #read(container: Container, signal: AbortSignal): Promise<boolean> {
    let failure: unknown;
    for (let attempt = 1; attempt <= 2; attempt++) {
      signal.throwIfAborted();
      try {
        await container.read({ abortSignal: signal });
        return true;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        // The service answered: a wrong key or name will not heal on retry.
        const refusal = await cosmosRefusal(
          error,
          container,
          this.#settings.host,
          signal,
        );
        if (signal.aborted) throw signal.reason;
        if (refusal !== undefined) throw refusal;
        failure = error;
        logger.info(
          `Cosmos ${this.#settings.host} readiness read #${attempt} of ${container.database.id}/${container.id} failed: ${
            errorLabel(error)
          }`,
        );
      }
    }
    throw failure;
  }

  /**
   * Disposes the client behind `container`, aborts its requests still in
   * flight, destroys the agent made by `agentFactory` and closes the
   * credential made by `credentialFactory`.
   * Closing an unknown or already closed container does nothing.
   *
   * @param container A container proxy from `create`.
   */
  async close(container: Container): Promise<void> {
    const owned = this.#owned.get(container);
    if (owned === undefined) return;
    this.#owned.delete(container);
    try {
      owned.client.dispose();
    } finally {
      owned.http.close();
      owned.agent?.destroy();
      await closeCredential(`Cosmos ${this.#settings.host}`, owned.credential);
    }
  }
}
