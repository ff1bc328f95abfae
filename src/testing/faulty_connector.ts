/**
 * A connector wrapper that injects faults, for testing code built on a pool.
 *
 * @module
 */

import { type Clock, systemClock } from "../pool/clock.ts";
import type { Connector } from "../pool/connector.ts";
import { didYouMean } from "../pool/_did_you_mean.ts";

/**
 * What one open does under {@linkcode FaultyConnector}'s script:
 *
 * - `"ok"`: the wrapped connector opens it as usual;
 * - `"fail"`: `create` rejects with an {@linkcode InjectedFault} (`kind: "create"`);
 * - `"hang"`: `create` does not settle until its signal aborts (then it
 *   rejects with the signal's reason) or, with `hangSeconds`, until that time
 *   has passed (then the open goes on as usual);
 * - `"readyFail"`: `create` succeeds, `ready` rejects with an
 *   {@linkcode InjectedFault} (`kind: "ready"`);
 * - `"readyFalse"`: `create` succeeds, `ready` answers `false`.
 */
export type FaultStep = "ok" | "fail" | "hang" | "readyFail" | "readyFalse";

/** Where an {@linkcode InjectedFault} was raised. */
export type FaultKind = "create" | "ready" | "close" | "break";

/**
 * The error {@linkcode FaultyConnector} raises for a fault it injected, so a
 * test can tell injected failures from real ones.
 *
 * @example Recognising an injected fault
 * ```ts
 * import { InjectedFault } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * const fault = new InjectedFault("break");
 * assert.equal(fault.name, "InjectedFault");
 * assert.equal(fault.kind, "break");
 * assert.match(fault.message, /broken/);
 * ```
 */
export class InjectedFault extends Error {
  /** Where the fault was raised: `create`, `ready`, `close` or `break`. */
  readonly kind: FaultKind;

  /**
   * Constructs an injected fault.
   *
   * @param kind Where the fault is raised.
   */
  constructor(kind: FaultKind) {
    super(
      kind === "break"
        ? "Cannot use the connection: it is broken (injected fault)"
        : `Cannot ${kind} the connection: injected fault`,
    );
    this.name = "InjectedFault";
    this.kind = kind;
  }
}

/**
 * Options of a {@linkcode FaultyConnector}. Rates are probabilities in
 * `[0, 1]`, drawn from `random` once per call.
 *
 * @example Ten percent of opens fail
 * ```ts
 * import type { FaultyConnectorOptions } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * const options: FaultyConnectorOptions = { createFailureRate: 0.1 };
 * assert.equal(options.createFailureRate, 0.1);
 * ```
 */
export interface FaultyConnectorOptions {
  /**
   * Share of `create` calls that reject with an `InjectedFault`.
   * @default {0}
   */
  createFailureRate?: number;
  /**
   * Share of `ready` calls that reject with an `InjectedFault`.
   * @default {0}
   */
  readyFailureRate?: number;
  /**
   * Share of `create` calls that hang until their signal aborts.
   * @default {0}
   */
  hangRate?: number;
  /**
   * How long a hang lasts before the open goes on as usual through the
   * wrapped connector (a slow open rather than a dead one); `undefined` hangs
   * until the signal aborts.
   * @default {undefined}
   */
  hangSeconds?: number;
  /**
   * How long every `close` waits before closing the wrapped connection.
   * @default {0}
   */
  slowCloseSeconds?: number;
  /**
   * Share of `close` calls that throw an `InjectedFault` (after closing the
   * wrapped connection, so nothing leaks).
   * @default {0}
   */
  closeThrowRate?: number;
  /**
   * Chance that one `check(connection)` breaks that connection for good.
   * @default {0}
   */
  breakRate?: number;
  /**
   * Steps for the next opens, used before the rates; see {@linkcode FaultStep}.
   * @default {[]}
   */
  script?: FaultStep[];
  /**
   * The source of randomness in `[0, 1)`; pass a seeded one to replay a run.
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * The clock slow closes wait on; pass the pool's fake clock in tests.
   * @default {systemClock}
   */
  clock?: Clock;
}

/** Counts of the faults a {@linkcode FaultyConnector} injected. */
export interface FaultCounts {
  /** `create` calls rejected with an injected fault. */
  createFailures: number;
  /** `ready` calls that rejected or answered `false` by injection. */
  readyFailures: number;
  /** `create` calls that hung (each ends only when its signal aborts). */
  hangs: number;
  /** `close` calls delayed by `slowCloseSeconds`. */
  slowCloses: number;
  /** `close` calls that threw by injection. */
  closeThrows: number;
  /** Connections broken, by `breakRate` or `breakConnection`. */
  breaks: number;
  /** All of the above. */
  total: number;
}

/** What the wrapped connector was asked to do, and what is still open. */
export interface ConnectorCounts {
  /** `create` calls received. */
  creates: number;
  /** Connections handed to the caller (the pool). */
  created: number;
  /** `close` calls on connections this connector handed out. */
  closed: number;
  /** Connections handed out and not yet closed. */
  open: number;
  /** `close` calls on a connection that was already closed, or never handed out. */
  unexpectedCloses: number;
  /** `create` calls not yet settled (hangs included). */
  createsInFlight: number;
  /** The most `create` calls in flight at once. */
  maxCreatesInFlight: number;
  /** `create`, `ready` and `close` calls not yet settled. */
  inFlight: number;
}

const STEPS: ReadonlySet<string> = new Set([
  "ok",
  "fail",
  "hang",
  "readyFail",
  "readyFalse",
]);

const OPTIONS: ReadonlySet<string> = new Set([
  "createFailureRate",
  "readyFailureRate",
  "hangRate",
  "hangSeconds",
  "slowCloseSeconds",
  "closeThrowRate",
  "breakRate",
  "script",
  "random",
  "clock",
]);

function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "object" && value !== null) {
    return Array.isArray(value) ? "an array" : "an object";
  }
  return String(value);
}

function rate(option: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot create FaultyConnector as '${option}' must be a number from 0 to 1: received ${
        describeValue(value)
      }`,
    );
  }
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(
      `Cannot create FaultyConnector as '${option}' must be a number from 0 to 1: received ${value}`,
    );
  }
  return value;
}

function steps(value: unknown): FaultStep[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((step) => STEPS.has(step))) {
    throw new TypeError(
      `Cannot create FaultyConnector as 'script' must be an array of ${
        [...STEPS].map((s) => JSON.stringify(s)).join(", ")
      }: received ${describeValue(value)}`,
    );
  }
  return [...value];
}

function nonNegativeCount(what: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot ${what} as 'count' must be a non-negative integer: received ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

/**
 * Wraps a {@linkcode Connector} and injects faults into what it does, at
 * random rates or by script: `create` failures and hangs (a hang honours its
 * abort signal and does nothing else), `ready` failures, slow closes, closes
 * that throw, and connections that break mid-use. It counts every fault it
 * injected ({@linkcode FaultyConnector.faults}) and every connection it handed
 * out and closed ({@linkcode FaultyConnector.counts}), so a test can check
 * that nothing leaked and nothing was closed twice.
 *
 * Breaking mid-use needs the code under test to call
 * {@linkcode FaultyConnector.check} where it would use the connection: it
 * throws an {@linkcode InjectedFault} once the connection is broken. Give the
 * pool `isConnectionError: FaultyConnector.isInjectedBreak` so that such
 * errors invalidate the connection.
 *
 * A scripted step (option `script`, or {@linkcode FaultyConnector.script})
 * decides the next open; when none is left, the rates decide.
 *
 * @typeParam C The connection type of the wrapped connector.
 *
 * @example An outage reaches callers as ConnectionFailed, then recovers
 * ```ts
 * import { ConnectionPool } from "../pool/connection_pool.ts";
 * import { FakeClock } from "@azure-clients/toolbox/testing";
 * import { FaultyConnector, InjectedFault } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new FakeClock();
 * const faulty = new FaultyConnector({
 *   create: () => Promise.resolve({ id: 1 }),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(),
 * });
 * const pool = new ConnectionPool(faulty, { clock });
 * faulty.serviceDown();
 * const caller = pool.use(() => {});
 * await clock.tickAsync(1000); // opens keep failing: the circuit breaker opens
 * await assert.rejects(caller, (error: Error) => {
 *   assert.equal(error.name, "ConnectionFailed");
 *   assert.ok(error.cause instanceof InjectedFault);
 *   return true;
 * });
 * faulty.serviceUp();
 * await clock.tickAsync(1000); // past the next probe
 * assert.equal(await pool.use((conn) => conn.id), 1);
 * await pool.close();
 * assert.ok(faulty.faults.createFailures >= 5);
 * assert.equal(faulty.counts.open, 0);
 * ```
 *
 * @example A connection that breaks mid-use is invalidated
 * ```ts
 * import { ConnectionPool } from "../pool/connection_pool.ts";
 * import { FaultyConnector } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * let next = 0;
 * const faulty = new FaultyConnector({
 *   create: () => Promise.resolve({ id: ++next }),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(),
 * });
 * const pool = new ConnectionPool(faulty, {
 *   isConnectionError: FaultyConnector.isInjectedBreak,
 * });
 * await assert.rejects(
 *   pool.use((conn) => {
 *     faulty.breakConnection(conn);
 *     faulty.check(conn); // where the real code would call the service
 *   }),
 *   FaultyConnector.isInjectedBreak,
 * );
 * assert.equal(await pool.use((conn) => conn.id), 2); // a fresh connection
 * await pool.close();
 * assert.equal(faulty.counts.closed, 2);
 * ```
 */
export class FaultyConnector<C> implements Connector<C> {
  readonly #inner: Connector<C>;
  readonly #createFailureRate: number;
  readonly #readyFailureRate: number;
  readonly #hangRate: number;
  /** How long a hang lasts; Infinity until its signal aborts. */
  readonly #hangMs: number;
  readonly #slowCloseMs: number;
  readonly #closeThrowRate: number;
  readonly #breakRate: number;
  readonly #random: () => number;
  readonly #clock: Clock;
  readonly #script: FaultStep[];
  #closeThrowsPlanned = 0;
  #down = false;
  /** Connections handed out and not closed; the value says whether it is broken. */
  readonly #open = new Map<C, { broken: boolean; readyFault?: FaultStep }>();
  readonly #faults = {
    createFailures: 0,
    readyFailures: 0,
    hangs: 0,
    slowCloses: 0,
    closeThrows: 0,
    breaks: 0,
  };
  #creates = 0;
  #created = 0;
  #closed = 0;
  #unexpectedCloses = 0;
  #createsInFlight = 0;
  #maxCreatesInFlight = 0;
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];

  /**
   * Wraps a connector.
   *
   * @param inner The connector that really opens connections.
   * @param options Fault rates, a script, and the randomness and clock to use.
   * @throws {TypeError} For an unknown option, a value of the wrong type, or an
   * `inner` without `create`, `ready` and `close` methods.
   * @throws {RangeError} For a rate outside `[0, 1]` or a negative or
   * non-finite `slowCloseSeconds`.
   */
  constructor(inner: Connector<C>, options: FaultyConnectorOptions = {}) {
    if (
      typeof inner !== "object" || inner === null ||
      typeof inner.create !== "function" ||
      typeof inner.ready !== "function" || typeof inner.close !== "function"
    ) {
      throw new TypeError(
        "Cannot create FaultyConnector as 'inner' must have create, ready and close methods",
      );
    }
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Cannot create FaultyConnector as 'options' must be an object: received ${
          describeValue(options)
        }`,
      );
    }
    for (const key of Object.keys(options)) {
      if (!OPTIONS.has(key)) {
        throw new TypeError(
          `Cannot create FaultyConnector as '${key}' is not an option${
            didYouMean(key, [...OPTIONS])
          }: known options are ${[...OPTIONS].join(", ")}`,
        );
      }
    }
    this.#inner = inner;
    this.#createFailureRate = rate(
      "createFailureRate",
      options.createFailureRate,
    );
    this.#readyFailureRate = rate("readyFailureRate", options.readyFailureRate);
    this.#hangRate = rate("hangRate", options.hangRate);
    this.#closeThrowRate = rate("closeThrowRate", options.closeThrowRate);
    this.#breakRate = rate("breakRate", options.breakRate);
    const slow = options.slowCloseSeconds ?? 0;
    if (typeof slow !== "number" || !Number.isFinite(slow) || slow < 0) {
      const message =
        `Cannot create FaultyConnector as 'slowCloseSeconds' must be a non-negative number: received ${
          describeValue(slow)
        }`;
      throw typeof slow === "number"
        ? new RangeError(message)
        : new TypeError(message);
    }
    this.#slowCloseMs = slow * 1000;
    const hang = options.hangSeconds;
    if (
      hang !== undefined &&
      (typeof hang !== "number" || !Number.isFinite(hang) || hang <= 0)
    ) {
      const message =
        `Cannot create FaultyConnector as 'hangSeconds' must be a positive number: received ${
          describeValue(hang)
        }`;
      throw typeof hang === "number"
        ? new RangeError(message)
        : new TypeError(message);
    }
    this.#hangMs = hang === undefined ? Infinity : hang * 1000;
    this.#script = steps(options.script);
    const random = options.random ?? Math.random;
    if (typeof random !== "function") {
      throw new TypeError(
        `Cannot create FaultyConnector as 'random' must be a function: received ${
          describeValue(random)
        }`,
      );
    }
    this.#random = random;
    const clock = options.clock ?? systemClock;
    if (
      typeof clock !== "object" || clock === null ||
      typeof clock.setTimeout !== "function" ||
      typeof clock.clearTimeout !== "function"
    ) {
      throw new TypeError(
        `Cannot create FaultyConnector as 'clock' must be an object with now, setTimeout and clearTimeout methods: received ${
          describeValue(clock)
        }`,
      );
    }
    this.#clock = clock;
  }

  /**
   * Whether `error` is the {@linkcode InjectedFault} of a broken connection;
   * fit for the pool's `isConnectionError` option.
   *
   * @param error Any thrown value.
   * @returns `true` for an injected break.
   *
   * @example Classifying errors
   * ```ts
   * import { FaultyConnector, InjectedFault } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * assert.equal(FaultyConnector.isInjectedBreak(new InjectedFault("break")), true);
   * assert.equal(FaultyConnector.isInjectedBreak(new InjectedFault("create")), false);
   * assert.equal(FaultyConnector.isInjectedBreak("break"), false);
   * ```
   */
  static isInjectedBreak(error: unknown): boolean {
    return typeof error === "object" && error !== null &&
      (error as Error).name === "InjectedFault" &&
      (error as InjectedFault).kind === "break";
  }

  /**
   * The faults injected so far.
   *
   * @example Counting injected failures
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve(1),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * }, { createFailureRate: 1 });
   * await assert.rejects(faulty.create(new AbortController().signal), { name: "InjectedFault" });
   * assert.equal(faulty.faults.createFailures, 1);
   * assert.equal(faulty.faults.total, 1);
   * ```
   */
  get faults(): FaultCounts {
    const f = this.#faults;
    return {
      ...f,
      total: f.createFailures + f.readyFailures + f.hangs + f.slowCloses +
        f.closeThrows + f.breaks,
    };
  }

  /**
   * What the connector was asked to do and what is still open.
   *
   * @example Nothing left open
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * const conn = await faulty.create(new AbortController().signal);
   * await faulty.close(conn);
   * await faulty.close(conn); // a second close is counted, not forwarded
   * assert.deepEqual(
   *   { ...faulty.counts, maxCreatesInFlight: 0 },
   *   { creates: 1, created: 1, closed: 1, open: 0, unexpectedCloses: 1,
   *     createsInFlight: 0, maxCreatesInFlight: 0, inFlight: 0 },
   * );
   * ```
   */
  get counts(): ConnectorCounts {
    return {
      creates: this.#creates,
      created: this.#created,
      closed: this.#closed,
      open: this.#open.size,
      unexpectedCloses: this.#unexpectedCloses,
      createsInFlight: this.#createsInFlight,
      maxCreatesInFlight: this.#maxCreatesInFlight,
      inFlight: this.#inFlight,
    };
  }

  /** How many scripted steps are left. */
  get scriptedSteps(): number {
    return this.#script.length;
  }

  /**
   * Adds steps for the next opens, after any already scripted.
   *
   * @param steps What the next opens do, in order.
   * @throws {TypeError} For an unknown step.
   *
   * @example Scripting a hang then a success
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve("conn"),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * faulty.script("hang", "ok");
   * const controller = new AbortController();
   * const hung = faulty.create(controller.signal);
   * controller.abort(new Error("gave up"));
   * await assert.rejects(hung, { message: "gave up" });
   * assert.equal(await faulty.create(new AbortController().signal), "conn");
   * ```
   */
  script(...steps: FaultStep[]): void {
    for (const step of steps) {
      if (!STEPS.has(step)) {
        throw new TypeError(
          `Cannot script FaultyConnector as a step must be one of ${
            [...STEPS].map((s) => JSON.stringify(s)).join(", ")
          }: received ${describeValue(step)}`,
        );
      }
    }
    this.#script.push(...steps);
  }

  /**
   * Makes the next `count` opens fail in `create`.
   *
   * @param count How many.
   * @throws {RangeError} If `count` is not a non-negative integer.
   *
   * @example Failing two opens
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve(1),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * faulty.failNextCreates(2);
   * assert.equal(faulty.scriptedSteps, 2);
   * ```
   */
  failNextCreates(count: number): void {
    const n = nonNegativeCount("fail the next creates", count);
    for (let i = 0; i < n; i++) this.#script.push("fail");
  }

  /**
   * Makes the next `count` opens hang in `create` until aborted.
   *
   * @param count How many.
   * @throws {RangeError} If `count` is not a non-negative integer.
   *
   * @example Hanging one open
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve(1),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * faulty.hangNextCreates(1);
   * const controller = new AbortController();
   * const open = faulty.create(controller.signal);
   * assert.equal(faulty.counts.createsInFlight, 1);
   * controller.abort();
   * await assert.rejects(open, { name: "AbortError" });
   * ```
   */
  hangNextCreates(count: number): void {
    const n = nonNegativeCount("hang the next creates", count);
    for (let i = 0; i < n; i++) this.#script.push("hang");
  }

  /**
   * Makes the next `count` closes throw (after closing the wrapped
   * connection).
   *
   * @param count How many.
   * @throws {RangeError} If `count` is not a non-negative integer.
   *
   * @example A close that throws
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * faulty.failNextCloses(1);
   * const conn = await faulty.create(new AbortController().signal);
   * await assert.rejects(faulty.close(conn), { name: "InjectedFault" });
   * assert.equal(faulty.counts.open, 0);
   * ```
   */
  failNextCloses(count: number): void {
    this.#closeThrowsPlanned += nonNegativeCount("fail the next closes", count);
  }

  /** Whether the service is down (see {@linkcode FaultyConnector.serviceDown}). */
  get isServiceDown(): boolean {
    return this.#down;
  }

  /**
   * Takes the service down: every connection handed out breaks (so
   * {@linkcode FaultyConnector.check} throws for it) and every `create`
   * rejects with an {@linkcode InjectedFault} (`kind: "create"`, counted in
   * `createFailures`), before any scripted step, until
   * {@linkcode FaultyConnector.serviceUp}.
   *
   * @example An outage, then recovery
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * const before = await faulty.create(new AbortController().signal);
   * faulty.serviceDown();
   * assert.equal(faulty.isBroken(before), true);
   * await assert.rejects(faulty.create(new AbortController().signal), { name: "InjectedFault" });
   * faulty.serviceUp();
   * const after = await faulty.create(new AbortController().signal);
   * assert.equal(faulty.isBroken(after), false);
   * ```
   */
  serviceDown(): void {
    this.#down = true;
    for (const connection of this.#open.keys()) {
      this.breakConnection(connection);
    }
  }

  /**
   * Brings the service back: opens behave again (connections that broke
   * while it was down stay broken).
   *
   * @example Opening after recovery
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve("conn"),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * faulty.serviceDown();
   * faulty.serviceUp();
   * assert.equal(faulty.isServiceDown, false);
   * assert.equal(await faulty.create(new AbortController().signal), "conn");
   * ```
   */
  serviceUp(): void {
    this.#down = false;
  }

  /**
   * Breaks a connection this connector handed out: from now on
   * {@linkcode FaultyConnector.check} throws for it.
   *
   * @param connection The connection.
   *
   * @example Breaking a connection by hand
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * const conn = await faulty.create(new AbortController().signal);
   * faulty.breakConnection(conn);
   * assert.equal(faulty.isBroken(conn), true);
   * assert.throws(() => faulty.check(conn), FaultyConnector.isInjectedBreak);
   * ```
   */
  breakConnection(connection: C): void {
    const state = this.#open.get(connection);
    if (state === undefined || state.broken) return;
    state.broken = true;
    this.#faults.breaks++;
  }

  /**
   * Whether a connection is broken. A closed connection counts as broken.
   *
   * @param connection The connection.
   * @returns `true` once it broke or was closed.
   *
   * @example A fresh connection works
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * const conn = await faulty.create(new AbortController().signal);
   * assert.equal(faulty.isBroken(conn), false);
   * ```
   */
  isBroken(connection: C): boolean {
    return this.#open.get(connection)?.broken ?? true;
  }

  /**
   * Whether a connection was handed out and not yet closed.
   *
   * @param connection The connection.
   * @returns `true` while it is open.
   *
   * @example Open until closed
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * const conn = await faulty.create(new AbortController().signal);
   * assert.equal(faulty.isOpen(conn), true);
   * await faulty.close(conn);
   * assert.equal(faulty.isOpen(conn), false);
   * ```
   */
  isOpen(connection: C): boolean {
    return this.#open.has(connection);
  }

  /**
   * Stands for one operation on `connection`: throws if the connection is
   * broken or closed, and otherwise breaks it with probability `breakRate`
   * (then throws).
   *
   * @param connection The connection about to be used.
   * @throws {InjectedFault} With `kind: "break"` when the connection is broken.
   *
   * @example Every check breaks at rate 1
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * }, { breakRate: 1 });
   * const conn = await faulty.create(new AbortController().signal);
   * assert.throws(() => faulty.check(conn), { name: "InjectedFault" });
   * assert.equal(faulty.faults.breaks, 1);
   * ```
   */
  check(connection: C): void {
    const state = this.#open.get(connection);
    if (state !== undefined && !state.broken && this.#breakRate > 0) {
      if (this.#random() < this.#breakRate) {
        state.broken = true;
        this.#faults.breaks++;
      }
    }
    if (state === undefined || state.broken) throw new InjectedFault("break");
  }

  /**
   * Resolves once no `create`, `ready` or `close` call is in flight (a hang
   * ends only when its signal aborts).
   *
   * @returns When the connector is idle.
   *
   * @example Waiting for a slow close
   * ```ts
   * import { FakeClock } from "@azure-clients/toolbox/testing";
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const clock = new FakeClock();
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * }, { slowCloseSeconds: 5, clock });
   * const conn = await faulty.create(new AbortController().signal);
   * const closing = faulty.close(conn);
   * let idle = false;
   * const waiting = faulty.whenIdle().then(() => (idle = true));
   * await clock.tickAsync(4999);
   * assert.equal(idle, false);
   * await clock.tickAsync(1);
   * await Promise.all([closing, waiting]);
   * assert.equal(idle, true);
   * ```
   */
  whenIdle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Opens a connection through the wrapped connector, unless the next step
   * (scripted or drawn) injects a failure or a hang.
   *
   * @param signal Aborts the open; a hang rejects with its reason.
   * @returns The wrapped connector's connection.
   * @throws {InjectedFault} With `kind: "create"` for an injected failure.
   *
   * @example Opening through the wrapper
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve("conn"),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * });
   * assert.equal(await faulty.create(new AbortController().signal), "conn");
   * assert.equal(faulty.counts.open, 1);
   * ```
   */
  create(signal: AbortSignal): Promise<C> {
    this.#creates++;
    this.#createsInFlight++;
    this.#maxCreatesInFlight = Math.max(
      this.#maxCreatesInFlight,
      this.#createsInFlight,
    );
    this.#inFlight++;
    const step = this.#down ? "fail" : this.#nextStep();
    const settled = () => {
      this.#createsInFlight--;
      this.#settled();
    };
    const openInner = () =>
      this.#call(() => this.#inner.create(signal)).then((connection) => {
        this.#created++;
        this.#open.set(connection, {
          broken: false,
          readyFault: step === "ok" || step === "hang" ? undefined : step,
        });
        return connection;
      });
    let open: Promise<C>;
    if (step === "fail") {
      this.#faults.createFailures++;
      open = Promise.reject(new InjectedFault("create"));
    } else if (step === "hang") {
      this.#faults.hangs++;
      open = this.#hang(signal).then(() => {
        if (!this.#down) return openInner();
        this.#faults.createFailures++;
        throw new InjectedFault("create");
      });
    } else {
      open = openInner();
    }
    return open.finally(settled);
  }

  /**
   * Proves a connection through the wrapped connector, unless a failure is
   * injected.
   *
   * @param connection The connection `create` returned.
   * @param signal Aborts the check.
   * @returns What the wrapped connector answered, or `false` for a scripted
   * `"readyFalse"`.
   * @throws {InjectedFault} With `kind: "ready"` for an injected failure.
   *
   * @example An injected ready failure
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(),
   * }, { readyFailureRate: 1 });
   * const conn = await faulty.create(new AbortController().signal);
   * await assert.rejects(faulty.ready(conn, new AbortController().signal), { name: "InjectedFault" });
   * ```
   */
  ready(connection: C, signal: AbortSignal): Promise<boolean | void> {
    this.#inFlight++;
    const state = this.#open.get(connection);
    const scripted = state?.readyFault;
    if (state !== undefined) state.readyFault = undefined;
    let answer: Promise<boolean | void>;
    if (
      this.#down || scripted === "readyFail" ||
      (scripted === undefined && this.#readyFailureRate > 0 &&
        this.#random() < this.#readyFailureRate)
    ) {
      this.#faults.readyFailures++;
      answer = Promise.reject(new InjectedFault("ready"));
    } else if (scripted === "readyFalse") {
      this.#faults.readyFailures++;
      answer = Promise.resolve(false);
    } else {
      answer = this.#call(() => this.#inner.ready(connection, signal));
    }
    return answer.finally(() => this.#settled());
  }

  /**
   * Closes a connection through the wrapped connector, after `slowCloseSeconds`,
   * then throws if a close failure is injected. A connection closed before (or
   * never handed out) is counted in `unexpectedCloses` and not forwarded.
   *
   * @param connection The connection to close.
   * @returns When the wrapped connector has closed it.
   * @throws {InjectedFault} With `kind: "close"` for an injected failure.
   *
   * @example Closing through the wrapper
   * ```ts
   * import { FaultyConnector } from "@azure-clients/toolbox/testing";
   * import assert from "node:assert/strict";
   *
   * let closed = 0;
   * const faulty = new FaultyConnector({
   *   create: () => Promise.resolve({}),
   *   ready: () => Promise.resolve(true),
   *   close: () => Promise.resolve(void closed++),
   * });
   * await faulty.close(await faulty.create(new AbortController().signal));
   * assert.equal(closed, 1);
   * ```
   */
  close(connection: C): Promise<void> {
    if (!this.#open.delete(connection)) {
      this.#unexpectedCloses++;
      return Promise.resolve();
    }
    this.#closed++;
    this.#inFlight++;
    let throws = false;
    if (this.#closeThrowsPlanned > 0) {
      this.#closeThrowsPlanned--;
      throws = true;
    } else if (this.#closeThrowRate > 0) {
      throws = this.#random() < this.#closeThrowRate;
    }
    let delay: Promise<void> = Promise.resolve();
    if (this.#slowCloseMs > 0) {
      this.#faults.slowCloses++;
      delay = new Promise((resolve) =>
        this.#clock.setTimeout(resolve, this.#slowCloseMs)
      );
    }
    return delay
      .then(() => this.#call(() => this.#inner.close(connection)))
      .then(() => {
        if (throws) {
          this.#faults.closeThrows++;
          throw new InjectedFault("close");
        }
      })
      .finally(() => this.#settled());
  }

  /** Waits until `signal` aborts (then rejects with its reason) or `hangSeconds` pass. */
  #hang(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      let timer: unknown = undefined;
      const onAbort = () => {
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      if (this.#hangMs !== Infinity) {
        timer = this.#clock.setTimeout(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        }, this.#hangMs);
      }
    });
  }

  #nextStep(): FaultStep {
    const scripted = this.#script.shift();
    if (scripted !== undefined) return scripted;
    if (this.#hangRate > 0 && this.#random() < this.#hangRate) return "hang";
    if (
      this.#createFailureRate > 0 && this.#random() < this.#createFailureRate
    ) {
      return "fail";
    }
    return "ok";
  }

  /** Turns a synchronous throw of the wrapped connector into a rejection. */
  #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #settled(): void {
    if (--this.#inFlight > 0 || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
