/**
 * The operations in flight on each pooled SDK client of one managed client
 * (internal; never re-exported). Each is given up at its own deadline
 * (`operationTimeoutSeconds`) or as soon as its client's connection is seen
 * to die, so that a caller never waits out the SDK's own 60 s operation
 * timeout and 30 s retry delay on a connection that is gone.
 *
 * Deadlines are kept in coarse ticks of one timer per tracker, armed while
 * something is in flight (it stops at the first tick that finds nothing): an
 * operation costs a set insertion and no clock reading, timer or abort
 * controller of its own. A deadline therefore
 * fires between `timeoutMs` and `timeoutMs + tickMs` after the operation
 * started.
 *
 * The SDK is given a signal of the SDK client ({@linkcode signalOf}; a few
 * in turn), aborted when that client's connection dies or the client is
 * closed: then the SDK drops what it still holds of the operations given up
 * (a send's timer and its retries would otherwise outlive the caller, and
 * keep a process alive, for minutes).
 *
 * @module
 */

import { setMaxListeners } from "node:events";
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
}

/**
 * Signals handed out per SDK client, in turn. The SDK adds a listener per
 * operation, and adding or removing one scans the signal's listeners
 * (Deno's and Node's `EventTarget`): at 500 operations in flight on one
 * signal that was a few µs per send.
 */
const SIGNALS_PER_CLIENT = 16;

/** What is followed of one SDK client. */
interface ClientState {
  entries: Set<Entry>;
  /** Aborted, all of them, when the client's connection dies or the client closes. */
  controllers: AbortController[];
  /** The next of `controllers` to hand out. */
  turn: number;
}

/** The in-flight operations of one managed client, by SDK client. */
export class InFlight<C> {
  /** Each operation's deadline, in ms (`Infinity` for none). */
  readonly timeoutMs: number;
  readonly #clients = new Map<C, ClientState>();
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
   * The signal to give the SDK for an operation on `client`: aborted when
   * its connection dies ({@linkcode abandon}) or it is closed
   * ({@linkcode closed}).
   *
   * @param client The SDK client.
   * @returns Its signal.
   */
  signalOf(client: C): AbortSignal {
    const state = this.#state(client);
    const { controllers } = state;
    const turn = state.turn;
    state.turn = (turn + 1) % SIGNALS_PER_CLIENT;
    let controller = controllers[turn];
    if (controller === undefined) {
      controller = controllers[turn] = new AbortController();
      // Operations in flight on the client listen (up to clientLimit of
      // them): not a leak, so no warning.
      setMaxListeners(0, controller.signal);
    }
    return controller.signal;
  }

  /**
   * Follows `work`, an operation on `client`.
   *
   * @param client The SDK client it runs on.
   * @param work The SDK's promise.
   * @param expiresAt Its deadline, from {@linkcode deadline}.
   * @returns What `work` settles with, unless the operation is given up
   * first: then a {@linkcode GaveUp}, and `work`'s outcome is dropped.
   */
  track<T>(client: C, work: Promise<T>, expiresAt: number): Promise<T> {
    const set = this.#state(client).entries;
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = { reject, expiresAt };
      set.add(entry);
      if (this.#count++ === 0) this.#arm();
      work.then((value) => {
        if (set.delete(entry)) this.#left();
        resolve(value);
      }, (error) => {
        if (set.delete(entry)) this.#left();
        reject(error);
      });
    });
  }

  /**
   * Gives up every operation on `client`, and aborts its signal: its
   * connection died.
   *
   * @param client The SDK client.
   * @param detail What the connector saw, for messages.
   */
  abandon(client: C, detail: string): void {
    this.#end(client, new GaveUp("lost", detail));
  }

  /**
   * The client is being closed: its signal is aborted, so that the SDK
   * drops what it still holds (an operation given up at its deadline), and
   * anything still in flight on it is given up.
   *
   * @param client The SDK client.
   */
  closed(client: C): void {
    this.#end(client, new GaveUp("lost", "closed"));
  }

  /**
   * Resolves after one turn of the event loop, on the tracker's clock: a
   * resend waits for it, so that the close events of other connections
   * the service ended at the same moment are seen first.
   *
   * @returns When a timer of 0 ms has fired.
   */
  nextTurn(): Promise<void> {
    return new Promise((resolve) => {
      this.#clock.setTimeout(resolve, 0);
    });
  }

  /** Stops the timer; operations in flight keep their SDK outcome. */
  close(): void {
    this.#disarm();
  }

  #state(client: C): ClientState {
    let state = this.#clients.get(client);
    if (state === undefined) {
      state = { entries: new Set(), controllers: [], turn: 0 };
      this.#clients.set(client, state);
    }
    return state;
  }

  #end(client: C, reason: GaveUp): void {
    const state = this.#clients.get(client);
    if (state === undefined) return;
    this.#clients.delete(client);
    const { entries } = state;
    this.#count -= entries.size;
    for (const entry of entries) entry.reject(reason);
    entries.clear();
    for (const controller of state.controllers) controller.abort(reason);
    if (this.#count === 0) this.#disarm();
  }

  #left(): void {
    // The timer is not cleared here: at one operation at a time, arming and
    // clearing it per operation cost more than the send's own JavaScript. A
    // tick that finds nothing in flight does not re-arm.
    this.#count--;
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
    for (const { entries } of this.#clients.values()) {
      for (const entry of entries) {
        if (entry.expiresAt > tick) continue;
        entries.delete(entry);
        this.#count--;
        entry.reject(new GaveUp("timeout", "timed out"));
      }
    }
    if (this.#count > 0) this.#arm();
  };
}
