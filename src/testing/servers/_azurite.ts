/**
 * Azurite's Blob service (the Azure team's emulator, npm package `azurite`)
 * started in this process (internal): its `BlobServer` and
 * `BlobConfiguration` classes are deep imports, not Azurite's public API, so
 * this module is the one place that knows their shape. In memory, on
 * 127.0.0.1 and an ephemeral port, no telemetry, API version check off (the
 * SDK is often newer than the emulator), over HTTP or HTTPS with a
 * certificate the caller gives, optionally with basic OAuth (bearer tokens
 * checked for audience, issuer and time, not signature), which user
 * delegation keys need.
 *
 * ```
 *   client ──HTTP(S)──► http(s).Server :port ── Azurite's request listener
 *                         │ "connection" → connections
 *                         │ "request"    → requests, requestsByComp[?comp=…]
 * ```
 *
 * @module
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type https from "node:https";
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";

/** Azurite's built-in account. */
export const ACCOUNT_NAME = "devstoreaccount1";
/** Its published key (Azurite's `EMULATOR_ACCOUNT_KEY_STR`): not a secret. */
export const ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** The shape of Azurite's `BlobServer` that is used. */
interface AzuriteBlobServer {
  httpServer: {
    on(event: string, listener: (...args: unknown[]) => void): unknown;
  };
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

type Constructor<T> = new (...args: unknown[]) => T;

/** A CommonJS class as a dynamic import hands it over on Deno, Node and Bun. */
function classOf<T>(module: unknown, name: string): Constructor<T> {
  let value = module as { default?: unknown } | undefined;
  for (let depth = 0; depth < 3 && typeof value !== "function"; depth++) {
    value = value?.default as { default?: unknown } | undefined;
  }
  if (typeof value !== "function") {
    throw new Error(`azurite's ${name} has an unexpected shape`);
  }
  return value as unknown as Constructor<T>;
}

/** Options of {@linkcode startAzurite}. */
export interface AzuriteOptions {
  /** The certificate and key (PEM) to serve HTTPS with; HTTP without. */
  tls?: { cert: string; key: string };
  /** Basic OAuth: bearer tokens accepted (needs `tls`). */
  oauth?: boolean;
}

/** A running Azurite Blob service. */
export interface AzuriteServer {
  /** `http(s)://127.0.0.1:<port>/devstoreaccount1`. */
  readonly blobEndpoint: string;
  /** The port on 127.0.0.1. */
  readonly port: number;
  /** TCP connections accepted. */
  readonly connections: number;
  /** Requests received. */
  readonly requests: number;
  /** Requests received per `comp` query parameter (`list`, `userdelegationkey`, …; `""` for none). */
  readonly requestsByComp: Readonly<Record<string, number>>;
  /** Creates a container with the account key (`agent` for HTTPS). */
  createContainer(name: string, agent?: https.Agent): Promise<void>;
  /** Stops the server and removes its certificate files. */
  close(): Promise<void>;
}

/**
 * Starts Azurite's Blob service in this process.
 *
 * @param options HTTPS and OAuth.
 * @returns The running server.
 */
export async function startAzurite(
  options: AzuriteOptions = {},
): Promise<AzuriteServer> {
  // Azurite ships no type declarations: `classOf` checks the shapes.
  const [serverModule, configModule, telemetryModule] = await Promise.all([
    // @ts-ignore: no declarations (TypeScript's TS7016 under Node's types)
    import("azurite/dist/src/blob/BlobServer.js") as Promise<unknown>,
    // @ts-ignore: no declarations (TypeScript's TS7016 under Node's types)
    import("azurite/dist/src/blob/BlobConfiguration.js") as Promise<unknown>,
    // @ts-ignore: no declarations (TypeScript's TS7016 under Node's types)
    import("azurite/dist/src/common/Telemetry.js") as Promise<unknown>,
  ]);
  // Telemetry starts only from Azurite's command line; say "off" anyway.
  const telemetry = telemetryModule as {
    AzuriteTelemetryClient?: { init?: (...args: unknown[]) => void };
    default?: {
      AzuriteTelemetryClient?: { init?: (...args: unknown[]) => void };
    };
  };
  (telemetry.AzuriteTelemetryClient ??
    telemetry.default?.AzuriteTelemetryClient)
    ?.init?.("", false, undefined);
  const BlobServer = classOf<AzuriteBlobServer>(serverModule, "BlobServer");
  const BlobConfiguration = classOf<object>(configModule, "BlobConfiguration");

  let dir: string | undefined;
  let certPath = "";
  let keyPath = "";
  if (options.tls !== undefined) {
    // Azurite reads PEM files; they live until close().
    dir = await mkdtemp(join(tmpdir(), "local-blob-storage-"));
    certPath = join(dir, "cert.pem");
    keyPath = join(dir, "key.pem");
    await writeFile(certPath, options.tls.cert);
    await writeFile(keyPath, options.tls.key, { mode: 0o600 });
  }
  const configuration = new BlobConfiguration(
    "127.0.0.1", // host
    0, // port: ephemeral
    undefined, // keepAliveTimeout: Azurite's 5 s
    "azurite_blob_metadata.json", // LokiJS paths: unused in memory
    "azurite_blob_extent.json",
    undefined, // persistence paths: unused in memory
    false, // access log
    undefined,
    false, // debug log
    undefined,
    false, // loose
    true, // skipApiVersionCheck: the SDK may be newer than the emulator
    certPath,
    keyPath,
    "", // PFX password
    options.oauth ? "basic" : undefined,
    false, // disableProductStyleUrl
    true, // inMemoryPersistence
  );
  const server = new BlobServer(configuration);
  let connections = 0;
  let requests = 0;
  const requestsByComp: Record<string, number> = {};
  server.httpServer.on("connection", () => void connections++);
  server.httpServer.on("request", (request) => {
    requests++;
    const url = new URL((request as { url?: string }).url ?? "/", "http://x");
    const comp = url.searchParams.get("comp") ?? "";
    requestsByComp[comp] = (requestsByComp[comp] ?? 0) + 1;
  });
  if (options.tls !== undefined) {
    // A client that gives up mid-handshake is not a server failure.
    server.httpServer.on("tlsClientError", () => {});
  }
  try {
    await server.start();
  } catch (error) {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const port = Number(new URL(server.getHttpServerAddress()).port);
  const blobEndpoint = `${
    options.tls ? "https" : "http"
  }://127.0.0.1:${port}/${ACCOUNT_NAME}`;
  let closed: Promise<void> | undefined;
  return {
    blobEndpoint,
    port,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    get requestsByComp() {
      return { ...requestsByComp };
    },
    async createContainer(name: string, agent?: https.Agent): Promise<void> {
      const client = new BlobServiceClient(
        blobEndpoint,
        new StorageSharedKeyCredential(ACCOUNT_NAME, ACCOUNT_KEY),
        // `agent` passes through the SDK's options to core-rest-pipeline.
        { retryOptions: { maxTries: 1 }, ...(agent ? { agent } : {}) } as never,
      );
      await client.getContainerClient(name).createIfNotExists();
    },
    close(): Promise<void> {
      closed ??= (async () => {
        try {
          await server.close();
        } finally {
          if (dir !== undefined) {
            await rm(dir, { recursive: true, force: true });
          }
        }
      })();
      return closed;
    },
  };
}
