/**
 * The shape every service's connection-error check shares (internal; never
 * re-exported): look at the error and a few levels of `cause`, never count
 * a caller's abort, then match a code or a message. Each service supplies its
 * codes, its message pattern and its own first look.
 *
 * @module
 */

/**
 * Node system error codes of a socket that failed or never connected: the
 * client's connection, not the request, is at fault.
 */
export const SOCKET_ERROR_CODES: readonly string[] = [
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_SOCKET_CLOSED",
];

/** The fields of a thrown value that the checks read. */
export interface ErrorFields {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** What tells a broken connection from an answer, for one service. */
export interface ConnectionErrorRules {
  /** Codes (or names) that mean the connection is broken. */
  codes: ReadonlySet<string>;
  /** Messages that mean the connection is broken. */
  message: RegExp;
  /**
   * A verdict before the shared checks: `true` or `false` decides, and
   * `undefined` goes on to the codes and the message.
   */
  first?: (error: object & ErrorFields) => boolean | undefined;
}

/** Transport errors wrap the original as `cause`; deeper chains are not ours. */
const MAX_DEPTH = 4;

/**
 * Makes a service's connection-error check from its rules.
 *
 * @param rules The service's codes, message pattern and first look.
 * @returns A check: `true` when the error shows that the client's connection
 * is broken (it should be replaced), `false` for an answer from the service,
 * a caller's abort, or anything else.
 */
export function connectionErrorCheck(
  rules: ConnectionErrorRules,
): (error: unknown) => boolean {
  return (error: unknown): boolean => {
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      if (typeof error !== "object" || error === null) return false;
      const fields = error as ErrorFields;
      if (fields.name === "AbortError") return false;
      const verdict = rules.first?.(fields);
      if (verdict !== undefined) return verdict;
      if (typeof fields.code === "string" && rules.codes.has(fields.code)) {
        return true;
      }
      if (
        typeof fields.message === "string" && rules.message.test(fields.message)
      ) return true;
      error = fields.cause;
    }
    return false;
  };
}
