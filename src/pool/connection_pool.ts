/**
 * The connection pool: the hot path (acquire, release, hand-off to a waiter)
 * and the life of each connection, in one place. Each other job has its file:
 * `_slot_heap.ts` (the ready connections, best first), `_wait_queue.ts` (the
 * waiters, FIFO, with one deadline timer), `_opener.ts`
 * (every call to the connector: opens bounded by a learned overdue limit,
 * orphaned creates, closes), `_open_policy.ts` (the circuit breaker: backoff,
 * fail-fast and probes, a seam to replace whole), `_due_timer.ts` (one timer
 * for the earliest due time), `_recycle.ts` (what `recycle()` still has to
 * replace), `_metrics.ts` and `_channels.ts` (OpenTelemetry instruments and
 * diagnostics channels, both free when unused), `_pooled_lease.ts`,
 * `_options.ts` and `_logger.ts`.
 *
 * ```
 * a connection:  opening ──▶ ready ──▶ draining ──▶ closing ──▶ closed
 *                   │  (in the heap while ready)       ▲
 *                   └── failed: closing if create delivered, else closed
 * ```
 *
 * @module
 */

import { SlotHeap } from "./_slot_heap.ts";
import type { Clock } from "./clock.ts";
import type { Connector } from "./connector.ts";
import { ConnectionsExhausted, PoolClosed } from "./errors.ts";
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
import { bound } from "./_bound.ts";
import { DueTimer } from "./_due_timer.ts";
import { errorName, guardedLogger } from "./_logger.ts";
import { CircuitBreaker, type OpenPolicy } from "./_open_policy.ts";
import { Opener } from "./_opener.ts";
import { PooledLease } from "./_pooled_lease.ts";
import { type Waiter, WaitQueue } from "./_wait_queue.ts";
import { WaitWindow } from "./_wait_window.ts";
import { PoolMetrics } from "./_metrics.ts";
import { errorKind, type PoolChannels, poolChannels } from "./_channels.ts";
import type {
  PoolAcquireContext,
  PoolConnectionEventName,
} from "./channels.ts";
import { Recycling } from "./_recycle.ts";

type Slot<C> = ConnectionRecord<C>;

let poolCount = 0;

/**
 * The most a release's idle stamp may lag the release (ms): the pool's clock
 * readings are at most this far apart while callers hold leases. Small next
 * to any sensible `maxIdleSeconds` (a quarter of it when that is shorter).
 */
const MAX_STAMP_ERROR_MS = 1000;

/**
 * A pool of connections, each shared by up to `clientLimit` concurrent callers.
 *
 * It holds at most `maxSize` connections, hands each caller the ready
 * connection with the fewest callers (then the one idle longest) through a
 * binary heap, opens new connections ahead of demand (at most
 * `maxConcurrentCreates` at once, aborting opens that run far longer than
 * recent ones, not counting the time the process was too busy to run them),
 * queues callers FIFO when every connection is full and wakes them on the
 * release or readiness that frees capacity, and recycles connections after
 * `maxIdleSeconds` idle or their (jittered) lifespan, opening the
 * replacement first. An invalidated or expired connection drains: it gets no
 * new callers and closes when its last caller leaves. After failed
 * opens it retries with a short backoff while callers wait; only when opens
 * have kept failing (the circuit breaker opens) do callers with no ready
 * connection get `ConnectionFailed` at once, with a probe now and then.
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
 * import { ConnectionPool } from "@azure-clients/toolbox";
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
 * import { ConnectionPool } from "@azure-clients/toolbox";
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
  readonly #options: ResolvedOptions;
  readonly #clock: Clock;
  /** The caller's logger, each method guarded so a throwing logger cannot break the pool. */
  readonly #logger: PoolLogger | undefined;
  readonly #id: string;
  /** Every connection counted against maxSize: opening, ready, draining, closing. */
  readonly #slots = new Set<Slot<C>>();
  /** Ready connections with capacity: fewest callers first, then the one idle longest. */
  readonly #heap = new SlotHeap<Slot<C>>();
  /** Callers waiting for capacity, FIFO, with one deadline timer for all. */
  readonly #queue: WaitQueue<Lease<C>>;
  /** Calls the connector: opens (with orphaned creates) and closes. */
  readonly #opener: Opener<C>;
  /** The circuit breaker: when to open after failures and when callers stop waiting; replaceable whole. */
  readonly #policy: OpenPolicy;
  /** Callers were refused while the breaker is open: the next probe is wanted. */
  #refused = false;
  readonly #waits = new WaitWindow(1024);
  readonly #releaseBound = (
    slot: Slot<C>,
    invalidate: boolean,
    lease: PooledLease<C>,
  ) => this.#release(slot, invalidate, lease);
  /** Free places on the ready connections in the heap. */
  #spare = 0;
  /** Open ahead of demand once spare capacity falls below this, so callers never wait for a handshake. */
  readonly #headroom: number;
  /**
   * While callers hold leases the pool reads the clock at least this often
   * (through the maintenance timer), so the idle stamp a release takes from
   * the pool's last reading is at most this early (see #release).
   */
  readonly #refreshMs: number;
  /** clientLimit for each ready connection near its lifespan: capacity about to go. */
  #expiringCapacity = 0;
  #nextSlotId = 0;
  #active = 0;
  #connectionsClosed = 0;
  #opensFailed = 0;
  #callersTimedOut = 0;
  #callersServed = 0;
  #warmTarget = 0;
  #warmWaiters: Array<
    { resolve: (n: number) => void; reject: (e: unknown) => void }
  > = [];
  /** The earliest idle or lifespan expiry; unref'd, it never keeps the process alive. */
  readonly #maintenance: DueTimer;
  /** Tries opening again when a backoff ends; unref'd. */
  readonly #retry: DueTimer;
  #closing: Promise<void> | undefined = undefined;
  /** The pool's last clock reading (see #takeReady). */
  #lastNow: number;
  /** Set first thing in close(), before any state changes. */
  #isClosed = false;
  #onEmpty: (() => void) | undefined = undefined;
  /** The OpenTelemetry instruments; `undefined` (no work at all) without a meter. */
  readonly #metrics: PoolMetrics | undefined;
  /** The diagnostics channels bound when the pool was made, if any. */
  readonly #channels: PoolChannels | undefined;
  /** The old generations while a `recycle()` is under way. */
  #recycling: Recycling<Slot<C>> | undefined = undefined;
  /** Set while a traced get() runs the untraced one. */
  #inTrace = false;
  #callersShed = 0;

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
    const resolved = this.#options = resolvePoolOptions(options);
    const clock = this.#clock = resolved.clock;
    this.#logger = guardedLogger(resolved.logger);
    this.#id = resolved.name ?? `pool#${++poolCount}`;
    this.#headroom = Math.max(1, Math.ceil(resolved.clientLimit / 2));
    this.#refreshMs = Math.min(MAX_STAMP_ERROR_MS, resolved.maxIdleMs / 4);
    this.#lastNow = clock.now();
    const now = () => this.#now();
    this.#queue = new WaitQueue(clock, now, (waiter, at) => {
      this.#callersTimedOut++;
      this.#metrics?.timedOut();
      return this.#exhausted(at - waiter.enqueuedAt);
    });
    this.#opener = new Opener(connector, clock, resolved.createTimeoutMs, {
      opened: (slot) => this.#opened(slot),
      failed: (slot, error) => this.#openFailed(slot, error),
      closeLate: (slot) => this.#closeSlot(slot),
      forget: (slot) => this.#forget(slot),
      hedged: () => this.#openAsNeeded(),
      now,
    });
    this.#policy = new CircuitBreaker({
      initialBackoffMs: resolved.initialBackoffMs,
      maxBackoffMs: resolved.maxBackoffMs,
      openAfterMs: resolved.breakerOpenAfterMs,
      minimumFailures: resolved.breakerMinimumFailures,
      probeMs: resolved.breakerProbeMs,
    });
    this.#maintenance = new DueTimer(clock, (due) => this.#maintain(due), true);
    this.#retry = new DueTimer(clock, () => this.#openAsNeeded(), true);
    this.#channels = poolChannels();
    const metrics = this.#metrics = resolved.meter === undefined
      ? undefined
      : new PoolMetrics(resolved.meter, this.#id, resolved.maxSize);
    if (metrics !== undefined) this.#queue.onLeave = () => metrics.dequeued();
    // minReady: open in the background, after the constructor has returned.
    if (resolved.minReady > 0) queueMicrotask(() => this.#openAsNeeded());
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
   * import { ConnectionPool } from "@azure-clients/toolbox";
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
    if (
      options === undefined && this.#queue.length === 0 && !this.#isClosed &&
      (this.#channels === undefined || !this.#channels.tracingAcquire)
    ) {
      const slot = this.#takeReady();
      if (slot !== undefined) {
        this.#afterImmediateAcquire();
        return this.#run(fn, this.#lease(slot, 0));
      }
    }
    return this.#useAfterWait(fn, options);
  }

  /** `use` for a caller that may wait. */
  async #useAfterWait<T>(
    fn: (connection: C, lease: Lease<C>) => T | Promise<T>,
    options: GetOptions | undefined,
  ): Promise<T> {
    // #run inlined: a queued caller holds one promise of its own, not two.
    const lease = await this.get(options);
    try {
      return await fn(lease.connection, lease);
    } catch (error) {
      if (this.#isConnectionError(error)) lease.invalidate();
      throw error;
    } finally {
      lease.release();
    }
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
   * @throws {ConnectionFailed} When the circuit breaker is open (opens kept
   * failing) and no connection is ready or opening; the cause is the last
   * open error.
   * @throws {PoolClosed} When the pool is closed.
   *
   * @example Acquiring with a timeout
   * ```ts
   * import { ConnectionPool } from "@azure-clients/toolbox";
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
    const channels = this.#channels;
    if (channels !== undefined && !this.#inTrace && channels.tracingAcquire) {
      return this.#tracedGet(channels, options);
    }
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
    // FIFO: a newcomer never overtakes a queued caller.
    if (this.#queue.length === 0) {
      const slot = this.#takeReady();
      if (slot !== undefined) {
        this.#afterImmediateAcquire();
        return Promise.resolve(this.#lease(slot, 0));
      }
    }
    const now = this.#now();
    if (this.#nothingCanServe(now)) {
      this.#refused = true;
      this.#openAsNeeded(); // arms the next probe
      return Promise.reject(
        this.#policy.failure(this.#id, "no connection is ready", now),
      );
    }
    if (this.#queue.length >= this.#options.maxWaitingCallers) {
      return Promise.reject(this.#queueFull());
    }
    return this.#enqueue(now, timeoutMs, signal);
  }

  /** `get` inside the acquire TracingChannel; its context never holds the lease. */
  #tracedGet(
    channels: PoolChannels,
    options: GetOptions | undefined,
  ): Promise<Lease<C>> {
    const context: PoolAcquireContext = { pool: this.#id };
    let lease: Lease<C> | undefined;
    return channels.traceAcquire(() => {
      let acquiring: Promise<Lease<C>>;
      this.#inTrace = true; // get() runs synchronously up to its promise
      try {
        acquiring = this.get(options);
      } finally {
        this.#inTrace = false;
      }
      return acquiring.then((got) => {
        lease = got;
        context.connectionId = got.shared.id;
      });
    }, context).then(() => lease!);
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
   * import { ConnectionPool } from "@azure-clients/toolbox";
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
   * Replaces every connection the pool holds now, gradually: for each one, a
   * new connection opens first (never above `maxSize`; in a full pool one
   * old connection drains first to make room), then the old one gets no new
   * callers and closes when its last caller leaves. Callers keep being served
   * throughout. For a rotated key or a scaled-out backend.
   *
   * @returns When every connection that existed at the call has closed (an
   * old connection a caller never releases holds it).
   * @throws {PoolClosed} If the pool is closed.
   *
   * @example Replacing the connections after a key rotation
   * ```ts
   * import { ConnectionPool } from "@azure-clients/toolbox";
   * import assert from "node:assert/strict";
   *
   * let key = "old";
   * const pool = new ConnectionPool({
   *   create: () => Promise.resolve({ key }),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * }, { maxSize: 2 });
   * assert.equal(await pool.use((conn) => conn.key), "old");
   * key = "new";
   * await pool.recycle();
   * assert.equal(await pool.use((conn) => conn.key), "new");
   * assert.equal(pool.stats().connectionsClosed, 1);
   * await pool.close();
   * ```
   */
  recycle(): Promise<void> {
    if (this.#isClosed) return Promise.reject(new PoolClosed(this.#id));
    if (this.#slots.size === 0) return Promise.resolve();
    // An abandoned create (an orphan) will never serve: nothing to replace or wait for.
    const old = [...this.#slots].filter((slot) => !this.#opener.isOrphan(slot));
    const recycling = this.#recycling ??= new Recycling<Slot<C>>();
    const done = recycling.add(old, (slot) => slot.state === "ready");
    this.#logger?.info(`${this.#id} recycling ${old.length} connections`);
    if (recycling.done) this.#recycling = undefined;
    else this.#advanceRecycling();
    return done;
  }

  /**
   * A plain snapshot of the pool's counts and wait times.
   *
   * @returns The snapshot.
   *
   * @example Polling stats
   * ```ts
   * import { ConnectionPool } from "@azure-clients/toolbox";
   * import assert from "node:assert/strict";
   *
   * const pool = new ConnectionPool({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * await pool.use(() => {});
   * const stats = pool.stats();
   * assert.equal(stats.connectionsCreated, 1);
   * assert.equal(stats.callersServed, 1);
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
      readyConnections: this.#heap.length,
      openingConnections: this.#opener.inFlight + this.#opener.hedged +
        this.#opener.orphans,
      drainingConnections: draining,
      closingConnections: closing,
      size: this.#slots.size,
      activeCallers: this.#active,
      waitingCallers: this.#queue.length,
      connectionsCreated: this.#opener.created,
      connectionsClosed: this.#connectionsClosed,
      opensFailed: this.#opensFailed,
      overdueOpens: this.#opener.hedged + this.#opener.orphans,
      breakerState: this.#policy.state,
      lastOpenError: this.#opensFailed === 0
        ? undefined
        : errorName(this.#policy.lastFailure),
      callersTimedOut: this.#callersTimedOut,
      callersShed: this.#callersShed,
      callersServed: this.#callersServed,
      waitP50Ms,
      waitP99Ms,
      isClosed: this.#isClosed,
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
   * import { ConnectionPool } from "@azure-clients/toolbox";
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
    this.#metrics?.closed();
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

  // ---- acquiring: the hot path ------------------------------------------

  /** Reads the clock; every read also refreshes the time the hot path checks expiry against. */
  #now(): number {
    return (this.#lastNow = this.#clock.now());
  }

  #afterImmediateAcquire(): void {
    this.#waits.recordZero();
    if (this.#spare - this.#expiringCapacity < this.#headroom) {
      this.#openAsNeeded();
    }
  }

  /** The lease of a caller that just took a place on `slot` after waiting `waitedMs`. */
  #lease(slot: Slot<C>, waitedMs: number): PooledLease<C> {
    const lease = new PooledLease(slot, this.#releaseBound);
    const metrics = this.#metrics;
    if (metrics !== undefined) {
      lease.acquiredAt = this.#clock.now();
      metrics.acquired(slot.clients === 1, waitedMs);
    }
    return lease;
  }

  /**
   * Takes a place on the best ready connection, retiring expired ones on the
   * way, so an idle or aged-out connection is never handed out even when the
   * maintenance timer runs late. An idle connection (no callers) is checked
   * against a fresh clock reading: timers may have run late (a frozen process
   * thawed, a stalled event loop) and the service has long dropped it. One in
   * use is checked against the pool's last reading: clock reads cost hundreds
   * of nanoseconds on some machines, and it served a caller just now.
   */
  #takeReady(): Slot<C> | undefined {
    const { clientLimit, maxIdleMs } = this.#options;
    for (;;) {
      const slot = this.#heap.peek();
      if (slot === undefined || slot.clients >= clientLimit) return undefined;
      let now = this.#lastNow;
      if (slot.clients === 0) {
        now = this.#now();
        if (now - slot.idleSince >= maxIdleMs) {
          this.#retire(slot, "idle");
          continue;
        }
        // The first lease out starts the readings; #maintain keeps them
        // coming while any lease is held, so later hand-outs need not.
        if (this.#active === 0) {
          this.#scheduleMaintenance(now + this.#refreshMs);
        }
      }
      if (now >= slot.retireAt) {
        this.#retire(slot, "lifespan");
        continue;
      }
      slot.clients++;
      this.#spare--;
      this.#active++;
      this.#callersServed++;
      this.#heap.sink(slot); // one more caller: it can only rank later
      if (this.#logger) {
        this.#logger.verbose(
          `${this.#id} conn#${slot.id} acquired (${slot.clients} callers)`,
        );
      }
      return slot;
    }
  }

  /** Queues a caller; `now` is the reading get() just took (one per queued caller). */
  #enqueue(
    now: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Lease<C>> {
    const waiting = this.#queue.enqueue(now, timeoutMs, signal);
    this.#metrics?.queued();
    this.#logger?.verbose(
      `${this.#id} caller waits (${this.#queue.length} waiting)`,
    );
    this.#openAsNeeded();
    return waiting;
  }

  /** Hands freed capacity to queued callers, oldest first: they are woken, never polled. */
  #serveWaiters(): void {
    const queue = this.#queue;
    let waiter: Waiter<Lease<C>> | undefined;
    let now = NaN; // read once, only if someone is served
    while ((waiter = queue.head) !== undefined) {
      const slot = this.#takeReady();
      if (slot === undefined) break;
      // An idle connection was just checked against a fresh reading: reuse it.
      if (now !== now) now = slot.clients === 1 ? this.#lastNow : this.#now();
      this.#waits.record(now - waiter.enqueuedAt);
      queue.resolve(waiter, this.#lease(slot, now - waiter.enqueuedAt));
    }
  }

  /**
   * Gives the place a caller just released on `slot` straight to the oldest
   * waiter, on the release's own turn: waiters exist only while every ready
   * connection is full, so `slot` is the one the heap would pick, and it
   * never goes idle (no idle stamp, no heap move, no maintenance). One clock
   * reading: the waiter's wait time and the lifespan check.
   *
   * @returns false when `slot` is past its lifespan (the usual path retires it).
   */
  #handOver(slot: Slot<C>): boolean {
    const now = this.#now();
    if (now >= slot.retireAt) return false;
    const waiter = this.#queue.head!;
    slot.clients++;
    this.#active++;
    this.#callersServed++;
    if (this.#logger) {
      this.#logger.verbose(
        `${this.#id} conn#${slot.id} acquired (${slot.clients} callers)`,
      );
    }
    const waitedMs = now - waiter.enqueuedAt;
    this.#waits.record(waitedMs);
    this.#queue.resolve(waiter, this.#lease(slot, waitedMs));
    return true;
  }

  /** The error of a caller whose deadline passed; it says what the pool held. */
  #exhausted(waitedMs: number): ConnectionsExhausted {
    const { clientLimit } = this.#options;
    let full = 0;
    for (const slot of this.#heap) if (slot.clients >= clientLimit) full++;
    const message =
      `Cannot acquire a connection from ${this.#id}: waited ${
        Math.round(waitedMs)
      } ms; ` +
      `${full} of ${this.#heap.length} ready connections at clientLimit ${clientLimit}, ` +
      `${this.#opener.inFlight} opening, ${this.#slots.size} of maxSize ${this.#options.maxSize} held`;
    this.#logger?.warning(message);
    const cause = this.#policy.lastError;
    return new ConnectionsExhausted(
      message,
      cause === undefined ? undefined : { cause },
    );
  }

  /** The error of a caller turned away because `maxWaitingCallers` already wait. */
  #queueFull(): ConnectionsExhausted {
    this.#callersShed++;
    const message =
      `Cannot acquire a connection from ${this.#id}: the queue is full ` +
      `(${this.#queue.length} callers waiting, maxWaitingCallers ${this.#options.maxWaitingCallers})`;
    this.#logger?.warning(message);
    return new ConnectionsExhausted(message);
  }

  // ---- releasing ---------------------------------------------------------

  #release(slot: Slot<C>, invalidate: boolean, lease: PooledLease<C>): void {
    slot.clients--;
    this.#active--;
    if (this.#metrics !== undefined) {
      this.#metrics.released(
        slot.clients === 0 &&
          (slot.state === "ready" || slot.state === "draining"),
        this.#clock.now() - lease.acquiredAt,
      );
    }
    if (slot.state === "ready") {
      if (!invalidate && this.#queue.length > 0 && this.#handOver(slot)) return;
      this.#spare++;
      if (invalidate) return this.#retire(slot, "invalidated");
      if (slot.clients === 0) {
        // The pool's last reading, not a fresh one: while leases are held the
        // maintenance timer reads the clock at least every #refreshMs, so the
        // stamp is at most that early, and early only retires sooner. The
        // hand-out decides against a fresh reading (#takeReady).
        slot.idleSince = this.#lastNow;
        this.#scheduleMaintenance(slot.idleSince + this.#options.maxIdleMs);
      }
      // One caller fewer ranks it earlier; if it went idle, its new idleSince
      // ranks it after the other idle ones, which it already was (it had a
      // caller): it can only move up.
      this.#heap.rise(slot);
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

  // ---- lifecycle ---------------------------------------------------------

  /** The connector saw `slot`'s connection die (`Connector.watch`). */
  readonly #brokenBound = (slot: Slot<C>, reason: string): void => {
    if (slot.state !== "ready") return;
    this.#logger?.info(`${this.#id} conn#${slot.id} broken (${reason})`);
    this.#retire(slot, "broken");
  };

  /**
   * Stops new callers from getting `slot` (invalidated, idle or too old); it
   * closes when its last caller leaves, and its other callers are not cut off.
   */
  #retire(slot: Slot<C>, reason: string): void {
    if (slot.state !== "ready") return;
    this.#heap.delete(slot);
    this.#recycling?.toReplace.delete(slot);
    this.#announce(slot, "retired", reason);
    this.#spare -= this.#options.clientLimit - slot.clients;
    if (slot.replacing) this.#expiringCapacity -= this.#options.clientLimit;
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
    if (this.#metrics !== undefined && slot.state === "draining") {
      this.#metrics.closing(slot.clients > 0);
    }
    slot.state = "closing";
    const connection = slot.connection as C;
    this.#logger?.info(`${this.#id} conn#${slot.id} closing`);
    let failure: string | undefined;
    // not awaited: the slot stays counted against maxSize until close settles
    this.#opener.close(connection).catch((error) => {
      failure = errorKind(error);
      this.#logger?.error(
        `${this.#id} conn#${slot.id} close failed`,
        errorName(error),
      );
    }).finally(() => {
      slot.state = "closed";
      this.#slots.delete(slot);
      this.#connectionsClosed++;
      this.#announce(slot, "closed", failure);
      this.#recycledAway(slot);
      this.#afterSlotGone();
    });
  }

  /** A slot that never got a connection leaves. */
  #forget(slot: Slot<C>): void {
    if (slot.state === "closed") return;
    slot.state = "closed";
    this.#slots.delete(slot);
    this.#recycledAway(slot);
    this.#afterSlotGone();
  }

  /** Publishes a connection event, only when the channel has a subscriber. */
  #announce(
    slot: Slot<C>,
    event: PoolConnectionEventName,
    reason?: string,
  ): void {
    const channels = this.#channels;
    if (channels === undefined || !channels.observingConnections) return;
    channels.publishConnection(
      reason === undefined
        ? { pool: this.#id, connectionId: slot.id, event }
        : { pool: this.#id, connectionId: slot.id, event, reason },
    );
  }

  // ---- recycling ---------------------------------------------------------

  /** A slot left the pool: a recycle may be done, or have room to go on. */
  #recycledAway(slot: Slot<C>): void {
    const recycling = this.#recycling;
    if (recycling === undefined) return;
    recycling.gone(slot);
    if (recycling.done) this.#recycling = undefined;
    else this.#advanceRecycling();
  }

  /**
   * A new connection is ready: the old one with the fewest callers drains.
   * An old one that was still opening when `recycle()` was called waits for
   * its own replacement.
   */
  #recycleOnReady(slot: Slot<C>): void {
    const recycling = this.#recycling!;
    if (recycling.isOld(slot)) {
      recycling.toReplace.add(slot);
      return;
    }
    const old = recycling.next((s) => s.clients);
    if (old !== undefined) this.#retire(old, "recycle");
  }

  /**
   * Opens replacements (through `#openAsNeeded`); in a full pool with nothing
   * opening or leaving, first drains one old connection to make room, so the
   * pool never holds more than `maxSize` and loses at most one connection of
   * capacity at a time.
   */
  #advanceRecycling(): void {
    const recycling = this.#recycling;
    if (recycling === undefined || this.#isClosed) return;
    if (
      recycling.toReplace.size > 0 &&
      this.#slots.size >= this.#options.maxSize &&
      this.#opener.inFlight === 0
    ) {
      for (const slot of this.#slots) {
        if (slot.state === "draining" || slot.state === "closing") return;
      }
      const old = recycling.next((s) => s.clients);
      if (old !== undefined) this.#retire(old, "recycle");
      return;
    }
    this.#openAsNeeded();
  }

  #afterSlotGone(): void {
    if (!this.#isClosed) this.#openAsNeeded();
    else if (this.#slots.size === this.#opener.orphans) this.#onEmpty?.();
  }

  /**
   * Opens connections while demand needs them and the limits allow: never
   * more than `maxSize` held (overdue opens included) nor
   * `maxConcurrentCreates` in flight, ahead of demand so callers do not wait
   * for a handshake (replacing connections near their lifespan too), not
   * during a backoff, and while the breaker is open only one probe, when
   * callers asked.
   */
  #openAsNeeded(): void {
    if (this.#isClosed) return;
    const { maxSize, maxConcurrentCreates, clientLimit } = this.#options;
    const opener = this.#opener;
    const policy = this.#policy;
    while (
      opener.inFlight < maxConcurrentCreates &&
      opener.inFlight + opener.hedged < 2 * maxConcurrentCreates &&
      this.#slots.size < maxSize &&
      policy.state !== "half-open" // its one probe is in flight
    ) {
      const incoming = opener.inFlight * clientLimit;
      const short = this.#spare - this.#expiringCapacity + incoming -
              this.#queue.length < this.#headroom &&
        (this.#queue.length > 0 || this.#active > 0);
      const warming = this.#heap.length + opener.inFlight < this.#warmTarget;
      const keeping =
        this.#heap.length + opener.inFlight < this.#options.minReady;
      const replacing = this.#recycling !== undefined &&
        opener.inFlight < this.#recycling.toReplace.size;
      const probe = this.#refused && policy.state === "open";
      if (!short && !warming && !keeping && !replacing && !probe) return;
      const now = this.#now();
      const openAt = policy.nextOpenAt;
      if (now < openAt) {
        if (!this.#retry.armed) this.#retry.arm(openAt, now);
        return;
      }
      this.#startOpen(now);
    }
  }

  #startOpen(now: number): void {
    const slot: Slot<C> = {
      id: ++this.#nextSlotId,
      state: "opening",
      connection: undefined,
      clients: 0,
      createdAt: now,
      idleSince: now,
      retireAt: Infinity,
      replacing: false,
      controller: new AbortController(),
      clock: this.#clock,
      view: undefined,
      heapIndex: undefined,
    };
    this.#slots.add(slot);
    this.#metrics?.openStarted(slot, now);
    if (this.#policy.state === "open") {
      this.#refused = false;
      this.#logger?.info(`${this.#id} circuit breaker half-open: probing`);
    }
    this.#policy.started(now);
    this.#logger?.info(`${this.#id} conn#${slot.id} opening`);
    // not awaited: the opener reports to #opened or #openFailed itself
    this.#opener.start(slot).catch((error) =>
      this.#logger?.error(`${this.#id} open bookkeeping failed`, error)
    );
  }

  #opened(slot: Slot<C>): void {
    if (this.#isClosed) return this.#openFailed(slot, new PoolClosed(this.#id));
    slot.state = "ready";
    const now = slot.idleSince = this.#now();
    if (this.#policy.state !== "closed") {
      this.#logger?.info(`${this.#id} circuit breaker closed`);
    }
    this.#policy.opened(now);
    this.#refused = false;
    this.#spare += this.#options.clientLimit;
    this.#heap.push(slot);
    this.#metrics?.opened(slot, this.#lastNow);
    this.#announce(slot, "opened");
    this.#logger?.info(`${this.#id} conn#${slot.id} ready`);
    this.#opener.watch(slot, this.#brokenBound);
    if (this.#recycling !== undefined) this.#recycleOnReady(slot);
    this.#scheduleMaintenance(now + this.#options.maxIdleMs);
    const { maxLifespanMs, lifespanJitter } = this.#options;
    if (maxLifespanMs !== Infinity) {
      // Spread: connections opened together do not retire together.
      slot.retireAt = slot.createdAt +
        maxLifespanMs * (1 - lifespanJitter * Math.random());
      this.#scheduleMaintenance(slot.retireAt - this.#replaceAheadMs());
    }
    this.#serveWaiters();
    this.#settleWarmWaiters();
    this.#openAsNeeded();
  }

  #openFailed(slot: Slot<C>, error: unknown): void {
    this.#metrics?.openFailed(slot);
    this.#announce(slot, "open-failed", errorKind(error));
    const closing = this.#isClosed;
    if (!closing) {
      this.#opensFailed++;
      const now = this.#now();
      const before = this.#policy.state;
      const retryInMs = this.#policy.failed(error, now);
      this.#logger?.warning(
        `${this.#id} conn#${slot.id} failed to open (${
          errorName(error)
        }); next attempt in at least ${Math.round(retryInMs)} ms`,
      );
      if (before !== "open" && this.#policy.state === "open") {
        this.#logger?.warning(
          `${this.#id} ${
            this.#policy.failure(this.#id, "failing fast", now).message
          }`,
        );
      }
    }
    if (slot.connection !== undefined) {
      this.#closeSlot(slot);
    } else if (!this.#opener.isOrphan(slot) && slot.state !== "closed") {
      this.#forget(slot);
    } else if (closing) {
      this.#afterSlotGone(); // only an orphaned create may be left: close() need not wait for it
    }
    // A recycle need not wait for an abandoned create either.
    if (this.#recycling !== undefined && this.#opener.isOrphan(slot)) {
      this.#recycledAway(slot);
    }
    if (closing) return;
    // While the breaker is open, callers that nothing serves get the failure now, not at their deadline.
    const now = this.#now();
    if (this.#nothingCanServe(now) && this.#queue.length > 0) {
      this.#refused = true;
      this.#queue.rejectAll(
        this.#policy.failure(this.#id, "opening a connection failed", now),
      );
    }
    if (this.#warmWaiters.length > 0) {
      this.#rejectWarmWaiters(
        this.#policy.failure(this.#id, "warming the pool failed", now),
      );
    }
    this.#openAsNeeded();
  }

  /** Whether waiting is pointless: the breaker says fail fast and nothing is ready or opening. */
  #nothingCanServe(now: number): boolean {
    return this.#opener.inFlight === 0 && this.#heap.length === 0 &&
      this.#policy.failFast(now);
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

  #scheduleMaintenance(at: number): void {
    if (!this.#isClosed) this.#maintenance.arm(at, this.#lastNow);
  }

  /** How long before a connection's lifespan ends its replacement is asked for. */
  #replaceAheadMs(): number {
    return Math.min(this.#options.maxLifespanMs / 10, this.#opener.overdueMs);
  }

  /**
   * Retires the connections past `maxIdleSeconds` idle or their lifespan, and
   * asks for the replacement of those near their lifespan.
   */
  #maintain(due: number): void {
    const { maxIdleMs, clientLimit } = this.#options;
    // A timer that fired has seen its delay pass, even under a mocked setTimeout with a real clock.
    const now = Math.max(this.#now(), due);
    const ahead = this.#replaceAheadMs();
    let next = Infinity;
    let replace = false;
    for (const slot of [...this.#slots]) {
      if (slot.state !== "ready") continue;
      if (now >= slot.retireAt) {
        this.#retire(slot, "lifespan");
      } else if (slot.clients === 0 && now - slot.idleSince >= maxIdleMs) {
        this.#retire(slot, "idle");
      } else {
        if (slot.clients === 0) {
          next = Math.min(next, slot.idleSince + maxIdleMs);
        }
        if (!slot.replacing && now >= slot.retireAt - ahead) {
          slot.replacing = replace = true;
          this.#expiringCapacity += clientLimit;
          this.#logger?.info(
            `${this.#id} conn#${slot.id} nears its lifespan: its replacement may open`,
          );
        }
        next = Math.min(
          next,
          slot.replacing ? slot.retireAt : slot.retireAt - ahead,
        );
      }
    }
    if (replace) this.#openAsNeeded();
    if (this.#active > 0) next = Math.min(next, now + this.#refreshMs);
    if (next !== Infinity) this.#scheduleMaintenance(next);
  }

  // ---- closing -----------------------------------------------------------

  async #shutDown(graceMs: number): Promise<void> {
    this.#logger?.info(`${this.#id} closing`);
    this.#maintenance.cancel();
    this.#retry.cancel();
    const closed = new PoolClosed(this.#id);
    this.#queue.rejectAll(closed);
    this.#queue.stop();
    this.#rejectWarmWaiters(closed);
    const empty = new Promise<void>((resolve) => (this.#onEmpty = resolve));
    for (const slot of [...this.#slots]) {
      if (slot.state === "opening") slot.controller?.abort(closed);
      else if (slot.state === "ready") this.#retire(slot, "pool closing");
    }
    // An orphaned create need not be waited for: its connection is closed when it arrives.
    const done = () => this.#slots.size === this.#opener.orphans;
    if (done()) return;
    if (graceMs === Infinity) return await empty;
    // Ref'd: a caller awaiting close() is pending work.
    const grace = () =>
      bound(empty, { timeoutMs: graceMs, clock: this.#clock, ref: true })
        .catch(() => {});
    await grace();
    if (done()) return;
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
    await grace();
    if (!done()) {
      this.#logger?.warning(
        `${this.#id} closed with ${this.#slots.size} connection closes unsettled after ${
          graceMs * 2
        } ms`,
      );
    }
  }
}
