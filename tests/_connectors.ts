/**
 * Connectors for pool tests whose opens the test resolves by hand, and which
 * record what the pool did to each connection.
 *
 * @module
 */

import type { Connector } from "../src/pool/connector.ts";
import { flushMicrotasks } from "../src/testing/fake_clock.ts";

/** A connection handed out by {@linkcode ManualConnector}. */
export class TestConnection {
  /** Whether `ready` answered true for it. */
  proved = false;
  /** How many times the pool closed it (must end at exactly 1). */
  closeCount = 0;
  constructor(readonly id: number) {}
}

interface Pending<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  signal: AbortSignal;
}

/**
 * A connector that, in `auto` mode, opens at once, and in manual mode parks
 * each `create` and `ready` until the test resolves or rejects it.
 */
export class ManualConnector implements Connector<TestConnection> {
  readonly connections: TestConnection[] = [];
  readonly pendingCreates: Pending<TestConnection>[] = [];
  readonly pendingReadies: Pending<boolean>[] = [];
  createCalls = 0;
  createsInFlight = 0;
  maxCreatesInFlight = 0;
  /** When set, `create` rejects with it (auto mode). */
  createError: unknown = undefined;
  /** When set, `ready` answers this (auto mode). */
  readyAnswer: boolean | Error = true;
  #nextId = 0;

  constructor(public auto = true) {}

  create(signal: AbortSignal): Promise<TestConnection> {
    this.createCalls++;
    this.createsInFlight++;
    this.maxCreatesInFlight = Math.max(
      this.maxCreatesInFlight,
      this.createsInFlight,
    );
    const settle = <T>(p: Promise<T>) => {
      const done = () => void this.createsInFlight--;
      p.then(done, done);
      return p;
    };
    if (this.auto) {
      if (this.createError !== undefined) {
        return settle(Promise.reject(this.createError));
      }
      return settle(Promise.resolve(this.#newConnection()));
    }
    return settle(
      new Promise<TestConnection>((resolve, reject) => {
        const pending = { resolve, reject, signal };
        this.pendingCreates.push(pending);
        signal.addEventListener("abort", () => {
          const at = this.pendingCreates.indexOf(pending);
          if (at >= 0) this.pendingCreates.splice(at, 1);
          reject(signal.reason);
        }, { once: true });
      }),
    );
  }

  ready(connection: TestConnection, signal: AbortSignal): Promise<boolean> {
    if (this.auto) {
      if (this.readyAnswer instanceof Error) {
        return Promise.reject(this.readyAnswer);
      }
      connection.proved = this.readyAnswer;
      return Promise.resolve(this.readyAnswer);
    }
    return new Promise<boolean>((resolve, reject) => {
      this.pendingReadies.push({
        resolve: (ok) => {
          connection.proved = ok;
          resolve(ok);
        },
        reject,
        signal,
      });
    });
  }

  close(connection: TestConnection): Promise<void> {
    connection.closeCount++;
    return Promise.resolve();
  }

  /** Resolves the oldest parked create with a new connection. */
  finishCreate(): TestConnection {
    const pending = this.pendingCreates.shift();
    if (pending === undefined) throw new Error("no create is pending");
    const connection = this.#newConnection();
    pending.resolve(connection);
    return connection;
  }

  /** Lets the oldest parked open finish: its create, then its readiness. */
  async openOne(): Promise<TestConnection> {
    const connection = this.finishCreate();
    await flushMicrotasks();
    this.finishReady();
    await flushMicrotasks();
    return connection;
  }

  /** Rejects the oldest parked create. */
  failCreate(error: unknown): void {
    const pending = this.pendingCreates.shift();
    if (pending === undefined) throw new Error("no create is pending");
    pending.reject(error);
  }

  /** Answers the oldest parked readiness check. */
  finishReady(ok = true): void {
    const pending = this.pendingReadies.shift();
    if (pending === undefined) throw new Error("no ready is pending");
    pending.resolve(ok);
  }

  /** Connections created and not yet closed. */
  get open(): number {
    return this.connections.filter((c) => c.closeCount === 0).length;
  }

  #newConnection(): TestConnection {
    const connection = new TestConnection(++this.#nextId);
    this.connections.push(connection);
    return connection;
  }
}

/** Whether a promise has settled, checked after pending callbacks ran. */
export function track<T>(
  promise: Promise<T>,
): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = {
    settled: false,
  };
  promise.then((value) => {
    state.settled = true;
    state.value = value;
  }, (error) => {
    state.settled = true;
    state.error = error;
  });
  return state;
}
