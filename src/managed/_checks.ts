/**
 * Option checks shared by the managed clients (internal; never re-exported).
 *
 * Every check throws a `TypeError` or `RangeError` whose message names the
 * client and the option. Values that may be secrets (keys, connection
 * strings, or a string passed in the wrong place) are never echoed: a message
 * describes them ("a string of 87 characters") instead, and a log line labels
 * an error by its name and code, never its message.
 *
 * @module
 */

import { isTokenCredential, type TokenCredential } from "@azure/core-auth";
import { closest } from "../pool/_did_you_mean.ts";

/**
 * Describes a value for an error message without echoing strings, which may
 * be secrets passed in the wrong option.
 *
 * @param value The value received.
 * @returns A description such as `a string of 12 characters` or `42`.
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    return value.length === 0
      ? "an empty string"
      : `a string of ${value.length} characters`;
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "function") return "a function";
  return String(value);
}

/**
 * A short label for an error in a log line: its name and code, never its
 * message (which may quote a request).
 *
 * @param error The error.
 * @returns For example `ServiceBusError ServiceTimeout`.
 */
export function errorLabel(error: unknown): string {
  if (typeof error !== "object" || error === null) return String(error);
  const { name, code } = error as { name?: unknown; code?: unknown };
  return code === undefined ? String(name) : `${String(name)} ${String(code)}`;
}

/**
 * Checks a required, non-empty string option (a name, not a secret).
 *
 * @param owner The class being constructed, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @returns The string.
 * @throws {TypeError} When the value is not a non-empty string.
 */
export function requireName(
  owner: string,
  option: string,
  value: unknown,
): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' must be a non-empty string: received ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

/**
 * Checks a secret string option (a key or a connection string). Its value is
 * never echoed.
 *
 * @param owner The class being constructed, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @returns The string.
 * @throws {TypeError} When the value is not a non-empty string.
 */
export function requireSecret(
  owner: string,
  option: string,
  value: unknown,
): string {
  if (typeof value !== "string" || value.trim().length === 0) {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' must be a non-empty string: received ${
        typeof value === "string" ? "a blank string" : describeValue(value)
      }`,
    );
  }
  return value;
}

/**
 * Checks an absolute URL option whose protocol is one of `protocols`.
 *
 * @param owner The class being constructed, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @param protocols Allowed protocols with their colon, for example `["https:", "http:"]`.
 * @returns The parsed URL.
 * @throws {TypeError} When the value is missing, not a URL, or has another protocol.
 */
export function requireUrl(
  owner: string,
  option: string,
  value: unknown,
  protocols: readonly string[],
): URL {
  const expected = protocols.map((p) => `${p}//`).join(" or ");
  if (value === undefined || value === null || value === "") {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' is missing: pass an ${expected} URL`,
    );
  }
  let url: URL | undefined;
  if (typeof value === "string") {
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
  }
  if (url === undefined || !protocols.includes(url.protocol)) {
    // Users do swap arguments: a connection string here must not be echoed.
    const hint = typeof value === "string" && /key\s*=/i.test(value)
      ? " (it looks like a connection string: pass it as 'connectionString')"
      : "";
    throw new TypeError(
      `Cannot create ${owner} as '${option}' must be an absolute ${expected} URL: received ${
        url ? `a URL with protocol '${url.protocol}'` : describeValue(value)
      }${hint}`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' must not carry a user name or password`,
    );
  }
  return url;
}

/**
 * Checks that exactly one of the named options is set (not `undefined`), and
 * returns its name. Only option names appear in the message.
 *
 * @param owner The class being constructed, for the message.
 * @param options The options bag.
 * @param names The mutually exclusive option names.
 * @returns The name of the one option that is set.
 * @throws {TypeError} When none or more than one is set.
 */
export function exactlyOne<K extends string>(
  owner: string,
  options: Partial<Record<K, unknown>>,
  names: readonly K[],
): K {
  const given = names.filter((name) => options[name] !== undefined);
  if (given.length === 1) return given[0];
  const list = names.map((n) => `'${n}'`);
  const choices = `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}`;
  throw new TypeError(
    given.length === 0
      ? `Cannot create ${owner} as no credential was given: pass one of ${choices}`
      : `Cannot create ${owner} as only one of ${choices} may be given: received ${
        given.map((n) => `'${n}'`).join(" and ")
      }`,
  );
}

/**
 * Checks a `TokenCredential` option by shape (any object with `getToken`).
 *
 * @param owner The class being constructed, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @returns The credential.
 * @throws {TypeError} When the value has no `getToken` method.
 */
export function requireTokenCredential(
  owner: string,
  option: string,
  value: unknown,
): TokenCredential {
  if (!isTokenCredential(value)) {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' must be a TokenCredential (an object with a getToken method): received ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

/**
 * Checks a function option such as a factory.
 *
 * @param owner The class being constructed, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @returns The function.
 * @throws {TypeError} When the value is not a function.
 */
export function requireFunction<F extends (...args: never[]) => unknown>(
  owner: string,
  option: string,
  value: unknown,
): F {
  if (typeof value !== "function") {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' must be a function: received ${
        describeValue(value)
      }`,
    );
  }
  return value as F;
}

/**
 * Splits a `Name=value;Name=value` connection string into its fields (names
 * compared case-insensitively, stored lower-case). The string is never echoed.
 *
 * @param owner The class being constructed, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @param required Field names that must be present and non-empty.
 * @returns The fields, keyed by lower-case name.
 * @throws {TypeError} When the value is not a string or lacks a required field.
 */
export function parseConnectionString(
  owner: string,
  option: string,
  value: unknown,
  required: readonly string[],
): Map<string, string> {
  const text = requireSecret(owner, option, value);
  const fields = new Map<string, string>();
  for (const part of text.split(";")) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    fields.set(
      part.slice(0, at).trim().toLowerCase(),
      part.slice(at + 1).trim(),
    );
  }
  const missing = required.filter((name) => !fields.get(name.toLowerCase()));
  if (missing.length > 0) {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' lacks ${missing.join(" and ")}`,
    );
  }
  return fields;
}

/**
 * Checks that an options bag is an object (so that a missing bag gives a
 * clear message rather than a property-read crash) and, given `known`, that
 * it sets no other key.
 *
 * @param owner The class being constructed, for the message.
 * @param value The value received.
 * @param known Every key the bag may set; omit to skip that check.
 * @returns The options bag.
 * @throws {TypeError} When the value is not an object or sets an unknown key.
 */
export function requireOptions<T extends object>(
  owner: string,
  value: unknown,
  known?: readonly string[],
): T {
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      `Cannot create ${owner} as its options must be an object: received ${
        describeValue(value)
      }`,
    );
  }
  if (known !== undefined) rejectUnknownKeys(`create ${owner}`, value, known);
  return value as T;
}

/**
 * Checks that none of the named fields is set in a pass-through options bag
 * (for example an SDK options object that must not carry credentials, which
 * the client sets itself).
 *
 * @param owner The class being constructed, for the message.
 * @param option The name of the pass-through bag.
 * @param value The bag (may be `undefined`).
 * @param forbidden Field names the bag must not set.
 * @throws {TypeError} When the bag is not an object or sets a forbidden field.
 */
export function forbidFields(
  owner: string,
  option: string,
  value: unknown,
  forbidden: readonly string[],
): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' must be an object: received ${
        describeValue(value)
      }`,
    );
  }
  const set = forbidden.filter((name) =>
    (value as Record<string, unknown>)[name] !== undefined
  );
  if (set.length > 0) {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' must not set ${
        set.map((n) => `'${n}'`).join(" or ")
      }: the client sets it from its own options`,
    );
  }
}

/** Option names of 0.1 and the names that replaced them. */
const RENAMED_OPTIONS: Readonly<Record<string, string>> = {
  dbname: "databaseName",
  clientLifespanSeconds: "maxLifespanSeconds",
  timeoutSeconds: "acquireTimeoutSeconds",
  signal: "abortSignal",
};

/**
 * Checks that an options bag sets no key outside `known` (a misspelt option
 * is otherwise silently ignored). The message lists the known keys, names
 * the replacement of a 0.1 name, and suggests a close known key (differing
 * in case, extending the unknown one, or a typo away: `delay` →
 * `delaySeconds`, `containerNmae` → `containerName`).
 *
 * @param what The action that failed, for the message ("create ManagedCosmos",
 * "send a message").
 * @param options The options bag (may be `undefined`).
 * @param known The keys the bag may set.
 * @throws {TypeError} When the bag is not an object or sets an unknown key.
 */
export function rejectUnknownKeys(
  what: string,
  options: unknown,
  known: readonly string[],
): void {
  if (options === undefined) return;
  if (
    typeof options !== "object" || options === null || Array.isArray(options)
  ) {
    throw new TypeError(
      `Cannot ${what} as its options must be an object: received ${
        describeValue(options)
      }`,
    );
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const renamed = RENAMED_OPTIONS[key];
    const suggestion = renamed !== undefined && known.includes(renamed)
      ? renamed
      : closest(key, known);
    const hint = suggestion === undefined
      ? ""
      : renamed === suggestion
      ? ` (it was renamed '${renamed}')`
      : ` (did you mean '${suggestion}'?)`;
    throw new TypeError(
      `Cannot ${what} as '${key}' is not an option${hint}: known options are ${
        known.join(", ")
      }`,
    );
  }
}

/**
 * Copies the keys of `options` that are in `keys` (so that a connector gets
 * its connection fields and not the pool's).
 *
 * @param options The options bag.
 * @param keys The keys to copy.
 * @returns A new object with those keys that `options` sets.
 */
export function pick<T extends object>(
  options: T,
  keys: readonly string[],
): Partial<T> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked as Partial<T>;
}

/**
 * Types a list of every key of `T`: compiling fails when a key of `T` is
 * missing from the list, so a new option cannot be forgotten by the
 * unknown-key check.
 *
 * @typeParam T The options type.
 * @returns A function that returns its argument, typed.
 */
export function keysOf<T>(): <const K extends readonly (keyof T & string)[]>(
  keys: K & AllKeys<T, K>,
) => readonly string[] {
  return (keys) => keys;
}

/** `unknown` when `K` lists every key of `T`, otherwise a type naming the missing ones. */
type AllKeys<T, K extends readonly unknown[]> =
  [Exclude<keyof T, K[number]>] extends [never] ? unknown
    : { missingKeys: Exclude<keyof T, K[number]> };

/** A shared credential or a factory of one, as the options gave them. */
export interface CredentialChoice<C> {
  /** A credential shared by every client, never closed by the library. */
  credential: C | undefined;
  /** Makes one credential per client; the client closes it. */
  credentialFactory: (() => C | Promise<C>) | undefined;
}

/**
 * Reads `credential` or `credentialFactory`, whichever `auth` names, and
 * checks it (a credential by shape, a factory as a function).
 *
 * @param owner The class being constructed, for messages.
 * @param auth The credential option that was given (from {@linkcode exactlyOne}).
 * @param options The options bag.
 * @param check Checks a credential by shape, or throws a `TypeError`.
 * @returns The credential or the factory; both `undefined` for another `auth`.
 * @throws {TypeError} When the credential or the factory is invalid.
 */
export function credentialChoice<C>(
  owner: string,
  auth: string,
  options: { credential?: unknown; credentialFactory?: unknown },
  check: (owner: string, option: string, value: unknown) => C,
): CredentialChoice<C> {
  return {
    credential: auth === "credential"
      ? check(owner, "credential", options.credential)
      : undefined,
    credentialFactory: auth === "credentialFactory"
      ? requireFunction(owner, "credentialFactory", options.credentialFactory)
      : undefined,
  };
}

/**
 * Refuses an endpoint option next to a connection string, which carries the
 * endpoint itself.
 *
 * @param owner The class being constructed, for messages.
 * @param option The endpoint option (`endpoint`, `namespace`).
 * @param value Its value.
 * @throws {TypeError} When the endpoint option is set too.
 */
export function refuseWithConnectionString(
  owner: string,
  option: string,
  value: unknown,
): void {
  if (value !== undefined) {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' and 'connectionString' were both given: the connection string carries the endpoint`,
    );
  }
}
