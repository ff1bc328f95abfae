/**
 * Validation of the pool's options: once, at construction, so a bad option
 * (`clientLimit: 0`, `maxSize: -1`, `NaN`, a fraction where a count is meant)
 * throws before any work, with a message that names the option and the value
 * received.
 *
 * @module
 */

import { type Clock, systemClock } from "./clock.ts";
import { didYouMean } from "./_did_you_mean.ts";
import type {
  ConnectionPoolOptions,
  GetOptions,
  PoolLogger,
} from "./options.ts";
import type { PoolMeter } from "./meter.ts";

/** The options after defaults, with durations in milliseconds. */
export interface ResolvedOptions {
  clientLimit: number;
  maxSize: number;
  minReady: number;
  maxIdleMs: number;
  maxLifespanMs: number;
  maxConcurrentCreates: number;
  acquireTimeoutMs: number;
  maxWaitingCallers: number;
  createTimeoutMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  breakerOpenAfterMs: number;
  breakerMinimumFailures: number;
  breakerProbeMs: number;
  lifespanJitter: number;
  isConnectionError: ((error: unknown) => boolean) | undefined;
  logger: PoolLogger | undefined;
  meter: PoolMeter | undefined;
  name: string | undefined;
  clock: Clock;
}

export const KNOWN_OPTIONS: ReadonlySet<string> = new Set<string>([
  "clientLimit",
  "maxSize",
  "minReady",
  "maxIdleSeconds",
  "maxLifespanSeconds",
  "maxConcurrentCreates",
  "acquireTimeoutSeconds",
  "maxWaitingCallers",
  "createTimeoutSeconds",
  "initialBackoffSeconds",
  "maxBackoffSeconds",
  "breakerOpenAfterSeconds",
  "breakerMinimumFailures",
  "breakerProbeSeconds",
  "lifespanJitter",
  "isConnectionError",
  "logger",
  "meter",
  "name",
  "clock",
]);

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "a function";
  if (typeof value === "object" && value !== null) {
    return Array.isArray(value) ? "an array" : "an object";
  }
  return String(value);
}

/**
 * Throws the error for a bad option: a `RangeError` for a number out of range
 * (`numeric` checks), a `TypeError` for a value of the wrong type.
 */
function fail(
  what: string,
  option: string,
  expected: string,
  value: unknown,
  numeric = false,
): never {
  const message =
    `Cannot ${what} as '${option}' must be ${expected}: received ${
      describe(value)
    }`;
  throw numeric && typeof value === "number"
    ? new RangeError(message)
    : new TypeError(message);
}

/**
 * A count option: a safe integer of at least `min` (1 unless given), or its
 * default when `undefined`.
 *
 * @param what The action that failed, for the message ("create ConnectionPool").
 * @param option The option's name.
 * @param value The value received.
 * @param fallback The default.
 * @param min The smallest value allowed: 1, or 0 for counts that may be 0.
 * @returns The validated value.
 */
export function positiveInteger(
  what: string,
  option: string,
  value: unknown,
  fallback: number,
  min: 0 | 1 = 1,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" || !Number.isSafeInteger(value) || value < min
  ) {
    fail(
      what,
      option,
      min === 1 ? "a positive integer" : "a non-negative integer",
      value,
      true,
    );
  }
  return value;
}

/**
 * A duration option in seconds: a positive finite number (fractions allowed),
 * returned in milliseconds; its default when `undefined`.
 *
 * @param what The action that failed, for the message ("create ConnectionPool").
 * @param option The option's name.
 * @param value The value received.
 * @param fallbackSeconds The default in seconds.
 * @returns The duration in milliseconds.
 */
export function positiveSeconds(
  what: string,
  option: string,
  value: unknown,
  fallbackSeconds: number,
): number {
  if (value === undefined) return fallbackSeconds * 1000;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value <= 0 ||
    value * 1000 > 2 ** 31 - 1
  ) {
    fail(
      what,
      option,
      "a positive number of seconds below 2147483",
      value,
      true,
    );
  }
  return value * 1000;
}

/**
 * A count option that may be 0 (see {@linkcode positiveInteger}).
 *
 * @param what The action that failed, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @param fallback The default.
 * @returns The validated value.
 */
export function nonNegativeInteger(
  what: string,
  option: string,
  value: unknown,
  fallback: number,
): number {
  return positiveInteger(what, option, value, fallback, 0);
}

/** A share in `[0, 1)`, or its default when `undefined`. */
function fraction(
  what: string,
  option: string,
  value: unknown,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0 && value < 1)) {
    fail(what, option, "a number from 0 up to (not including) 1", value, true);
  }
  return value;
}

function optionalFunction<F>(
  what: string,
  option: string,
  value: unknown,
): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "function") {
    fail(what, option, "a function", value);
  }
  return value as F;
}

function hasMethods(value: unknown, methods: string[]): boolean {
  return typeof value === "object" && value !== null &&
    methods.every((m) =>
      typeof (value as Record<string, unknown>)[m] === "function"
    );
}

/**
 * Applies defaults to, and validates, a pool's options.
 *
 * @param options The options as given.
 * @param owner The class the user constructed, for messages: a managed client
 * validates its pool's options under its own name ("Cannot create
 * ManagedCosmos as ...").
 * @returns The resolved options.
 * @throws {TypeError} For an unknown option or a value of the wrong type.
 * @throws {RangeError} For a number out of range.
 */
export function resolvePoolOptions(
  options: ConnectionPoolOptions | undefined,
  owner = "ConnectionPool",
): ResolvedOptions {
  const what = `create ${owner}`;
  if (options === undefined) options = {};
  if (
    typeof options !== "object" || options === null || Array.isArray(options)
  ) {
    throw new TypeError(
      `Cannot ${what} as 'options' must be an object: received ${
        describe(options)
      }`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new TypeError(
        `Cannot ${what} as '${key}' is not an option${
          didYouMean(key, [...KNOWN_OPTIONS])
        }: known options are ${[...KNOWN_OPTIONS].join(", ")}`,
      );
    }
  }
  const clientLimit = positiveInteger(
    what,
    "clientLimit",
    options.clientLimit,
    100,
  );
  const maxSize = positiveInteger(what, "maxSize", options.maxSize, 10);
  const maxConcurrentCreates = positiveInteger(
    what,
    "maxConcurrentCreates",
    options.maxConcurrentCreates,
    Math.max(1, Math.floor(maxSize / 3)),
  );
  if (maxConcurrentCreates > maxSize) {
    throw new RangeError(
      `Cannot ${what} as 'maxConcurrentCreates' must not exceed maxSize (${maxSize}): received ${maxConcurrentCreates}`,
    );
  }
  const maxLifespanMs = options.maxLifespanSeconds === undefined
    ? Infinity
    : positiveSeconds(
      what,
      "maxLifespanSeconds",
      options.maxLifespanSeconds,
      0,
    );
  const initialBackoffMs = positiveSeconds(
    what,
    "initialBackoffSeconds",
    options.initialBackoffSeconds,
    0.01,
  );
  // Without maxBackoffSeconds, a longer initialBackoffSeconds is the cap.
  const maxBackoffMs = positiveSeconds(
    what,
    "maxBackoffSeconds",
    options.maxBackoffSeconds,
    Math.max(0.1, initialBackoffMs / 1000),
  );
  if (maxBackoffMs < initialBackoffMs) {
    throw new RangeError(
      `Cannot ${what} as 'maxBackoffSeconds' must be at least initialBackoffSeconds (${
        initialBackoffMs / 1000
      }): received ${maxBackoffMs / 1000}`,
    );
  }
  if (
    options.logger !== undefined &&
    !hasMethods(options.logger, ["error", "warning", "info", "verbose"])
  ) {
    fail(
      what,
      "logger",
      "an object with error, warning, info and verbose methods",
      options.logger,
    );
  }
  const minReady = nonNegativeInteger(what, "minReady", options.minReady, 0);
  if (minReady > maxSize) {
    throw new RangeError(
      `Cannot ${what} as 'minReady' must not exceed maxSize (${maxSize}): received ${minReady}`,
    );
  }
  if (
    options.meter !== undefined &&
    !hasMethods(options.meter, [
      "createCounter",
      "createUpDownCounter",
      "createHistogram",
    ])
  ) {
    fail(
      what,
      "meter",
      "an object with createCounter, createUpDownCounter and createHistogram methods",
      options.meter,
    );
  }
  if (
    options.clock !== undefined &&
    !hasMethods(options.clock, ["now", "setTimeout", "clearTimeout"])
  ) {
    fail(
      what,
      "clock",
      "an object with now, setTimeout and clearTimeout methods",
      options.clock,
    );
  }
  if (
    options.name !== undefined &&
    (typeof options.name !== "string" || options.name === "")
  ) {
    fail(what, "name", "a non-empty string", options.name);
  }
  return {
    clientLimit,
    maxSize,
    minReady,
    // Infinity: never retired for idleness (an HTTP client's pool).
    maxIdleMs: options.maxIdleSeconds === Infinity ? Infinity : positiveSeconds(
      what,
      "maxIdleSeconds",
      options.maxIdleSeconds,
      300,
    ),
    maxLifespanMs,
    maxConcurrentCreates,
    acquireTimeoutMs: positiveSeconds(
      what,
      "acquireTimeoutSeconds",
      options.acquireTimeoutSeconds,
      60,
    ),
    maxWaitingCallers: nonNegativeInteger(
      what,
      "maxWaitingCallers",
      options.maxWaitingCallers,
      Infinity,
    ),
    createTimeoutMs: positiveSeconds(
      what,
      "createTimeoutSeconds",
      options.createTimeoutSeconds,
      30,
    ),
    initialBackoffMs,
    maxBackoffMs,
    breakerOpenAfterMs: positiveSeconds(
      what,
      "breakerOpenAfterSeconds",
      options.breakerOpenAfterSeconds,
      0.5,
    ),
    breakerMinimumFailures: positiveInteger(
      what,
      "breakerMinimumFailures",
      options.breakerMinimumFailures,
      5,
    ),
    breakerProbeMs: positiveSeconds(
      what,
      "breakerProbeSeconds",
      options.breakerProbeSeconds,
      0.5,
    ),
    lifespanJitter: fraction(
      what,
      "lifespanJitter",
      options.lifespanJitter,
      0.1,
    ),
    isConnectionError: optionalFunction(
      what,
      "isConnectionError",
      options.isConnectionError,
    ),
    logger: options.logger,
    meter: options.meter,
    name: options.name,
    clock: options.clock ?? systemClock,
  };
}

/** Acquire options of 0.1 and the names that replaced them. */
const RENAMED_GET_OPTIONS: Record<string, string | undefined> = {
  signal: "abortSignal",
  timeoutSeconds: "acquireTimeoutSeconds",
};

/**
 * Validates one acquire's options and returns its timeout in milliseconds.
 *
 * @param options The options as given.
 * @param fallbackMs The pool's acquire timeout.
 * @returns The timeout in milliseconds.
 * @throws {TypeError} For a signal that is not an AbortSignal.
 * @throws {RangeError} For a bad timeout.
 */
export function resolveGetTimeout(
  options: GetOptions,
  fallbackMs: number,
): number {
  if (
    typeof options !== "object" || options === null || Array.isArray(options)
  ) {
    throw new TypeError(
      `Cannot acquire a connection as 'options' must be an object: received ${
        describe(options)
      }`,
    );
  }
  for (const key in options) {
    if (key !== "abortSignal" && key !== "acquireTimeoutSeconds") {
      const renamed = RENAMED_GET_OPTIONS[key];
      throw new TypeError(
        renamed === undefined
          ? `Cannot acquire a connection as '${key}' is not an option${
            didYouMean(key, ["abortSignal", "acquireTimeoutSeconds"])
          }: known options are abortSignal, acquireTimeoutSeconds`
          : `Cannot acquire a connection as '${key}' is not an option: it was renamed '${renamed}'`,
      );
    }
  }
  const { abortSignal: signal, acquireTimeoutSeconds: timeoutSeconds } =
    options;
  if (
    signal !== undefined &&
    (typeof signal !== "object" || signal === null ||
      typeof signal.aborted !== "boolean")
  ) {
    throw new TypeError(
      `Cannot acquire a connection as 'abortSignal' must be an AbortSignal: received ${
        describe(signal)
      }`,
    );
  }
  if (timeoutSeconds === undefined) return fallbackMs;
  return positiveSeconds(
    "acquire a connection",
    "acquireTimeoutSeconds",
    timeoutSeconds,
    0,
  );
}
