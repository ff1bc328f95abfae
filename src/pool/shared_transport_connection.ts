/**
 * The read-only view of one pooled connection.
 *
 * @module
 */

import type { Clock } from "./clock.ts";

/** Where a connection is in its life. */
export type ConnectionState =
  | "opening"
  | "ready"
  | "draining"
  | "closing"
  | "closed";

/**
 * The pool's record of one connection. Internal: the pool owns and mutates it;
 * users see it through {@linkcode SharedTransportConnection}.
 */
export interface ConnectionRecord<C> {
  readonly id: number;
  state: ConnectionState;
  connection: C | undefined;
  /** Callers holding a lease on it now. */
  clients: number;
  /** When `create` returned (clock ms); the start of its lifespan. */
  createdAt: number;
  /** When its last caller left (or it became ready). */
  idleSince: number;
  /** When its (jittered) lifespan ends (clock ms); Infinity without `maxLifespanSeconds`. */
  retireAt: number;
  /** Whether its replacement was asked for because it nears `retireAt`. */
  replacing: boolean;
  /** Aborts its open (create or ready) when the pool gives up on it. */
  controller: AbortController | undefined;
  readonly clock: Clock;
  view: SharedTransportConnection | undefined;
  /** Its position in the pool's heap while it takes new callers. */
  heapIndex: number | undefined;
}

/**
 * A read-only view of one connection the pool shares among callers: how many
 * callers it serves now, whether it is ready, its age and idle time.
 *
 * @example Inspecting the connections of a pool
 * ```ts
 * import { ConnectionPool } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const pool = new ConnectionPool({
 *   create: () => Promise.resolve("client"),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(),
 * });
 * await pool.use((_client, lease) => {
 *   assert.equal(lease.shared.currentClientCount, 1);
 *   assert.equal(lease.shared.isReady, true);
 * });
 * const [connection] = pool.connections();
 * assert.equal(connection.currentClientCount, 0);
 * await pool.close();
 * ```
 */
export class SharedTransportConnection {
  #record: ConnectionRecord<unknown>;

  /**
   * Made by the pool only.
   *
   * @param record The pool's record of the connection.
   */
  constructor(record: ConnectionRecord<unknown>) {
    this.#record = record;
  }

  /** The connection's number within its pool (`conn#N` in logs). */
  get id(): number {
    return this.#record.id;
  }

  /** Where the connection is in its life. */
  get state(): ConnectionState {
    return this.#record.state;
  }

  /** Callers sharing the connection now. */
  get currentClientCount(): number {
    return this.#record.clients;
  }

  /** Whether the connection passed its readiness check and takes new callers. */
  get isReady(): boolean {
    return this.#record.state === "ready";
  }

  /** Seconds since the connection was created (0 while opening). */
  get ageSeconds(): number {
    const { state, createdAt, clock } = this.#record;
    return state === "opening" ? 0 : (clock.now() - createdAt) / 1000;
  }

  /** Seconds since its last caller left; 0 while it has callers. */
  get idleSeconds(): number {
    const { clients, idleSince, clock, state } = this.#record;
    return clients > 0 || state === "opening"
      ? 0
      : (clock.now() - idleSince) / 1000;
  }
}
