/**
 * The pool soak shared by `tests/soak_test.ts` (a short run in the suite) and
 * `scripts/soak/main.ts` (`deno task soak`, as long as you like): thousands of
 * concurrent callers with random hold times, timeouts and aborts against a
 * {@linkcode FaultyConnector}, then checks that every caller settled with a
 * result or a typed error, that no limit was exceeded, that the pool's stats
 * agree with what the callers saw, that `close()` under load closed every
 * connection exactly once, and that the heap came back to where it started.
 *
 * The run has two phases:
 *
 * ```
 * phase 1  N seconds: callers loop get/use -> hold -> maybe break -> release
 *          stop, let every caller settle, let the connector go idle,
 *          compare stats with the callers' own counts
 * phase 2  a burst of one-shot callers; close() as soon as one holds a lease
 *          -> holders finish, waiters get PoolClosed, close() resolves
 *          -> created == closed, nothing open, nothing closed twice
 * ```
 *
 * {@linkcode runProfile} runs the fault profiles of issue 11 instead (flaky,
 * hung, chaos, outage): one-shot callers arriving at a steady rate against a
 * small pool, reporting the share served, the time-to-fail while the service
 * is down and the time to the first caller served after it returns.
 *
 * @module
 */

import process from "node:process";
import v8 from "node:v8";
import vm from "node:vm";
import { ConnectionPool } from "../../src/pool/connection_pool.ts";
import type { Connector } from "../../src/pool/connector.ts";
import type {
  ConnectionPoolOptions,
  PoolLogger,
} from "../../src/pool/options.ts";
import {
  ConnectionFailed,
  ConnectionsExhausted,
  PoolClosed,
} from "../../src/pool/errors.ts";
import type { Lease } from "../../src/pool/lease.ts";
import type { PoolStats } from "../../src/pool/stats.ts";
import { bound } from "../../src/pool/_bound.ts";
import { nearestRank, percentile } from "../../src/pool/_percentile.ts";
import { seededRandom } from "../../src/testing/seeded_random.ts";
import {
  type ConnectorCounts,
  type FaultCounts,
  FaultyConnector,
  InjectedFault,
} from "../../src/testing/faulty_connector.ts";

/** The knobs of one soak run. */
export interface SoakConfig {
  /** How long phase 1 runs. */
  seconds: number;
  /** Concurrent callers in phase 1. */
  callers: number;
  /** Seeds the callers' and the connector's randomness. */
  seed: number;
  /** The pool's `maxSize`. */
  maxSize: number;
  /** The pool's `clientLimit`. */
  clientLimit: number;
  /** The pool's `maxConcurrentCreates`. */
  maxConcurrentCreates: number;
  /** Longest time a caller holds its lease, in milliseconds. */
  holdMsMax: number;
  /** Share of calls that get an AbortSignal, aborted at a random time. */
  abortRate: number;
  /** Share of calls that use `get()`/`release()` instead of `use()`. */
  leaseRate: number;
  /** Shortest and longest acquire timeout a caller picks, in seconds. */
  timeoutSeconds: [number, number];
  /** Fault rates of the connector. */
  createFailureRate: number;
  readyFailureRate: number;
  hangRate: number;
  closeThrowRate: number;
  breakRate: number;
  slowCloseSeconds: number;
  /** Every this many seconds, an outage: the next `outageCreates` opens fail. */
  outageEverySeconds: number;
  outageCreates: number;
  /** One-shot callers in phase 2 (close under load). */
  closeCallers: number;
  /** How far the heap may grow over the run, in bytes. */
  heapToleranceBytes: number;
}

/** Defaults: 10,000 callers on 10 connections of 100 callers each. */
export const SOAK_DEFAULTS: SoakConfig = {
  seconds: 20,
  callers: 10_000,
  seed: 1,
  maxSize: 10,
  clientLimit: 100,
  maxConcurrentCreates: 3,
  holdMsMax: 20,
  abortRate: 0.05,
  leaseRate: 0.2,
  timeoutSeconds: [0.05, 2],
  createFailureRate: 0.05,
  readyFailureRate: 0.05,
  hangRate: 0.02,
  closeThrowRate: 0.1,
  breakRate: 0.0005,
  slowCloseSeconds: 0.005,
  outageEverySeconds: 2,
  outageCreates: 20,
  closeCallers: 2_000,
  heapToleranceBytes: 5 * 1024 * 1024,
};

/** What a run can be told besides its settings. */
export interface SoakHooks {
  /**
   * The pool class to soak; a test passes a deliberately broken subclass to
   * prove the checks catch it.
   */
  poolClass?: typeof ConnectionPool;
  /** Called every `progressSeconds` with a one-line progress report. */
  progress?: (line: string) => void;
  /** How often to report progress; 0 for never. */
  progressSeconds?: number;
}

/** What one soak run saw. */
export interface SoakReport {
  config: SoakConfig;
  runtime: string;
  /** Wall time of phase 1, in seconds. */
  elapsedSeconds: number;
  /** Calls started and settled in phase 1. */
  calls: number;
  settled: number;
  /** Phase 1 outcomes by type: ok, ConnectionsExhausted, ConnectionFailed, aborted, break, PoolClosed. */
  outcomes: Record<string, number>;
  /** Phase 2 (close under load) outcomes by type. */
  closeOutcomes: Record<string, number>;
  /** Whether phase 2 began with the breaker open or an outage still scripted. */
  closeBurstMetOutage: boolean;
  faults: FaultCounts;
  connector: ConnectorCounts;
  /** Stats after phase 1 settled, and after close(). */
  statsAfterRun: PoolStats | undefined;
  statsAfterClose: PoolStats | undefined;
  /** Acquire waits measured by the callers, in milliseconds. */
  waitP50Ms: number;
  waitP99Ms: number;
  /** Longest time a caller's acquire settled after its own deadline. */
  maxPastDeadlineMs: number;
  /** Highest counts seen. */
  maxCallersOnOne: number;
  maxOpen: number;
  maxCreatesInFlight: number;
  /** Stats samples taken during phase 1. */
  samples: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  /** How garbage was collected before measuring, or "none". */
  gc: string;
  /** Broken promises; empty when the run kept them all. */
  violations: string[];
}

/** The name and version of the running runtime. */
export function runtimeName(): string {
  const g = globalThis as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
  };
  if (g.Deno !== undefined) return `deno ${g.Deno.version.deno}`;
  if (g.Bun !== undefined) return `bun ${g.Bun.version}`;
  return `node ${process.versions.node}`;
}

/**
 * A full garbage collection, where the runtime allows one: `Bun.gc`, a
 * global `gc` (`--expose-gc`), or V8's flag set at run time (Node, Deno).
 *
 * @returns How to collect, or `undefined` when no way works.
 */
export function findGc(): { how: string; run: () => void } | undefined {
  const g = globalThis as {
    Bun?: { gc(force: boolean): void };
    gc?: () => void;
  };
  if (g.Bun !== undefined) {
    const bun = g.Bun;
    return { how: "Bun.gc", run: () => bun.gc(true) };
  }
  if (typeof g.gc === "function") {
    const gc = g.gc;
    return { how: "gc", run: () => gc() };
  }
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    if (typeof gc === "function") {
      return { how: "v8 flag", run: () => (gc as () => void)() };
    }
  } catch {
    // No way to collect on this runtime: the heap is printed, not asserted.
  }
  return undefined;
}

async function heapUsed(gc: (() => void) | undefined): Promise<number> {
  for (let i = 0; i < 3; i++) {
    // Let finished promise chains and timers drop their references first.
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc?.();
  }
  return process.memoryUsage().heapUsed;
}

class SoakConnection {
  closed = false;
  holders = 0;
  constructor(readonly id: number) {}
}

/** The well-behaved connector under the faults: a short random open delay that honours abort. */
class SoakInner implements Connector<SoakConnection> {
  open = 0;
  maxOpen = 0;
  aborted = 0;
  doubleCloses = 0;
  #next = 0;
  constructor(private random: () => number) {}

  create(signal: AbortSignal): Promise<SoakConnection> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        this.aborted++;
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        this.open++;
        this.maxOpen = Math.max(this.maxOpen, this.open);
        resolve(new SoakConnection(++this.#next));
      }, Math.floor(this.random() * 4));
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  ready(_connection: SoakConnection, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) {
      this.aborted++;
      return Promise.reject(signal.reason);
    }
    return Promise.resolve(true);
  }

  close(connection: SoakConnection): Promise<void> {
    if (connection.closed) this.doubleCloses++;
    else this.open--;
    connection.closed = true;
    return Promise.resolve();
  }
}

/**
 * Counts of waits in 1 ms buckets, for percentiles without keeping millions of
 * samples; a percentile is the upper edge of the bucket holding the shared
 * nearest rank.
 */
class WaitHistogram {
  readonly #buckets = new Uint32Array(60_001);
  #count = 0;
  record(ms: number): void {
    this.#buckets[Math.min(this.#buckets.length - 1, Math.floor(ms))]++;
    this.#count++;
  }
  /** The `p`th percentile (p in (0, 100]) rounded up to whole ms; 0 when empty. */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = nearestRank(this.#count, p);
    let seen = 0;
    for (let ms = 0; ms < this.#buckets.length; ms++) {
      seen += this.#buckets[ms];
      if (seen >= rank) return ms + 1;
    }
    return this.#buckets.length;
  }
}

/**
 * Sorts a settled call's error into the typed outcomes (ok aside), or reports
 * it as a violation.
 */
function classifyError(
  error: unknown,
  signal: AbortSignal | undefined,
  violate: (message: string) => void,
): string {
  if (error instanceof ConnectionsExhausted) return "ConnectionsExhausted";
  if (error instanceof PoolClosed) return "PoolClosed";
  if (error instanceof ConnectionFailed) {
    const cause = error.cause as Error | undefined;
    if (
      !(cause instanceof InjectedFault) && cause?.name !== "TimeoutError"
    ) {
      violate(`ConnectionFailed with an unexpected cause: ${String(cause)}`);
    }
    return "ConnectionFailed";
  }
  if (signal !== undefined && error === signal.reason) return "aborted";
  if (FaultyConnector.isInjectedBreak(error)) return "break";
  violate(
    `a caller got an untyped error: ${
      error instanceof Error ? `${error.name}: ${error.message}` : typeof error
    }`,
  );
  return "other";
}

/**
 * What must hold once a pool closed and its connector went idle: every
 * connection it made closed exactly once, none leaked, never more than
 * `maxSize` open at once, and nobody left active or waiting.
 */
function checkClosed(
  s: PoolStats,
  connector: ConnectorCounts,
  inner: SoakInner,
  maxSize: number,
  violate: (what: string) => void,
): void {
  if (s.connectionsCreated !== s.connectionsClosed) {
    violate(
      `after close(): created ${s.connectionsCreated} but closed ${s.connectionsClosed}`,
    );
  }
  if (s.size !== 0 || s.activeCallers !== 0 || s.waitingCallers !== 0) {
    violate(`after close(): ${JSON.stringify(s)}`);
  }
  if (connector.created !== connector.closed || connector.open !== 0) {
    violate(
      `connector: ${connector.created} created, ${connector.closed} closed, ${connector.open} open`,
    );
  }
  if (connector.unexpectedCloses !== 0 || inner.doubleCloses !== 0) {
    violate(
      `${
        connector.unexpectedCloses + inner.doubleCloses
      } connections closed twice`,
    );
  }
  if (inner.open !== 0) violate(`${inner.open} connections leaked`);
  if (inner.maxOpen > maxSize) {
    violate(`${inner.maxOpen} connections open at once (maxSize ${maxSize})`);
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

const delay = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits for `promise` to settle either way, or gives up after `ms` and says so.
 *
 * @returns Whether `promise` settled in time.
 */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  // ref: the soak waits on purpose, the process must not exit meanwhile.
  return bound(promise.then(() => true, () => true), {
    timeoutMs: ms,
    ref: true,
  })
    .catch(() => false);
}

/**
 * Runs one soak and reports what it saw; never throws for a broken promise
 * (those go to `violations`), so the caller can print the figures first.
 *
 * @param overrides Settings that differ from {@linkcode SOAK_DEFAULTS}.
 * @returns The report.
 */
export async function runSoak(
  overrides: Partial<SoakConfig> = {},
  hooks: SoakHooks = {},
): Promise<SoakReport> {
  const config: SoakConfig = { ...SOAK_DEFAULTS, ...overrides };
  const gc = findGc();
  const heapBeforeBytes = await heapUsed(gc?.run);
  const report = await soak(config, hooks);
  report.heapBeforeBytes = heapBeforeBytes;
  report.heapAfterBytes = await heapUsed(gc?.run);
  report.gc = gc?.how ?? "none";
  if (
    gc !== undefined &&
    report.heapAfterBytes - heapBeforeBytes > config.heapToleranceBytes
  ) {
    report.violations.push(
      `heap grew by ${
        mb(report.heapAfterBytes - heapBeforeBytes)
      } over the run (tolerance ${mb(config.heapToleranceBytes)})`,
    );
  }
  return report;
}

async function soak(
  config: SoakConfig,
  hooks: SoakHooks,
): Promise<SoakReport> {
  const random = seededRandom(config.seed);
  const violations: string[] = [];
  const violate = (message: string) => {
    if (violations.length < 20) violations.push(message);
  };
  const inner = new SoakInner(seededRandom(config.seed ^ 0x9e3779b9));
  const faulty = new FaultyConnector(inner, {
    createFailureRate: config.createFailureRate,
    readyFailureRate: config.readyFailureRate,
    hangRate: config.hangRate,
    closeThrowRate: config.closeThrowRate,
    breakRate: config.breakRate,
    slowCloseSeconds: config.slowCloseSeconds,
    random: seededRandom(config.seed ^ 0x85ebca6b),
  });
  const { maxSize, clientLimit, maxConcurrentCreates } = config;
  const Pool = hooks.poolClass ?? ConnectionPool;
  const pool = new Pool(faulty, {
    maxSize,
    clientLimit,
    maxConcurrentCreates,
    maxIdleSeconds: 0.2,
    maxLifespanSeconds: 1,
    createTimeoutSeconds: 0.2,
    initialBackoffSeconds: 0.005,
    maxBackoffSeconds: 0.1,
    acquireTimeoutSeconds: config.timeoutSeconds[1],
    isConnectionError: FaultyConnector.isInjectedBreak,
    name: "soak",
  });

  const waits = new WaitHistogram();
  let acquired = 0;
  let maxCallersOnOne = 0;
  let maxPastDeadlineMs = 0;
  let calls = 0;
  let settled = 0;
  let stopping = false;
  const outcomes: Record<string, number> = {};

  let onFirstLease: (() => void) | undefined;
  const onLease = (
    connection: SoakConnection,
    lease: Lease<SoakConnection>,
    startedAt: number,
  ) => {
    acquired++;
    onFirstLease?.();
    waits.record(performance.now() - startedAt);
    if (connection.closed || !faulty.isOpen(connection)) {
      violate(`a caller got connection #${connection.id} after its close`);
    }
    const holders = ++connection.holders;
    maxCallersOnOne = Math.max(maxCallersOnOne, holders);
    if (
      holders > clientLimit || lease.shared.currentClientCount > clientLimit
    ) {
      violate(
        `connection #${connection.id} had ${holders} callers (clientLimit ${clientLimit})`,
      );
    }
  };

  const classify = (error: unknown, signal: AbortSignal | undefined) =>
    classifyError(error, signal, violate);

  const hold = async (connection: SoakConnection) => {
    try {
      await delay(Math.floor(random() * (config.holdMsMax + 1)));
      faulty.check(connection); // stands for the caller's operation
    } finally {
      connection.holders--;
    }
  };

  /** One acquire-hold-release; resolves with its outcome, never rejects. */
  const call = async (timeoutSeconds: number): Promise<string> => {
    calls++;
    const startedAt = performance.now();
    const deadline = startedAt + timeoutSeconds * 1000;
    let controller: AbortController | undefined;
    let abortTimer: ReturnType<typeof setTimeout> | undefined;
    if (random() < config.abortRate) {
      const c = controller = new AbortController();
      abortTimer = setTimeout(
        () => c.abort(),
        Math.floor(random() * timeoutSeconds * 1200),
      );
    }
    const signal = controller?.signal;
    let outcome: string;
    try {
      if (random() < config.leaseRate) {
        const lease = await pool.get({
          abortSignal: signal,
          acquireTimeoutSeconds: timeoutSeconds,
        });
        onLease(lease.connection, lease, startedAt);
        try {
          await hold(lease.connection);
        } catch (error) {
          lease.invalidate();
          throw error;
        } finally {
          lease.release();
          lease.release(); // idempotent: must not free a second place
        }
      } else {
        await pool.use(async (connection, lease) => {
          onLease(connection, lease, startedAt);
          await hold(connection);
        }, { abortSignal: signal, acquireTimeoutSeconds: timeoutSeconds });
      }
      outcome = "ok";
    } catch (error) {
      outcome = classify(error, signal);
      const past = performance.now() - deadline;
      if (outcome !== "break" && past > maxPastDeadlineMs) {
        maxPastDeadlineMs = past;
      }
    } finally {
      clearTimeout(abortTimer);
    }
    settled++;
    return outcome;
  };

  const [minTimeout, maxTimeout] = config.timeoutSeconds;
  const pickTimeout = () => minTimeout * (maxTimeout / minTimeout) ** random(); // log-uniform

  let samples = 0;
  const sampler = setInterval(() => {
    samples++;
    const s = pool.stats();
    if (s.size > maxSize) violate(`size ${s.size} above maxSize ${maxSize}`);
    if (s.openingConnections > maxConcurrentCreates) {
      violate(`${s.openingConnections} opens above maxConcurrentCreates`);
    }
    if (
      s.readyConnections + s.openingConnections + s.drainingConnections +
          s.closingConnections !== s.size
    ) {
      violate(`stats do not add up: ${JSON.stringify(s)}`);
    }
    if (s.activeCallers > maxSize * clientLimit) {
      violate(`${s.activeCallers} active callers above capacity`);
    }
  }, 10);

  // Outages: with connections recycled every second, a run of failed opens
  // leaves nothing to serve, and callers must get ConnectionFailed fast.
  const outages = setInterval(
    () => faulty.failNextCreates(config.outageCreates),
    config.outageEverySeconds * 1000,
  );

  // Phase 1: callers loop until the time is up.
  const startedAt = performance.now();
  const progressMs = (hooks.progressSeconds ?? 0) * 1000;
  const progress = progressMs > 0 && hooks.progress !== undefined
    ? setInterval(() => {
      const s = pool.stats();
      hooks.progress!(
        `soak: ${
          ((performance.now() - startedAt) / 1000).toFixed(0)
        } s, ${calls} calls: ${
          list(outcomes)
        }; pool ready ${s.readyConnections}, opening ${s.openingConnections}, waiting ${s.waitingCallers}, ` +
          `created ${s.connectionsCreated}, failed opens ${s.opensFailed}, heap ${
            mb(process.memoryUsage().heapUsed)
          }`,
      );
    }, progressMs)
    : undefined;
  const callers: Promise<void>[] = [];
  for (let i = 0; i < config.callers; i++) {
    callers.push((async () => {
      while (!stopping) bump(outcomes, await call(pickTimeout()));
    })());
  }
  await delay(config.seconds * 1000);
  stopping = true;
  clearInterval(outages);
  clearInterval(progress);
  const settleMs = maxTimeout * 1000 + config.holdMsMax + 15_000;
  if (!await within(Promise.all(callers), settleMs)) {
    violate(
      `${
        calls - settled
      } of ${calls} calls had not settled ${settleMs} ms after the stop`,
    );
  }
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  clearInterval(sampler);
  callers.length = 0;

  // Let opens and closes in flight finish (a hang ends at createTimeoutSeconds).
  if (!await within(faulty.whenIdle(), 15_000)) {
    violate(
      `the connector still had ${faulty.counts.inFlight} calls in flight`,
    );
  }
  await delay(0);
  const statsAfterRun = pool.stats();
  const faultsAtStop = faulty.faults;
  if (settled === calls) {
    const s = statsAfterRun;
    const expect = (what: string, actual: number, expected: number) => {
      if (actual !== expected) {
        violate(`stats.${what} is ${actual}, callers saw ${expected}`);
      }
    };
    expect("activeCallers", s.activeCallers, 0);
    expect("waitingCallers", s.waitingCallers, 0);
    expect("openingConnections", s.openingConnections, 0);
    expect("callersServed", s.callersServed, acquired);
    expect(
      "callersTimedOut",
      s.callersTimedOut,
      outcomes.ConnectionsExhausted ?? 0,
    );
    expect("connectionsCreated", s.connectionsCreated, faulty.counts.created);
    expect(
      "opensFailed",
      s.opensFailed,
      faultsAtStop.createFailures + faultsAtStop.readyFailures +
        faultsAtStop.hangs + inner.aborted,
    );
  }

  // Phase 2: close while callers hold leases and others wait.
  const closeOutcomes: Record<string, number> = {};
  // An outage injected late in phase 1 may still be scripted, or have left
  // the breaker open (a loaded machine opens fewer connections in the time):
  // then failing every caller fast with ConnectionFailed is the promise.
  const closeBurstMetOutage = pool.stats().breakerState === "open" ||
    faulty.scriptedSteps > 0;
  const leased = new Promise<void>((resolve) => (onFirstLease = resolve));
  const burst: Promise<void>[] = [];
  for (let i = 0; i < config.closeCallers; i++) {
    burst.push((async () => {
      bump(closeOutcomes, await call(30));
    })());
  }
  await within(leased, 15_000);
  const closing = pool.close();
  if (!await within(Promise.all([closing, ...burst]), 30_000)) {
    violate("close() or a caller of the close burst did not settle in 30 s");
  }
  if (!await within(faulty.whenIdle(), 15_000)) {
    violate(
      `the connector still had ${faulty.counts.inFlight} calls in flight`,
    );
  }
  const servedOrClosed = (closeOutcomes.PoolClosed ?? 0) +
    (closeOutcomes.ok ?? 0);
  const failedFast = closeBurstMetOutage &&
    closeOutcomes.ConnectionFailed === config.closeCallers;
  if (servedOrClosed === 0 && !failedFast) {
    violate("the close burst saw neither a served caller nor PoolClosed");
  }
  await pool.use(() => {}).then(
    () => violate("a closed pool served a caller"),
    (error) => {
      if (!(error instanceof PoolClosed)) {
        violate(`a closed pool refused with ${String(error)}`);
      }
    },
  );
  const statsAfterClose = pool.stats();
  const connector = faulty.counts;
  const s = statsAfterClose;
  checkClosed(s, connector, inner, maxSize, violate);
  if (s.connectionsCreated !== connector.created) {
    violate(
      `stats.connectionsCreated ${s.connectionsCreated} but the connector handed out ${connector.created}`,
    );
  }
  if (connector.maxCreatesInFlight > maxConcurrentCreates) {
    violate(
      `${connector.maxCreatesInFlight} creates at once (maxConcurrentCreates ${maxConcurrentCreates})`,
    );
  }
  if (connector.createsInFlight !== 0) {
    violate(`${connector.createsInFlight} creates still in flight`);
  }

  return {
    config,
    runtime: runtimeName(),
    elapsedSeconds,
    calls,
    settled,
    outcomes,
    closeOutcomes,
    closeBurstMetOutage,
    faults: faulty.faults,
    connector,
    statsAfterRun,
    statsAfterClose,
    waitP50Ms: waits.percentile(50),
    waitP99Ms: waits.percentile(99),
    maxPastDeadlineMs,
    maxCallersOnOne,
    maxOpen: inner.maxOpen,
    maxCreatesInFlight: connector.maxCreatesInFlight,
    samples,
    heapBeforeBytes: 0,
    heapAfterBytes: 0,
    gc: "none",
    violations,
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function list(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries.length === 0
    ? "none"
    : entries.map(([k, v]) => `${k} ${v}`).join(", ");
}

/**
 * The report as one compact block of text.
 *
 * @param report What {@linkcode runSoak} returned.
 * @returns Lines joined by newlines.
 */
export function formatSoakReport(report: SoakReport): string {
  const { config: c, faults: f } = report;
  const heapDelta = report.heapAfterBytes - report.heapBeforeBytes;
  const pool = report.statsAfterClose;
  return [
    `soak (${report.runtime}): ${
      report.elapsedSeconds.toFixed(1)
    } s, ${c.callers} callers, seed ${c.seed}, ` +
    `maxSize ${c.maxSize}, clientLimit ${c.clientLimit}`,
    `  calls ${report.calls}, settled ${report.settled}: ${
      list(report.outcomes)
    }`,
    `  close under load (${c.closeCallers} callers): ${
      list(report.closeOutcomes)
    }${
      report.closeBurstMetOutage
        ? " (began during an outage: breaker open or failures scripted)"
        : ""
    }`,
    `  faults injected ${f.total}: create ${f.createFailures}, ready ${f.readyFailures}, hang ${f.hangs}, ` +
    `slow close ${f.slowCloses}, close throws ${f.closeThrows}, breaks ${f.breaks}`,
    `  connections: created ${pool?.connectionsCreated}, closed ${pool?.connectionsClosed}, failed opens ${pool?.opensFailed}; ` +
    `max open ${report.maxOpen}/${c.maxSize}, max creates ${report.maxCreatesInFlight}/${c.maxConcurrentCreates}, ` +
    `max callers on one ${report.maxCallersOnOne}/${c.clientLimit}`,
    `  wait: p50 ${report.waitP50Ms} ms, p99 ${report.waitP99Ms} ms (pool's window p99 ${
      report.statsAfterRun?.waitP99Ms.toFixed(1)
    } ms); latest settle past a deadline ${
      report.maxPastDeadlineMs.toFixed(0)
    } ms`,
    `  heap: before ${mb(report.heapBeforeBytes)}, after ${
      mb(report.heapAfterBytes)
    } (${heapDelta >= 0 ? "+" : ""}${mb(heapDelta)}; gc: ${report.gc})`,
    `  violations: ${
      report.violations.length === 0
        ? "none"
        : `\n    ${report.violations.join("\n    ")}`
    }`,
  ].join("\n");
}

// ---- fault profiles (issue 11) ----------------------------------------------

/** The fault profiles of `deno task soak --profile <name>`. */
export type ProfileName = "chaos" | "flaky" | "hung" | "outage";

/**
 * One profile run: one-shot callers started evenly over `overSeconds` (an
 * open loop: a slow pool does not slow the arrivals), each acquiring with
 * its deadline, holding the lease a random time, then releasing it.
 */
export interface ProfileConfig {
  profile: ProfileName;
  seed: number;
  /** Callers started, evenly spread over `overSeconds`. */
  callers: number;
  overSeconds: number;
  /** Longest time a caller holds its lease, in milliseconds. */
  holdMsMax: number;
  /** Each caller's acquire deadline. */
  acquireTimeoutSeconds: number;
  /** Every open's round trip, drawn from [min, max] ms, before its fault (if any) applies. */
  openMs: [number, number];
  createFailureRate: number;
  readyFailureRate: number;
  hangRate: number;
  /** How long a hang lasts; `undefined`: until the pool aborts it. */
  hangSeconds: number | undefined;
  closeThrowRate: number;
  /** Share of callers whose AbortSignal aborts at a random time before their deadline. */
  abortRate: number;
  /** Share of callers that invalidate their lease after using it. */
  invalidateRate: number;
  /** The service is fully down (opens refused, connections broken) over [downAtSeconds, upAtSeconds). */
  downAtSeconds: number | undefined;
  upAtSeconds: number | undefined;
  /** The pool's options that the profile sets; everything else is the pool's default. */
  pool: ConnectionPoolOptions;
}

const PROFILE_BASE: Omit<ProfileConfig, "profile" | "pool"> = {
  seed: 1,
  callers: 2_000,
  overSeconds: 2,
  holdMsMax: 20,
  acquireTimeoutSeconds: 2,
  openMs: [5, 15],
  createFailureRate: 0,
  readyFailureRate: 0,
  hangRate: 0,
  hangSeconds: undefined,
  closeThrowRate: 0,
  abortRate: 0,
  invalidateRate: 0,
  downAtSeconds: undefined,
  upAtSeconds: undefined,
};

/** 5 connections x 8 callers, far above the load of about 10 concurrent callers. */
const PROFILE_POOL: ConnectionPoolOptions = { maxSize: 5, clientLimit: 8 };

/** The workloads of issue 11, each with the pool's defaults except where it says. */
export const PROFILES: Record<ProfileName, ProfileConfig> = {
  /** Flaky but alive: 40% of opens refused. */
  flaky: {
    ...PROFILE_BASE,
    profile: "flaky",
    createFailureRate: 0.4,
    pool: PROFILE_POOL,
  },
  /** One open in four never answers (it ends only when aborted). */
  hung: {
    ...PROFILE_BASE,
    profile: "hung",
    acquireTimeoutSeconds: 1,
    hangRate: 0.25,
    pool: { ...PROFILE_POOL, maxConcurrentCreates: 2, maxLifespanSeconds: 0.5 },
  },
  /** Everything at once. */
  chaos: {
    ...PROFILE_BASE,
    profile: "chaos",
    createFailureRate: 0.25,
    readyFailureRate: 0.1,
    hangRate: 0.05,
    hangSeconds: 3,
    closeThrowRate: 0.1,
    abortRate: 0.1,
    invalidateRate: 0.05,
    pool: { ...PROFILE_POOL, maxLifespanSeconds: 1, maxIdleSeconds: 0.2 },
  },
  /** The service fully down for 2 s, then back. */
  outage: {
    ...PROFILE_BASE,
    profile: "outage",
    callers: 4_000,
    overSeconds: 4,
    downAtSeconds: 1,
    upAtSeconds: 3,
    pool: PROFILE_POOL,
  },
};

/** What one profile run saw. */
export interface ProfileReport {
  config: ProfileConfig;
  runtime: string;
  /** Callers by outcome: ok, aborted, ConnectionsExhausted, ConnectionFailed, break, PoolClosed. */
  outcomes: Record<string, number>;
  /** Served callers over callers that did not abort. */
  servedShare: number;
  /** Callers started while the service was down that failed: how long each took, in ms. */
  downFailures: number;
  timeToFailP50Ms: number;
  timeToFailP99Ms: number;
  /** From the service coming back to the first caller served after it, in ms (NaN if none). */
  firstServedAfterUpMs: number;
  /** Served callers over non-aborted callers started after the service came back. */
  servedAfterUpShare: number;
  /** Latest settle past a caller's own deadline, in ms. */
  maxPastDeadlineMs: number;
  maxOpen: number;
  maxCreatesInFlight: number;
  faults: FaultCounts;
  connector: ConnectorCounts;
  statsAfterRun: PoolStats | undefined;
  statsAfterClose: PoolStats | undefined;
  elapsedSeconds: number;
  violations: string[];
}

/** Puts a round trip in front of every create, so refused opens take time as real ones do. */
class Latency<C> implements Connector<C> {
  aborted = 0;
  constructor(
    private inner: Connector<C>,
    private ms: () => number,
  ) {}

  create(signal: AbortSignal): Promise<C> {
    return new Promise<C>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        this.aborted++;
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        this.inner.create(signal).then(resolve, reject);
      }, this.ms());
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  ready(connection: C, signal: AbortSignal): Promise<boolean | void> {
    return this.inner.ready(connection, signal);
  }

  close(connection: C): Promise<void> {
    return this.inner.close(connection);
  }
}

/**
 * Runs one fault profile and reports what it saw; never throws for a broken
 * promise (those go to `violations`).
 *
 * @param name The profile.
 * @param overrides Settings that differ from the profile's.
 * @param hooks The pool class to soak (default `ConnectionPool`).
 * @returns The report.
 */
export async function runProfile(
  name: ProfileName,
  overrides: Partial<ProfileConfig> = {},
  hooks: Pick<SoakHooks, "poolClass"> & { logger?: PoolLogger } = {},
): Promise<ProfileReport> {
  const config: ProfileConfig = { ...PROFILES[name], ...overrides };
  const random = seededRandom(config.seed);
  const violations: string[] = [];
  const violate = (message: string) => {
    if (violations.length < 20) violations.push(message);
  };
  const inner = new SoakInner(seededRandom(config.seed ^ 0x9e3779b9));
  const faulty = new FaultyConnector(inner, {
    createFailureRate: config.createFailureRate,
    readyFailureRate: config.readyFailureRate,
    hangRate: config.hangRate,
    hangSeconds: config.hangSeconds,
    closeThrowRate: config.closeThrowRate,
    random: seededRandom(config.seed ^ 0x85ebca6b),
  });
  const latencyRandom = seededRandom(config.seed ^ 0xc2b2ae35);
  const [openMin, openMax] = config.openMs;
  const connector = new Latency(
    faulty,
    () => openMin + Math.floor(latencyRandom() * (openMax - openMin + 1)),
  );
  const Pool = hooks.poolClass ?? ConnectionPool;
  const pool = new Pool(connector, {
    ...config.pool,
    acquireTimeoutSeconds: config.acquireTimeoutSeconds,
    isConnectionError: FaultyConnector.isInjectedBreak,
    name: `soak-${name}`,
    logger: hooks.logger,
  });
  const maxSize = config.pool.maxSize ?? 10;
  const clientLimit = config.pool.clientLimit ?? 100;

  const outcomes: Record<string, number> = {};
  const downFailMs: number[] = [];
  let downAt = Infinity;
  let upAt = Infinity;
  let firstServedAfterUp = Infinity;
  let maxPastDeadlineMs = 0;
  let afterUp = 0;
  let servedAfterUp = 0;

  const call = async (): Promise<void> => {
    const startedAt = performance.now();
    const deadline = startedAt + config.acquireTimeoutSeconds * 1000;
    const wasDown = faulty.isServiceDown;
    const wasUpAgain = startedAt >= upAt;
    let controller: AbortController | undefined;
    let abortTimer: ReturnType<typeof setTimeout> | undefined;
    if (random() < config.abortRate) {
      const c = controller = new AbortController();
      abortTimer = setTimeout(
        () => c.abort(),
        Math.floor(random() * config.acquireTimeoutSeconds * 1000),
      );
    }
    const invalidate = random() < config.invalidateRate;
    const holdMs = Math.floor(random() * (config.holdMsMax + 1));
    const signal = controller?.signal;
    let outcome: string;
    try {
      const lease = await pool.get({
        abortSignal: signal,
        acquireTimeoutSeconds: config.acquireTimeoutSeconds,
      });
      const leasedAt = performance.now();
      maxPastDeadlineMs = Math.max(maxPastDeadlineMs, leasedAt - deadline);
      const connection = lease.connection;
      if (connection.closed || !faulty.isOpen(connection)) {
        violate(`a caller got connection #${connection.id} after its close`);
      }
      if (lease.shared.currentClientCount > clientLimit) {
        violate(`connection #${connection.id} above clientLimit`);
      }
      try {
        await delay(holdMs);
        faulty.check(connection); // stands for the caller's operation
      } catch (error) {
        lease.invalidate();
        throw error;
      } finally {
        if (invalidate) lease.invalidate();
        else lease.release();
      }
      outcome = "ok";
      if (leasedAt >= upAt && leasedAt - upAt < firstServedAfterUp) {
        firstServedAfterUp = leasedAt - upAt;
      }
    } catch (error) {
      outcome = classifyError(error, signal, violate);
      const now = performance.now();
      if (outcome !== "break") {
        maxPastDeadlineMs = Math.max(maxPastDeadlineMs, now - deadline);
      }
      if (wasDown && outcome !== "aborted") downFailMs.push(now - startedAt);
    } finally {
      clearTimeout(abortTimer);
    }
    bump(outcomes, outcome);
    if (wasUpAgain && outcome !== "aborted") {
      afterUp++;
      if (outcome === "ok") servedAfterUp++;
    }
  };

  const sampler = setInterval(() => {
    const s = pool.stats();
    if (s.size > maxSize) violate(`size ${s.size} above maxSize ${maxSize}`);
    if (
      s.readyConnections + s.openingConnections + s.drainingConnections +
          s.closingConnections !== s.size
    ) {
      violate(`stats do not add up: ${JSON.stringify(s)}`);
    }
  }, 10);

  const runStart = performance.now();
  const timers: ReturnType<typeof setTimeout>[] = [];
  if (config.downAtSeconds !== undefined) {
    timers.push(setTimeout(() => {
      downAt = performance.now();
      faulty.serviceDown();
    }, config.downAtSeconds * 1000));
  }
  if (config.upAtSeconds !== undefined) {
    timers.push(setTimeout(() => {
      upAt = performance.now();
      faulty.serviceUp();
    }, config.upAtSeconds * 1000));
  }
  const calls: Promise<void>[] = [];
  const intervalMs = (config.overSeconds * 1000) / config.callers;
  while (calls.length < config.callers) {
    const due = Math.min(
      config.callers,
      Math.floor((performance.now() - runStart) / intervalMs) + 1,
    );
    while (calls.length < due) calls.push(call());
    await delay(1);
  }
  const settleMs = config.acquireTimeoutSeconds * 1000 + config.holdMsMax +
    15_000;
  if (!await within(Promise.all(calls), settleMs)) {
    violate(`callers had not settled ${settleMs} ms after the last started`);
  }
  for (const timer of timers) clearTimeout(timer);
  if (faulty.isServiceDown) faulty.serviceUp();
  const elapsedSeconds = (performance.now() - runStart) / 1000;
  clearInterval(sampler);
  const statsAfterRun = pool.stats();
  if (!await within(pool.close(), 30_000)) {
    violate("close() did not settle in 30 s");
  }
  if (!await within(faulty.whenIdle(), 15_000)) {
    violate(
      `the connector still had ${faulty.counts.inFlight} calls in flight`,
    );
  }
  await delay(0);
  const statsAfterClose = pool.stats();
  const counts = faulty.counts;
  checkClosed(statsAfterClose, counts, inner, maxSize, violate);
  const settled = Object.values(outcomes).reduce((a, b) => a + b, 0);
  if (settled !== config.callers) {
    violate(`${config.callers - settled} callers never settled`);
  }
  if (
    config.upAtSeconds !== undefined && downAt === Infinity
  ) violate("the service never went down");
  const nonAborted = config.callers - (outcomes.aborted ?? 0);
  downFailMs.sort((a, b) => a - b);
  return {
    config,
    runtime: runtimeName(),
    outcomes,
    servedShare: nonAborted === 0 ? NaN : (outcomes.ok ?? 0) / nonAborted,
    downFailures: downFailMs.length,
    timeToFailP50Ms: percentile(downFailMs, 50),
    timeToFailP99Ms: percentile(downFailMs, 99),
    firstServedAfterUpMs: firstServedAfterUp === Infinity
      ? NaN
      : firstServedAfterUp,
    servedAfterUpShare: afterUp === 0 ? NaN : servedAfterUp / afterUp,
    maxPastDeadlineMs,
    maxOpen: inner.maxOpen,
    maxCreatesInFlight: counts.maxCreatesInFlight,
    faults: faulty.faults,
    connector: counts,
    statsAfterRun,
    statsAfterClose,
    elapsedSeconds,
    violations,
  };
}

/**
 * A profile report as a few lines of text.
 *
 * @param report What {@linkcode runProfile} returned.
 * @returns Lines joined by newlines.
 */
export function formatProfileReport(report: ProfileReport): string {
  const { config: c, faults: f } = report;
  const s = report.statsAfterRun as
    | (PoolStats & Record<string, unknown>)
    | undefined;
  const ms = (n: number) => Number.isNaN(n) ? "n/a" : `${n.toFixed(0)} ms`;
  const lines = [
    `soak --profile ${c.profile} (${report.runtime}): seed ${c.seed}, ${c.callers} callers over ${c.overSeconds} s, ` +
    `deadline ${c.acquireTimeoutSeconds} s, ${
      report.elapsedSeconds.toFixed(1)
    } s`,
    `  served ${
      (report.servedShare * 100).toFixed(1)
    }% of non-aborted callers; ${list(report.outcomes)}`,
  ];
  if (c.downAtSeconds !== undefined) {
    lines.push(
      `  while down: ${report.downFailures} callers failed, time-to-fail p50 ${
        ms(report.timeToFailP50Ms)
      }, p99 ${ms(report.timeToFailP99Ms)}; first served ${
        ms(report.firstServedAfterUpMs)
      } after the service came back, then ${
        (report.servedAfterUpShare * 100).toFixed(1)
      }% of the callers that came later`,
    );
  }
  lines.push(
    `  faults ${f.total}: create ${f.createFailures}, ready ${f.readyFailures}, hang ${f.hangs}, ` +
      `close throws ${f.closeThrows}, breaks ${f.breaks}; opens failed ${s?.opensFailed}, ` +
      `created ${report.statsAfterClose?.connectionsCreated}; max open ${report.maxOpen}/${
        c.pool.maxSize ?? 10
      }, ` +
      `max creates ${report.maxCreatesInFlight}; latest settle past a deadline ${
        ms(report.maxPastDeadlineMs)
      }`,
    `  violations: ${
      report.violations.length === 0
        ? "none"
        : `\n    ${report.violations.join("\n    ")}`
    }`,
  );
  return lines.join("\n");
}
