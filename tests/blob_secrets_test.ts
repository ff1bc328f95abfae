/**
 * Secrets never leave `ManagedBlobStorage` (mirrors tests/secrets_test.ts
 * for Blob Storage): its error paths and its working paths, configured with
 * a connection string and with a shared key, run against Azurite while the
 * test collects every error (message, stack, code, causes, `util.inspect`),
 * every log line at the verbose level (the package's and the SDK's), every
 * metric attribute and every diagnostics-channel message; none may contain
 * an account key (or a 12-character piece of one), a connection string, or
 * the signature of a SAS URL the client made.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import net from "node:net";
import { inspect } from "node:util";
import { AzureLogger, getLogLevel, setLogLevel } from "@azure/logger";
import { BlobContainerConnector, ManagedBlobStorage } from "../src/blob/mod.ts";
import type {
  PoolCounter,
  PoolHistogram,
  PoolMeter,
  PoolMetricAttributes,
} from "../src/pool/meter.ts";
import {
  type LocalBlobStorage,
  startLocalBlobStorage,
} from "../src/testing/servers/mod.ts";

const CONTAINER = "secrets";
/** A well-formed key that appears nowhere else ("Blob-Key-Never-Shown-123456"). */
const WRONG_KEY = "QmxvYi1LZXktTmV2ZXItU2hvd24tMTIzNDU2";

/** Pieces of a secret that must not appear: the whole, and 12-character windows. */
function pieces(secret: string): string[] {
  const out = new Set([secret]);
  for (let i = 0; i + 12 <= secret.length; i += 6) {
    out.add(secret.slice(i, i + 12));
  }
  return [...out];
}

/** Every text of an error: message, stack, code, then its causes. */
function texts(error: unknown, depth = 0): string[] {
  if (depth > 8) return [];
  if (typeof error !== "object" || error === null) return [String(error)];
  const e = error as {
    message?: unknown;
    stack?: unknown;
    code?: unknown;
    cause?: unknown;
  };
  const out = [String(e.message), String(e.stack), String(e.code)];
  if (e.cause !== undefined) out.push(...texts(e.cause, depth + 1));
  return out;
}

/** A meter that keeps every attribute it is given. */
class AttributeMeter implements PoolMeter {
  readonly attributes: PoolMetricAttributes[] = [];
  #instrument(): PoolCounter & PoolHistogram {
    const keep = (_: number, attributes?: PoolMetricAttributes) =>
      void this.attributes.push({ ...attributes });
    return { add: keep, record: keep };
  }
  createCounter(): PoolCounter {
    return this.#instrument();
  }
  createUpDownCounter(): PoolCounter {
    return this.#instrument();
  }
  createHistogram(): PoolHistogram {
    return this.#instrument();
  }
}

describe("secrets never reach errors, logs, metrics or channels: Blob Storage", () => {
  let server: LocalBlobStorage;
  const lines: string[] = [];
  const messages: string[] = [];
  const errors: [string, unknown][] = [];
  const signatures: string[] = [];
  const meter = new AttributeMeter();
  let log: typeof AzureLogger.log;
  let level: ReturnType<typeof getLogLevel>;
  const onMessage = (message: unknown) =>
    void messages.push(inspect(message, { depth: 4 }));
  before(async () => {
    server = await startLocalBlobStorage({ containers: [CONTAINER] });
    log = AzureLogger.log;
    level = getLogLevel();
    AzureLogger.log = (...args: unknown[]) =>
      void lines.push(
        args.map((a) => typeof a === "string" ? a : inspect(a)).join(" "),
      );
    setLogLevel("verbose");
    diagnosticsChannel.subscribe(
      "azure-clients-toolbox:pool:connection",
      onMessage,
    );
  });
  after(async () => {
    diagnosticsChannel.unsubscribe(
      "azure-clients-toolbox:pool:connection",
      onMessage,
    );
    AzureLogger.log = log;
    setLogLevel(level);
    await server.close();
  });

  async function scenario(name: string, fn: () => unknown) {
    try {
      await fn();
    } catch (error) {
      errors.push([name, error]);
    }
  }

  it("keeps keys, connection strings and SAS signatures out of everything it produces", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const wrongConnectionString =
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${WRONG_KEY};BlobEndpoint=${server.blobEndpoint};`;
    const refusedConnectionString =
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${server.accountKey};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    const configurations: [string, Record<string, unknown>][] = [
      ["a wrong key in a connection string", {
        connectionString: wrongConnectionString,
      }],
      ["a wrong shared key", {
        accountUrl: server.blobEndpoint,
        credential: { accountName: "devstoreaccount1", accountKey: WRONG_KEY },
      }],
      ["a refused port", {
        connectionString: refusedConnectionString,
        acquireTimeoutSeconds: 3,
      }],
      ["the right key", { connectionString: server.connectionString }],
    ];
    for (const [what, connection] of configurations) {
      const blobs = new ManagedBlobStorage({
        ...connection,
        containerName: CONTAINER,
        meter,
      } as never);
      try {
        await scenario(
          `${what}: upload`,
          () => blobs.uploadBlob("s/a.txt", "a"),
        );
        await scenario(
          `${what}: download`,
          () => blobs.downloadBlob("s/a.txt"),
        );
        await scenario(`${what}: list`, async () => {
          for await (const _ of blobs.listBlobs()) { /* all */ }
        });
        await scenario(
          `${what}: missing blob`,
          () => blobs.downloadBlob("s/none"),
        );
        await scenario(`${what}: sign`, async () => {
          const url = await blobs.getBlobSasUrl("s/a.txt");
          signatures.push(new URL(url).searchParams.get("sig")!);
          // A source that does not exist: the copy fails with the SAS in
          // the SDK's request.
          const missing = await blobs.getBlobSasUrl("s/missing.txt");
          signatures.push(new URL(missing).searchParams.get("sig")!);
          await blobs.uploadBlobFromUrl("s/copy.txt", missing);
        });
        await scenario(`${what}: copy`, async () => {
          const url = await blobs.getBlobSasUrl("s/a.txt");
          signatures.push(new URL(url).searchParams.get("sig")!);
          await blobs.uploadBlobFromUrl("s/copy.txt", url);
        });
      } finally {
        await blobs.close();
      }
    }
    // Constructors given a secret in the wrong place.
    const misplaced: Record<string, unknown>[] = [
      {
        containerName: CONTAINER,
        accountUrl: wrongConnectionString,
        credential: { accountName: "a", accountKey: WRONG_KEY },
      },
      {
        containerName: CONTAINER,
        accountUrl: WRONG_KEY,
        credential: { accountName: "a", accountKey: WRONG_KEY },
      },
      {
        containerName: CONTAINER,
        connectionString: wrongConnectionString,
        accountUrl: server.blobEndpoint,
      },
      { containerName: CONTAINER, connectionString: WRONG_KEY },
      {
        containerName: CONTAINER,
        credential: WRONG_KEY,
        accountUrl: server.blobEndpoint,
      },
      { containerName: WRONG_KEY, connectionString: wrongConnectionString },
    ];
    for (const [i, options] of misplaced.entries()) {
      await scenario(
        `misplaced #${i}`,
        () => new ManagedBlobStorage(options as never),
      );
      await scenario(
        `misplaced #${i} (connector)`,
        () => new BlobContainerConnector(options as never),
      );
    }

    const secrets = [
      ...pieces(WRONG_KEY),
      ...pieces(server.accountKey),
      wrongConnectionString,
      refusedConnectionString,
      server.connectionString,
      ...signatures.filter(Boolean).flatMap((
        sig,
      ) => [sig, encodeURIComponent(sig)]),
    ];
    assert.equal(
      signatures.length,
      3,
      "SAS URLs were made (with the right key)",
    );
    const leaks: string[] = [];
    const find = (where: string, text: string) => {
      for (const secret of secrets) {
        if (text.includes(secret)) {
          const at = text.indexOf(secret);
          leaks.push(
            `${where}: …${
              text.slice(Math.max(0, at - 60), at).replace(/\s+/g, " ")
            }<secret>`,
          );
          return;
        }
      }
    };
    for (const [name, error] of errors) {
      for (const text of texts(error)) find(`${name} (error)`, text);
      find(`${name} (inspect)`, inspect(error, { depth: 6 }));
    }
    for (const line of lines) find("log line", line);
    for (const attributes of meter.attributes) {
      find("metric attribute", JSON.stringify(attributes));
    }
    for (const message of messages) find("channel message", message);
    assert.deepEqual(leaks, []);
    // The scenarios did fail where they should, and logs and metrics flowed.
    const failed = new Set(errors.map(([name]) => name.split(":")[0]));
    assert.ok(failed.has("a wrong key in a connection string"));
    assert.ok(failed.has("a wrong shared key"));
    assert.ok(failed.has("a refused port"));
    assert.ok(
      errors.some(([name]) => name === "the right key: sign"),
      "the failed copy",
    );
    assert.ok(!errors.some(([name]) => name === "the right key: copy"));
    assert.ok(lines.length > 20, `${lines.length} log lines`);
    assert.ok(meter.attributes.length > 0);
    assert.ok(messages.length > 0);
  });
});
