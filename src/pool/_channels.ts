/**
 * The seam between the pool and `node:diagnostics_channel`: the pool asks
 * this module for the channels once, at construction, and publishes only
 * when they have subscribers. The binding itself lives outside `src/pool`
 * (`src/runtime/diagnostics_channel.ts`, which the package's entry points
 * load), so the core imports nothing runtime-specific; where nothing is
 * bound, the pool publishes nothing.
 *
 * @module
 */

import type { PoolAcquireContext, PoolConnectionEvent } from "./channels.ts";

/** What the pool publishes through; implemented by the runtime binding. */
export interface PoolChannels {
  /** Whether the acquire TracingChannel has a subscriber now. */
  readonly tracingAcquire: boolean;
  /**
   * Runs `acquire` inside the acquire TracingChannel.
   *
   * @param acquire The acquire; it must resolve to nothing (the context, not
   * the result, carries what subscribers see).
   * @param context The acquire's context.
   * @returns What `acquire` returned.
   */
  traceAcquire(
    acquire: () => Promise<void>,
    context: PoolAcquireContext,
  ): Promise<void>;
  /** Whether the connection channel has a subscriber now. */
  readonly observingConnections: boolean;
  /** Publishes one connection event. */
  publishConnection(message: PoolConnectionEvent): void;
}

let bound: PoolChannels | undefined = undefined;

/**
 * Sets the channels every pool constructed from now on publishes to.
 *
 * @param channels The binding, or `undefined` for none.
 */
export function bindPoolChannels(channels: PoolChannels | undefined): void {
  bound = channels;
}

/**
 * The channels bound now, if any.
 *
 * @returns The binding.
 */
export function poolChannels(): PoolChannels | undefined {
  return bound;
}

/** An error's name for a message (never its text); never throws. */
export function errorKind(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.name);
    return typeof error;
  } catch {
    return "unknown";
  }
}
