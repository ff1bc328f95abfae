/**
 * Closing what a `credentialFactory` made (internal; never re-exported).
 *
 * @module
 */

import { errorLabel } from "./_checks.ts";
import { logger } from "./log.ts";

/**
 * Closes a credential the library made, when it has a `close` method. A
 * failure is logged by label, never thrown: the client is gone either way.
 *
 * @param what Who closes it, for the log line (a host at most, no secret).
 * @param credential The credential, or `undefined`.
 * @returns When the credential is closed.
 */
export async function closeCredential(
  what: string,
  credential: unknown,
): Promise<void> {
  const close = (credential as { close?: unknown } | undefined)?.close;
  if (typeof close !== "function") return;
  try {
    await close.call(credential);
  } catch (error) {
    logger.info(`${what}: closing its credential failed: ${errorLabel(error)}`);
  }
}
