/**
 * Signing SAS URLs (internal; never re-exported): with the account key, or
 * with a user delegation key that is fetched once and reused until near its
 * expiry.
 *
 * @module
 */

import {
  BlobSASPermissions,
  type BlobServiceClient,
  type ContainerClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type UserDelegationKey,
} from "@azure/storage-blob";
import type { BlobSasOptions } from "./operation_options.ts";

/** A SAS's validity and rights, checked. */
export interface SasTerms {
  startsOn: Date | undefined;
  expiresOn: Date;
  permissions: BlobSASPermissions;
}

/** A user delegation key and the window it was asked for. */
interface CachedKey {
  key: UserDelegationKey;
  startsOn: number;
  expiresOn: number;
}

/** How long a SAS is valid unless the caller says. */
const DEFAULT_VALIDITY_MS = 60 * 60 * 1000;
/** The service's limit on a user delegation key's validity. */
const MAX_DELEGATION_MS = 7 * 24 * 60 * 60 * 1000;
/** A key is asked to start this much earlier, for clocks that disagree. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** A key closer than this to its expiry is not handed out again. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/**
 * A new key lives this much longer than the SAS that asked for it, and at
 * least twice the default validity: later calls with the default expiry
 * reuse it for an hour.
 */
const KEY_MARGIN_MS = 60 * 60 * 1000;
const MIN_KEY_MS = 2 * DEFAULT_VALIDITY_MS;

function checkDate(what: string, option: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(
      `Cannot ${what} as '${option}' must be a valid Date: received ${
        value instanceof Date ? "an invalid Date" : typeof value
      }`,
    );
  }
  return value;
}

/**
 * Checks the SAS options before any I/O.
 *
 * @param what The action, for messages.
 * @param options The caller's options.
 * @param delegated Whether a user delegation key signs (7 days at most).
 * @param now The time now, in milliseconds.
 * @returns The terms.
 * @throws {TypeError} For a value of the wrong type or unknown permission letters.
 * @throws {RangeError} For an expiry in the past, before the start, or past 7 days with a delegation key.
 */
export function sasTerms(
  what: string,
  options: BlobSasOptions | undefined,
  delegated: boolean,
  now: number,
): SasTerms {
  const expiresOn = options?.expiresOn === undefined
    ? new Date(now + DEFAULT_VALIDITY_MS)
    : checkDate(what, "expiresOn", options.expiresOn);
  const startsOn = options?.startsOn === undefined
    ? undefined
    : checkDate(what, "startsOn", options.startsOn);
  if (expiresOn.getTime() <= now) {
    throw new RangeError(
      `Cannot ${what} as 'expiresOn' must be in the future: received ${expiresOn.toISOString()}`,
    );
  }
  if (startsOn !== undefined && startsOn.getTime() >= expiresOn.getTime()) {
    throw new RangeError(
      `Cannot ${what} as 'startsOn' must be before 'expiresOn': received ${startsOn.toISOString()}`,
    );
  }
  if (delegated && expiresOn.getTime() > now + MAX_DELEGATION_MS) {
    throw new RangeError(
      `Cannot ${what} as 'expiresOn' must be within 7 days for a SAS signed with a user delegation key: received ${expiresOn.toISOString()}`,
    );
  }
  const letters = options?.permissions ?? "r";
  let permissions: BlobSASPermissions;
  try {
    if (typeof letters !== "string" || letters === "") throw new Error();
    permissions = BlobSASPermissions.parse(letters);
  } catch {
    throw new TypeError(
      `Cannot ${what} as 'permissions' must be SAS letters among racwdxytmeopi: received ${
        typeof letters === "string" ? JSON.stringify(letters) : typeof letters
      }`,
    );
  }
  return { startsOn, expiresOn, permissions };
}

/**
 * Signs SAS URLs for one account: with its key when it has one, else with
 * user delegation keys, each fetched once and shared by every URL whose
 * window it covers until it is near its expiry.
 */
export class SasSigner {
  readonly #key: StorageSharedKeyCredential | undefined;
  #cached: CachedKey | undefined;
  #pending: Promise<CachedKey> | undefined;
  #pendingWindow: { startsOn: number; expiresOn: number } | undefined;
  #keyRequests = 0;

  /**
   * @param credential The account's credential: a key signs; anything else
   * (a `TokenCredential`) needs delegation keys.
   */
  constructor(credential: unknown) {
    this.#key = credential instanceof StorageSharedKeyCredential
      ? credential
      : undefined;
  }

  /** Whether URLs are signed with user delegation keys. */
  get delegated(): boolean {
    return this.#key === undefined;
  }

  /** User delegation keys requested so far. */
  get keyRequests(): number {
    return this.#keyRequests;
  }

  /**
   * Signs one URL per blob name, with one key.
   *
   * @param container The container client (for the URLs).
   * @param service Its service client (for delegation keys).
   * @param names The blob names.
   * @param terms The SAS's validity and rights.
   * @param abortSignal Aborts the key request.
   * @param now The time now, in milliseconds.
   * @returns Each name's URL, in order.
   */
  async sign(
    container: ContainerClient,
    service: BlobServiceClient,
    names: readonly string[],
    terms: SasTerms,
    abortSignal: AbortSignal | undefined,
    now: number,
  ): Promise<string[]> {
    const values = (blobName: string) => ({
      containerName: container.containerName,
      blobName,
      permissions: terms.permissions,
      expiresOn: terms.expiresOn,
      startsOn: terms.startsOn,
    });
    if (this.#key !== undefined) {
      const key = this.#key;
      return names.map((name) =>
        `${container.getBlobClient(name).url}?${
          generateBlobSASQueryParameters(values(name), key).toString()
        }`
      );
    }
    const { key } = await this.#delegationKey(service, terms, abortSignal, now);
    return names.map((name) =>
      `${container.getBlobClient(name).url}?${
        generateBlobSASQueryParameters(values(name), key, service.accountName)
          .toString()
      }`
    );
  }

  /** A cached key whose window covers the SAS's and is not near its end, or a new one. */
  #delegationKey(
    service: BlobServiceClient,
    terms: SasTerms,
    abortSignal: AbortSignal | undefined,
    now: number,
  ): Promise<CachedKey> {
    const start = terms.startsOn?.getTime() ?? now;
    const end = terms.expiresOn.getTime();
    const covers = (window: { startsOn: number; expiresOn: number }) =>
      window.startsOn <= start && window.expiresOn >= end &&
      window.expiresOn - now >= REFRESH_MARGIN_MS;
    if (this.#cached !== undefined && covers(this.#cached)) {
      return Promise.resolve(this.#cached);
    }
    // Callers at the same moment share one request.
    if (this.#pending !== undefined && covers(this.#pendingWindow!)) {
      return this.#pending;
    }
    const window = {
      startsOn: Math.min(start, now) - CLOCK_SKEW_MS,
      expiresOn: Math.min(
        Math.max(end + KEY_MARGIN_MS, now + MIN_KEY_MS),
        now + MAX_DELEGATION_MS,
      ),
    };
    this.#keyRequests++;
    const pending = service.getUserDelegationKey(
      new Date(window.startsOn),
      new Date(window.expiresOn),
      { abortSignal },
    ).then((key) => {
      const cached = { key, ...window };
      if (this.#pending === pending) {
        this.#pending = undefined;
        this.#pendingWindow = undefined;
      }
      this.#cached = cached;
      return cached;
    }, (error) => {
      if (this.#pending === pending) {
        this.#pending = undefined;
        this.#pendingWindow = undefined;
      }
      throw error;
    });
    this.#pending = pending;
    this.#pendingWindow = window;
    return pending;
  }
}
