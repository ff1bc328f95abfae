/**
 * Pooled Azure SDK clients with a runtime-agnostic connection pool.
 *
 * (Temporary entry point written by the tooling task; the lead replaces it
 * with the full public surface.)
 *
 * @example Recognising a pool error
 * ```ts
 * import { PoolClosed, PoolError } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new PoolClosed("pool#1") instanceof PoolError);
 * ```
 *
 * @module
 */

export {
  ConnectionFailed,
  ConnectionsExhausted,
  PoolClosed,
  PoolError,
} from "./src/pool/errors.ts";
