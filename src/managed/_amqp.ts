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
  type NamedKeyCredential,
  type SASCredential,
  type TokenCredential,
} from "@azure/core-auth";
import { logger } from "./log.ts";
import {
  describeValue,
  errorLabel,
  exactlyOne,
  forbidFields,
  parseConnectionString,
  requireFunction,
  requireName,
  requireOptions,
} from "./_checks.ts";

/** What the AMQP SDK clients accept as a credential. */
export type AmqpCredential =
  | TokenCredential
  | NamedKeyCredential
  | SASCredential;

/** The connection fields both AMQP clients take. */
export interface AmqpConnectionFields {
  namespace?: string;
  connectionString?: string;
  credential?: AmqpCredential;
  credentialFactory?: () => AmqpCredential | Promise<AmqpCredential>;
}

/** A resolved connection; the connection string is kept out of logs. */
export interface ResolvedAmqpConnection {
  /** The namespace host (and port), safe to log. */
  host: string;
  /** The entity (queue or event hub) name. */
  entity: string;
  /** The fully qualified namespace, with a credential. */
  namespace: string | undefined;
  /** The connection string (a secret), without a credential. */
  connectionString: string | undefined;
  credential: AmqpCredential | undefined;
  credentialFactory:
    | (() => AmqpCredential | Promise<AmqpCredential>)
    | undefined;
}

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
 * Checks the connection options of an AMQP client. Exactly one of
 * `connectionString`, `credential` or `credentialFactory` is given;
 * `namespace` comes with a credential; the entity comes from its option or
 * the connection string's `EntityPath` (both must agree).
 *
 * @param owner The class being constructed, for messages.
 * @param given The options bag.
 * @param entityOption `"queueName"` or `"eventHubName"`.
 * @returns The resolved connection.
 * @throws {TypeError} When an option is missing, invalid, or conflicts with
 * another (messages name options, never echo a key or connection string).
 */
export function resolveAmqpConnection(
  owner: string,
  given: unknown,
  entityOption: "queueName" | "eventHubName",
): ResolvedAmqpConnection {
  const options = requireOptions<
    AmqpConnectionFields & Record<string, unknown>
  >(owner, given);
  const auth = exactlyOne(owner, options, [
    "connectionString",
    "credential",
    "credentialFactory",
  ]);
  let entity = options[entityOption] === undefined
    ? undefined
    : requireName(owner, entityOption, options[entityOption]);
  if (auth === "connectionString") {
    if (options.namespace !== undefined) {
      throw new TypeError(
        `Cannot create ${owner} as 'namespace' and 'connectionString' were both given: the connection string carries the endpoint`,
      );
    }
    const fields = parseConnectionString(
      owner,
      "connectionString",
      options.connectionString,
      ["Endpoint"],
    );
    const signed = fields.get("sharedaccesssignature") ||
      (fields.get("sharedaccesskeyname") && fields.get("sharedaccesskey"));
    if (!signed) {
      throw new TypeError(
        `Cannot create ${owner} as 'connectionString' lacks SharedAccessKeyName and SharedAccessKey (or SharedAccessSignature)`,
      );
    }
    const host = hostOf(fields.get("endpoint")!);
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
    host: hostOf(`sb://${namespace.replace(/^sb:\/\//i, "")}`),
    entity,
    namespace,
    connectionString: undefined,
    credential: auth === "credential"
      ? requireCredential(owner, "credential", options.credential)
      : undefined,
    credentialFactory: auth === "credentialFactory"
      ? requireFunction(owner, "credentialFactory", options.credentialFactory)
      : undefined,
  };
}

/** A resolved AMQP client: the connection, the SDK's options, the close bound. */
export interface ResolvedAmqpClient<O> extends ResolvedAmqpConnection {
  /** Passed to every SDK client. */
  clientOptions: O;
  /** How long closing one SDK client may take. */
  closeTimeoutMs: number;
}

/**
 * Checks the options of a Service Bus or Event Hubs client: the connection
 * ({@linkcode resolveAmqpConnection}), `clientOptions` and
 * `closeTimeoutSeconds` (default 10).
 *
 * @param owner The class being constructed, for messages.
 * @param given The options bag.
 * @param entityOption `"queueName"` or `"eventHubName"`.
 * @returns The resolved options.
 * @throws {TypeError} When an option is missing or invalid.
 * @throws {RangeError} When `closeTimeoutSeconds` is not positive.
 */
export function resolveAmqpClient<O extends object>(
  owner: string,
  given: unknown,
  entityOption: "queueName" | "eventHubName",
): ResolvedAmqpClient<O> {
  const connection = resolveAmqpConnection(owner, given, entityOption);
  const options = given as { clientOptions?: O; closeTimeoutSeconds?: number };
  forbidFields(owner, "clientOptions", options.clientOptions, []);
  return {
    ...connection,
    clientOptions: options.clientOptions ?? ({} as O),
    closeTimeoutMs: positiveSecondsMs(
      owner,
      "closeTimeoutSeconds",
      options.closeTimeoutSeconds,
      10,
    ),
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
  settings: ResolvedAmqpConnection,
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

/**
 * Closes a credential the library made, when it has a `close` method.
 *
 * @param credential The credential, or `undefined`.
 */
export async function closeCredential(credential: unknown): Promise<void> {
  const close = (credential as { close?: unknown } | undefined)?.close;
  if (typeof close !== "function") return;
  await close.call(credential);
}

// ---- errors ------------------------------------------------------------

/**
 * Error codes that mean the connection or link is broken, as the SDKs report
 * them: `MessagingError` codes from `@azure/core-amqp` (Event Hubs keeps
 * them), Service Bus's own codes, and Node system error codes.
 */
const CONNECTION_CODES = new Set<string>([
  // The service or the network ended the connection or the link.
  "ConnectionForcedError",
  "ConnectionRedirectError",
  "FramingError",
  "DetachForcedError",
  "ErrantLinkError",
  "HandleInUseError",
  "UnattachedHandleError",
  "SessionWindowViolationError",
  "ServiceCommunicationError",
  "ServiceCommunicationProblem",
  "SystemError",
  "SendOperationFailedError",
  // Auth failures: a token that was refused will be refused again on this
  // client; a new client fetches a new token.
  "UnauthorizedError",
  "UnauthorizedAccess",
  "PublisherRevokedError",
  // No answer in time (ECONNRESET and ETIMEDOUT map here too): a half-open
  // connection looks exactly like this and never heals by itself.
  "ServiceUnavailableError",
  "OperationTimeoutError",
  "ServiceTimeout",
  // Node system errors.
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_SOCKET_CLOSED",
]);

const CLOSED_MESSAGE =
  /underlying AMQP connection is closed|has been closed and can no longer be used|(client|connection) (has been |is |was )?(closed|disposed)/i;

/**
 * What `@azure/core-amqp`'s `translate()` makes of an undefined error. The
 * SDKs reject pending operations with it when a link or connection goes away
 * without an error (a socket that simply ends), so it means a lost connection.
 */
const UNKNOWN_ERROR_MESSAGE = "Unknown error encountered.";

/**
 * Tells whether an error thrown by a Service Bus or Event Hubs operation shows
 * that the client's connection or link is broken (connection lost or forced
 * closed, communication failure, timeout, a closed client, a refused token),
 * as opposed to a message-level answer from the service (message too large,
 * quota exceeded, entity not found, server busy) or a caller's abort or bad
 * argument.
 *
 * @param error What an operation threw.
 * @returns Whether the client that threw it should be replaced.
 */
export function isAmqpConnectionError(error: unknown): boolean {
  for (let depth = 0; depth < 4; depth++) {
    if (typeof error !== "object" || error === null) return false;
    if (error instanceof TypeError || error instanceof RangeError) return false;
    const { name, code, message } = error as {
      name?: unknown;
      code?: unknown;
      message?: unknown;
    };
    if (name === "AbortError") return false;
    if (error instanceof AggregateError) {
      return error.errors.some((inner) => isAmqpConnectionError(inner));
    }
    if (typeof code === "string") {
      if (CONNECTION_CODES.has(code)) return true;
      // Service Bus files codes it has no name for under GeneralError and
      // keeps the AMQP one as the message's prefix ("ConnectionForcedError: …").
      if (code === "GeneralError" && typeof message === "string") {
        const prefix = /^(\w+):/.exec(message)?.[1];
        if (prefix !== undefined && CONNECTION_CODES.has(prefix)) return true;
      }
    }
    if (typeof name === "string" && CONNECTION_CODES.has(name)) return true;
    if (typeof message === "string") {
      if (CLOSED_MESSAGE.test(message)) return true;
      if (name === "Error" && message === UNKNOWN_ERROR_MESSAGE) return true;
    }
    error = (error as { cause?: unknown }).cause;
  }
  return false;
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
 * Waits for `work` at most `ms` milliseconds. The SDKs' `close()` can hang
 * for good when the connection drops while it runs (rhea-promise's link close
 * drops its promise on a disconnect), and a pool must not wait for that.
 *
 * @param work The close in progress.
 * @param ms How long to wait.
 * @returns `true` if it settled in time (its rejection is re-thrown), `false`
 * if it did not; a late rejection is swallowed.
 */
export async function settleWithin(
  work: Promise<unknown>,
  ms: number,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  // not awaited when late: a close that ends after we gave up has nobody to tell
  work.catch(() => {});
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes one SDK client within `closeTimeoutMs` (see
 * {@linkcode settleWithin}), then the credential the library made for it.
 * Failures are logged by label, never thrown: the client is gone either way.
 *
 * @param what Who is closing, for log lines (an endpoint host, no secret).
 * @param close Starts the close.
 * @param credential A credential made by `credentialFactory`, or `undefined`.
 * @param closeTimeoutMs How long the close may take.
 * @returns When the close settled or was given up on.
 */
export async function closeAmqpClient(
  what: string,
  close: () => Promise<unknown>,
  credential: AmqpCredential | undefined,
  closeTimeoutMs: number,
): Promise<void> {
  try {
    if (!await settleWithin(close(), closeTimeoutMs)) {
      logger.warning(
        `${what}: close did not finish within ${closeTimeoutMs} ms; given up`,
      );
    }
  } catch (error) {
    logger.info(`${what}: close failed: ${errorLabel(error)}`);
  } finally {
    try {
      await closeCredential(credential);
    } catch (error) {
      logger.info(
        `${what}: closing its credential failed: ${errorLabel(error)}`,
      );
    }
  }
}

/**
 * Checks an operation's `abortSignal` option.
 *
 * @param signal The value received.
 * @throws {TypeError} When it is set and not an `AbortSignal`.
 */
export function checkAbortSignal(signal: unknown): void {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot send as 'abortSignal' must be an AbortSignal: received ${
        describeValue(signal)
      }`,
    );
  }
}
