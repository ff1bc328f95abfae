/**
 * Backends of `deno task bench --target`: managed clients against local servers.
 *
 * @module
 */

import { BenchArgsError, type BenchTarget } from "./_bench_args.ts";
import type { BenchBackend } from "./_bench_runner.ts";

/** How to open a target backend. */
export interface TargetOptions {
  /** Use the real Azure account from `env` instead of a local server. */
  azure: boolean;
  /** The environment variables. */
  env: Record<string, string>;
}

/**
 * Opens a managed-client backend.
 *
 * @param target The service.
 * @param _options Local server or real account.
 * @returns The backend.
 * @throws {BenchArgsError} Not available yet.
 */
export function openTargetBackend(
  target: BenchTarget,
  _options: TargetOptions,
): Promise<BenchBackend> {
  return Promise.reject(
    new BenchArgsError(`Invalid --target: ${target} is not available yet`),
  );
}
