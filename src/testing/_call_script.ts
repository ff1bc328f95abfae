/**
 * What the recording doubles share (internal): the scripted failures, the
 * closed state, and the checks every call makes before it is recorded.
 *
 * @module
 */

import { PoolClosed } from "../pool/errors.ts";

/** The failures scripted with `failNext`, consumed one per call, in order. */
export class CallScript {
  readonly #owner: string;
  #failures: unknown[] = [];
  #closed = false;

  /**
   * Constructs an empty script.
   *
   * @param owner The double's class name, for messages.
   */
  constructor(owner: string) {
    this.#owner = owner;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Scripted failures not yet consumed. */
  get pendingFailures(): number {
    return this.#failures.length;
  }

  /**
   * Scripts the next `count` calls to fail with `error`, after those
   * already scripted.
   *
   * @param count How many calls.
   * @param error What they reject with.
   * @throws {RangeError} When `count` is not a positive integer.
   */
  failNext(count: number, error: unknown): void {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(
        `Cannot script failures of ${this.#owner} as 'count' must be a positive integer: received ${
          String(count)
        }`,
      );
    }
    for (let i = 0; i < count; i++) this.#failures.push(error);
  }

  /** Marks the double closed: later calls reject with `PoolClosed`. */
  close(): void {
    this.#closed = true;
  }

  /**
   * Decides how a call ends before it is recorded: as a managed client
   * would, a closed double refuses it and an aborted signal rejects it with
   * its reason; otherwise the next scripted failure, if any.
   *
   * @param abortSignal The call's signal.
   * @returns `{ error }` when the call must reject, else `undefined`.
   */
  next(abortSignal: AbortSignal | undefined): { error: unknown } | undefined {
    if (this.#closed) return { error: new PoolClosed(this.#owner) };
    if (abortSignal?.aborted) return { error: abortSignal.reason };
    if (this.#failures.length > 0) return { error: this.#failures.shift() };
    return undefined;
  }
}
