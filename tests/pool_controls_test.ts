/**
 * The operator's controls of the pool: `minReady` (warm connections kept in
 * the background), `maxWaitingCallers` (load shedding) and `recycle()`
 * (replace every connection, gradually).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionPool } from "../src/pool/connection_pool.ts";
import { ConnectionsExhausted, PoolClosed } from "../src/pool/errors.ts";
import type { Lease } from "../src/pool/lease.ts";
import type { ConnectionPoolOptions } from "../src/pool/options.ts";
import { FakeClock, flushMicrotasks } from "../src/testing/fake_clock.ts";
import { ManualConnector, type TestConnection, track } from "./_connectors.ts";

function newPool(
  connector: ManualConnector,
  options: ConnectionPoolOptions = {},
) {
  const clock = (options.clock as FakeClock | undefined) ?? new FakeClock();
  const pool = new ConnectionPool<TestConnection>(connector, {
    ...options,
    clock,
  });
  return { pool, clock };
}

describe("ConnectionPool minReady", () => {
  it("opens minReady connections in the background before any caller", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, {
      minReady: 2,
      maxSize: 4,
      maxConcurrentCreates: 1,
    });
    await flushMicrotasks();
    assert.equal(pool.stats().readyConnections, 2);
    assert.equal(pool.stats().callersServed, 0);
    assert.equal(connector.createCalls, 2, "no more than minReady");
    await pool.close();
  });

  it("replaces an idle-expired connection without waiting for a caller", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, {
      minReady: 1,
      maxIdleSeconds: 10,
    });
    await flushMicrotasks();
    const [first] = connector.connections;
    await clock.tickAsync(10_000);
    assert.equal(first!.closeCount, 1, "the idle one is closed");
    assert.equal(connector.connections.length, 2);
    assert.equal(pool.stats().readyConnections, 1, "and replaced");
    await pool.close();
  });

  it("replaces an invalidated connection and never holds more than maxSize", async () => {
    const connector = new ManualConnector(false);
    const { pool } = newPool(connector, {
      minReady: 2,
      maxSize: 2,
      clientLimit: 1,
      maxConcurrentCreates: 2,
    });
    await flushMicrotasks();
    assert.equal(connector.pendingCreates.length, 2);
    await connector.openOne();
    await connector.openOne();
    const a = await pool.get();
    const b = await pool.get();
    assert.equal(connector.pendingCreates.length, 0, "full: nothing opens");
    a.invalidate();
    await flushMicrotasks();
    assert.equal(connector.pendingCreates.length, 1, "a replacement opens");
    assert.equal(pool.stats().size, 2);
    await connector.openOne();
    assert.equal(pool.stats().readyConnections, 2);
    b.release();
    await pool.close();
  });

  it("keeps trying after failed opens and reaches minReady when the service is back", async () => {
    const connector = new ManualConnector();
    connector.createError = new Error("down");
    const { pool, clock } = newPool(connector, {
      minReady: 2,
      maxConcurrentCreates: 2,
      initialBackoffSeconds: 0.1,
      maxBackoffSeconds: 1,
    });
    await flushMicrotasks();
    assert.ok(connector.createCalls >= 1);
    await clock.tickAsync(2000);
    const failedCalls = connector.createCalls;
    assert.ok(failedCalls >= 3, `retried: ${failedCalls} creates`);
    assert.equal(pool.stats().readyConnections, 0);
    connector.createError = undefined;
    await clock.tickAsync(2000);
    assert.equal(pool.stats().readyConnections, 2);
    assert.equal(await pool.use((conn) => conn.proved), true);
    await pool.close();
  });

  it("opens nothing when the pool is closed right after construction", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, { minReady: 3 });
    await pool.close();
    await flushMicrotasks();
    assert.equal(connector.createCalls, 0);
  });

  it("refuses minReady above maxSize or not a count, naming the option and the value", () => {
    const connector = new ManualConnector();
    assert.throws(
      () => newPool(connector, { minReady: 5, maxSize: 4 }),
      (error: Error) =>
        error instanceof RangeError && /'minReady'/.test(error.message) &&
        /received 5/.test(error.message),
    );
    for (const bad of [-1, 1.5, NaN]) {
      assert.throws(
        () => newPool(connector, { minReady: bad }),
        (error: Error) =>
          error instanceof RangeError &&
          error.message.includes(`'minReady'`) &&
          error.message.includes(`received ${bad}`),
      );
    }
  });
});

describe("ConnectionPool maxWaitingCallers", () => {
  it("turns the caller beyond the limit away at once, saying the queue is full, and serves the earlier ones", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, {
      clientLimit: 1,
      maxSize: 1,
      maxWaitingCallers: 2,
    });
    const holder = await pool.get();
    const first = track(pool.get());
    const second = track(pool.get());
    const third = track(pool.get());
    await flushMicrotasks();
    assert.equal(third.settled, true, "rejected without waiting");
    assert.ok(third.error instanceof ConnectionsExhausted);
    assert.match(
      (third.error as Error).message,
      /the queue is full \(2 callers waiting, maxWaitingCallers 2\)/,
    );
    assert.equal(first.settled, false);
    assert.equal(second.settled, false);
    const stats = pool.stats();
    assert.equal(stats.callersShed, 1);
    assert.equal(stats.callersTimedOut, 0, "shedding is not a timeout");
    holder.release();
    await flushMicrotasks();
    assert.equal(first.settled, true);
    (first.value as Lease<TestConnection>).release();
    await flushMicrotasks();
    assert.equal(second.settled, true);
    (second.value as Lease<TestConnection>).release();
    await pool.close();
  });

  it("never queues with maxWaitingCallers 0, yet serves whoever finds room", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, {
      clientLimit: 1,
      maxSize: 1,
      maxWaitingCallers: 0,
    });
    await pool.warm(1);
    const holder = await pool.get();
    await assert.rejects(pool.get(), /the queue is full/);
    holder.release();
    await pool.use(() => {});
    await pool.close();
  });

  it("refuses a maxWaitingCallers that is not a count, naming the option and the value", () => {
    for (const bad of [-1, 0.5, Infinity]) {
      assert.throws(
        () => newPool(new ManualConnector(), { maxWaitingCallers: bad }),
        (error: Error) =>
          error instanceof RangeError &&
          error.message.includes(`'maxWaitingCallers'`) &&
          error.message.includes(`received ${bad}`),
      );
    }
  });
});

describe("ConnectionPool recycle()", () => {
  it("opens the new connection before the old one drains, and resolves when the old one has closed", async () => {
    const connector = new ManualConnector(false);
    const { pool } = newPool(connector, { maxSize: 3 });
    const opening = track(pool.get());
    await flushMicrotasks();
    const old = await connector.openOne();
    const lease = opening.value as Lease<TestConnection>;
    const done = track(pool.recycle());
    await flushMicrotasks();
    assert.equal(connector.pendingCreates.length, 1, "a replacement opens");
    assert.equal(lease.shared.state, "ready", "the old one still serves");
    const fresh = await connector.openOne();
    assert.equal(lease.shared.state, "draining", "then the old one drains");
    assert.equal(await pool.use((conn) => conn), fresh, "new callers go new");
    assert.equal(done.settled, false, "the old one is still held");
    lease.release();
    await flushMicrotasks();
    assert.equal(old.closeCount, 1);
    assert.equal(done.settled, true);
    assert.equal(fresh.closeCount, 0);
    await pool.close();
  });

  it("never holds more than maxSize: in a full pool one old connection drains first", async () => {
    const connector = new ManualConnector(false);
    const { pool } = newPool(connector, {
      maxSize: 2,
      clientLimit: 1,
      maxConcurrentCreates: 2,
    });
    const callers = [track(pool.get()), track(pool.get())];
    await flushMicrotasks();
    await connector.openOne();
    await connector.openOne();
    const [a, b] = callers.map((c) => c.value as Lease<TestConnection>);
    const done = track(pool.recycle());
    await flushMicrotasks();
    const draining = () =>
      pool.connections().filter((v) => v.state === "draining").length;
    assert.equal(connector.pendingCreates.length, 0, "full: nothing opens");
    assert.equal(draining(), 1, "one old connection drains to make room");
    a!.release();
    await flushMicrotasks();
    assert.equal(pool.stats().size, 1 + connector.pendingCreates.length);
    assert.equal(connector.pendingCreates.length, 1, "then a new one opens");
    await connector.openOne();
    assert.ok(pool.stats().size <= 2);
    assert.equal(draining(), 1, "and the second old one drains");
    b!.release();
    await flushMicrotasks();
    assert.equal(done.settled, true);
    assert.ok(connector.open <= 2);
    assert.equal(pool.stats().readyConnections, 1);
    await pool.close();
  });

  it("serves every caller while it replaces the connections", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, {
      maxSize: 3,
      clientLimit: 2,
      maxConcurrentCreates: 1,
    });
    await pool.warm(3);
    const before = [...connector.connections];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const work = Array.from({ length: 40 }, () => pool.use(() => gate));
    const recycled = pool.recycle();
    const more = Array.from({ length: 40 }, () => pool.use(() => "ok"));
    release();
    const results = await Promise.allSettled([...work, ...more, recycled]);
    assert.deepEqual(
      results.filter((r) => r.status === "rejected"),
      [],
    );
    for (const conn of before) assert.equal(conn.closeCount, 1);
    assert.ok(connector.maxCreatesInFlight <= 1);
    assert.equal(pool.stats().size, pool.stats().readyConnections);
    assert.ok(connector.connections.length - before.length >= 3);
    await pool.close();
  });

  it("waits for an open in flight at the call and replaces that connection too", async () => {
    const connector = new ManualConnector(false);
    const { pool } = newPool(connector, { maxSize: 3 });
    const caller = track(pool.get());
    await flushMicrotasks();
    const done = track(pool.recycle());
    const old = await connector.openOne(); // opened after the call: still old
    const lease = caller.value as Lease<TestConnection>;
    assert.equal(connector.pendingCreates.length, 1, "its replacement opens");
    await connector.openOne();
    lease.release();
    await flushMicrotasks();
    assert.equal(old.closeCount, 1);
    assert.equal(done.settled, true);
    await pool.close();
  });

  it("does not wait for a create it gave up on that never settles", async () => {
    const clock = new FakeClock();
    const pool = new ConnectionPool({
      create: () => new Promise<object>(() => {}), // ignores its abort
      ready: () => Promise.resolve(true),
      close: () => Promise.resolve(),
    }, { createTimeoutSeconds: 1, acquireTimeoutSeconds: 5, clock });
    const caller = pool.get().catch((error) => error);
    await flushMicrotasks();
    const done = track(pool.recycle());
    await clock.tickAsync(1000); // the open times out; its create is orphaned
    assert.equal(done.settled, true);
    await clock.tickAsync(5000);
    assert.match(
      (await caller).name,
      /^(ConnectionsExhausted|ConnectionFailed)$/,
    );
    await pool.close();
  });

  it("resolves at once for an empty pool and rejects after close with PoolClosed", async () => {
    const { pool } = newPool(new ManualConnector());
    await pool.recycle();
    await pool.close();
    await assert.rejects(pool.recycle(), PoolClosed);
  });

  it("resolves when the pool closes under it", async () => {
    const connector = new ManualConnector();
    connector.createError = undefined;
    const { pool } = newPool(connector, { maxSize: 1 });
    const lease = await pool.get();
    connector.auto = false; // the replacement never opens
    const done = track(pool.recycle());
    await flushMicrotasks();
    assert.equal(done.settled, false);
    const closing = pool.close();
    lease.release();
    await closing;
    await flushMicrotasks();
    assert.equal(done.settled, true);
    assert.equal(done.error, undefined);
  });
});
