/**
 * Service Bus duplicate detection for the test broker (internal): the message
 * ids a queue or topic stored within its window.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/**
 * The ids stored within a sliding window. An id is remembered from the time
 * it was first stored; a duplicate does not extend it, as on the service.
 * Entries are kept in insertion order, so expired ones are dropped from the
 * front in O(1) each.
 */
export class DuplicateWindow {
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #storedAt = new Map<string, number>();

  /**
   * Makes an empty window.
   *
   * @param windowMs How long an id is remembered, in milliseconds.
   * @param now The clock, in milliseconds (monotonic).
   */
  constructor(windowMs: number, now: () => number = () => performance.now()) {
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /**
   * Decides whether a message is stored, and remembers its id if so.
   *
   * @param key The message id's key ({@linkcode messageIdKey}), or
   * `undefined` for a message without an id (always stored).
   * @returns `false` for a duplicate within the window.
   */
  admit(key: string | undefined): boolean {
    if (key === undefined) return true;
    const now = this.#now();
    for (const [oldest, at] of this.#storedAt) {
      if (now - at < this.#windowMs) break;
      this.#storedAt.delete(oldest);
    }
    if (this.#storedAt.has(key)) return false;
    this.#storedAt.set(key, now);
    return true;
  }
}

/**
 * A key for an AMQP `message-id` (a string, number, UUID or bytes) that tells
 * types apart: the string `"1"` and the number `1` are different ids.
 *
 * @param id The decoded id.
 * @returns The key, or `undefined` when there is no id.
 */
export function messageIdKey(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  if (typeof id === "string") return `s:${id}`;
  if (id instanceof Uint8Array) return `b:${Buffer.from(id).toString("hex")}`;
  if (typeof id === "object" && "value" in id) {
    return messageIdKey((id as { value: unknown }).value);
  }
  return `${typeof id}:${String(id)}`;
}
