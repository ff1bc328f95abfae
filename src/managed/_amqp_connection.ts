/**
 * What this library does to the AMQP connection inside a Service Bus or
 * Event Hubs SDK client (internal; never re-exported): turn Nagle's
 * algorithm off on its socket, and watch it for its death.
 *
 * The SDKs do not expose their connection. This reads a field of their
 * (private) connection context, `connection`: a rhea-promise `Connection`,
 * an event emitter with `isOpen()` whose `options` object is the one rhea
 * reads when it opens the socket. If that shape changes, both functions say
 * so by returning `false` and do nothing (their tests then fail).
 *
 * @module
 */

/** The rhea-promise connection, as read here. */
interface AmqpConnectionLike {
  options?: Record<string, unknown>;
  isOpen?: () => boolean;
  on?: (event: string, listener: (...args: unknown[]) => void) => unknown;
  removeListener?: (
    event: string,
    listener: (...args: unknown[]) => void,
  ) => unknown;
  _connection?: { socket?: { destroyed?: boolean } };
}

/** The SDK's connection context, as read here. */
interface AmqpContextLike {
  connection?: AmqpConnectionLike;
  refreshConnection?: (...args: unknown[]) => unknown;
}

/** Marks a context whose refreshConnection already sets no-delay. */
const NO_DELAY: unique symbol = Symbol("azure-clients-toolbox.noDelay");

/**
 * The events of a rhea-promise connection that end it: the peer closed it
 * (the service's idle close), an error closed it, or the socket ended.
 */
const ENDINGS = ["disconnected", "connection_close", "connection_error"];

function contextOf(context: unknown): AmqpContextLike | undefined {
  return typeof context === "object" && context !== null
    ? context as AmqpContextLike
    : undefined;
}

function setNoDelay(connection: AmqpConnectionLike | undefined): boolean {
  const options = connection?.options;
  if (typeof options !== "object" || options === null) return false;
  options.tcp_no_delay = true;
  return true;
}

/**
 * Turns Nagle's algorithm off for the SDK client's AMQP connection, and for
 * every connection the SDK makes to replace it. rhea sets TCP no-delay only
 * when asked at connect (or when a receiver attaches through the connection,
 * which the SDKs never do), and `@azure/core-amqp` never asks: with Nagle on,
 * a send written while another is unacknowledged waits for that
 * acknowledgement, so two sends in flight cost two round trips, and on a real
 * network delayed ACKs can hold a small write 40 ms or more.
 *
 * Call it right after constructing the SDK client, before its first
 * operation opens the connection.
 *
 * @param context The SDK client's connection context.
 * @returns Whether the connection could be reached.
 */
export function preferNoDelay(context: unknown): boolean {
  const ctx = contextOf(context);
  if (ctx === undefined || !setNoDelay(ctx.connection)) return false;
  const refresh = ctx.refreshConnection;
  if (
    typeof refresh === "function" &&
    !(refresh as unknown as Record<symbol, boolean>)[NO_DELAY]
  ) {
    const wrapped = function (this: AmqpContextLike, ...args: unknown[]) {
      const result = refresh.apply(this, args);
      setNoDelay(this.connection);
      return result;
    };
    (wrapped as unknown as Record<symbol, boolean>)[NO_DELAY] = true;
    ctx.refreshConnection = wrapped;
  }
  return true;
}

/**
 * Watches the SDK client's current AMQP connection and calls `broken` once
 * when it ends on its own: its socket closed or was reset, the service
 * closed it (an idle close), or a connection error closed it. A connection
 * whose socket is already gone is reported at once.
 *
 * @param context The SDK client's connection context.
 * @param broken Told once, with a short reason (`"disconnected"`).
 * @returns Stops watching (call it before closing the client yourself), or
 * `undefined` when the connection could not be reached.
 */
export function watchAmqpConnection(
  context: unknown,
  broken: (reason: string) => void,
): (() => void) | undefined {
  const connection = contextOf(context)?.connection;
  if (
    connection === undefined || typeof connection.on !== "function" ||
    typeof connection.removeListener !== "function"
  ) return undefined;
  let done = false;
  const listeners = ENDINGS.map((event) => {
    const listener = () => {
      if (done) return;
      stop();
      broken(event === "connection_close" ? "closed by the service" : event);
    };
    return [event, listener] as const;
  });
  const stop = () => {
    done = true;
    for (const [event, listener] of listeners) {
      connection.removeListener!(event, listener);
    }
  };
  for (const [event, listener] of listeners) connection.on!(event, listener);
  if (connection._connection?.socket?.destroyed === true) {
    stop();
    broken("disconnected");
  }
  return stop;
}
