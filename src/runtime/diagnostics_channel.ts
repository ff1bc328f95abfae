/**
 * Binds the pool's diagnostics channels to `node:diagnostics_channel`, on
 * loading. The entry points load this module; the pool core never imports it.
 *
 * The module is found through `process.getBuiltinModule` (Deno 2, Node
 * 20.16+, Bun 1.1+), not a static `node:` import, so the root entry point
 * loads in any runtime, asks Deno for no permission, and where the module is
 * missing (a browser, older Node) the pool simply publishes nothing.
 *
 * @module
 */

import { bindPoolChannels, type PoolChannels } from "../pool/_channels.ts";
import type {
  PoolAcquireContext,
  PoolConnectionEvent,
} from "../pool/channels.ts";

/** The name of the acquire TracingChannel. */
export const ACQUIRE_CHANNEL = "azure-clients-toolbox:pool:acquire";
/** The name of the connection-event channel. */
export const CONNECTION_CHANNEL = "azure-clients-toolbox:pool:connection";

/** The parts of `node:diagnostics_channel` this binding uses. */
interface Channel {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}
interface TracingChannel {
  readonly start: Channel;
  readonly end: Channel;
  readonly asyncStart: Channel;
  readonly asyncEnd: Channel;
  readonly error: Channel;
  tracePromise<T>(fn: () => Promise<T>, context: object): Promise<T>;
}
interface DiagnosticsChannel {
  channel(name: string): Channel;
  tracingChannel(name: string): TracingChannel;
}

/** `node:diagnostics_channel`, if the runtime has it. */
function diagnosticsChannel(): DiagnosticsChannel | undefined {
  try {
    const process = (globalThis as {
      process?: { getBuiltinModule?: (id: string) => unknown };
    }).process;
    const module = process?.getBuiltinModule?.("node:diagnostics_channel") as
      | Partial<DiagnosticsChannel>
      | undefined;
    if (
      typeof module?.channel === "function" &&
      typeof module.tracingChannel === "function"
    ) {
      return module as DiagnosticsChannel;
    }
  } catch {
    // A runtime that refuses: no channels.
  }
  return undefined;
}

/**
 * The binding. A class, not an object literal: V8 inlines a class getter on
 * the pool's hot path, but not a getter of an object literal (about 9 ns an
 * acquire on Deno 2.9 and Node 20).
 */
class NodePoolChannels implements PoolChannels {
  readonly #acquire: TracingChannel;
  readonly #start: Channel;
  readonly #end: Channel;
  readonly #asyncStart: Channel;
  readonly #asyncEnd: Channel;
  readonly #error: Channel;
  readonly #connection: Channel;

  constructor(dc: DiagnosticsChannel) {
    const acquire = this.#acquire = dc.tracingChannel(ACQUIRE_CHANNEL);
    // Bun's TracingChannel has no `hasSubscribers`; its five channels do.
    this.#start = acquire.start;
    this.#end = acquire.end;
    this.#asyncStart = acquire.asyncStart;
    this.#asyncEnd = acquire.asyncEnd;
    this.#error = acquire.error;
    this.#connection = dc.channel(CONNECTION_CHANNEL);
  }

  get tracingAcquire(): boolean {
    return this.#start.hasSubscribers || this.#end.hasSubscribers ||
      this.#asyncStart.hasSubscribers || this.#asyncEnd.hasSubscribers ||
      this.#error.hasSubscribers;
  }

  traceAcquire(
    acquire: () => Promise<void>,
    context: PoolAcquireContext,
  ): Promise<void> {
    return this.#acquire.tracePromise(acquire, context);
  }

  get observingConnections(): boolean {
    return this.#connection.hasSubscribers;
  }

  publishConnection(message: PoolConnectionEvent): void {
    this.#connection.publish(message);
  }
}

const dc = diagnosticsChannel();
if (dc !== undefined) bindPoolChannels(new NodePoolChannels(dc));
