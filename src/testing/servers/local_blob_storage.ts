/**
 * `startLocalBlobStorage`: Azurite's Blob service on 127.0.0.1, in this
 * process and in memory, for the real `@azure/storage-blob` SDK and
 * `ManagedBlobStorage`.
 *
 * @module
 */

import https from "node:https";
import type { TokenCredential } from "@azure/core-auth";
import type { AzuriteServer } from "./_azurite.ts";
import { checkNames, checkOptions, describe } from "./_options.ts";
import { TEST_CERT_PEM, TEST_KEY_PEM } from "./_amqp_test_cert.ts";

const OWNER = "startLocalBlobStorage";

/**
 * Options of {@linkcode startLocalBlobStorage}.
 *
 * @example HTTPS with bearer tokens, and a container
 * ```ts
 * import type { LocalBlobStorageOptions } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const options: LocalBlobStorageOptions = { containers: ["reports"], oauth: true };
 * assert.equal(options.oauth, true);
 * ```
 */
export interface LocalBlobStorageOptions {
  /**
   * Containers to create before the server is handed out (3-63 lower-case
   * letters, digits and hyphens).
   * @default {[]}
   */
  containers?: readonly string[];
  /**
   * Serve HTTPS with a self-signed certificate (CN and SAN `localhost` and
   * `127.0.0.1`) that only the agents this server hands out trust.
   * @default {false, or true with oauth}
   */
  https?: boolean;
  /**
   * Accept bearer tokens (Azurite's basic OAuth: audience, issuer and time
   * are checked, not the signature), for `TokenCredential` clients and user
   * delegation keys. Needs HTTPS: the SDK sends no token over HTTP.
   * @default {false}
   */
  oauth?: boolean;
}

/**
 * What `ManagedBlobStorage` (or `BlobContainerConnector`) needs for a local
 * server, with the account key: spread it into their options and add
 * `containerName`.
 */
export interface LocalBlobStorageConnectionOptions {
  /** `DefaultEndpointsProtocol=…;AccountName=devstoreaccount1;AccountKey=…;BlobEndpoint=…`. */
  connectionString: string;
  /** HTTPS only: one agent per client that trusts this server's certificate only. */
  agentFactory?: () => https.Agent;
}

/**
 * What `ManagedBlobStorage` needs for a local HTTPS server with a
 * `TokenCredential`: spread it into their options and add `containerName`.
 */
export interface LocalBlobStorageTokenOptions {
  /** `https://127.0.0.1:<port>/devstoreaccount1`. */
  accountUrl: string;
  /** The credential (the server's fake one unless another was given). */
  credential: TokenCredential;
  /** One agent per client that trusts this server's certificate only. */
  agentFactory: () => https.Agent;
}

/** A snapshot of a local Blob server's counts, since it started. */
export interface LocalBlobStorageStats {
  /** TCP connections accepted. */
  connections: number;
  /** Requests received. */
  requests: number;
  /**
   * Requests per `comp` query parameter: `list` (a page of a listing),
   * `userdelegationkey` (a user delegation key), `block`, `blocklist`, …;
   * `""` for requests without one (plain uploads, downloads, deletes).
   */
  requestsByComp: Record<string, number>;
}

/** A running local Blob Storage account; see {@linkcode startLocalBlobStorage}. */
export interface LocalBlobStorage extends AsyncDisposable {
  /** `http(s)://127.0.0.1:<port>/devstoreaccount1`. */
  readonly blobEndpoint: string;
  /** `devstoreaccount1`, Azurite's account. */
  readonly accountName: string;
  /** Azurite's published account key (not a secret). */
  readonly accountKey: string;
  /** The connection string with the account key and `BlobEndpoint`. */
  readonly connectionString: string;
  /** The port on 127.0.0.1. */
  readonly port: number;
  /** Whether it serves HTTPS. */
  readonly https: boolean;
  /**
   * HTTPS only: a keep-alive agent that trusts this server's certificate
   * (pinned as its only CA) and nothing else. `close()` destroys it.
   *
   * @param options Further agent options (`maxSockets`, …); `ca` is set.
   * @returns The agent.
   * @throws {TypeError} On an HTTP server.
   */
  createAgent(options?: https.AgentOptions): https.Agent;
  /**
   * Options for `ManagedBlobStorage` with the account key.
   *
   * @returns `{ connectionString }`, plus `agentFactory` over HTTPS.
   */
  connectionOptions(): LocalBlobStorageConnectionOptions;
  /**
   * Options for `ManagedBlobStorage` with a `TokenCredential` (an `oauth`
   * server only).
   *
   * @param credential The credential; the server's fake one by default.
   * @returns `{ accountUrl, credential, agentFactory }`.
   * @throws {TypeError} Unless the server was started with `oauth`.
   */
  tokenConnectionOptions(
    credential?: TokenCredential,
  ): LocalBlobStorageTokenOptions;
  /**
   * A fake `TokenCredential` whose tokens this server accepts (unsigned
   * JWTs with the storage audience, valid for an hour).
   *
   * @returns The credential.
   */
  tokenCredential(): TokenCredential;
  /**
   * Creates a container unless it exists.
   *
   * @param name The container's name.
   * @returns When it exists.
   */
  createContainer(name: string): Promise<void>;
  /**
   * Counts since the server started.
   *
   * @returns A fresh snapshot.
   */
  stats(): LocalBlobStorageStats;
  /**
   * Stops the server, destroys every agent it handed out and removes its
   * certificate files. Calling it again does nothing.
   *
   * @returns When the server is closed.
   */
  close(): Promise<void>;
}

function base64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-")
    .replace(/\//g, "_");
}

/** A tenant id for the fake tokens (any GUID). */
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/** Unsigned JWTs that Azurite's basic OAuth accepts. */
function fakeCredential(): TokenCredential {
  return {
    getToken: () => {
      const now = Math.floor(Date.now() / 1000);
      const token = `${base64url({ alg: "none", typ: "JWT" })}.${
        base64url({
          aud: "https://storage.azure.com",
          iss: `https://sts.windows.net/${TENANT}/`,
          tid: TENANT,
          oid: "00000000-0000-0000-0000-000000000001",
          iat: now - 60,
          nbf: now - 60,
          exp: now + 3600,
        })
      }.`;
      return Promise.resolve({
        token,
        expiresOnTimestamp: (now + 3600) * 1000,
      });
    },
  };
}

function checkBoolean(option: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TypeError(
      `Cannot start ${OWNER} as '${option}' must be a boolean: received ${
        describe(value)
      }`,
    );
  }
  return value;
}

/**
 * Starts a Blob Storage account on 127.0.0.1 and an ephemeral port, in this
 * process and in memory, on Deno, Node.js and Bun: Azurite's Blob service
 * (the Azure team's emulator), with its telemetry off and its API version
 * check off (the SDK is often newer). The real `@azure/storage-blob` SDK
 * talks to it: containers, uploads (single and in blocks), downloads, ranges,
 * listing, SAS, copy from a URL (not Put Blob From URL: Azurite answers 501).
 * With `https` its certificate is trusted only through the agents it hands
 * out; with `oauth` it takes bearer tokens and issues user delegation keys.
 * Nothing process-wide changes. It loads the npm packages `azurite` and
 * `@azure/storage-blob` (dev dependencies of your tests) when called.
 *
 * @param options Containers to create, HTTPS, OAuth.
 * @returns The running server; `close()` it when the test ends.
 * @throws {TypeError} When an option is unknown or malformed.
 * @throws {Error} When `azurite` cannot be loaded.
 *
 * @example A managed client against a local container
 * ```ts
 * import { startLocalBlobStorage } from "@azure-clients/toolbox/testing/servers";
 * import { ManagedBlobStorage } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const server = await startLocalBlobStorage({ containers: ["reports"] });
 * const blobs = new ManagedBlobStorage({ ...server.connectionOptions(), containerName: "reports" });
 * try {
 *   await blobs.uploadBlob("2026/q4.csv", "a,b\n1,2\n", { contentType: "text/csv" });
 *   const bytes = await blobs.downloadBlob("2026/q4.csv");
 *   assert.equal(new TextDecoder().decode(bytes), "a,b\n1,2\n");
 *   const url = await blobs.getBlobSasUrl("2026/q4.csv");
 *   assert.equal(await (await fetch(url)).text(), "a,b\n1,2\n");
 * } finally {
 *   await blobs.close();
 *   await server.close();
 * }
 * ```
 *
 * @example A TokenCredential and a user delegation key
 * ```ts
 * import { startLocalBlobStorage } from "@azure-clients/toolbox/testing/servers";
 * import { ManagedBlobStorage } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * const server = await startLocalBlobStorage({ containers: ["reports"], oauth: true });
 * const blobs = new ManagedBlobStorage({ ...server.tokenConnectionOptions(), containerName: "reports" });
 * try {
 *   await blobs.uploadBlob("a.txt", "hello");
 *   const urls = await blobs.getBlobSasUrls(["a.txt", "b.txt"]);
 *   assert.equal(urls.size, 2);
 *   assert.equal(server.stats().requestsByComp.userdelegationkey, 1);
 * } finally {
 *   await blobs.close();
 *   await server.close();
 * }
 * ```
 */
export async function startLocalBlobStorage(
  options?: LocalBlobStorageOptions,
): Promise<LocalBlobStorage> {
  const given = checkOptions<LocalBlobStorageOptions>(OWNER, options, [
    "containers",
    "https",
    "oauth",
  ]);
  const containers = checkNames(OWNER, "containers", given.containers);
  const oauth = checkBoolean("oauth", given.oauth) ?? false;
  const secure = checkBoolean("https", given.https) ?? oauth;
  if (oauth && !secure) {
    throw new TypeError(
      `Cannot start ${OWNER} as 'oauth' needs 'https': the SDK sends no bearer token over HTTP`,
    );
  }
  let startAzurite: typeof import("./_azurite.ts").startAzurite;
  let accountName: string;
  let accountKey: string;
  try {
    // Loaded here, not at import: `./testing/servers` needs no package that
    // the caller's tests do not use.
    ({ startAzurite, ACCOUNT_NAME: accountName, ACCOUNT_KEY: accountKey } =
      await import("./_azurite.ts"));
  } catch (cause) {
    throw new Error(
      `Cannot start ${OWNER}: loading the npm packages 'azurite' and '@azure/storage-blob' failed (install them as dev dependencies)`,
      { cause },
    );
  }
  const server: AzuriteServer = await startAzurite({
    tls: secure ? { cert: TEST_CERT_PEM, key: TEST_KEY_PEM } : undefined,
    oauth,
  });
  const agents = new Set<https.Agent>();
  const createAgent = (agentOptions?: https.AgentOptions): https.Agent => {
    if (!secure) {
      throw new TypeError(
        `Cannot create an agent for ${OWNER}: the server speaks HTTP (start it with https: true)`,
      );
    }
    const agent = new https.Agent({
      keepAlive: true,
      ...agentOptions,
      ca: TEST_CERT_PEM,
    });
    agents.add(agent);
    return agent;
  };
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      for (const agent of agents) agent.destroy();
      agents.clear();
      await server.close();
    })();
    return closed;
  };
  const createContainer = async (name: string): Promise<void> => {
    const agent = secure ? createAgent() : undefined;
    try {
      await server.createContainer(name, agent);
    } finally {
      if (agent !== undefined) {
        agent.destroy();
        agents.delete(agent);
      }
    }
  };
  try {
    for (const name of containers) await createContainer(name);
  } catch (error) {
    await close();
    throw error;
  }
  const connectionString = `DefaultEndpointsProtocol=${
    secure ? "https" : "http"
  };AccountName=${accountName};AccountKey=${accountKey};BlobEndpoint=${server.blobEndpoint};`;
  return {
    blobEndpoint: server.blobEndpoint,
    accountName,
    accountKey,
    connectionString,
    port: server.port,
    https: secure,
    createAgent,
    connectionOptions: () =>
      secure
        ? { connectionString, agentFactory: () => createAgent() }
        : { connectionString },
    tokenConnectionOptions: (credential?: TokenCredential) => {
      if (!oauth) {
        throw new TypeError(
          `Cannot make token options for ${OWNER}: the server takes no bearer token (start it with oauth: true)`,
        );
      }
      return {
        accountUrl: server.blobEndpoint,
        credential: credential ?? fakeCredential(),
        agentFactory: () => createAgent(),
      };
    },
    tokenCredential: fakeCredential,
    createContainer,
    stats: () => ({
      connections: server.connections,
      requests: server.requests,
      requestsByComp: { ...server.requestsByComp },
    }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
