/**
 * The checks of the Blob Storage connection options (internal; never
 * re-exported).
 *
 * @module
 */

import { isTokenCredential, type TokenCredential } from "@azure/core-auth";
import { StorageSharedKeyCredential } from "@azure/storage-blob";
import type { Agent } from "node:http";
import {
  describeValue,
  exactlyOne,
  keysOf,
  parseConnectionString,
  refuseWithConnectionString,
  requireFunction,
  requireName,
  requireOptions,
  requireSecret,
  requireUrl,
} from "../managed/_checks.ts";
import type {
  BlobClientExtraOptions,
  BlobConnectionOptions,
} from "./options.ts";

/** Every key of {@linkcode BlobConnectionOptions}. */
export const BLOB_CONNECTION_KEYS: readonly string[] = keysOf<
  BlobConnectionOptions
>()([
  "containerName",
  "connectionString",
  "accountUrl",
  "credential",
  "agentFactory",
  "clientOptions",
]);

/** Azurite's (and the storage emulator's) published account, for `UseDevelopmentStorage=true`. */
const DEVELOPMENT_ACCOUNT = "devstoreaccount1";
const DEVELOPMENT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** A container name the service accepts: 3-63 of [a-z0-9-], no double or edge hyphen. */
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$/;
const SPECIAL_CONTAINERS = ["$root", "$web", "$logs"];

/** The resolved connection; `credential` is kept out of logs. */
export interface ResolvedBlobConnection {
  /** The account's blob endpoint, without a trailing slash. */
  accountUrl: string;
  /** Its host and port, safe to log. */
  host: string;
  containerName: string;
  credential: TokenCredential | StorageSharedKeyCredential;
  agentFactory: (() => Agent) | undefined;
  clientOptions: BlobClientExtraOptions;
}

/**
 * What is wrong with a container name, without echoing it (a secret given in
 * the wrong option must not reach a message).
 */
function containerNameFault(name: string): string {
  const size = `a name of ${name.length} characters`;
  if (name.length < 3 || name.length > 63) return size;
  if (/[A-Z]/.test(name)) return `${size} with upper-case letters`;
  const other = /[^a-z0-9-]/.exec(name)?.[0];
  if (other !== undefined) {
    return /^[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e ]$/.test(other)
      ? `${size} with '${other}'`
      : `${size} with a character outside a-z, 0-9 and '-'`;
  }
  return `${size} with a hyphen at an end or doubled`;
}

function checkContainerName(owner: string, value: unknown): string {
  const name = requireName(owner, "containerName", value);
  if (!CONTAINER_NAME.test(name) && !SPECIAL_CONTAINERS.includes(name)) {
    throw new TypeError(
      `Cannot create ${owner} as 'containerName' must be 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit: received ${
        containerNameFault(name)
      }`,
    );
  }
  return name;
}

function checkCredential(
  owner: string,
  value: unknown,
): TokenCredential | StorageSharedKeyCredential {
  if (value instanceof StorageSharedKeyCredential) return value;
  if (isTokenCredential(value)) return value;
  if (typeof value === "object" && value !== null) {
    const { accountName, accountKey } = value as Record<string, unknown>;
    if (accountName !== undefined || accountKey !== undefined) {
      return new StorageSharedKeyCredential(
        requireName(owner, "credential.accountName", accountName),
        requireSecret(owner, "credential.accountKey", accountKey),
      );
    }
  }
  throw new TypeError(
    `Cannot create ${owner} as 'credential' must be a TokenCredential, a StorageSharedKeyCredential or { accountName, accountKey }: received ${
      describeValue(value)
    }`,
  );
}

/** The endpoint and key of a connection string (which is never echoed). */
function fromConnectionString(
  owner: string,
  value: unknown,
): { endpoint: string; credential: StorageSharedKeyCredential } {
  const fields = parseConnectionString(owner, "connectionString", value, []);
  if (fields.get("usedevelopmentstorage")?.toLowerCase() === "true") {
    return {
      endpoint: `http://127.0.0.1:10000/${DEVELOPMENT_ACCOUNT}`,
      credential: new StorageSharedKeyCredential(
        DEVELOPMENT_ACCOUNT,
        DEVELOPMENT_KEY,
      ),
    };
  }
  if (fields.has("sharedaccesssignature") && !fields.has("accountkey")) {
    throw new TypeError(
      `Cannot create ${owner} as 'connectionString' carries a SharedAccessSignature, not an AccountKey: a SAS cannot sign SAS URLs; give a connection string with the account key, or 'accountUrl' with a 'credential'`,
    );
  }
  const missing = ["AccountName", "AccountKey"].filter((name) =>
    !fields.get(name.toLowerCase())
  );
  if (missing.length > 0) {
    throw new TypeError(
      `Cannot create ${owner} as 'connectionString' lacks ${
        missing.join(" and ")
      }`,
    );
  }
  const accountName = fields.get("accountname")!;
  const protocol = fields.get("defaultendpointsprotocol") ?? "https";
  const suffix = fields.get("endpointsuffix") ?? "core.windows.net";
  return {
    endpoint: fields.get("blobendpoint") ||
      `${protocol}://${accountName}.blob.${suffix}`,
    credential: new StorageSharedKeyCredential(
      accountName,
      fields.get("accountkey")!,
    ),
  };
}

/**
 * Checks the connection options of a Blob Storage client.
 *
 * @param owner The class being constructed, for messages.
 * @param given The options bag.
 * @param moreKeys The keys the bag may set besides the connection's.
 * @returns The resolved settings.
 * @throws {TypeError} When an option is missing, unknown or invalid (the
 * message names it and never echoes a key or connection string).
 */
export function resolveBlobConnection(
  owner: string,
  given: unknown,
  moreKeys: readonly string[] = [],
): ResolvedBlobConnection {
  const options = requireOptions<BlobConnectionOptions>(owner, given, [
    ...BLOB_CONNECTION_KEYS,
    ...moreKeys,
  ]);
  const containerName = checkContainerName(owner, options.containerName);
  const auth = exactlyOne(owner, options, ["connectionString", "credential"]);
  let endpoint: unknown;
  let credential: TokenCredential | StorageSharedKeyCredential;
  let option = "accountUrl";
  if (auth === "connectionString") {
    refuseWithConnectionString(owner, "accountUrl", options.accountUrl);
    ({ endpoint, credential } = fromConnectionString(
      owner,
      options.connectionString,
    ));
    option = "connectionString's BlobEndpoint";
  } else {
    endpoint = options.accountUrl;
    credential = checkCredential(owner, options.credential);
  }
  const url = requireUrl(owner, option, endpoint, ["https:", "http:"]);
  if (url.search !== "" || url.hash !== "") {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' must not carry a query or fragment (a SAS there would be sent and logged with every URL): give the key in 'credential'`,
    );
  }
  if (isTokenCredential(credential) && url.protocol !== "https:") {
    throw new TypeError(
      `Cannot create ${owner} as a TokenCredential needs an https:// '${option}': the SDK sends no bearer token over http://`,
    );
  }
  const clientOptions = options.clientOptions ?? {};
  if (typeof clientOptions !== "object" || clientOptions === null) {
    throw new TypeError(
      `Cannot create ${owner} as 'clientOptions' must be an object: received ${
        describeValue(clientOptions)
      }`,
    );
  }
  return {
    accountUrl: url.href.replace(/\/+$/, ""),
    host: url.host,
    containerName,
    credential,
    agentFactory: options.agentFactory === undefined
      ? undefined
      : requireFunction(owner, "agentFactory", options.agentFactory),
    clientOptions,
  };
}
