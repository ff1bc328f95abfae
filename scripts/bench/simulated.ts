/**
 * The default backend of `deno task bench`: a connector whose connections cost
 * a handshake to open and serve operations with a fixed latency and a limited
 * rate per connection. Real timers, no network.
 *
 * @module
 */

import { ConnectionPool, type Connector } from "../../mod.ts";
import { formatCount, formatMs } from "./format.ts";
import { poolFigures } from "./pool_figures.ts";
import type { BenchBackend, BenchSubject } from "./runner.ts";
import type { PoolSettings } from "./types.ts";

/** The costs of the simulated service. */
export interface SimulatedCosts {
  /** Milliseconds from `create` to a ready connection (handshake, auth, first link). */
  handshakeMs: number;
  /** Milliseconds one operation takes on an idle connection. */
  operationMs: number;
  /**
   * Operations per second one connection carries (its socket is shared by all
   * its callers); beyond it, operations queue on the connection. 0: no limit.
   */
  connectionRate: number;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * One simulated connection. Its wire is a single server: each operation holds
 * it for `1000 / connectionRate` ms, so a connection saturates at
 * `connectionRate` operations per second and queues beyond that, as one
 * socket does.
 *
 * @example One operation
 * ```ts
 * import { SimulatedConnection } from "./simulated.ts";
 * import assert from "node:assert/strict";
 *
 * const c = new SimulatedConnection(1, { handshakeMs: 0, operationMs: 1, connectionRate: 0 });
 * await c.operation();
 * assert.equal(c.operations, 1);
 * ```
 */
export class SimulatedConnection {
  /** A 1-based id, in creation order. */
  readonly id: number;
  /** Operations completed on this connection. */
  operations = 0;
  /** Whether `close` was called. */
  closed = false;
  #costs: SimulatedCosts;
  #wireFreeAt = 0;

  /**
   * Constructs a connection (the connector does this).
   *
   * @param id Its id.
   * @param costs The service's costs.
   */
  constructor(id: number, costs: SimulatedCosts) {
    this.id = id;
    this.#costs = costs;
  }

  /**
   * Performs one operation.
   *
   * @returns Resolves when the operation completes.
   * @throws {Error} When the connection was closed.
   */
  operation(): Promise<void> {
    if (this.closed) {
      return Promise.reject(
        new Error(`Cannot operate: conn#${this.id} is closed`),
      );
    }
    const { operationMs, connectionRate } = this.#costs;
    const now = performance.now();
    let doneAt = now + operationMs;
    if (connectionRate > 0) {
      const wireMs = 1000 / connectionRate;
      const wireEnd = Math.max(now, this.#wireFreeAt) + wireMs;
      this.#wireFreeAt = wireEnd;
      doneAt = Math.max(doneAt, wireEnd + Math.max(0, operationMs - wireMs));
    }
    return delay(doneAt - now).then(() => {
      this.operations++;
    });
  }
}

/**
 * A {@linkcode Connector} of simulated connections, counting what it did.
 *
 * @example Opening and closing
 * ```ts
 * import { SimulatedConnector } from "./simulated.ts";
 * import assert from "node:assert/strict";
 *
 * const connector = new SimulatedConnector({ handshakeMs: 1, operationMs: 0, connectionRate: 0 });
 * const c = await connector.create(new AbortController().signal);
 * assert.equal(await connector.ready(c, new AbortController().signal), true);
 * await connector.close(c);
 * assert.deepEqual([connector.created, connector.closed], [1, 1]);
 * ```
 */
export class SimulatedConnector implements Connector<SimulatedConnection> {
  /** Connections created. */
  created = 0;
  /** Connections closed. */
  closed = 0;
  #costs: SimulatedCosts;

  /**
   * Constructs the connector.
   *
   * @param costs The service's costs (handshake already scaled).
   */
  constructor(costs: SimulatedCosts) {
    this.#costs = { ...costs };
  }

  /**
   * Opens a connection after the handshake delay.
   *
   * @param signal Aborts the handshake.
   * @returns The connection.
   */
  async create(signal: AbortSignal): Promise<SimulatedConnection> {
    await delay(this.#costs.handshakeMs, signal);
    return new SimulatedConnection(++this.created, this.#costs);
  }

  /**
   * A simulated connection is ready once its handshake is done.
   *
   * @param _connection The connection `create` returned.
   * @param _signal Unused: nothing is left to wait for.
   * @returns `true`.
   */
  ready(
    _connection: SimulatedConnection,
    _signal: AbortSignal,
  ): Promise<boolean> {
    return Promise.resolve(true);
  }

  /**
   * Closes a connection.
   *
   * @param connection The connection.
   */
  close(connection: SimulatedConnection): Promise<void> {
    connection.closed = true;
    this.closed++;
    return Promise.resolve();
  }
}

/**
 * The default backend of the bench: a {@linkcode ConnectionPool} over a
 * {@linkcode SimulatedConnector}, one fresh pool per grid cell.
 *
 * @param costs The service's costs, handshake already scaled.
 * @returns The backend.
 *
 * @example One request through a simulated pool
 * ```ts
 * import { simulatedBackend } from "./simulated.ts";
 * import assert from "node:assert/strict";
 *
 * const backend = simulatedBackend({ handshakeMs: 1, operationMs: 1, connectionRate: 0 });
 * const subject = await backend.open({ clientLimit: 1, maxSize: 1, maxConcurrentCreates: undefined }, 1);
 * let acquired = false;
 * await subject.request(() => (acquired = true));
 * assert.equal(acquired, true);
 * assert.equal(subject.stats().opened, 1);
 * await subject.close();
 * await backend.close();
 * ```
 */
export function simulatedBackend(costs: SimulatedCosts): BenchBackend {
  const rate = costs.connectionRate > 0
    ? `${formatCount(costs.connectionRate)} ops/s per connection`
    : "no per-connection rate limit";
  return {
    label:
      `simulated connector: handshake ${formatMs(costs.handshakeMs)} ms, ` +
      `operation ${formatMs(costs.operationMs)} ms, ${rate}`,
    reportsAcquire: true,
    open(
      settings: PoolSettings,
      acquireTimeoutSeconds: number,
    ): Promise<BenchSubject> {
      const pool = new ConnectionPool<SimulatedConnection>(
        new SimulatedConnector(costs),
        {
          clientLimit: settings.clientLimit,
          maxSize: settings.maxSize,
          maxConcurrentCreates: settings.maxConcurrentCreates,
          acquireTimeoutSeconds,
          name: `bench ${settings.maxSize}x${settings.clientLimit}`,
        },
      );
      return Promise.resolve({
        request: (onAcquired) =>
          pool.use((connection) => {
            onAcquired();
            return connection.operation();
          }),
        stats: () => poolFigures(pool.stats()),
        close: () => pool.close(),
      });
    },
    close: () => Promise.resolve(),
  };
}
