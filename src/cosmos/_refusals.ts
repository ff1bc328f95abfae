/**
 * How the Cosmos DB clients name the configuration mistakes the service
 * answers a new client's proof with (internal; never re-exported).
 *
 * @module
 */

import type { Container } from "@azure/cosmos";
import {
  AuthenticationFailed,
  EntityNotFound,
  type RequestFailed,
} from "../pool/errors.ts";

/** The HTTP status of a Cosmos answer, if the error is one. */
function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, statusCode } = error as {
    code?: unknown;
    statusCode?: unknown;
  };
  if (typeof statusCode === "number") return statusCode;
  return typeof code === "number" ? code : undefined;
}

/**
 * Turns the answer to a container read into the package's error when it is
 * a configuration mistake: 401 or 403 (a wrong key, an identity without the
 * data-plane role) is `AuthenticationFailed`; 404 is `EntityNotFound` for
 * the database or, when the database exists, the container (one more read
 * tells which).
 *
 * @param error What the read threw.
 * @param container The container that was read.
 * @param host The account host, for the message.
 * @param signal Aborts the database read (the open's signal).
 * @returns The package's error, or `undefined` when it is not a refusal.
 */
export async function cosmosRefusal(
  error: unknown,
  container: Container,
  host: string,
  signal?: AbortSignal,
): Promise<RequestFailed | undefined> {
  const status = statusOf(error);
  const database = container.database.id;
  const where =
    `open Cosmos DB container '${container.id}' in database '${database}' on ${host}`;
  if (status === 401 || status === 403) {
    return new AuthenticationFailed(
      `Cannot ${where}: the service refused the credential (${status}; check the key or the identity's data-plane role)`,
      { statusCode: status, serviceCode: serviceCode(error), cause: error },
    );
  }
  if (status !== 404) return undefined;
  let databaseExists = true;
  try {
    await container.database.read({ abortSignal: signal });
  } catch (readError) {
    if (statusOf(readError) === 404) databaseExists = false;
  }
  return databaseExists
    ? new EntityNotFound(
      `Cannot ${where}: container '${container.id}' does not exist (404)`,
      container.id,
      { statusCode: 404, serviceCode: serviceCode(error), cause: error },
    )
    : new EntityNotFound(
      `Cannot ${where}: database '${database}' does not exist (404)`,
      database,
      { statusCode: 404, serviceCode: serviceCode(error), cause: error },
    );
}

function serviceCode(error: unknown): string | undefined {
  const body = (error as { body?: { code?: unknown } }).body;
  return typeof body?.code === "string" ? body.code : undefined;
}
