import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  simulatedBackend,
  SimulatedConnection,
  SimulatedConnector,
} from "../../scripts/bench/simulated.ts";

describe("SimulatedConnection", () => {
  it("queues operations on its wire beyond connectionRate: 20 at 1,000/s take at least 20 ms", async () => {
    const connection = new SimulatedConnection(1, {
      handshakeMs: 0,
      operationMs: 0,
      connectionRate: 1000,
    });
    const start = performance.now();
    const finished: number[] = [];
    await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) => connection.operation().then(() => finished.push(i)),
      ),
    );
    // Timers never fire early, so this lower bound cannot flake.
    assert.ok(
      performance.now() - start >= 19,
      `took ${performance.now() - start} ms`,
    );
    assert.deepEqual(
      finished,
      Array.from({ length: 20 }, (_, i) => i),
      "served out of order",
    );
    assert.equal(connection.operations, 20);
  });

  it("refuses operations once closed", async () => {
    const connector = new SimulatedConnector({
      handshakeMs: 0,
      operationMs: 0,
      connectionRate: 0,
    });
    const connection = await connector.create(new AbortController().signal);
    await connector.close(connection);
    await assert.rejects(connection.operation(), {
      message: "Cannot operate: conn#1 is closed",
    });
  });
});

describe("SimulatedConnector", () => {
  it("counts the connections it created and closed, numbering them from 1", async () => {
    const connector = new SimulatedConnector({
      handshakeMs: 1,
      operationMs: 0,
      connectionRate: 0,
    });
    const signal = new AbortController().signal;
    const [a, b] = await Promise.all([
      connector.create(signal),
      connector.create(signal),
    ]);
    assert.deepEqual([a.id, b.id].sort(), [1, 2]);
    await connector.close(a);
    assert.deepEqual([connector.created, connector.closed], [2, 1]);
    await connector.close(b);
  });

  it("stops a handshake when its signal aborts, with the signal's reason", async () => {
    const connector = new SimulatedConnector({
      handshakeMs: 60_000,
      operationMs: 0,
      connectionRate: 0,
    });
    const controller = new AbortController();
    const creating = connector.create(controller.signal);
    const reason = new Error("pool gave up");
    controller.abort(reason);
    await assert.rejects(creating, (error) => error === reason);
    assert.equal(connector.created, 0);
  });
});

describe("simulatedBackend", () => {
  it("runs requests through a real ConnectionPool with the cell's limits", async () => {
    const backend = simulatedBackend({
      handshakeMs: 0,
      operationMs: 1,
      connectionRate: 0,
    });
    assert.match(
      backend.label,
      /^simulated connector: handshake 0 ms, operation 1 ms, no per-connection rate limit$/,
    );
    const subject = await backend.open({
      clientLimit: 2,
      maxSize: 3,
      maxConcurrentCreates: 1,
    }, 5);
    let acquired = 0;
    await Promise.all(
      Array.from({ length: 12 }, () => subject.request(() => acquired++)),
    );
    const stats = subject.stats();
    assert.equal(acquired, 12);
    assert.equal(stats.acquired, 12);
    assert.ok(
      stats.opened >= 1 && stats.opened <= 3,
      `opened ${stats.opened}`,
    );
    await subject.close();
    assert.equal(subject.stats().closed, true);
    await backend.close();
  });
});
