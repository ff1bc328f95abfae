/**
 * The package's loggers, made with `@azure/logger` so that
 * `AZURE_LOG_LEVEL=verbose` or `setLogLevel("verbose")` switches them on.
 *
 * @module
 */

import { type AzureLogger, createClientLogger } from "@azure/logger";

/**
 * The logger of the managed clients (namespace `azure:azure-clients-toolbox`).
 *
 * @example Writing a line
 * ```ts
 * import { logger } from "./log.ts";
 * logger.verbose("ManagedCosmos ready");
 * ```
 */
export const logger: AzureLogger = createClientLogger("azure-clients-toolbox");

/**
 * The logger the managed clients hand to their pools (namespace
 * `azure:azure-clients-toolbox:pool`).
 *
 * @example Passing it to a pool
 * ```ts
 * import { poolLogger } from "./log.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof poolLogger.info, "function");
 * ```
 */
export const poolLogger: AzureLogger = createClientLogger(
  "azure-clients-toolbox:pool",
);
