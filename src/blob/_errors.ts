/**
 * How the SDK's errors become the package's (internal; never re-exported).
 *
 * @module
 */

import {
  AuthenticationFailed,
  ConnectionFailed,
  EntityNotFound,
  PoolError,
  RequestFailed,
} from "../pool/errors.ts";

/** What an operation was doing, for the message. */
export interface BlobFailureContext {
  /** The action, for example `download blob '2026/q4.csv' from container 'reports'`. */
  action: string;
  /** The container, named by `EntityNotFound` when it is missing. */
  containerName: string;
  /** The account's host (and port). */
  host: string;
  /** The caller's signal: once aborted, its reason is what the caller gets. */
  abortSignal?: AbortSignal;
}

/** The fields of an `@azure/core-rest-pipeline` `RestError` that are read. */
interface RestErrorFields {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
}

/**
 * Quotes a name for a message: as given, but for control characters and a
 * length past 200 characters.
 *
 * @param name A blob or container name.
 * @returns `'name'`.
 */
export function quote(name: string): string {
  // deno-lint-ignore no-control-regex
  const printable = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return `'${
    printable.length > 200 ? `${printable.slice(0, 200)}…` : printable
  }'`;
}

/**
 * Turns what an operation threw into what its caller gets: the caller's
 * abort reason when its signal fired; a `RestError` with a status as
 * `AuthenticationFailed` (401, 403), `EntityNotFound` (the container is
 * missing) or `RequestFailed` (any other answer, a missing blob included);
 * a `RestError` without a status (the request got no answer) as
 * `ConnectionFailed`. The package's own errors and anything else pass
 * unchanged. The SDK's error is the `cause`; no message quotes it (it may
 * name a URL).
 *
 * @param error What was thrown.
 * @param context What was attempted, where.
 * @returns The error to throw.
 */
export function blobError(
  error: unknown,
  context: BlobFailureContext,
): unknown {
  const signal = context.abortSignal;
  if (signal?.aborted) return signal.reason;
  if (error instanceof PoolError) return error;
  if (typeof error !== "object" || error === null) return error;
  const { name, code, statusCode } = error as RestErrorFields;
  if (name !== "RestError") return error;
  const where = `Cannot ${context.action} on ${context.host}`;
  const serviceCode = typeof code === "string" ? code : undefined;
  if (typeof statusCode !== "number") {
    return new ConnectionFailed(
      `${where}: the request got no answer (${serviceCode ?? "no code"})`,
      { cause: error },
    );
  }
  const answer = `${statusCode}${serviceCode ? ` ${serviceCode}` : ""}`;
  const options = { statusCode, serviceCode, cause: error };
  if (statusCode === 401 || statusCode === 403) {
    return new AuthenticationFailed(
      `${where}: the credential was refused (${answer})`,
      options,
    );
  }
  if (statusCode === 404 && serviceCode === "ContainerNotFound") {
    return new EntityNotFound(
      `${where}: container ${
        quote(context.containerName)
      } does not exist (${answer})`,
      context.containerName,
      options,
    );
  }
  return new RequestFailed(`${where}: ${answer}`, options);
}
