/**
 * The package's loggers, made with `@azure/logger` so that
 * `AZURE_LOG_LEVEL=verbose` or `setLogLevel("verbose")` switches them on, and
 * `DEBUG=azure:azure-clients-toolbox*` picks them out of the Azure SDKs' own
 * lines. Only the service entry points import this module: the root entry
 * point loads no Azure package.
 *
 * @module
 */

import { type AzureLogger, createClientLogger } from "@azure/logger";

/**
 * The logger of the managed clients (namespace `azure:azure-clients-toolbox`).
 *
 * @example Switching the package's logs on
 * ```ts
 * import { getLogLevel, setLogLevel } from "@azure/logger";
 * import assert from "node:assert/strict";
 *
 * const before = getLogLevel();
 * setLogLevel("verbose");
 * assert.equal(getLogLevel(), "verbose");
 * setLogLevel(before);
 * ```
 */
export const logger: AzureLogger = createClientLogger("azure-clients-toolbox");

/**
 * The logger the managed clients hand to their pools (namespace
 * `azure:azure-clients-toolbox:pool`).
 *
 * @example The namespace that `DEBUG` selects
 * ```ts
 * import { createClientLogger } from "@azure/logger";
 * import assert from "node:assert/strict";
 *
 * const pool = createClientLogger("azure-clients-toolbox:pool");
 * assert.equal(pool.info.namespace, "azure:azure-clients-toolbox:pool:info");
 * ```
 */
export const poolLogger: AzureLogger = createClientLogger(
  "azure-clients-toolbox:pool",
);
