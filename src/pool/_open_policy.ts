/**
 * When the pool may open the next connection after failures, and when
 * callers stop waiting for one: a circuit breaker over the outcomes of opens,
 * kept apart from the mechanism (`_opener.ts`) so that it can be replaced
 * whole.
 *
 * ```
 *            opens keep failing for openAfterMs, enough of them in a row
 *  closed ───────────────────────────────────────────────────────▶ open
 *   ▲ ▲  (short, capped backoff between opens)      callers with no ready
 *   │ │                                             connection fail at once
 *   │ │ any open succeeds                                  │ probe due (probeMs,
 *   │ └────────────────────── half-open ◀──────────────────┘ jittered) and a
 *   │        one probe open, callers wait for it │           caller asked
 *   └────────────────────────────────────────────┘ the probe fails: open again
 * ```
 *
 * Why not a failure ratio over a window alone, as resilience4j and Polly
 * decide: a pool sees a handful of opens a minute, and over five opens a
 * service that refuses 40% of them fails four or more one time in eleven.
 * Here the evidence is a streak: opens failing with no success in between
 * for `openAfterMs` (they are retried every few tens of milliseconds
 * meanwhile), at least `minimumFailures` of them, and, for a service that
 * failed before, as many in a row as one failing as often as it did over its
 * previous 50 opens would produce less than once in a million streaks (16
 * for one that refuses 40% of opens; at most 20). A service that is down
 * produces that within about a second; a flaky one almost never.
 *
 * @module
 */

import { ConnectionFailed, RequestFailed } from "./errors.ts";
import type { PoolStats } from "./stats.ts";
import { errorName } from "./_logger.ts";

/** Where the breaker is: `closed` (opening as needed), `open` (failing fast), `half-open` (one probe in flight). */
export type BreakerState = PoolStats["breakerState"];

/** What the pool asks of an open policy; it tells the policy every open's start and outcome. */
export interface OpenPolicy {
  /** The breaker's state. */
  readonly state: BreakerState;
  /** The clock time before which no open may start: a backoff, or the next probe. */
  readonly nextOpenAt: number;
  /** The last open failure since the last success, for the callers' errors. */
  readonly lastError: unknown;
  /** The most recent open failure, even if opens succeeded since (for stats). */
  readonly lastFailure: unknown;
  /** An open starts at `now`; while the breaker is open it is the probe. */
  started(now: number): void;
  /** An open succeeded at `now`. */
  opened(now: number): void;
  /**
   * An open failed at `now`.
   *
   * @returns The delay before the next open may start, in ms (for the log).
   */
  failed(error: unknown, now: number): number;
  /**
   * Whether callers should get `ConnectionFailed` now rather than wait, given
   * that no connection is ready or opening.
   */
  failFast(now: number): boolean;
  /**
   * The error for a caller that fails fast; its message says why. A
   * `RequestFailed` from the connector (the service refused, rather than
   * failed) is given as is.
   */
  failure(
    poolId: string,
    what: string,
    now: number,
  ): ConnectionFailed | RequestFailed;
}

/** The breaker's settings, in milliseconds. */
export interface BreakerSettings {
  /** First delay between opens after a failure; doubles per failure in a row. */
  initialBackoffMs: number;
  /** Longest delay between opens while the breaker is closed. */
  maxBackoffMs: number;
  /** How long opens must keep failing, with no success, before the breaker opens. */
  openAfterMs: number;
  /** How many opens must fail in that time. */
  minimumFailures: number;
  /** While open, one probe per this long (jittered between half and all of it). */
  probeMs: number;
}

/** How many recent outcomes the failure message counts. */
const RECENT = 10;
/** How many outcomes before a streak estimate how often the service fails. */
const HISTORY = 50;
/** A streak must be this unlikely for the service's own failure rate. */
const EVIDENCE = 1e-6;
/** The longest streak ever required. */
const MAX_STREAK = 20;
/** Refusals in a row (a `RequestFailed` from the connector) that open the breaker. */
const REFUSALS_TO_TRIP = 2;

/**
 * A circuit breaker over opens (see the module's diagram). While closed, a
 * failed open is retried after a short exponential backoff with jitter, and
 * callers wait until their deadline. The breaker opens once opens have kept
 * failing, with no success in between, for `openAfterMs` and at least
 * `minimumFailures` of them failed: then callers with no ready connection
 * get `ConnectionFailed` at once, and a probe open runs every `probeMs`
 * (jittered) while callers keep asking. The first successful open closes it.
 */
export class CircuitBreaker implements OpenPolicy {
  readonly #settings: BreakerSettings;
  readonly #random: () => number;
  #state: BreakerState = "closed";
  #nextOpenAt = 0;
  #lastError: unknown = undefined;
  #lastFailure: unknown = undefined;
  /** Opens refused by the service (`RequestFailed`) in a row. */
  #refusals = 0;
  /** Failed opens since the last success, and when the first of them ended. */
  #failures = 0;
  #failingSince = NaN;
  #lastFailureAt = NaN;
  #lastSuccessAt = NaN;
  /** The last HISTORY + MAX_STREAK outcomes, true for a success, oldest first. */
  readonly #recent: boolean[] = [];

  /**
   * @param settings The breaker's settings.
   * @param random Jitter in [0, 1).
   */
  constructor(settings: BreakerSettings, random: () => number = Math.random) {
    this.#settings = settings;
    this.#random = random;
  }

  get state(): BreakerState {
    return this.#state;
  }

  get nextOpenAt(): number {
    return this.#nextOpenAt;
  }

  get lastError(): unknown {
    return this.#lastError;
  }

  get lastFailure(): unknown {
    return this.#lastFailure;
  }

  started(now: number): void {
    if (this.#state === "open") {
      this.#state = "half-open";
    } else if (
      this.#state === "closed" && this.#failures > 0 &&
      now - this.#lastFailureAt >
        Math.max(this.#settings.openAfterMs, 2 * this.#settings.maxBackoffMs)
    ) {
      // Nobody asked for an open for a while: the failures before are not a streak.
      this.#failures = 0;
      this.#failingSince = NaN;
    }
  }

  opened(now: number): void {
    this.#refusals = 0;
    this.#state = "closed";
    this.#failures = 0;
    this.#failingSince = NaN;
    this.#lastSuccessAt = now;
    this.#nextOpenAt = 0;
    this.#lastError = undefined;
    this.#remember(true);
  }

  failed(error: unknown, now: number): number {
    if (!(error instanceof RequestFailed)) this.#refusals = 0;
    this.#lastError = this.#lastFailure = error;
    this.#failures++;
    if (this.#failures === 1) this.#failingSince = now;
    this.#lastFailureAt = now;
    this.#remember(false);
    const { initialBackoffMs, maxBackoffMs, openAfterMs, minimumFailures } =
      this.#settings;
    if (error instanceof RequestFailed && this.#state !== "open") {
      // The service answered (a refused key, a missing entity): no streak
      // of evidence is needed. One refusal may be a passing one (a token
      // that expired in flight), so the next open starts at once; a second
      // in a row opens the breaker, and retrying before its probe would
      // only repeat the answer.
      if (++this.#refusals >= REFUSALS_TO_TRIP) this.#trip(now);
      else this.#nextOpenAt = now;
    } else if (this.#state === "half-open") {
      this.#trip(now);
    } else if (this.#state === "closed") {
      const ceiling = Math.min(
        maxBackoffMs,
        initialBackoffMs * 2 ** Math.min(this.#failures - 1, 30),
      );
      // Jittered (half to full ceiling) so that many pools do not retry in step.
      this.#nextOpenAt = now + ceiling * (0.5 + this.#random() / 2);
      if (
        this.#failures >= minimumFailures &&
        now - this.#failingSince >= openAfterMs &&
        this.#failures >= this.#streakNeeded()
      ) {
        this.#trip(now);
      }
    } // open: an open started before the breaker opened failed too; the probe stays due
    return Math.max(0, this.#nextOpenAt - now);
  }

  failFast(now: number): boolean {
    return this.#state === "open" && now < this.#nextOpenAt;
  }

  failure(
    poolId: string,
    what: string,
    now: number,
  ): ConnectionFailed | RequestFailed {
    const cause = this.#lastError ?? this.#lastFailure;
    // The service's own answer says more than the breaker's statistics.
    if (cause instanceof RequestFailed) return cause;
    const recent = this.#recent.slice(-RECENT);
    const failed = recent.filter((ok) => !ok).length;
    const evidence = `${failed} of the last ${recent.length} opens failed, ${
      Number.isNaN(this.#lastSuccessAt)
        ? "none has succeeded yet"
        : `the last success ${seconds(now - this.#lastSuccessAt)} s ago`
    }`;
    const state = this.#state === "open"
      ? `the circuit breaker is open (${evidence}; next probe in ${
        seconds(Math.max(0, this.#nextOpenAt - now))
      } s)`
      : `the circuit breaker is ${this.#state} (${evidence})`;
    return new ConnectionFailed(
      `Cannot acquire a connection from ${poolId}: ${what}; ${state}; last error ${
        errorName(cause)
      }`,
      { cause },
    );
  }

  #trip(now: number): void {
    this.#state = "open";
    this.#nextOpenAt = now +
      this.#settings.probeMs * (0.5 + this.#random() / 2);
  }

  /**
   * How many failures in a row are evidence that the service is down: as
   * unlikely as EVIDENCE for the failure rate seen before the streak; none
   * beyond the minimum for a service that had not failed before.
   */
  #streakNeeded(): number {
    const before = this.#recent.length - Math.min(
      this.#failures,
      this.#recent.length,
    );
    let failed = 0;
    let seen = 0;
    for (let i = before - 1; i >= 0 && seen < HISTORY; i--, seen++) {
      if (!this.#recent[i]) failed++;
    }
    if (failed === 0) return 0;
    return Math.min(
      MAX_STREAK,
      Math.ceil(Math.log(EVIDENCE) / Math.log(failed / seen)),
    );
  }

  #remember(ok: boolean): void {
    if (this.#recent.length === HISTORY + MAX_STREAK) this.#recent.shift();
    this.#recent.push(ok);
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(ms < 10_000 ? 2 : 0);
}
