/**
 * The connection pool: shared connections, heap selection, lifecycles.
 *
 * @module
 */

import { BinaryHeap } from "./binary_heap.ts";
import type { Clock } from "./clock.ts";
import type { Connector } from "./connector.ts";
import {
  ConnectionFailed,
  ConnectionsExhausted,
  PoolClosed,
} from "./errors.ts";
import type { Lease } from "./lease.ts";
import type {
  CloseOptions,
  ConnectionPoolOptions,
  GetOptions,
  PoolLogger,
} from "./options.ts";
import {
  positiveSeconds,
  type ResolvedOptions,
  resolveGetTimeout,
  resolvePoolOptions,
} from "./_options.ts";
import {
  type ConnectionRecord,
  SharedTransportConnection,
} from "./shared_transport_connection.ts";
import type { PoolStats } from "./stats.ts";
import { unrefTimer } from "./_timers.ts";
import { Waiter, WaitQueue } from "./_wait_queue.ts";
import { WaitWindow } from "./_wait_window.ts";

type Slot<C> = ConnectionRecord<C>;

let poolCount = 0;

/** Consecutive failed opens after which callers get `ConnectionFailed` at once. */
const FAIL_FAST_AFTER = 2;

/** Lease handed to one caller; `release` and `invalidate` act once. */
class PooledLease<C> implements Lease<C> {
  readonly #slot: Slot<C>;
  readonly #release: (slot: Slot<C>, invalidate: boolean) => void;
  #released = false;
  readonly connection: C;

  constructor(
    slot: Slot<C>,
    release: (slot: Slot<C>, invalidate: boolean) => void,
  ) {
    this.#slot = slot;
    this.connection = slot.connection as C;
    this.#release = release;
  }

  get shared(): SharedTransportConnection {
    return this.#slot.view ??= new SharedTransportConnection(
      this.#slot as Slot<unknown>,
    );
  }

  get released(): boolean {
    return this.#released;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#release(this.#slot, false);
  }

  invalidate(): void {
    if (this.#released) return;
    this.#released = true;
    this.#release(this.#slot, true);
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

/**
 * A pool of connections, each shared by up to `clientLimit` concurrent callers.
 *
 * It holds at most `maxSize` connections, hands each caller the ready
 * connection with the fewest callers (then the one idle longest) through a
 * binary heap, opens new connections ahead of demand (at most
 * `maxConcurrentCreates` at once, backing off after failures), queues callers
 * FIFO when every connection is full and wakes them on the release or
 * readiness that frees capacity, and recycles connections after `maxIdleSeconds`
 * idle or `maxLifespanSeconds` of age. An invalidated or expired connection
 * drains: it gets no new callers and closes when its last caller leaves.
 *
 * Every caller ends, by its deadline or its signal, with a lease or a typed
 * error: {@linkcode ConnectionsExhausted}, {@linkcode ConnectionFailed},
 * {@linkcode PoolClosed}, or the signal's reason.
 *
 * Misuse is safe: `release()` twice does nothing, `use`/`get` after `close()`
 * reject with `PoolClosed`, and `close()` twice returns the same promise.
 *
 * @typeParam C The connection (client) type.
 *
 * @example Sharing one connection among concurrent callers
 * ```ts
 * import { ConnectionPool } from "./connection_pool.ts";
 * import assert from "node:assert/strict";
 *
 * let opened = 0;
 * const pool = new ConnectionPool({
 *   create: () => Promise.resolve({ id: ++opened }),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(),
 * }, { clientLimit: 10, maxSize: 2 });
 * const ids = await Promise.all(
 *   Array.from({ length: 5 }, () => pool.use((conn) => conn.id)),
 * );
 * assert.deepEqual(ids, [1, 1, 1, 1, 1]);
 * assert.equal(pool.readyConnectionCount, 1);
 * await pool.close();
 * ```
 *
 * @example A lease with `await using`
 * ```ts
 * import { ConnectionPool } from "./connection_pool.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ConnectionPool({
 *   create: () => Promise.resolve(new Map<string, string>()),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(),
 * });
 * {
 *   await using lease = await pool.get({ acquireTimeoutSeconds: 5 });
 *   lease.connection.set("k", "v");
 *   assert.equal(lease.shared.currentClientCount, 1);
 * }
 * assert.equal(pool.stats().activeCallers, 0);
 * ```
 */
export class ConnectionPool<C> implements AsyncDisposable {
  readonly #connector: Connector<C>;
  readonly #options: ResolvedOptions;
  readonly #clock: Clock;
  /** The caller's logger, each method guarded so a throwing logger cannot break the pool. */
  readonly #logger: PoolLogger | undefined;
  readonly #id: string;
  /** Every connection counted against maxSize: opening, ready, draining, closing. */
  readonly #slots = new Set<Slot<C>>();
  /** Ready connections that take new callers, fewest callers then idle longest first (rule 3). */
  readonly #heap = new BinaryHeap<Slot<C>>(
    (a, b) => a.clients - b.clients || a.idleSince - b.idleSince,
    { get: (slot) => slot.heapIndex, set: (slot, at) => (slot.heapIndex = at) },
  );
  readonly #queue = new WaitQueue<Lease<C>>();
  readonly #waits = new WaitWindow(1024);
  readonly #releaseBound = (slot: Slot<C>, invalidate: boolean) =>
    this.#release(slot, invalidate);
  /** Free places on the ready connections in the heap. */
  #spare = 0;
  /** Open ahead of demand once spare capacity falls below this (rule 2). */
  readonly #headroom: number;
  #opening = 0;
  #nextSlotId = 0;
  #active = 0;
  #created = 0;
  #closedCount = 0;
  #failedOpens = 0;
  #timeouts = 0;
  #acquired = 0;
  #consecutiveFailures = 0;
  #backoffUntil = 0;
  #lastOpenError: unknown = undefined;
  #warmTarget = 0;
  #warmWaiters: Array<
    { resolve: (n: number) => void; reject: (e: unknown) => void }
  > = [];
  #deadlineTimer: unknown = undefined;
  #deadlineAt = Infinity;
  #maintenanceTimer: unknown = undefined;
  #maintenanceAt = Infinity;
  #backoffTimer: unknown = undefined;
  #closing: Promise<void> | undefined = undefined;
  /** The pool's last clock reading (see #takeReady). */
  #lastNow: number;
  /** Set first thing in close(), before any state changes. */
  #isClosed = false;
  #onEmpty: (() => void) | undefined = undefined;

  /**
   * Constructs a pool. No connection is opened until a caller asks (or
   * `warm()`).
   *
   * @param connector Opens, proves and closes connections.
   * @param options Limits and timings; see {@linkcode ConnectionPoolOptions}.
   * @throws {TypeError} For an unknown option, a value of the wrong type, or a
   * connector without `create`, `ready` and `close` methods.
   * @throws {RangeError} For a number out of range (`clientLimit: 0`,
   * `maxSize: -1`, `NaN`, a fraction where a count is meant); the message
   * names the option and the value.
   */
  constructor(connector: Connector<C>, options?: ConnectionPoolOptions) {
    if (
      typeof connector !== "object" || connector === null ||
      typeof connector.create !== "function" ||
      typeof connector.ready !== "function" ||
      typeof connector.close !== "function"
    ) {
      throw new TypeError(
        "Cannot create ConnectionPool as 'connector' must have create, ready and close methods",
      );
    }
    this.#connector = connector;
    this.#options = resolvePoolOptions(options);
    this.#clock = this.#options.clock;
    this.#logger = guardedLogger(this.#options.logger);
    this.#id = this.#options.name ?? `pool#${++poolCount}`;
    this.#headroom = Math.max(1, Math.ceil(this.#options.clientLimit / 2));
    this.#lastNow = this.#clock.now();
  }

  /** The number of ready connections that take new callers. */
  get readyConnectionCount(): number {
    return this.#heap.length;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#isClosed;
  }

  /**
   * Read-only views of the pool's connections (opening, ready, draining and
   * closing).
   *
   * @returns A new array of views.
   */
  connections(): SharedTransportConnection[] {
    const views: SharedTransportConnection[] = [];
    for (const slot of this.#slots) {
      views.push(
        slot.view ??= new SharedTransportConnection(slot as Slot<unknown>),
      );
    }
    return views;
  }

  /**
   * Runs `fn` with a shared connection and releases it afterwards, however
   * `fn` ends. If `fn` throws an error that the pool's `isConnectionError`
   * recognises, the connection is invalidated; the error is re-thrown
   * unchanged.
   *
   * @typeParam T What `fn` returns.
   * @param fn The work; gets the connection and its lease.
   * @param options A signal and a timeout for the acquire.
   * @returns What `fn` returned.
   * @throws {ConnectionsExhausted} When no connection had capacity in time.
   * @throws {ConnectionFailed} When opening a connection failed.
   * @throws {PoolClosed} When the pool is closed.
   *
   * @example Running work on a pooled connection
   * ```ts
   * import { ConnectionPool } from "./connection_pool.ts";
   * import assert from "node:assert/strict";
   *
   * const pool = new ConnectionPool({
   *   create: () => Promise.resolve({ ping: () => "pong" }),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * assert.equal(await pool.use((client) => client.ping()), "pong");
   * await pool.close();
   * ```
   */
  use<T>(
    fn: (connection: C, lease: Lease<C>) => T | Promise<T>,
    options?: GetOptions,
  ): Promise<T> {
    // Fast path: a ready connection has room, so run fn without first awaiting a resolved lease.
    if (options === undefined && this.#queue.length === 0 && !this.#isClosed) {
      const slot = this.#takeReady();
      if (slot !== undefined) {
        this.#afterImmediateAcquire();
        return this.#run(fn, new PooledLease(slot, this.#releaseBound));
      }
    }
    return this.#useAfterWait(fn, options);
  }

  /** `use` for a caller that may wait. */
  async #useAfterWait<T>(
    fn: (connection: C, lease: Lease<C>) => T | Promise<T>,
    options: GetOptions | undefined,
  ): Promise<T> {
    return await this.#run(fn, await this.get(options));
  }

  async #run<T>(
    fn: (connection: C, lease: Lease<C>) => T | Promise<T>,
    lease: Lease<C>,
  ): Promise<T> {
    try {
      return await fn(lease.connection, lease);
    } catch (error) {
      if (this.#isConnectionError(error)) lease.invalidate();
      throw error;
    } finally {
      lease.release();
    }
  }

  /**
   * Acquires a share of a connection. Release it with `lease.release()` or
   * `await using`.
   *
   * @param options A signal and a timeout (default: `acquireTimeoutSeconds`).
   * @returns A lease on the least-loaded ready connection.
   * @throws {ConnectionsExhausted} When no connection had capacity in time.
   * @throws {ConnectionFailed} When opening a connection failed and none is
   * left that could serve the caller.
   * @throws {PoolClosed} When the pool is closed.
   *
   * @example Acquiring with a timeout
   * ```ts
   * import { ConnectionPool } from "./connection_pool.ts";
   * import assert from "node:assert/strict";
   *
   * const pool = new ConnectionPool({
   *   create: () => Promise.resolve("client"),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * }, { clientLimit: 1, maxSize: 1 });
   * const first = await pool.get();
   * await assert.rejects(pool.get({ acquireTimeoutSeconds: 0.01 }), { name: "ConnectionsExhausted" });
   * first.release();
   * await pool.close();
   * ```
   */
  get(options?: GetOptions): Promise<Lease<C>> {
    let timeoutMs = this.#options.acquireTimeoutMs;
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      try {
        timeoutMs = resolveGetTimeout(options, timeoutMs);
      } catch (error) {
        return Promise.reject(error);
      }
      signal = options.abortSignal;
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    if (this.#isClosed) return Promise.reject(new PoolClosed(this.#id));
    // FIFO (rule 4): a newcomer never overtakes a queued caller.
    if (this.#queue.length === 0) {
      const slot = this.#takeReady();
      if (slot !== undefined) {
        this.#afterImmediateAcquire();
        return Promise.resolve(new PooledLease(slot, this.#releaseBound));
      }
    }
    if (this.#nothingCanServe(this.#now())) {
      return Promise.reject(this.#openFailure("no connection could be opened"));
    }
    return this.#enqueue(timeoutMs, signal);
  }

  /**
   * Opens connections ahead of demand until `count` are ready (at most
   * `maxSize`), `maxConcurrentCreates` at a time.
   *
   * @param count How many ready connections to have.
   * @returns The number of ready connections.
   * @throws {ConnectionFailed} If an open failed.
   * @throws {PoolClosed} If the pool is closed meanwhile.
   * @throws {RangeError} If `count` is not a non-negative integer.
   *
   * @example Pre-opening two connections
   * ```ts
   * import { ConnectionPool } from "./connection_pool.ts";
   * import assert from "node:assert/strict";
   *
   * const pool = new ConnectionPool({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * }, { maxSize: 4 });
   * assert.equal(await pool.warm(2), 2);
   * await pool.close();
   * ```
   */
  warm(count: number = this.#options.maxSize): Promise<number> {
    if (
      typeof count !== "number" || !Number.isSafeInteger(count) || count < 0
    ) {
      return Promise.reject(
        new RangeError(
          `Cannot warm the pool as 'count' must be a non-negative integer: received ${
            String(count)
          }`,
        ),
      );
    }
    if (this.#isClosed) return Promise.reject(new PoolClosed(this.#id));
    const target = Math.min(count, this.#options.maxSize);
    if (this.#heap.length >= target) return Promise.resolve(this.#heap.length);
    this.#warmTarget = Math.max(this.#warmTarget, target);
    return new Promise((resolve, reject) => {
      this.#warmWaiters.push({ resolve, reject });
      this.#openAsNeeded();
    });
  }

  /**
   * A plain snapshot of the pool's counts and wait times.
   *
   * @returns The snapshot.
   *
   * @example Polling stats
   * ```ts
   * import { ConnectionPool } from "./connection_pool.ts";
   * import assert from "node:assert/strict";
   *
   * const pool = new ConnectionPool({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * await pool.use(() => {});
   * const stats = pool.stats();
   * assert.equal(stats.created, 1);
   * assert.equal(stats.acquired, 1);
   * await pool.close();
   * ```
   */
  stats(): PoolStats {
    let draining = 0;
    let closing = 0;
    for (const slot of this.#slots) {
      if (slot.state === "draining") draining++;
      else if (slot.state === "closing") closing++;
    }
    const [waitP50Ms, waitP99Ms] = this.#waits.percentiles(0.5, 0.99);
    return {
      ready: this.#heap.length,
      opening: this.#opening,
      draining,
      closing,
      size: this.#slots.size,
      activeCallers: this.#active,
      waitingCallers: this.#queue.length,
      created: this.#created,
      closed: this.#closedCount,
      failedOpens: this.#failedOpens,
      timeouts: this.#timeouts,
      acquired: this.#acquired,
      waitP50Ms,
      waitP99Ms,
      closedPool: this.#isClosed,
    };
  }

  /**
   * Closes the pool: rejects new and waiting callers with `PoolClosed`, aborts
   * opens in flight, waits for leases to come back (or `timeoutSeconds`, then
   * closes their connections under them), and closes every connection that
   * was opened exactly once. Calling it again returns the same promise.
   *
   * @param options How long to wait for leases.
   * @returns When every connection is closed.
   * @throws {RangeError} If `timeoutSeconds` is not a positive number.
   *
   * @example Closing waits for leases
   * ```ts
   * import { ConnectionPool } from "./connection_pool.ts";
   * import assert from "node:assert/strict";
   *
   * let closed = 0;
   * const pool = new ConnectionPool({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(void closed++),
   * });
   * const lease = await pool.get();
   * const closing = pool.close();
   * await assert.rejects(pool.get(), { name: "PoolClosed" });
   * lease.release();
   * await closing;
   * assert.equal(closed, 1);
   * ```
   */
  close(options?: CloseOptions): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    let graceMs = Infinity;
    if (options?.timeoutSeconds !== undefined) {
      try {
        graceMs = positiveSeconds(
          "close the pool",
          "timeoutSeconds",
          options.timeoutSeconds,
          0,
        );
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.#isClosed = true;
    this.#closing = this.#shutDown(graceMs);
    return this.#closing;
  }

  /**
   * Closes the pool (`close()` without a timeout), for `await using`.
   *
   * @returns When every connection is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- acquiring -------------------------------------------------------

  /** Reads the clock; every read also refreshes the time the hot path checks expiry against. */
  #now(): number {
    return (this.#lastNow = this.#clock.now());
  }

  #afterImmediateAcquire(): void {
    this.#waits.record(0);
    if (this.#spare < this.#headroom) this.#openAsNeeded();
  }

  /**
   * Takes a place on the best ready connection, retiring expired ones on the
   * way (rule 5). Expiry is checked against the pool's last clock reading,
   * not a fresh one: clock reads cost hundreds of nanoseconds on some
   * machines, the pool reads the clock on every release that leaves a
   * connection idle, and the maintenance timer retires expired connections on
   * time in a quiet pool.
   */
  #takeReady(): Slot<C> | undefined {
    const { clientLimit, maxIdleMs, maxLifespanMs } = this.#options;
    for (;;) {
      const slot = this.#heap.peek();
      if (slot === undefined || slot.clients >= clientLimit) return undefined;
      const now = this.#lastNow;
      if (slot.clients === 0 && now - slot.idleSince >= maxIdleMs) {
        this.#retire(slot, "idle");
        continue;
      }
      if (now - slot.createdAt >= maxLifespanMs) {
        this.#retire(slot, "lifespan");
        continue;
      }
      slot.clients++;
      this.#spare--;
      this.#active++;
      this.#acquired++;
      this.#heap.update(slot);
      if (this.#logger) {
        this.#logger.verbose(
          `${this.#id} conn#${slot.id} acquired (${slot.clients} callers)`,
        );
      }
      return slot;
    }
  }

  #enqueue(
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Lease<C>> {
    const now = this.#now();
    const waiter = new Waiter<Lease<C>>(now, now + timeoutMs, signal);
    this.#queue.push(waiter, timeoutMs);
    if (signal !== undefined) {
      waiter.onAbort = () => {
        this.#queue.remove(waiter);
        this.#afterQueueShrank();
        waiter.reject(signal.reason);
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
    }
    if (waiter.deadline < this.#deadlineAt) {
      this.#armDeadlineTimer(waiter.deadline, now);
    }
    this.#logger?.verbose(
      `${this.#id} caller waits (${this.#queue.length} waiting)`,
    );
    this.#openAsNeeded();
    return waiter.promise;
  }

  /** Hands freed capacity to queued callers, oldest first (rule 4: woken, never polled). */
  #serveWaiters(): void {
    const queue = this.#queue;
    let waiter: Waiter<Lease<C>> | undefined;
    let now = NaN; // read once, only if someone is served
    while ((waiter = queue.head) !== undefined) {
      const slot = this.#takeReady();
      if (slot === undefined) break;
      queue.remove(waiter);
      if (waiter.onAbort !== undefined) {
        waiter.signal!.removeEventListener("abort", waiter.onAbort);
      }
      if (now !== now) now = this.#now();
      this.#waits.record(now - waiter.enqueuedAt);
      waiter.resolve(new PooledLease(slot, this.#releaseBound));
    }
    this.#afterQueueShrank();
  }

  #afterQueueShrank(): void {
    // A waiting caller is pending work and may keep the process alive; an empty queue must not.
    if (this.#queue.length === 0 && this.#deadlineTimer !== undefined) {
      this.#clock.clearTimeout(this.#deadlineTimer);
      this.#deadlineTimer = undefined;
      this.#deadlineAt = Infinity;
    }
  }

  /** One timer for the whole queue, armed for the earliest deadline; never one per waiter. */
  #armDeadlineTimer(at: number, now: number): void {
    if (this.#deadlineTimer !== undefined) {
      this.#clock.clearTimeout(this.#deadlineTimer);
    }
    this.#deadlineAt = at;
    this.#deadlineTimer = this.#clock.setTimeout(
      () => this.#expireWaiters(at),
      Math.max(0, Math.ceil(at - now)),
    );
  }

  #expireWaiters(due: number): void {
    this.#deadlineTimer = undefined;
    this.#deadlineAt = Infinity;
    // A timer that fired has seen its delay pass, even under a mocked setTimeout with a real clock.
    const now = Math.max(this.#now(), due);
    for (const list of [...this.#queue.lists.values()]) {
      let waiter = list.head;
      while (waiter !== undefined && waiter.deadline <= now) {
        const next = waiter.deadlineNext;
        this.#queue.remove(waiter);
        if (waiter.onAbort !== undefined) {
          waiter.signal!.removeEventListener("abort", waiter.onAbort);
        }
        this.#timeouts++;
        waiter.reject(this.#exhausted(now - waiter.enqueuedAt));
        waiter = next;
      }
    }
    const next = this.#queue.earliestDeadline();
    if (next !== Infinity) this.#armDeadlineTimer(next, now);
  }

  #exhausted(waitedMs: number): ConnectionsExhausted {
    const { clientLimit } = this.#options;
    let full = 0;
    for (const slot of this.#heap) if (slot.clients >= clientLimit) full++;
    const message =
      `Cannot acquire a connection from ${this.#id}: waited ${
        Math.round(waitedMs)
      } ms; ` +
      `${full} of ${this.#heap.length} ready connections at clientLimit ${clientLimit}, ` +
      `${this.#opening} opening, ${this.#slots.size} of maxSize ${this.#options.maxSize} held`;
    this.#logger?.warning(message);
    return new ConnectionsExhausted(
      message,
      this.#lastOpenError === undefined
        ? undefined
        : { cause: this.#lastOpenError },
    );
  }

  // ---- releasing -------------------------------------------------------

  #release(slot: Slot<C>, invalidate: boolean): void {
    slot.clients--;
    this.#active--;
    if (slot.state === "ready") {
      this.#spare++;
      if (invalidate) return this.#retire(slot, "invalidated");
      if (slot.clients === 0) {
        slot.idleSince = this.#now();
        this.#scheduleMaintenance(slot.idleSince + this.#options.maxIdleMs);
      }
      this.#heap.update(slot);
      if (this.#queue.length > 0) this.#serveWaiters();
    } else if (slot.state === "draining" && slot.clients === 0) {
      this.#closeSlot(slot);
    }
  }

  #isConnectionError(error: unknown): boolean {
    const classify = this.#options.isConnectionError;
    if (classify === undefined) return false;
    try {
      return classify(error) === true;
    } catch (classifierError) {
      this.#logger?.error(
        `${this.#id} isConnectionError threw`,
        classifierError,
      );
      return false;
    }
  }

  // ---- lifecycle -------------------------------------------------------

  /** Stops new callers from getting `slot`; it closes when its last caller leaves (rules 5, 6). */
  #retire(slot: Slot<C>, reason: string): void {
    if (slot.state !== "ready") return;
    this.#heap.delete(slot);
    this.#spare -= this.#options.clientLimit - slot.clients;
    this.#logger?.info(
      `${this.#id} conn#${slot.id} retired (${reason}), ${slot.clients} callers left`,
    );
    slot.state = "draining";
    if (slot.clients === 0) this.#closeSlot(slot);
    // Replacing capacity is demand-driven: waiters or headroom trigger an open.
    if (!this.#isClosed) this.#openAsNeeded();
  }

  #closeSlot(slot: Slot<C>): void {
    // Only draining or opening slots get here; ready ones are retired first.
    if (slot.state === "closing" || slot.state === "closed") return;
    slot.state = "closing";
    const connection = slot.connection as C;
    this.#logger?.info(`${this.#id} conn#${slot.id} closing`);
    // not awaited: the slot stays counted against maxSize until close settles
    this.#callConnector(() => this.#connector.close(connection)).catch(
      (error) => {
        this.#logger?.error(
          `${this.#id} conn#${slot.id} close failed`,
          errorName(error),
        );
      },
    ).finally(() => {
      slot.state = "closed";
      this.#slots.delete(slot);
      this.#closedCount++;
      this.#afterSlotGone();
    });
  }

  #afterSlotGone(): void {
    if (!this.#isClosed) this.#openAsNeeded();
    else if (this.#slots.size === this.#orphanPending.size) this.#onEmpty?.();
  }

  /** Opens connections while demand needs them and the limits allow (rules 1, 2, 7). */
  #openAsNeeded(): void {
    if (this.#isClosed) return;
    const { maxSize, maxConcurrentCreates, clientLimit } = this.#options;
    while (
      this.#opening + this.#orphanPending.size < maxConcurrentCreates &&
      this.#slots.size < maxSize
    ) {
      const incoming = this.#opening * clientLimit;
      const short =
        this.#spare + incoming - this.#queue.length < this.#headroom &&
        (this.#queue.length > 0 || this.#active > 0);
      const warming = this.#heap.length + this.#opening < this.#warmTarget;
      if (!short && !warming) return;
      const now = this.#now();
      if (now < this.#backoffUntil) {
        this.#armBackoffTimer(this.#backoffUntil - now);
        return;
      }
      this.#startOpen(now);
    }
  }

  #armBackoffTimer(ms: number): void {
    if (this.#backoffTimer !== undefined) return;
    this.#backoffTimer = unrefTimer(this.#clock.setTimeout(() => {
      this.#backoffTimer = undefined;
      this.#openAsNeeded();
    }, Math.ceil(ms)));
  }

  #startOpen(now: number): void {
    const slot: Slot<C> = {
      id: ++this.#nextSlotId,
      state: "opening",
      connection: undefined,
      clients: 0,
      createdAt: now,
      idleSince: now,
      controller: new AbortController(),
      clock: this.#clock,
      view: undefined,
      heapIndex: undefined,
    };
    this.#slots.add(slot);
    this.#opening++;
    this.#logger?.info(`${this.#id} conn#${slot.id} opening`);
    // not awaited: #open settles the slot itself and never rejects
    this.#open(slot).catch((error) =>
      this.#logger?.error(`${this.#id} open bookkeeping failed`, error)
    );
  }

  async #open(slot: Slot<C>): Promise<void> {
    const controller = slot.controller!;
    const signal = controller.signal;
    const timer = unrefTimer(this.#clock.setTimeout(() => {
      controller.abort(
        new DOMException(
          `Opening a connection took longer than ${this.#options.createTimeoutMs} ms`,
          "TimeoutError",
        ),
      );
    }, this.#options.createTimeoutMs));
    let failed = false;
    let failure: unknown = undefined;
    let createPending = true;
    try {
      const connection = await this.#untilAborted(
        this.#callConnector(() => this.#connector.create(signal)),
        signal,
        () => (createPending = false),
        // A connection that arrives after we gave up is still closed, exactly once.
        (late) => this.#settleOrphan(slot, late),
      );
      if (connection === undefined || connection === null) {
        throw new TypeError("Connector create() resolved without a connection");
      }
      this.#created++;
      slot.connection = connection;
      slot.createdAt = slot.idleSince = this.#now();
      const ok = await this.#untilAborted(
        this.#callConnector(() => this.#connector.ready(connection, signal)),
        signal,
        () => {},
        () => {},
      );
      if (ok !== true) throw new Error("Connector ready() answered false");
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      this.#clock.clearTimeout(timer);
      slot.controller = undefined;
    }
    this.#opening--;
    if (createPending) this.#orphanPending.add(slot);
    if (!failed && !this.#isClosed) this.#opened(slot);
    else this.#openFailed(slot, failed ? failure : new PoolClosed(this.#id));
  }

  #opened(slot: Slot<C>): void {
    slot.state = "ready";
    slot.idleSince = this.#now();
    this.#consecutiveFailures = 0;
    this.#backoffUntil = 0;
    this.#lastOpenError = undefined;
    this.#spare += this.#options.clientLimit;
    this.#heap.push(slot);
    this.#logger?.info(`${this.#id} conn#${slot.id} ready`);
    this.#scheduleMaintenance(slot.idleSince + this.#options.maxIdleMs);
    if (this.#options.maxLifespanMs !== Infinity) {
      this.#scheduleMaintenance(slot.createdAt + this.#options.maxLifespanMs);
    }
    this.#serveWaiters();
    this.#settleWarmWaiters();
    this.#openAsNeeded();
  }

  #openFailed(slot: Slot<C>, error: unknown): void {
    const closing = this.#isClosed;
    if (!closing) {
      this.#failedOpens++;
      this.#consecutiveFailures++;
      this.#lastOpenError = error;
      const { initialBackoffMs, maxBackoffMs } = this.#options;
      const ceiling = Math.min(
        maxBackoffMs,
        initialBackoffMs * 2 ** Math.min(this.#consecutiveFailures - 1, 30),
      );
      // Jittered (half to full ceiling) so that many pools do not retry in step (rule 7).
      this.#backoffUntil = this.#now() +
        ceiling * (0.5 + Math.random() / 2);
      this.#logger?.warning(
        `${this.#id} conn#${slot.id} failed to open (${
          errorName(error)
        }); next attempt in at least ${Math.round(ceiling / 2)} ms`,
      );
    }
    if (slot.connection !== undefined) {
      this.#closeSlot(slot);
    } else if (!this.#orphanPending.has(slot) && slot.state !== "closed") {
      slot.state = "closed";
      this.#slots.delete(slot);
      this.#afterSlotGone();
    } else if (closing) {
      this.#afterSlotGone(); // only an orphaned create may be left: close() need not wait for it
    }
    if (closing) return;
    // Callers that nothing could serve soon get the failure now, not at their deadline (rule 7).
    if (this.#nothingCanServe(this.#now())) {
      const failure = this.#openFailure("opening a connection failed");
      let waiter: Waiter<Lease<C>> | undefined;
      while ((waiter = this.#queue.head) !== undefined) {
        this.#queue.remove(waiter);
        if (waiter.onAbort !== undefined) {
          waiter.signal!.removeEventListener("abort", waiter.onAbort);
        }
        waiter.reject(failure);
      }
      this.#afterQueueShrank();
    }
    this.#rejectWarmWaiters(this.#openFailure("warming the pool failed"));
    this.#openAsNeeded();
  }

  /**
   * Whether waiting is pointless, so callers fail fast (rule 7): the last
   * opens failed at least `FAIL_FAST_AFTER` times in a row, the pool is
   * backing off, and no connection is ready or opening. One failure alone
   * keeps callers waiting for the quick retry after the first backoff, so a
   * single dropped connection does not fail every queued caller.
   */
  #nothingCanServe(now: number): boolean {
    return this.#consecutiveFailures >= FAIL_FAST_AFTER &&
      now < this.#backoffUntil && this.#opening === 0 &&
      this.#heap.length === 0;
  }

  #openFailure(what: string): ConnectionFailed {
    const cause = this.#lastOpenError;
    return new ConnectionFailed(
      `Cannot acquire a connection from ${this.#id}: ${what} (${
        errorName(cause)
      }); ` +
        `${this.#consecutiveFailures} consecutive failures`,
      { cause },
    );
  }

  /** Slots whose create was abandoned but may still deliver a connection. */
  readonly #orphanPending = new Set<Slot<C>>();

  /**
   * Settles with `promise`, or rejects with the signal's reason when it
   * aborts first; a value that arrives after the abort goes to `late`.
   */
  #untilAborted<T>(
    promise: Promise<T>,
    signal: AbortSignal,
    onSettled: () => void,
    late: (outcome: { value: T } | undefined) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        reject(signal.reason);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      promise.then((value) => {
        onSettled();
        signal.removeEventListener("abort", onAbort);
        if (settled) return late({ value });
        settled = true;
        resolve(value);
      }, (error) => {
        onSettled();
        signal.removeEventListener("abort", onAbort);
        if (settled) return late(undefined);
        settled = true;
        reject(error);
      });
    });
  }

  /** The abandoned create of `slot` settled: close what it delivered, or forget the slot. */
  #settleOrphan(slot: Slot<C>, outcome: { value: C } | undefined): void {
    // It may settle before #open has marked it orphaned; #openFailed then sees no pending create.
    this.#orphanPending.delete(slot);
    const connection = outcome?.value;
    if (connection === undefined || connection === null) {
      if (slot.state !== "closed") {
        slot.state = "closed";
        this.#slots.delete(slot);
        this.#afterSlotGone();
      }
      return;
    }
    this.#created++;
    slot.connection = connection;
    this.#closeSlot(slot);
  }

  /** Calls the connector so that a synchronous throw or a non-promise becomes a promise. */
  #callConnector<T>(call: () => Promise<T>): Promise<T> {
    try {
      return Promise.resolve(call());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #settleWarmWaiters(): void {
    if (this.#warmWaiters.length === 0) return;
    if (this.#heap.length < Math.min(this.#warmTarget, this.#options.maxSize)) {
      return;
    }
    this.#warmTarget = 0;
    const waiters = this.#warmWaiters;
    this.#warmWaiters = [];
    for (const waiter of waiters) waiter.resolve(this.#heap.length);
  }

  #rejectWarmWaiters(error: unknown): void {
    if (this.#warmWaiters.length === 0) return;
    this.#warmTarget = 0;
    const waiters = this.#warmWaiters;
    this.#warmWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  /** One unref'd timer for the earliest idle or lifespan expiry (rule 5). */
  #scheduleMaintenance(at: number): void {
    if (this.#isClosed || at >= this.#maintenanceAt) return;
    if (this.#maintenanceTimer !== undefined) {
      this.#clock.clearTimeout(this.#maintenanceTimer);
    }
    this.#maintenanceAt = at;
    this.#maintenanceTimer = unrefTimer(this.#clock.setTimeout(
      () => this.#maintain(at),
      Math.max(0, Math.ceil(at - this.#lastNow)),
    ));
  }

  #maintain(due: number): void {
    this.#maintenanceTimer = undefined;
    this.#maintenanceAt = Infinity;
    const { maxIdleMs, maxLifespanMs } = this.#options;
    // A timer that fired has seen its delay pass, even under a mocked setTimeout with a real clock.
    const now = Math.max(this.#now(), due);
    let next = Infinity;
    for (const slot of [...this.#slots]) {
      if (slot.state !== "ready") continue;
      if (now - slot.createdAt >= maxLifespanMs) {
        this.#retire(slot, "lifespan");
      } else if (slot.clients === 0 && now - slot.idleSince >= maxIdleMs) {
        this.#retire(slot, "idle");
      } else {
        if (slot.clients === 0) {
          next = Math.min(next, slot.idleSince + maxIdleMs);
        }
        next = Math.min(next, slot.createdAt + maxLifespanMs);
      }
    }
    if (next !== Infinity) this.#scheduleMaintenance(next);
  }

  // ---- closing ---------------------------------------------------------

  async #shutDown(graceMs: number): Promise<void> {
    this.#logger?.info(`${this.#id} closing`);
    for (
      const timer of [
        this.#deadlineTimer,
        this.#maintenanceTimer,
        this.#backoffTimer,
      ]
    ) {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
    }
    this.#deadlineTimer =
      this.#maintenanceTimer =
      this.#backoffTimer =
        undefined;
    this.#deadlineAt = this.#maintenanceAt = Infinity;
    const closed = new PoolClosed(this.#id);
    let waiter: Waiter<Lease<C>> | undefined;
    while ((waiter = this.#queue.head) !== undefined) {
      this.#queue.remove(waiter);
      if (waiter.onAbort !== undefined) {
        waiter.signal!.removeEventListener("abort", waiter.onAbort);
      }
      waiter.reject(closed);
    }
    this.#rejectWarmWaiters(closed);
    const empty = new Promise<void>((resolve) => (this.#onEmpty = resolve));
    for (const slot of [...this.#slots]) {
      if (slot.state === "opening") slot.controller?.abort(closed);
      else if (slot.state === "ready") this.#retire(slot, "pool closing");
    }
    if (this.#slots.size === this.#orphanPending.size) return;
    if (graceMs === Infinity) return await empty;
    let graceTimer: unknown;
    const graceOver = new Promise<void>((resolve) => {
      graceTimer = this.#clock.setTimeout(resolve, graceMs);
    });
    await Promise.race([empty, graceOver]);
    this.#clock.clearTimeout(graceTimer);
    if (this.#slots.size === this.#orphanPending.size) return;
    // Grace is over: close connections under the callers still holding them.
    for (const slot of [...this.#slots]) {
      if (slot.state === "draining") {
        this.#logger?.warning(
          `${this.#id} conn#${slot.id} closed with ${slot.clients} callers still holding it`,
        );
        this.#closeSlot(slot);
      }
    }
    // A connector close that never settles must not hold close() forever:
    // wait one more grace period for the closes, then give up on them.
    const closesOver = new Promise<void>((resolve) => {
      graceTimer = this.#clock.setTimeout(resolve, graceMs);
    });
    await Promise.race([empty, closesOver]);
    this.#clock.clearTimeout(graceTimer);
    if (this.#slots.size > this.#orphanPending.size) {
      this.#logger?.warning(
        `${this.#id} closed with ${this.#slots.size} connection closes unsettled after ${
          graceMs * 2
        } ms`,
      );
    }
  }
}

function errorName(error: unknown): string {
  // A connector's error is not trusted: its getters may throw.
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return typeof error;
  } catch {
    return "an error that could not be described";
  }
}

function guardedLogger(logger: PoolLogger | undefined): PoolLogger | undefined {
  if (logger === undefined) return undefined;
  const guard =
    (method: (...args: unknown[]) => void) => (...args: unknown[]) => {
      try {
        method.apply(logger, args);
      } catch {
        // A broken logger must not break the pool; there is nowhere to report it.
      }
    };
  return {
    error: guard(logger.error),
    warning: guard(logger.warning),
    info: guard(logger.info),
    verbose: guard(logger.verbose),
  };
}
