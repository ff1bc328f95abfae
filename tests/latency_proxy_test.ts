/**
 * Tests of the latency proxy of the local servers
 * (src/testing/servers/_latency_proxy.ts) with plain TCP servers behind it:
 * the delay per direction, the order of chunks when the delay changes, ends
 * and resets passing through, and stop/restart on the same port. The only
 * time assertion is a lower bound the proxy guarantees (a chunk is never
 * forwarded before its delay).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Buffer } from "node:buffer";
import net from "node:net";
import {
  type LatencyProxy,
  startLatencyProxy,
} from "../src/testing/servers/_latency_proxy.ts";

/** Waits for a condition, checking every millisecond, failing after 3 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 3000;
  while (!condition()) {
    if (performance.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

interface Backend {
  server: net.Server;
  port: number;
  sockets: net.Socket[];
  received: string[];
}

/** A TCP server on 127.0.0.1 that records what it receives and runs `onSocket`. */
async function backend(
  onSocket: (socket: net.Socket) => void = () => {},
): Promise<Backend> {
  const sockets: net.Socket[] = [];
  const received: string[] = [];
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => received.push(chunk.toString()));
    sockets.push(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve())
  );
  return {
    server,
    port: (server.address() as net.AddressInfo).port,
    sockets,
    received,
  };
}

/** A client; not half-open by default, as AMQP and HTTP clients are not. */
async function connect(
  port: number,
  allowHalfOpen = false,
): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen });
  socket.setNoDelay(true);
  socket.on("error", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  return socket;
}

async function withProxy(
  target: Backend,
  latencyMs: number,
  fn: (proxy: LatencyProxy) => Promise<void>,
): Promise<void> {
  const proxy = await startLatencyProxy({ targetPort: target.port, latencyMs });
  try {
    await fn(proxy);
  } finally {
    await proxy.close();
    for (const socket of target.sockets) socket.destroy();
    await new Promise<void>((resolve) => target.server.close(() => resolve()));
  }
}

describe("startLatencyProxy", () => {
  it("delays a chunk each way: an echo takes at least two delays", async () => {
    const echo = await backend((socket) => socket.pipe(socket));
    await withProxy(echo, 40, async (proxy) => {
      const client = await connect(proxy.port);
      try {
        const started = performance.now();
        const answered = new Promise<string>((resolve) =>
          client.once("data", (chunk: Buffer) => resolve(chunk.toString()))
        );
        client.write("ping");
        assert.equal(await answered, "ping");
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= 80, `the echo came back after ${elapsed} ms`);
      } finally {
        client.destroy();
      }
    });
  });

  it("keeps chunks in order when the delay is lowered with one still queued", async () => {
    const sink = await backend();
    await withProxy(sink, 200, async (proxy) => {
      const client = await connect(proxy.port);
      try {
        client.write("a");
        await until(() => proxy.queued === 1, "the first chunk to queue");
        proxy.latencyMs = 0;
        client.write("b");
        await until(() => sink.received.join("").length === 2, "both chunks");
        assert.equal(sink.received.join(""), "ab");
      } finally {
        client.destroy();
      }
    });
  });

  it("passes a half-close both ways: the server learns that the client saw its end", async () => {
    let serverSawEnd = false;
    const ender = await backend((socket) => {
      socket.on("end", () => void (serverSawEnd = true));
      socket.end();
    });
    await withProxy(ender, 5, async (proxy) => {
      const client = await connect(proxy.port, true);
      await new Promise<void>((resolve) => client.once("end", () => resolve()));
      assert.equal(serverSawEnd, false);
      client.end();
      await until(() => serverSawEnd, "the client's end at the server");
      await until(() => proxy.openConnections === 0, "the pair to close");
    });
  });

  it("closes the client's socket when the server resets its side", async () => {
    const sink = await backend();
    await withProxy(sink, 5, async (proxy) => {
      const client = await connect(proxy.port);
      const closed = new Promise<void>((resolve) =>
        client.once("close", () => resolve())
      );
      await until(() => sink.sockets.length === 1, "the server's socket");
      sink.sockets[0].resetAndDestroy();
      await closed;
      assert.equal(client.destroyed, true);
      await until(() => proxy.openConnections === 0, "the pair to close");
    });
  });

  it("ends both sides of every connection on resetConnections", async () => {
    const sink = await backend();
    await withProxy(sink, 0, async (proxy) => {
      const clients = [await connect(proxy.port), await connect(proxy.port)];
      await until(() => sink.sockets.length === 2, "two server sockets");
      const closed = [...clients, ...sink.sockets].map((socket) =>
        new Promise<void>((resolve) => {
          if (socket.destroyed) resolve();
          else socket.once("close", () => resolve());
        })
      );
      assert.equal(proxy.resetConnections(), 2);
      await Promise.all(closed);
      assert.equal(proxy.openConnections, 0);
    });
  });

  it("refuses connections while stopped and serves again on the same port after restart", async () => {
    const echo = await backend((socket) => socket.pipe(socket));
    await withProxy(echo, 0, async (proxy) => {
      const port = proxy.port;
      await proxy.stop();
      await assert.rejects(
        new Promise((resolve, reject) => {
          const socket = net.connect({ host: "127.0.0.1", port });
          socket.once("connect", () => {
            socket.destroy();
            resolve(undefined);
          });
          socket.once("error", reject);
        }),
        { code: "ECONNREFUSED" },
      );
      await proxy.restart();
      assert.equal(proxy.port, port);
      const client = await connect(port);
      try {
        const answered = new Promise<string>((resolve) =>
          client.once("data", (chunk: Buffer) => resolve(chunk.toString()))
        );
        client.write("again");
        assert.equal(await answered, "again");
      } finally {
        client.destroy();
      }
    });
  });

  it("refuses a negative or non-finite latency", async () => {
    await assert.rejects(
      startLatencyProxy({ targetPort: 1, latencyMs: -1 }),
      /^RangeError: Cannot set the latency as it must be a finite number of milliseconds >= 0: received -1$/,
    );
  });
});
