/**
 * Checks of the operations' arguments (internal; never re-exported): each
 * throws a `TypeError` or `RangeError` that names the operation, the option
 * and the value, before any I/O.
 *
 * @module
 */

import { describeValue } from "../managed/_checks.ts";

/** The service's limit on a blob name's length. */
const MAX_NAME_LENGTH = 1024;

/**
 * Checks a blob name: a non-empty string of at most 1,024 characters.
 *
 * @param what The action, for the message.
 * @param value The name received.
 * @param option The argument's name.
 * @returns The name.
 * @throws {TypeError} When it is not a non-empty string.
 * @throws {RangeError} When it is longer than 1,024 characters.
 */
export function blobName(
  what: string,
  value: unknown,
  option = "blobName",
): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `Cannot ${what} as '${option}' must be a non-empty string: received ${
        describeValue(value)
      }`,
    );
  }
  if (value.length > MAX_NAME_LENGTH) {
    throw new RangeError(
      `Cannot ${what} as '${option}' must be at most ${MAX_NAME_LENGTH} characters: received ${value.length}`,
    );
  }
  return value;
}

/**
 * Checks an optional boolean option.
 *
 * @param what The action, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @throws {TypeError} When it is set and not a boolean.
 */
export function optionalBoolean(
  what: string,
  option: string,
  value: unknown,
): void {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TypeError(
      `Cannot ${what} as '${option}' must be a boolean: received ${
        describeValue(value)
      }`,
    );
  }
}

/**
 * Checks an optional string option.
 *
 * @param what The action, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @throws {TypeError} When it is set and not a string.
 */
export function optionalString(
  what: string,
  option: string,
  value: unknown,
): void {
  if (value !== undefined && typeof value !== "string") {
    throw new TypeError(
      `Cannot ${what} as '${option}' must be a string: received ${
        describeValue(value)
      }`,
    );
  }
}

/**
 * Checks an optional integer option within `[min, max]`.
 *
 * @param what The action, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @param min The smallest value allowed.
 * @param max The largest value allowed.
 * @throws {TypeError} When it is set and not a number.
 * @throws {RangeError} When it is not an integer in range.
 */
export function optionalInteger(
  what: string,
  option: string,
  value: unknown,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): void {
  if (value === undefined) return;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot ${what} as '${option}' must be an integer: received ${
        describeValue(value)
      }`,
    );
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot ${what} as '${option}' must be an integer from ${min}${
        max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`
      }: received ${value}`,
    );
  }
}

/**
 * Checks a metadata option: an object of string values.
 *
 * @param what The action, for the message.
 * @param value The value received.
 * @throws {TypeError} When it is set and not an object of strings.
 */
export function optionalMetadata(what: string, value: unknown): void {
  if (value === undefined) return;
  if (
    typeof value !== "object" || value === null || Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === "string")
  ) {
    throw new TypeError(
      `Cannot ${what} as 'metadata' must be an object of string values: received ${
        describeValue(value)
      }`,
    );
  }
}

/**
 * Checks a value against a list.
 *
 * @param what The action, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @param allowed The values allowed.
 * @throws {TypeError} When it is set and not one of them.
 */
export function optionalOneOf(
  what: string,
  option: string,
  value: unknown,
  allowed: readonly string[],
): void {
  if (value !== undefined && !allowed.includes(value as string)) {
    throw new TypeError(
      `Cannot ${what} as '${option}' must be ${
        allowed.map((a) => `"${a}"`).join(" or ")
      }: received ${
        typeof value === "string" ? JSON.stringify(value) : describeValue(value)
      }`,
    );
  }
}
