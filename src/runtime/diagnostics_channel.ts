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

import { bindPoolChannels } from "../pool/_channels.ts";
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

const dc = diagnosticsChannel();
if (dc !== undefined) {
  const acquire = dc.tracingChannel(ACQUIRE_CHANNEL);
  const connection = dc.channel(CONNECTION_CHANNEL);
  // Bun's TracingChannel has no `hasSubscribers`; its five channels do.
  const { start, end, asyncStart, asyncEnd, error } = acquire;
  bindPoolChannels({
    get tracingAcquire() {
      return start.hasSubscribers || end.hasSubscribers ||
        asyncStart.hasSubscribers || asyncEnd.hasSubscribers ||
        error.hasSubscribers;
    },
    traceAcquire: (fn: () => Promise<void>, context: PoolAcquireContext) =>
      acquire.tracePromise(fn, context),
    get observingConnections() {
      return connection.hasSubscribers;
    },
    publishConnection: (message: PoolConnectionEvent) =>
      connection.publish(message),
  });
}
