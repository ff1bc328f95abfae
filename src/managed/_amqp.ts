/**
 * What the Service Bus and Event Hubs clients share (internal; never
 * re-exported): where the namespace is and how to authenticate, the
 * classification of AMQP errors, and a bounded close.
 *
 * @module
 */

import {
  isNamedKeyCredential,
  isSASCredential,
  isTokenCredential,
} from "@azure/core-auth";
import { bound, isTimeoutError } from "../pool/_bound.ts";
import type { AmqpConnectionOptions, AmqpCredential } from "./amqp_options.ts";
import { logger } from "./log.ts";
import {
  type CredentialChoice,
  credentialChoice,
  describeValue,
  errorLabel,
  exactlyOne,
  forbidFields,
  keysOf,
  parseConnectionString,
  refuseWithConnectionString,
  requireName,
  requireOptions,
} from "./_checks.ts";
import { closeCredential } from "./_credentials.ts";

/** Every key of {@linkcode AmqpConnectionOptions}. */
const AMQP_CONNECTION_KEYS = keysOf<AmqpConnectionOptions<unknown>>()([
  "namespace",
  "connectionString",
  "credential",
  "credentialFactory",
  "clientOptions",
  "closeTimeoutSeconds",
]);

/**
 * The keys of a service's connection options: the shared ones and its entity.
 *
 * @param entityOption `"queueName"` or `"eventHubName"`.
 * @returns The keys.
 */
export function amqpConnectionKeys(
  entityOption: EntityOption,
): readonly string[] {
  return [...AMQP_CONNECTION_KEYS, entityOption];
}

/** The option that names a service's entity. */
export type EntityOption = "queueName" | "topicName" | "eventHubName";

function requireCredential(
  owner: string,
  option: string,
  value: unknown,
): AmqpCredential {
  if (
    !isTokenCredential(value) && !isNamedKeyCredential(value) &&
    !isSASCredential(value)
  ) {
    throw new TypeError(
      `Cannot create ${owner} as '${option}' must be a TokenCredential, NamedKeyCredential or SASCredential: received ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint.replace(/^sb:\/\//i, "https://")).host;
  } catch {
    return "the namespace";
  }
}

/**
 * The resolved options of a Service Bus or Event Hubs client; the connection
 * string is kept out of logs.
 */
export interface ResolvedAmqpClient<O>
  extends CredentialChoice<AmqpCredential> {
  /** The namespace host (and port), safe to log. */
  host: string;
  /** The entity (queue or event hub) name. */
  entity: string;
  /** The fully qualified namespace, with a credential. */
  namespace: string | undefined;
  /** The connection string (a secret), without a credential. */
  connectionString: string | undefined;
  /** Passed to every SDK client. */
  clientOptions: O;
  /** How long closing one SDK client may take. */
  closeTimeoutMs: number;
}

/**
 * Checks the options of a Service Bus or Event Hubs client. Exactly one of
 * `connectionString`, `credential` or `credentialFactory` is given;
 * `namespace` comes with a credential; the entity comes from its option or
 * the connection string's `EntityPath` (both must agree);
 * `closeTimeoutSeconds` defaults to 10.
 *
 * @param owner The class being constructed, for messages.
 * @param given The options bag.
 * @param entityOption `"queueName"` or `"eventHubName"`.
 * @param moreKeys The keys the bag may set besides the connection's (a
 * managed client's pool options).
 * @returns The resolved options.
 * @throws {TypeError} When an option is missing, unknown, invalid, or
 * conflicts with another (messages name options, never echo a key or
 * connection string).
 * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
 */
export function resolveAmqpClient<O extends object>(
  owner: string,
  given: unknown,
  entityOption: EntityOption,
  moreKeys: readonly string[] = [],
): ResolvedAmqpClient<O> {
  const options = requireOptions<
    AmqpConnectionOptions<O> & Record<string, unknown>
  >(owner, given, [...amqpConnectionKeys(entityOption), ...moreKeys]);
  const auth = exactlyOne(owner, options, [
    "connectionString",
    "credential",
    "credentialFactory",
  ]);
  forbidFields(owner, "clientOptions", options.clientOptions, []);
  const common = {
    clientOptions: options.clientOptions ?? ({} as O),
    closeTimeoutMs: positiveSecondsMs(
      owner,
      "closeTimeoutSeconds",
      options.closeTimeoutSeconds,
      10,
    ),
  };
  let entity = options[entityOption] === undefined
    ? undefined
    : requireName(owner, entityOption, options[entityOption]);
  if (auth === "connectionString") {
    refuseWithConnectionString(owner, "namespace", options.namespace);
    const fields = parseConnectionString(
      owner,
      "connectionString",
      options.connectionString,
      ["Endpoint"],
    );
    if (!fields.get("sharedaccesssignature")) {
      const missing = ["SharedAccessKeyName", "SharedAccessKey"].filter((
        name,
      ) => !fields.get(name.toLowerCase()));
      if (missing.length > 0) {
        throw new TypeError(
          `Cannot create ${owner} as 'connectionString' lacks ${
            missing.join(" and ")
          } (give SharedAccessKeyName and SharedAccessKey, or SharedAccessSignature)`,
        );
      }
    }
    const endpoint = fields.get("endpoint")!.trim();
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(endpoint)?.[1];
    if (scheme?.toLowerCase() !== "sb") {
      throw new TypeError(
        `Cannot create ${owner} as the connection string's Endpoint must be an sb:// address (the AMQP namespace, for example sb://myns.servicebus.windows.net/): received ${
          scheme === undefined ? "no scheme" : `${scheme}://`
        } for host ${
          hostOf(endpoint.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "sb://"))
        }`,
      );
    }
    const host = hostOf(endpoint);
    const entityPath = fields.get("entitypath");
    if (entity !== undefined && entityPath && entityPath !== entity) {
      throw new TypeError(
        `Cannot create ${owner} as '${entityOption}' (${entity}) differs from the connection string's EntityPath (${entityPath})`,
      );
    }
    entity ??= entityPath || undefined;
    if (entity === undefined) {
      throw new TypeError(
        `Cannot create ${owner} as '${entityOption}' is missing and the connection string has no EntityPath`,
      );
    }
    return {
      ...common,
      host,
      entity,
      namespace: undefined,
      connectionString: options.connectionString,
      credential: undefined,
      credentialFactory: undefined,
    };
  }
  const namespace = options.namespace;
  if (typeof namespace !== "string" || namespace.trim() === "") {
    throw new TypeError(
      `Cannot create ${owner} as 'namespace' must be the fully qualified namespace (for example 'myns.servicebus.windows.net') when '${auth}' is given: received ${
        describeValue(namespace)
      }`,
    );
  }
  if (/[;=\s]/.test(namespace)) {
    // A connection string in the wrong option must not be echoed.
    throw new TypeError(
      `Cannot create ${owner} as 'namespace' must be a host name such as 'myns.servicebus.windows.net', not a connection string: received ${
        describeValue(namespace)
      }`,
    );
  }
  if (entity === undefined) {
    throw new TypeError(
      `Cannot create ${owner} as '${entityOption}' must be a non-empty string: received undefined`,
    );
  }
  return {
    ...common,
    host: hostOf(`sb://${namespace.replace(/^sb:\/\//i, "")}`),
    entity,
    namespace,
    connectionString: undefined,
    ...credentialChoice(owner, auth, options, requireCredential),
  };
}

/**
 * Makes the credential for one client: the shared one, or a new one from the
 * factory (checked by shape).
 *
 * @param owner The class, for messages.
 * @param settings The resolved connection.
 * @returns The credential (`undefined` with a connection string) and whether
 * the client owns it.
 * @throws {TypeError} When the factory returns something that is not a
 * credential.
 */
export async function credentialFor(
  owner: string,
  settings: CredentialChoice<AmqpCredential>,
): Promise<{ credential: AmqpCredential | undefined; owned: boolean }> {
  if (settings.credentialFactory === undefined) {
    return { credential: settings.credential, owned: false };
  }
  const made = await settings.credentialFactory();
  return {
    credential: requireCredential(owner, "credentialFactory()", made),
    owned: true,
  };
}

// ---- close and operation checks ------------------------------------------

/**
 * Checks an optional positive number of seconds.
 *
 * @param owner The class, for the message.
 * @param option The option's name.
 * @param value The value received.
 * @param fallback The default.
 * @returns The value in milliseconds.
 * @throws {RangeError} When the value is not a positive finite number.
 */
export function positiveSecondsMs(
  owner: string,
  option: string,
  value: unknown,
  fallback: number,
): number {
  const seconds = value ?? fallback;
  if (
    typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0
  ) {
    const message =
      `Cannot create ${owner} as '${option}' must be a positive number of seconds: received ${
        describeValue(seconds)
      }`;
    throw typeof seconds === "number"
      ? new RangeError(message)
      : new TypeError(message);
  }
  return seconds * 1000;
}

/**
 * The retry options object of one SDK client. The SDKs keep a reference to
 * the object they were given (`clientOptions.retryOptions`) and read it at
 * the start of every operation, so {@linkcode withoutRetries} can lower
 * `maxRetries` for a readiness probe alone.
 */
export interface OwnRetryOptions {
  maxRetries?: number;
}

/**
 * Gives one SDK client its own copy of the user's retry options.
 *
 * @param clientOptions The user's client options.
 * @returns The options for the SDK constructor, and their retry options
 * object (the one the SDK will read).
 */
export function withOwnRetryOptions<O extends { retryOptions?: object }>(
  clientOptions: O,
): { options: O; retries: OwnRetryOptions } {
  const retries: OwnRetryOptions = { ...clientOptions.retryOptions };
  return { options: { ...clientOptions, retryOptions: retries }, retries };
}

/**
 * Runs a readiness probe with the SDK's own retries off: one attempt, so
 * that a refused connection fails in milliseconds with its real error
 * instead of sleeping `retryDelayInMs` (30 s by default) between attempts,
 * and the pool's bounds (its create timeout, its backoff) are the ones that
 * hold. The user's `maxRetries` is back when the probe settles; nobody else
 * uses a client during its probe.
 *
 * @typeParam T What the probe resolves to.
 * @param retries The client's own retry options (from
 * {@linkcode withOwnRetryOptions}).
 * @param probe The readiness operation.
 * @returns What the probe resolved to.
 */
export async function withoutRetries<T>(
  retries: OwnRetryOptions,
  probe: () => Promise<T>,
): Promise<T> {
  const had = Object.hasOwn(retries, "maxRetries");
  const saved = retries.maxRetries;
  retries.maxRetries = 0;
  try {
    return await probe();
  } finally {
    if (had) retries.maxRetries = saved;
    else delete retries.maxRetries;
  }
}

/** What this library reads of an SDK client's rhea-promise connection. */
interface AmqpTransport {
  getTlsSocket?: () => Destroyable | undefined;
  _connection?: { socket?: Destroyable };
}

interface Destroyable {
  destroyed?: boolean;
  destroy?: (error?: Error) => void;
}

/**
 * Destroys the socket of an SDK client's AMQP connection, if it has one.
 *
 * The SDKs' `close()` does nothing to a connection that never opened
 * (rhea-promise resolves at once when the connection is not open), so the
 * socket of an abandoned open (a TLS handshake or an AMQP open that never
 * got an answer) would stay open, and keep the process alive, until the
 * peer closes it: minutes for an endpoint that drops packets, forever for
 * one that accepts and stays silent. Called after the SDK's close (so the SDK
 * does not reconnect), on a connection that is closed or being given up. The
 * socket is destroyed with an error because rhea hears of a socket's end
 * only through `error` and `end`: then it clears its heartbeat timers (120 s,
 * armed once the socket connected), which would keep the process alive too.
 *
 * The SDKs do not expose the connection: this reads `connection`, a field of
 * their (private) connection context, then rhea-promise's public
 * `getTlsSocket()`, or rhea's `socket` for plain TCP. If that shape changes,
 * it does nothing (tests/unresponsive_endpoints_test.ts then fails).
 *
 * @param connection The SDK's `connectionContext.connection`, or `undefined`.
 */
export function destroyAmqpSocket(connection: unknown): void {
  if (typeof connection !== "object" || connection === null) return;
  const transport = connection as AmqpTransport;
  try {
    const socket = transport.getTlsSocket?.() ?? transport._connection?.socket;
    if (socket === undefined || socket.destroyed === true) return;
    socket.destroy?.(
      Object.assign(
        new Error("the client was closed: its socket is destroyed"),
        { code: "ECONNABORTED" },
      ),
    );
  } catch (error) {
    logger.info(`destroying an AMQP socket failed: ${errorLabel(error)}`);
  }
}

/**
 * Closes one SDK client within `closeTimeoutMs`, then destroys its socket
 * (see {@linkcode destroyAmqpSocket}), then closes the credential the library
 * made for it. The SDKs' `close()` can hang for good when the connection
 * drops while it runs (rhea-promise's link close drops its promise on a
 * disconnect), and a pool must not wait for that. Failures are logged by
 * label, never thrown: the client is gone either way.
 *
 * @param what Who is closing, for log lines (an endpoint host, no secret).
 * @param close Starts the close.
 * @param credential A credential made by `credentialFactory`, or `undefined`.
 * @param closeTimeoutMs How long the close may take.
 * @param connection Reads the client's AMQP connection (see
 * {@linkcode destroyAmqpSocket}) once the close settled or was given up.
 * @returns When the close settled or was given up on.
 */
export async function closeAmqpClient(
  what: string,
  close: () => Promise<unknown>,
  credential: AmqpCredential | undefined,
  closeTimeoutMs: number,
  connection: () => unknown = () => undefined,
): Promise<void> {
  try {
    // A close that ends after we gave up has nobody to tell: no onLate.
    await bound(close(), { timeoutMs: closeTimeoutMs });
  } catch (error) {
    if (isTimeoutError(error)) {
      logger.warning(
        `${what}: close did not finish within ${closeTimeoutMs} ms; given up`,
      );
    } else {
      logger.info(`${what}: close failed: ${errorLabel(error)}`);
    }
  } finally {
    destroyAmqpSocket(connection());
    await closeCredential(what, credential);
  }
}

/**
 * The default `clientLimit` of the managed AMQP clients: one connection
 * carries as many concurrent sends as one long-lived SDK client would (see
 * `ManagedPoolOptions.clientLimit`).
 */
export const AMQP_CLIENT_LIMIT = 1000;

/** The keys of the options that bound a managed AMQP client's operations. */
export const FOLLOWED_OPERATION_KEYS: readonly string[] = [
  "operationTimeoutSeconds",
  "resendOnConnectionLoss",
];

/**
 * Checks `operationTimeoutSeconds` and `resendOnConnectionLoss`.
 *
 * @param owner The class, for messages.
 * @param options The caller's options.
 * @param resendByDefault The service's default for `resendOnConnectionLoss`.
 * @returns The deadline in ms and whether to resend.
 * @throws {RangeError} When `operationTimeoutSeconds` is not positive.
 * @throws {TypeError} When either has the wrong type.
 */
export function followedOperations(
  owner: string,
  options: {
    operationTimeoutSeconds?: unknown;
    resendOnConnectionLoss?: unknown;
  },
  resendByDefault: boolean,
): { timeoutMs: number; resend: boolean } {
  const timeoutMs = options.operationTimeoutSeconds === Infinity
    ? Infinity
    : positiveSecondsMs(
      owner,
      "operationTimeoutSeconds",
      options.operationTimeoutSeconds,
      30,
    );
  const resend = options.resendOnConnectionLoss ?? resendByDefault;
  if (typeof resend !== "boolean") {
    throw new TypeError(
      `Cannot create ${owner} as 'resendOnConnectionLoss' must be a boolean: received ${
        describeValue(resend)
      }`,
    );
  }
  return { timeoutMs, resend };
}
