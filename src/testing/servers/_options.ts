/**
 * Option checks of the local servers (internal): every message names the
 * function called and the option, and describes the value received.
 *
 * @module
 */

/**
 * Describes a value for an error message.
 *
 * @param value The value received.
 * @returns For example `"orders"`, `42` or `an object`.
 */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "function") return "a function";
  return String(value);
}

/**
 * Checks that `given` is an options object with known keys only.
 *
 * @param owner The function called, for the message.
 * @param given The options received.
 * @param known The option names.
 * @returns The options.
 * @throws {TypeError} When `given` is not an object or has an unknown key.
 */
export function checkOptions<T extends object>(
  owner: string,
  given: unknown,
  known: readonly string[],
): Partial<T> {
  if (given === undefined) return {};
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new TypeError(
      `Cannot start ${owner} as its options must be an object: received ${
        describe(given)
      }`,
    );
  }
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `Cannot start ${owner}: unknown option '${key}' (known: ${
          known.join(", ")
        })`,
      );
    }
  }
  return given as Partial<T>;
}

/**
 * Checks a list of entity names.
 *
 * @param owner The function called, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @returns The names.
 * @throws {TypeError} When it is not an array of non-empty strings.
 */
export function checkNames(
  owner: string,
  option: string,
  value: unknown,
): string[] {
  if (value === undefined) return [];
  if (
    !Array.isArray(value) ||
    !value.every((name) => typeof name === "string" && name.length > 0)
  ) {
    throw new TypeError(
      `Cannot start ${owner} as '${option}' must be an array of non-empty strings: received ${
        describe(value)
      }`,
    );
  }
  return [...value];
}

/**
 * Checks a latency in seconds (a local server's `latencySeconds`, or the
 * argument of its `setLatency`).
 *
 * @param action What was attempted, for the message (`start startLocalCosmos`).
 * @param option The option's or argument's name.
 * @param value The value received.
 * @returns The latency.
 * @throws {RangeError} When it is not a finite number >= 0.
 */
export function checkLatencySeconds(
  action: string,
  option: string,
  value: unknown,
): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot ${action} as '${option}' must be a finite number of seconds >= 0: received ${
        describe(value)
      }`,
    );
  }
  return value;
}

/**
 * Checks a server's `latencySeconds` option, when given.
 *
 * @param owner The function called, for the message (`startLocalCosmos`).
 * @param value The option's value, or `undefined`.
 * @returns The latency, or `undefined` for none.
 * @throws {RangeError} When it is not a finite number >= 0.
 */
export function checkLatencyOption(
  owner: string,
  value: unknown,
): number | undefined {
  return value === undefined
    ? undefined
    : checkLatencySeconds(`start ${owner}`, "latencySeconds", value);
}
