/**
 * The operations in flight on each pooled SDK client of one managed client
 * (internal; never re-exported). Each is given up at its own deadline
 * (`operationTimeoutSeconds`) or as soon as its client's connection is seen
 * to die, so that a caller never waits out the SDK's own 60 s operation
 * timeout and 30 s retry delay on a connection that is gone.
 *
 * Deadlines are kept in coarse ticks of one timer per tracker, armed only
 * while something is in flight: an operation costs a set insertion and no
 * clock reading or timer of its own. A deadline therefore fires between
 * `timeoutMs` and `timeoutMs + tickMs` after the operation started.
 *
 * @module
 */

import { type Clock, systemClock } from "../pool/clock.ts";
import { unrefTimer } from "../pool/_timers.ts";

/** Why an operation was given up before the SDK answered. */
export type GaveUpReason = "timeout" | "lost";

/**
 * The rejection of an operation given up by its tracker: the SDK's promise
 * is left to settle on its own (its client is being closed).
 */
export class GaveUp extends Error {
  /** Why: its deadline passed, or its connection died. */
  readonly reason: GaveUpReason;
  /** For `lost`: what the connector saw (`"disconnected"`). */
  readonly detail: string;

  /**
   * @param reason Why it was given up.
   * @param detail What the connector saw, for messages.
   */
  constructor(reason: GaveUpReason, detail: string) {
    super(
      reason === "timeout" ? "operation timed out" : `connection ${detail}`,
    );
    this.name = "GaveUp";
    this.reason = reason;
    this.detail = detail;
  }
}

interface Entry {
  reject: (error: GaveUp) => void;
  expiresAt: number;
  /** Aborted with the GaveUp, so that the SDK drops the operation too. */
  controller: AbortController | undefined;
}

/** The in-flight operations of one managed client, by SDK client. */
export class InFlight<C> {
  /** Each operation's deadline, in ms (`Infinity` for none). */
  readonly timeoutMs: number;
  readonly #byClient = new Map<C, Set<Entry>>();
  readonly #tickMs: number;
  readonly #ticksToExpire: number;
  readonly #clock: Clock;
  #count = 0;
  #tick = 0;
  #timer: unknown = undefined;

  /**
   * @param timeoutMs Each operation's deadline; `Infinity` for none.
   * @param clock Whose timer to use (tests pass a fake one).
   */
  constructor(timeoutMs: number, clock: Clock = systemClock) {
    this.timeoutMs = timeoutMs;
    this.#clock = clock;
    // A tenth of the deadline, between 0.1 s and 1 s: late by at most that.
    this.#tickMs = Math.min(1000, Math.max(100, timeoutMs / 10));
    this.#ticksToExpire = timeoutMs === Infinity
      ? Infinity
      : Math.ceil(timeoutMs / this.#tickMs);
  }

  /** How many operations are in flight. */
  get size(): number {
    return this.#count;
  }

  /**
   * The deadline of an operation that starts now, for {@linkcode track}
   * (a resend keeps the deadline of its first attempt).
   *
   * @returns The tick at which it expires.
   */
  deadline(): number {
    // One past the current tick: a tick may be about to end.
    return this.#tick + this.#ticksToExpire + 1;
  }

  /**
   * Follows `work`, an operation on `client`.
   *
   * @param client The SDK client it runs on.
   * @param work The SDK's promise.
   * @param expiresAt Its deadline, from {@linkcode deadline}.
   * @param controller Aborted when the operation is given up (its signal
   * is the one the SDK was given), so that the SDK drops it too.
   * @returns What `work` settles with, unless the operation is given up
   * first: then a {@linkcode GaveUp}, and `work`'s outcome is dropped.
   */
  track<T>(
    client: C,
    work: Promise<T>,
    expiresAt: number,
    controller?: AbortController,
  ): Promise<T> {
    let entries = this.#byClient.get(client);
    if (entries === undefined) {
      this.#byClient.set(client, entries = new Set());
    }
    const set = entries;
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = { reject, expiresAt, controller };
      set.add(entry);
      if (this.#count++ === 0) this.#arm();
      const done = () => {
        if (set.delete(entry)) this.#left(client, set);
      };
      work.then((value) => {
        done();
        resolve(value);
      }, (error) => {
        done();
        reject(error);
      });
    });
  }

  /**
   * Gives up every operation on `client`: its connection died.
   *
   * @param client The SDK client.
   * @param detail What the connector saw, for messages.
   */
  abandon(client: C, detail: string): void {
    const entries = this.#byClient.get(client);
    if (entries === undefined) return;
    this.#byClient.delete(client);
    this.#count -= entries.size;
    for (const entry of entries) giveUp(entry, new GaveUp("lost", detail));
    if (this.#count === 0) this.#disarm();
  }

  /** Stops the timer; operations in flight keep their SDK outcome. */
  close(): void {
    this.#disarm();
  }

  #left(client: C, entries: Set<Entry>): void {
    if (entries.size === 0) this.#byClient.delete(client);
    if (--this.#count === 0) this.#disarm();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#ticksToExpire === Infinity) return;
    this.#timer = unrefTimer(
      this.#clock.setTimeout(this.#onTick, this.#tickMs),
    );
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #onTick = (): void => {
    this.#timer = undefined;
    const tick = ++this.#tick;
    for (const [client, entries] of this.#byClient) {
      for (const entry of entries) {
        if (entry.expiresAt > tick) continue;
        entries.delete(entry);
        this.#count--;
        giveUp(entry, new GaveUp("timeout", "timed out"));
      }
      if (entries.size === 0) this.#byClient.delete(client);
    }
    if (this.#count > 0) this.#arm();
  };
}

/** Rejects an entry's caller, then aborts the SDK's side of it. */
function giveUp(entry: Entry, reason: GaveUp): void {
  entry.reject(reason);
  entry.controller?.abort(reason);
}
