/**
 * A loopback TCP proxy that delays every chunk, in both directions, by a
 * one-way latency (internal to the local servers). It sits in front of a
 * local server so that clients see a network's round trips: a request and
 * its answer take at least twice the latency.
 *
 * ```
 *   client ──► proxy :port ──(latency)──► server      each chunk forwarded as it
 *   client ◄──(latency)── proxy ◄──────── server      arrived, after the delay, in order
 * ```
 *
 * - Both of the proxy's sockets run with TCP no-delay, and each chunk is
 *   written on its own once due: the proxy adds no Nagle of its own, so what
 *   a client's Nagle does (two round trips per send with several in flight)
 *   shows as it would on a network.
 * - Order is kept when the latency changes: a chunk is never due before the
 *   one queued ahead of it in its direction.
 * - Ends travel like data: a FIN (half-close) is forwarded after the chunks
 *   before it, so a server that ends a connection learns that the client saw
 *   it when the client's own FIN comes back; a side that closes without its
 *   FIN (a reset, an error) gets the other side destroyed, after what was
 *   queued ahead.
 * - Delay timers are unref'd and cleared when a connection or the proxy
 *   closes; at 0 ms a chunk with none queued ahead is written at once.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import net from "node:net";

/** Options of {@linkcode startLatencyProxy}. */
export interface LatencyProxyOptions {
  /** The server's port on `targetHost`. */
  targetPort: number;
  /**
   * The server's host.
   * @default {"127.0.0.1"}
   */
  targetHost?: string;
  /**
   * The one-way delay of every chunk, in milliseconds.
   * @default {0}
   */
  latencyMs?: number;
}

/** A running proxy; see {@linkcode startLatencyProxy}. */
export interface LatencyProxy {
  /** The proxy's port on 127.0.0.1 (the same across `stop()` and `restart()`). */
  readonly port: number;
  /** The one-way delay, milliseconds; setting it affects chunks that arrive later. */
  latencyMs: number;
  /** Client connections open now. */
  readonly openConnections: number;
  /** Chunks and ends waiting out their delay now, both directions. */
  readonly queued: number;
  /** Ends every proxied connection at once (both sides); the listener stays. */
  resetConnections(): number;
  /** Stops listening and ends every proxied connection at once. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}

const END = Symbol("end");
const RESET = Symbol("reset");
type Item = Buffer | typeof END | typeof RESET;

/**
 * Ends a socket at once, as the broker's own drops do. Not `resetAndDestroy`:
 * on Node 20 a socket reset after its own end keeps a handle open for good.
 */
function destroyNow(socket: net.Socket): void {
  if (!socket.destroyed) socket.destroy();
}

/** One direction of a proxied connection: chunks queued until due, in order. */
class DelayedPipe {
  readonly #target: net.Socket;
  readonly #latency: () => number;
  #items: Item[] = [];
  #due: number[] = [];
  #head = 0;
  #lastDue = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(target: net.Socket, latency: () => number) {
    this.#target = target;
    this.#latency = latency;
  }

  push(item: Item): void {
    const now = performance.now();
    const latency = this.#latency();
    const queued = this.#items.length - this.#head;
    if (latency <= 0 && queued === 0) {
      this.#deliver(item);
      return;
    }
    // Never due before the chunk ahead: a lowered latency must not reorder.
    const due = Math.max(now + latency, this.#lastDue);
    this.#lastDue = due;
    this.#items.push(item);
    this.#due.push(due);
    if (queued === 0) this.#arm(due - now);
  }

  get queued(): number {
    return this.#items.length - this.#head;
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#items = [];
    this.#due = [];
    this.#head = 0;
  }

  #arm(ms: number): void {
    // Timers may fire a fraction of a millisecond early; #flush re-arms then.
    this.#timer = setTimeout(this.#flush, Math.max(0, Math.ceil(ms)));
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #flush = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    while (this.#head < this.#items.length && this.#due[this.#head] <= now) {
      const item = this.#items[this.#head];
      this.#head++;
      this.#deliver(item);
    }
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#due = [];
      this.#head = 0;
      return;
    }
    if (this.#head > 1024) {
      this.#items = this.#items.slice(this.#head);
      this.#due = this.#due.slice(this.#head);
      this.#head = 0;
    }
    this.#arm(this.#due[this.#head] - now);
  };

  #deliver(item: Item): void {
    const target = this.#target;
    if (item === RESET) {
      this.clear();
      destroyNow(target);
      return;
    }
    if (target.destroyed || !target.writable) return;
    if (item === END) target.end();
    else target.write(item);
  }
}

/**
 * Starts a proxy on 127.0.0.1 and an ephemeral port that forwards to
 * `targetHost:targetPort`, delaying each chunk by `latencyMs` each way.
 *
 * @param options Where to forward, and the delay.
 * @returns The running proxy.
 * @throws {RangeError} When `latencyMs` is not a finite number >= 0.
 */
export async function startLatencyProxy(
  options: LatencyProxyOptions,
): Promise<LatencyProxy> {
  const targetHost = options.targetHost ?? "127.0.0.1";
  let latencyMs = checkLatencyMs(options.latencyMs ?? 0);
  const latency = () => latencyMs;
  const pairs = new Map<
    net.Socket,
    { upstream: net.Socket; pipes: DelayedPipe[] }
  >();
  const sockets = new Set<net.Socket>();

  function onConnection(client: net.Socket): void {
    client.setNoDelay(true);
    const upstream = net.connect({
      host: targetHost,
      port: options.targetPort,
      allowHalfOpen: true,
    });
    upstream.setNoDelay(true);
    const toServer = new DelayedPipe(upstream, latency);
    const toClient = new DelayedPipe(client, latency);
    pairs.set(client, { upstream, pipes: [toServer, toClient] });
    sockets.add(client);
    sockets.add(upstream);
    const link = (
      from: net.Socket,
      into: DelayedPipe,
      back: DelayedPipe,
    ) => {
      let ended = false;
      from.on("data", (chunk: Buffer) => into.push(chunk));
      from.on("end", () => {
        ended = true;
        into.push(END);
      });
      from.on("error", () => {});
      from.on("close", (hadError?: boolean) => {
        // Nothing more can reach `from`. A side that closed without its FIN
        // (a reset, an error) ends the other, after what was queued ahead.
        back.clear();
        if (!ended || hadError === true) into.push(RESET);
        sockets.delete(from);
        if (from === client) pairs.delete(client);
      });
    };
    link(client, toServer, toClient);
    link(upstream, toClient, toServer);
  }

  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  server.on("error", () => {});
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  let listening = true;
  let closed = false;

  const resetConnections = (): number => {
    const count = pairs.size;
    for (const [client, { upstream, pipes }] of [...pairs]) {
      for (const pipe of pipes) pipe.clear();
      destroyNow(client);
      destroyNow(upstream);
    }
    // An upstream whose client already went (its end still on the way).
    for (const socket of sockets) destroyNow(socket);
    pairs.clear();
    return count;
  };
  const stop = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    const closing = [
      new Promise<void>((resolve) => server.close(() => resolve())),
      ...[...sockets].map((socket) =>
        new Promise<void>((resolve) => socket.once("close", () => resolve()))
      ),
    ];
    resetConnections();
    // Waited for, so that the proxy leaves no socket behind once stopped.
    await Promise.all(closing);
  };

  return {
    port,
    get latencyMs(): number {
      return latencyMs;
    },
    set latencyMs(value: number) {
      latencyMs = checkLatencyMs(value);
    },
    get openConnections(): number {
      return pairs.size;
    },
    get queued(): number {
      let count = 0;
      for (const { pipes } of pairs.values()) {
        for (const pipe of pipes) count += pipe.queued;
      }
      return count;
    },
    resetConnections,
    stop,
    async restart(): Promise<void> {
      if (closed) {
        throw new Error("Cannot restart the latency proxy: it is closed");
      }
      if (listening) return;
      await listen(port);
      listening = true;
    },
    async close(): Promise<void> {
      closed = true;
      await stop();
    },
  };
}

function checkLatencyMs(value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot set the latency as it must be a finite number of milliseconds >= 0: received ${
        String(value)
      }`,
    );
  }
  return value;
}
