/**
 * Which errors of `@azure/cosmos` mean a broken client connection.
 *
 * @module
 */

import {
  connectionErrorCheck,
  SOCKET_ERROR_CODES,
} from "../managed/_connection_errors.ts";

/** Error codes of a transport that failed: the client, not the request, is at fault. */
const CONNECTION_ERROR_CODES = new Set<string>([
  ...SOCKET_ERROR_CODES,
  "EPROTO",
  "ERR_STREAM_DESTROYED",
  "ERR_HTTP2_STREAM_ERROR",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "REQUEST_SEND_ERROR", // @azure/core-rest-pipeline's code for a request that never got an answer
  "TimeoutError", // @azure/cosmos: no answer within connectionPolicy.requestTimeout
  // TLS: a handshake that fails will fail again on this client's agent.
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

const CONNECTION_ERROR_MESSAGE =
  /socket hang up|other side closed|connection (was )?(reset|closed|refused)|client (has been |is |was )?(closed|disposed)|session is closed/i;

/**
 * Tells whether an error thrown by a Cosmos operation shows that the client's
 * connection is broken (connection reset or refused, socket hang-up, TLS
 * failure, request timeout, a closed client), as opposed to an answer from the
 * service. Answers with an HTTP status (404, 409, 412, 429, 5xx) and aborts by
 * the caller are not connection errors. `ManagedCosmos` invalidates a pooled
 * client when its `use` callback throws such an error.
 *
 * @param error What an operation threw.
 * @returns Whether the client that threw it should be replaced.
 *
 * @example Classifying errors
 * ```ts
 * import { isCosmosConnectionError } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
 * assert.equal(isCosmosConnectionError(reset), true);
 * const notFound = Object.assign(new Error("Entity not found"), { code: 404 });
 * assert.equal(isCosmosConnectionError(notFound), false);
 * ```
 */
export const isCosmosConnectionError: (error: unknown) => boolean =
  connectionErrorCheck({
    codes: CONNECTION_ERROR_CODES,
    message: CONNECTION_ERROR_MESSAGE,
    first: ({ code, statusCode }) => {
      // The service answered: the connection works.
      if (typeof statusCode === "number" || typeof code === "number") {
        return false;
      }
      if (
        typeof code === "string" &&
        (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_"))
      ) return true;
      return undefined;
    },
  });
