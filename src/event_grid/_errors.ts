/**
 * What a failed request to Event Grid becomes (internal; never
 * re-exported): the package's error model, with the SDK's error as `cause`.
 * Messages name the topic and host, the status and the service's code;
 * never the SDK's message, a header or a body.
 *
 * @module
 */

import {
  AuthenticationFailed,
  ConnectionFailed,
  EntityNotFound,
  RequestFailed,
} from "../pool/errors.ts";

/** The fields of a `RestError` (or a system error) that decide. */
interface Failure {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
}

/** Statuses the service may answer differently later: the SDK retried them. */
function transient(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Turns what the SDK's `send` threw into the package's error.
 *
 * @param error What the SDK threw.
 * @param topic The topic's name (the entity of a 404).
 * @param attempt The start of the message ("Cannot send 3 events to Event
 * Grid topic 'orders' on host").
 * @param progress What had been sent before, for the message ("" or "; 1 of
 * 3 requests (812 of 2,000 events) had been accepted").
 * @returns The error to throw: `AuthenticationFailed` (401, 403),
 * `EntityNotFound` (404), `ConnectionFailed` (no answer, or 408, 429, 5xx
 * after the SDK's retries), `RequestFailed` (any other status), or the
 * error unchanged when it is none of these (a caller's abort, a bug).
 */
export function translate(
  error: unknown,
  topic: string,
  attempt: string,
  progress: string,
): unknown {
  if (typeof error !== "object" || error === null) return error;
  const { name, code, statusCode } = error as Failure;
  if (name === "AbortError") return error;
  const serviceCode = typeof code === "string" ? code : undefined;
  if (typeof statusCode === "number" && statusCode > 0) {
    const answer = `${statusCode}${serviceCode ? ` ${serviceCode}` : ""}`;
    const options = { cause: error, statusCode, serviceCode };
    if (statusCode === 401 || statusCode === 403) {
      return new AuthenticationFailed(
        `${attempt}: the credential was refused (${answer})${progress}`,
        options,
      );
    }
    if (statusCode === 404) {
      return new EntityNotFound(
        `${attempt}: no topic answers at this endpoint (${answer})${progress}`,
        topic,
        options,
      );
    }
    if (transient(statusCode)) {
      return new ConnectionFailed(
        `${attempt}: the service failed (${answer}) after the SDK's retries${progress}`,
        { cause: error },
      );
    }
    return new RequestFailed(`${attempt}: ${answer}${progress}`, options);
  }
  if (name === "RestError" || typeof code === "string") {
    // No answer: refused, reset, unresolvable, or a TLS failure.
    return new ConnectionFailed(
      `${attempt}: no answer (${
        serviceCode ?? String(name)
      }) after the SDK's retries${progress}`,
      { cause: error },
    );
  }
  return error;
}
