/**
 * The lease the pool hands each caller.
 *
 * @module
 */

import type { Lease } from "./lease.ts";
import {
  type ConnectionRecord,
  SharedTransportConnection,
} from "./shared_transport_connection.ts";

/** Lease handed to one caller; `release` and `invalidate` act once. */
export class PooledLease<C> implements Lease<C> {
  readonly #slot: ConnectionRecord<C>;
  readonly #release: (
    slot: ConnectionRecord<C>,
    invalidate: boolean,
    lease: PooledLease<C>,
  ) => void;
  #released = false;
  readonly connection: C;
  /** When it was handed out (clock ms); set only when the pool records metrics. */
  acquiredAt = 0;

  constructor(
    slot: ConnectionRecord<C>,
    release: (
      slot: ConnectionRecord<C>,
      invalidate: boolean,
      lease: PooledLease<C>,
    ) => void,
  ) {
    this.#slot = slot;
    this.connection = slot.connection as C;
    this.#release = release;
  }

  get shared(): SharedTransportConnection {
    return this.#slot.view ??= new SharedTransportConnection(
      this.#slot as ConnectionRecord<unknown>,
    );
  }

  get released(): boolean {
    return this.#released;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#release(this.#slot, false, this);
  }

  invalidate(): void {
    if (this.#released) return;
    this.#released = true;
    this.#release(this.#slot, true, this);
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}
