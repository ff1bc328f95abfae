import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionPool } from "../src/pool/connection_pool.ts";
import {
  ConnectionFailed,
  ConnectionsExhausted,
  PoolClosed,
} from "../src/pool/errors.ts";
import type { Connector } from "../src/pool/connector.ts";
import type { Lease } from "../src/pool/lease.ts";
import type { Clock } from "../src/pool/clock.ts";
import { FakeClock, flushMicrotasks } from "../src/testing/fake_clock.ts";
import { ManualConnector, type TestConnection, track } from "./_connectors.ts";

function newPool(
  connector: ManualConnector,
  options: ConstructorParameters<typeof ConnectionPool>[1] = {},
) {
  const clock = (options.clock as FakeClock | undefined) ?? new FakeClock();
  const pool = new ConnectionPool<TestConnection>(connector, {
    clock,
    ...options,
  });
  return { pool, clock };
}

describe("ConnectionPool rule 1: limits", () => {
  it("never gives one connection more than clientLimit callers", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, { clientLimit: 2, maxSize: 1 });
    const a = await pool.get();
    const b = await pool.get();
    assert.equal(a.connection, b.connection);
    assert.equal(a.shared.currentClientCount, 2);
    const third = track(pool.get());
    await flushMicrotasks();
    assert.equal(third.settled, false, "a third caller must wait");
    a.release();
    await flushMicrotasks();
    assert.equal(third.settled, true);
    assert.equal(
      (third.value as Lease<TestConnection>).connection,
      b.connection,
    );
    assert.equal(b.shared.currentClientCount, 2);
    b.release();
    (third.value as Lease<TestConnection>).release();
    await pool.close();
  });

  it("never holds more than maxSize connections, opening ones included", async () => {
    const connector = new ManualConnector(false);
    const { pool } = newPool(connector, {
      clientLimit: 1,
      maxSize: 2,
      maxConcurrentCreates: 2,
    });
    const callers = Array.from({ length: 5 }, () => track(pool.get()));
    await flushMicrotasks();
    assert.equal(connector.createCalls, 2);
    assert.equal(pool.stats().size, 2);
    connector.finishCreate();
    connector.finishCreate();
    await flushMicrotasks();
    connector.finishReady();
    connector.finishReady();
    await flushMicrotasks();
    assert.equal(callers.filter((c) => c.settled).length, 2);
    assert.equal(
      connector.createCalls,
      2,
      "no third connection while two are held",
    );
    for (const caller of callers.filter((c) => c.settled)) {
      (caller.value as Lease<TestConnection>).release();
    }
    await flushMicrotasks();
    assert.equal(callers.filter((c) => c.settled).length, 4);
    const closing = pool.close();
    for (const caller of callers.slice(2, 4)) {
      (caller.value as Lease<TestConnection>).release();
    }
    await closing;
    assert.ok(callers[4]!.error instanceof PoolClosed);
    assert.deepEqual(connector.connections.map((c) => c.closeCount), [1, 1]);
  });

  it("counts a draining connection against maxSize until it closes", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, { clientLimit: 2, maxSize: 1 });
    const held = await pool.get();
    held.invalidate(); // closes at once: it had no other caller
    const other = await pool.get();
    const second = await pool.get();
    other.invalidate(); // 'second' still holds it: it drains
    const waiting = track(pool.get());
    await flushMicrotasks();
    assert.equal(
      connector.createCalls,
      2,
      "no new connection while the draining one is held",
    );
    assert.equal(waiting.settled, false);
    second.release();
    await flushMicrotasks();
    assert.equal(connector.createCalls, 3);
    assert.equal(waiting.settled, true);
    (waiting.value as Lease<TestConnection>).release();
    await pool.close();
  });
});

describe("ConnectionPool rule 2: no waiting for a handshake while a ready connection has room", () => {
  it("serves a caller from a ready connection while a new one is opening", async () => {
    const connector = new ManualConnector(false);
    const { pool } = newPool(connector, {
      clientLimit: 4,
      maxSize: 3,
      maxConcurrentCreates: 1,
    });
    const first = track(pool.get());
    await flushMicrotasks();
    await connector.openOne();
    assert.equal(first.settled, true);
    const second = await pool.get();
    const third = await pool.get(); // spare drops below half a connection: an open starts
    await flushMicrotasks();
    assert.equal(connector.pendingCreates.length, 1, "opens ahead of demand");
    const fourth = track(pool.get());
    await flushMicrotasks();
    assert.equal(fourth.settled, true, "the ready connection still had room");
    for (
      const lease of [first.value, second, third, fourth.value] as Lease<
        TestConnection
      >[]
    ) lease.release();
    await pool.close();
  });

  it("opens only one connection for one caller on a cold pool", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, { clientLimit: 100, maxSize: 10 });
    await pool.use(() => {});
    await pool.use(() => {});
    assert.equal(connector.createCalls, 1);
    await pool.close();
  });

  it("never has more than maxConcurrentCreates opens in flight", async () => {
    const connector = new ManualConnector(false);
    const { pool } = newPool(connector, {
      clientLimit: 1,
      maxSize: 10,
      maxConcurrentCreates: 2,
    });
    const callers = Array.from({ length: 10 }, () => track(pool.get()));
    await flushMicrotasks();
    assert.equal(connector.pendingCreates.length, 2);
    connector.finishCreate();
    await flushMicrotasks();
    assert.equal(
      connector.pendingCreates.length,
      1,
      "still proving the first: no new open yet",
    );
    connector.finishReady();
    await flushMicrotasks();
    assert.equal(
      connector.pendingCreates.length,
      2,
      "a finished open makes room for the next",
    );
    while (
      connector.pendingCreates.length > 0 || connector.pendingReadies.length > 0
    ) {
      while (connector.pendingCreates.length > 0) connector.finishCreate();
      await flushMicrotasks();
      while (connector.pendingReadies.length > 0) connector.finishReady();
      await flushMicrotasks();
    }
    assert.equal(connector.maxCreatesInFlight, 2);
    assert.equal(callers.filter((c) => c.settled).length, 10);
    for (const caller of callers) {
      (caller.value as Lease<TestConnection>).release();
    }
    await pool.close();
  });
});

describe("ConnectionPool rule 3: selection", () => {
  it("hands each caller the connection with the fewest callers", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, {
      clientLimit: 10,
      maxSize: 3,
      maxConcurrentCreates: 3,
    });
    await pool.warm(3);
    const leases = await Promise.all(
      Array.from({ length: 9 }, () => pool.get()),
    );
    const counts = pool.connections().map((c) => c.currentClientCount).sort();
    assert.deepEqual(counts, [3, 3, 3]);
    leases[0]!.release();
    const next = await pool.get();
    assert.equal(
      next.connection,
      leases[0]!.connection,
      "the one with a freed place is least loaded",
    );
    for (const lease of [...leases.slice(1), next]) lease.release();
    await pool.close();
  });

  it("breaks ties by taking the connection idle longest", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, {
      clientLimit: 10,
      maxSize: 2,
      maxConcurrentCreates: 2,
    });
    await pool.warm(2);
    clock.tick(100);
    const first = await pool.get();
    clock.tick(100);
    first.release(); // now idle for 0 ms; the other one for 200 ms
    const next = await pool.get();
    assert.notEqual(next.connection, first.connection);
    next.release();
    await pool.close();
  });

  it("skips a connection at clientLimit even when it was idle longest", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, {
      clientLimit: 1,
      maxSize: 2,
      maxConcurrentCreates: 2,
    });
    await pool.warm(2);
    const a = await pool.get();
    const b = await pool.get();
    assert.notEqual(a.connection, b.connection);
    a.release();
    b.release();
    await pool.close();
  });
});

describe("ConnectionPool rule 4: FIFO waiters, woken and never polled, each ends by its deadline", () => {
  it("wakes waiters in arrival order on release", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, { clientLimit: 1, maxSize: 1 });
    const holder = await pool.get();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      pool.get().then((lease) => {
        order.push(n);
        return lease;
      })
    );
    await flushMicrotasks();
    assert.deepEqual(order, []);
    holder.release();
    (await waiters[0]!).release();
    (await waiters[1]!).release();
    (await waiters[2]!).release();
    assert.deepEqual(order, [1, 2, 3]);
    await pool.close();
  });

  it("does not let a newcomer overtake a queued caller", async () => {
    const connector = new ManualConnector(false);
    const { pool } = newPool(connector, { clientLimit: 1, maxSize: 1 });
    const queued = track(pool.get());
    await flushMicrotasks();
    connector.finishCreate();
    await flushMicrotasks();
    const newcomer = track(pool.get());
    connector.finishReady();
    await flushMicrotasks();
    assert.equal(queued.settled, true);
    assert.equal(newcomer.settled, false);
    (queued.value as Lease<TestConnection>).release();
    await flushMicrotasks();
    assert.equal(newcomer.settled, true);
    (newcomer.value as Lease<TestConnection>).release();
    await pool.close();
  });

  it("wakes a waiter through release alone, with no timer firing", async () => {
    const connector = new ManualConnector();
    const clock = new FakeClock();
    const { pool } = newPool(connector, { clientLimit: 1, maxSize: 1, clock });
    const holder = await pool.get();
    const waiter = track(pool.get());
    await flushMicrotasks();
    const timersBefore = clock.pendingTimers;
    holder.release();
    await flushMicrotasks();
    assert.equal(waiter.settled, true);
    assert.equal(clock.now(), 0, "no time passed");
    assert.ok(clock.pendingTimers <= timersBefore);
    (waiter.value as Lease<TestConnection>).release();
    await pool.close();
  });

  it("rejects a waiter with ConnectionsExhausted exactly at its deadline, not before", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, {
      clientLimit: 1,
      maxSize: 1,
      acquireTimeoutSeconds: 1,
    });
    const holder = await pool.get();
    const waiter = track(pool.get());
    await clock.tickAsync(999);
    assert.equal(waiter.settled, false);
    await clock.tickAsync(1);
    assert.ok(waiter.error instanceof ConnectionsExhausted);
    assert.match(
      (waiter.error as Error).message,
      /waited 1000 ms; 1 of 1 ready connections at clientLimit 1/,
    );
    assert.equal(pool.stats().callersTimedOut, 1);
    holder.release();
    await pool.close();
  });

  it("arms one timer for many waiters, not one each", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, { clientLimit: 1, maxSize: 1 });
    const holder = await pool.get();
    const before = clock.pendingTimers;
    const waiters = Array.from({ length: 1000 }, () => track(pool.get()));
    await flushMicrotasks();
    assert.ok(
      clock.pendingTimers <= before + 1,
      `${clock.pendingTimers - before} timers for 1000 waiters`,
    );
    const closing = pool.close();
    holder.release();
    await closing;
    assert.ok(waiters.every((w) => w.error instanceof PoolClosed));
  });

  it("honours a per-caller timeout shorter than the queue's others", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, {
      clientLimit: 1,
      maxSize: 1,
      acquireTimeoutSeconds: 60,
    });
    const holder = await pool.get();
    const patient = track(pool.get());
    const hasty = track(pool.get({ acquireTimeoutSeconds: 0.5 }));
    await clock.tickAsync(500);
    assert.ok(hasty.error instanceof ConnectionsExhausted);
    assert.equal(patient.settled, false);
    holder.release();
    await flushMicrotasks();
    assert.equal(patient.settled, true);
    (patient.value as Lease<TestConnection>).release();
    await pool.close();
  });

  it("removes an aborted waiter, rejects it with the signal's reason, and leaks no place", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, { clientLimit: 1, maxSize: 1 });
    const holder = await pool.get();
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    const aborted = track(pool.get({ abortSignal: controller.signal }));
    const next = track(pool.get());
    controller.abort(reason);
    await flushMicrotasks();
    assert.equal(aborted.error, reason);
    assert.equal(pool.stats().waitingCallers, 1);
    holder.release();
    await flushMicrotasks();
    assert.equal(next.settled, true);
    (next.value as Lease<TestConnection>).release();
    assert.equal(pool.stats().activeCallers, 0);
    await pool.close();
  });

  it("rejects at once with the reason of an already aborted signal", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector);
    await assert.rejects(
      pool.get({ abortSignal: AbortSignal.abort("no") }),
      (e) => e === "no",
    );
    assert.equal(connector.createCalls, 0);
    await pool.close();
  });
});

describe("ConnectionPool rule 5: idle and lifespan recycling", () => {
  it("closes a connection idle for maxIdleSeconds in the background, and not before", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, { maxIdleSeconds: 0.05 });
    await pool.use(() => {});
    await clock.tickAsync(49);
    assert.equal(connector.connections[0]!.closeCount, 0);
    await clock.tickAsync(1);
    assert.equal(connector.connections[0]!.closeCount, 1);
    assert.equal(pool.readyConnectionCount, 0);
    await pool.use(() => {});
    assert.equal(connector.createCalls, 2);
    await pool.close();
  });

  it("keeps an idle connection for good with maxIdleSeconds: Infinity", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, { maxIdleSeconds: Infinity });
    await pool.use(() => {});
    await clock.tickAsync(365 * 24 * 3600 * 1000);
    assert.equal(connector.connections[0]!.closeCount, 0);
    await pool.use(() => {});
    assert.equal(connector.createCalls, 1);
    await pool.close();
  });

  it("never hands out an expired idle connection, even if no timer ran; nor one whose lease spanned the silence", async () => {
    const connector = new ManualConnector();
    let now = 0;
    const silentClock: Clock = {
      now: () => now,
      setTimeout: () => 0,
      clearTimeout: () => {},
    };
    const pool = new ConnectionPool(connector, {
      clientLimit: 1,
      maxSize: 2,
      maxIdleSeconds: 10,
      clock: silentClock,
    });
    const [a, b] = await Promise.all([pool.get(), pool.get()]);
    a!.release();
    now = 10_000;
    // No timer ran while b was held, so the pool has no reading since 0: its
    // idle stamp errs early, which only retires sooner.
    b!.release();
    const lease = await pool.get();
    assert.equal(a!.connection.closeCount, 1);
    assert.equal(b!.connection.closeCount, 1);
    assert.equal(lease.connection.closeCount, 0);
    assert.ok(connector.createCalls >= 3, "served by a new connection");
    lease.release();
    await pool.close();
  });

  it("keeps a connection in use past maxIdleSeconds", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, { maxIdleSeconds: 1 });
    const lease = await pool.get();
    await clock.tickAsync(5000);
    assert.equal(lease.connection.closeCount, 0);
    lease.release();
    await clock.tickAsync(999);
    assert.equal(lease.connection.closeCount, 0);
    await clock.tickAsync(1);
    assert.equal(lease.connection.closeCount, 1);
    await pool.close();
  });

  it("stamps a release after a long lease from readings at most 1 s old, and reads nothing while idle", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, { maxIdleSeconds: 300 });
    const lease = await pool.get();
    await clock.tickAsync(400_500); // held past maxIdleSeconds; no other caller
    lease.release();
    // Idle 299 s (299.5 s at most by the stamp): not expired.
    await clock.tickAsync(299_000);
    const again = await pool.get();
    assert.equal(again.connection, lease.connection);
    assert.equal(connector.createCalls, 1);
    again.release();
    // One maintenance timer for the idle expiry: no clock refresh without leases.
    assert.equal(clock.pendingTimers, 1);
    await clock.tickAsync(299_999);
    assert.equal(lease.connection.closeCount, 0);
    assert.equal(clock.pendingTimers, 1);
    await clock.tickAsync(1);
    assert.equal(lease.connection.closeCount, 1);
    assert.equal(clock.pendingTimers, 0);
    await pool.close();
  });

  it("starts the clock refresh with the first lease out, before any idle timer is due", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, { maxIdleSeconds: 300 });
    await pool.use(() => {}); // idle since 0: its idle timer is due at 300 s
    await clock.tickAsync(290_000);
    const lease = await pool.get();
    await clock.tickAsync(9_900); // released at 299.9 s, before that timer fires
    lease.release();
    // Stamped from a reading at most 1 s old (>= 298.9 s): idle under 300 s at 595 s.
    await clock.tickAsync(295_100);
    const again = await pool.get();
    assert.equal(again.connection, lease.connection);
    assert.equal(connector.createCalls, 1);
    again.release();
    await pool.close();
  });

  it("gives no new caller a connection past its lifespan and closes it when its last caller leaves", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, {
      maxLifespanSeconds: 5,
      maxIdleSeconds: 100,
    });
    const old = await pool.get();
    await clock.tickAsync(5000);
    assert.equal(old.connection.closeCount, 0, "not closed under its caller");
    const fresh = await pool.get();
    assert.notEqual(fresh.connection, old.connection);
    old.release();
    await flushMicrotasks();
    assert.equal(old.connection.closeCount, 1);
    fresh.release();
    await pool.close();
  });
});

describe("ConnectionPool rule 6: invalidate", () => {
  it("drains an invalidated connection: others keep it, newcomers get another, it closes after the last", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, { clientLimit: 10 });
    const a = await pool.get();
    const b = await pool.get();
    assert.equal(a.connection, b.connection);
    a.invalidate();
    assert.equal(b.shared.state, "draining");
    assert.equal(b.connection.closeCount, 0, "b is not cut off");
    const c = await pool.get();
    assert.notEqual(c.connection, b.connection);
    b.release();
    await flushMicrotasks();
    assert.equal(b.connection.closeCount, 1);
    a.release(); // already released by invalidate: nothing happens
    c.release();
    assert.equal(pool.stats().activeCallers, 0);
    await pool.close();
  });

  it("invalidates in use() only for errors isConnectionError recognises, re-throwing them unchanged", async () => {
    const connector = new ManualConnector();
    const broken = new Error("socket hang up");
    const ordinary = new Error("404");
    const { pool } = newPool(connector, {
      isConnectionError: (e) => e === broken,
    });
    await assert.rejects(
      pool.use(() => Promise.reject(ordinary)),
      (e) => e === ordinary,
    );
    assert.equal(connector.connections[0]!.closeCount, 0);
    await assert.rejects(
      pool.use(() => Promise.reject(broken)),
      (e) => e === broken,
    );
    await flushMicrotasks();
    assert.equal(connector.connections[0]!.closeCount, 1);
    await pool.close();
  });

  it("treats a throwing isConnectionError as 'not a connection error'", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, {
      isConnectionError: () => {
        throw new Error("classifier bug");
      },
    });
    const failure = new Error("work failed");
    await assert.rejects(
      pool.use(() => Promise.reject(failure)),
      (e) => e === failure,
    );
    assert.equal(connector.connections[0]!.closeCount, 0);
    await pool.close();
  });
});

describe("ConnectionPool with a connector that watches its connections", () => {
  /** A ManualConnector whose connections can die on their own. */
  class WatchingConnector extends ManualConnector {
    readonly breakers = new Map<TestConnection, (reason: string) => void>();
    watch(connection: TestConnection, broken: (reason: string) => void) {
      this.breakers.set(connection, broken);
    }
  }

  it("retires a connection the connector saw die: newcomers get another, its callers keep it until they leave", async () => {
    const connector = new WatchingConnector();
    const { pool } = newPool(connector, { clientLimit: 10 });
    const held = await pool.get();
    const dead = held.connection;
    assert.equal(connector.breakers.size, 1, "watched once ready");
    connector.breakers.get(dead)!("disconnected");
    assert.equal(held.shared.state, "draining");
    assert.equal(pool.readyConnectionCount, 0);
    const next = await pool.get();
    assert.notEqual(next.connection, dead);
    assert.equal(dead.closeCount, 0, "its caller is not cut off");
    held.release();
    await flushMicrotasks();
    assert.equal(dead.closeCount, 1);
    // A second report, after the close, changes nothing.
    connector.breakers.get(dead)!("disconnected");
    assert.equal(pool.readyConnectionCount, 1);
    next.release();
    await pool.close();
    assert.equal(next.connection.closeCount, 1);
  });

  it("keeps serving when watch throws", async () => {
    const connector = new ManualConnector();
    Object.assign(connector, {
      watch() {
        throw new Error("watch bug");
      },
    });
    const { pool } = newPool(connector);
    assert.equal(await pool.use(() => "served"), "served");
    await pool.close();
  });
});

describe("ConnectionPool rule 7: failed opens are retried while callers wait; callers fail fast only once the breaker opens", () => {
  it("keeps waiting callers queued through failed opens, then fails them with the connector's error once the breaker opens", async () => {
    const connector = new ManualConnector();
    const cause = new Error("ECONNREFUSED");
    connector.createError = cause;
    const { pool, clock } = newPool(connector, { acquireTimeoutSeconds: 60 });
    const callers = Array.from({ length: 5 }, () => track(pool.get()));
    await flushMicrotasks();
    assert.equal(connector.createCalls, 1, "one open for five callers");
    await clock.tickAsync(400); // several quick retries, all failing
    assert.ok(connector.createCalls >= 5, `${connector.createCalls} opens`);
    assert.ok(
      callers.every((c) => !c.settled),
      "failures for less than breakerOpenAfterSeconds: callers wait",
    );
    assert.equal(pool.stats().breakerState, "closed");
    await clock.tickAsync(200);
    assert.equal(pool.stats().breakerState, "open");
    for (const caller of callers) {
      assert.ok(caller.error instanceof ConnectionFailed);
      assert.equal((caller.error as Error).cause, cause);
    }
    assert.ok(clock.now() <= 600, "failed long before the 60 s deadline");
    await pool.close();
  });

  it("refuses callers at once while the breaker is open, without opening, then probes", async () => {
    const connector = new ManualConnector();
    connector.createError = new Error("down");
    const { pool, clock } = newPool(connector, {
      breakerMinimumFailures: 2,
      breakerOpenAfterSeconds: 0.5,
      breakerProbeSeconds: 4,
      initialBackoffSeconds: 1, // the retry comes after 0.5-1 s
    });
    const first = track(pool.get());
    await clock.tickAsync(1000);
    assert.ok(
      first.error instanceof ConnectionFailed,
      "two failures 0.5 s apart or more",
    );
    assert.equal(connector.createCalls, 2);
    await assert.rejects(pool.get(), ConnectionFailed);
    await assert.rejects(pool.get(), ConnectionFailed);
    assert.equal(connector.createCalls, 2, "no open while the breaker is open");
    await clock.tickAsync(4000); // the longest probe delay
    assert.equal(connector.createCalls, 3, "one probe, since callers asked");
    connector.createError = undefined;
    await clock.tickAsync(4000);
    const lease = await pool.get();
    assert.equal(connector.createCalls, 4, "the next probe succeeded");
    assert.equal(pool.stats().breakerState, "closed");
    lease.release();
    await pool.close();
  });

  it("doubles the backoff per failure in a row up to maxBackoffSeconds while the breaker is closed", async () => {
    const connector = new ManualConnector();
    connector.createError = new Error("down");
    const random = Math.random;
    Math.random = () => 0.999999; // jitter at its ceiling
    try {
      const { pool, clock } = newPool(connector, {
        initialBackoffSeconds: 1,
        maxBackoffSeconds: 4,
        breakerMinimumFailures: 100, // keep the breaker closed
      });
      const attempts: number[] = [];
      let caller = track(pool.get());
      let seen = 0;
      while (attempts.length < 6) {
        await flushMicrotasks();
        while (seen < connector.createCalls) {
          seen++;
          attempts.push(clock.now());
        }
        if (caller.settled) caller = track(pool.get());
        await clock.tickAsync(10);
      }
      const gaps = attempts.slice(1).map((t, i) =>
        Math.round((t - attempts[i]!) / 100) * 100
      );
      assert.deepEqual(gaps, [1000, 2000, 4000, 4000, 4000]);
      await pool.close();
    } finally {
      Math.random = random;
    }
  });

  it("counts ready() answering false as a failed open, closes that connection and keeps the caller waiting", async () => {
    const connector = new ManualConnector();
    connector.readyAnswer = false;
    const { pool, clock } = newPool(connector);
    const caller = track(pool.get());
    await clock.tickAsync(10); // the longest first backoff
    assert.equal(caller.settled, false);
    assert.deepEqual(connector.connections.map((c) => c.closeCount), [1, 1]);
    assert.equal(pool.stats().opensFailed, 2);
    connector.readyAnswer = true;
    await clock.tickAsync(40);
    assert.equal((caller.value as Lease<TestConnection>).connection.id, 3);
    (caller.value as Lease<TestConnection>).release();
    await pool.close();
  });

  it("serves callers on a connection whose ready() resolved nothing", async () => {
    const connector: Connector<{ id: number }> = {
      create: () => Promise.resolve({ id: 1 }),
      ready: () => Promise.resolve(), // a Promise<void> means ready
      close: () => Promise.resolve(),
    };
    const pool = new ConnectionPool(connector, { clock: new FakeClock() });
    assert.equal(await pool.use((conn) => conn.id), 1);
    assert.equal(pool.stats().opensFailed, 0);
    assert.equal(pool.readyConnectionCount, 1);
    await pool.close();
  });

  it("aborts an open that takes longer than createTimeoutSeconds", async () => {
    const connector = new ManualConnector(false);
    const { pool, clock } = newPool(connector, {
      createTimeoutSeconds: 0.2, // below 0.5 s, when a first open is hedged
      breakerMinimumFailures: 2,
      breakerOpenAfterSeconds: 0.1,
    });
    const caller = track(pool.get());
    await flushMicrotasks();
    assert.equal(connector.pendingCreates.length, 1);
    await clock.tickAsync(199);
    assert.equal(connector.pendingCreates.length, 1);
    await clock.tickAsync(1);
    assert.equal(
      connector.pendingCreates.length,
      0,
      "the create saw the abort",
    );
    await clock.tickAsync(20 + 200); // the retry after the first backoff times out too
    assert.ok(caller.error instanceof ConnectionFailed);
    assert.equal(((caller.error as Error).cause as Error).name, "TimeoutError");
    await pool.close();
  });

  /** One held connection at clientLimit 1 and the open it started ahead of demand still pending. */
  async function heldWithOpenPending(
    options: { acquireTimeoutSeconds?: number } = {},
  ) {
    const connector = new ManualConnector(false);
    const { pool, clock } = newPool(connector, {
      clientLimit: 1,
      maxSize: 2,
      ...options,
    });
    const first = track(pool.get());
    await flushMicrotasks();
    await connector.openOne();
    assert.equal(connector.pendingCreates.length, 1, "opened ahead of demand");
    return {
      connector,
      pool,
      clock,
      holder: first.value as Lease<TestConnection>,
    };
  }

  it("keeps waiting callers queued when full connections exist and an extra open fails", async () => {
    const { connector, pool, holder } = await heldWithOpenPending();
    const waiter = track(pool.get());
    connector.failCreate(new Error("down"));
    await flushMicrotasks();
    assert.equal(waiter.settled, false, "a held connection will free up");
    holder.release();
    await flushMicrotasks();
    assert.equal(waiter.settled, true);
    (waiter.value as Lease<TestConnection>).release();
    await pool.close();
  });

  it("names the last open failure as the cause of ConnectionsExhausted", async () => {
    const { connector, pool, clock, holder } = await heldWithOpenPending({
      acquireTimeoutSeconds: 0.05, // before the retry is overdue
    });
    const waiter = track(pool.get());
    const cause = new Error("down");
    connector.failCreate(cause);
    await clock.tickAsync(50);
    assert.ok(waiter.error instanceof ConnectionsExhausted);
    assert.equal((waiter.error as Error).cause, cause);
    holder.release();
    await pool.close();
  });
});

describe("ConnectionPool rule 8: close", () => {
  it("rejects waiting and new callers with PoolClosed and waits for leases", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, { clientLimit: 1, maxSize: 1 });
    const holder = await pool.get();
    const waiter = track(pool.get());
    const closing = track(pool.close());
    await flushMicrotasks();
    assert.ok(waiter.error instanceof PoolClosed);
    await assert.rejects(pool.get(), PoolClosed);
    await assert.rejects(pool.use(() => {}), PoolClosed);
    assert.equal(closing.settled, false, "a lease is still out");
    assert.equal(holder.connection.closeCount, 0);
    holder.release();
    await flushMicrotasks();
    assert.equal(closing.settled, true);
    assert.equal(holder.connection.closeCount, 1);
  });

  it("closes connections under their callers once the grace period passes", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector);
    const holder = await pool.get();
    const closing = track(pool.close({ timeoutSeconds: 2 }));
    await clock.tickAsync(1999);
    assert.equal(closing.settled, false);
    await clock.tickAsync(1);
    assert.equal(closing.settled, true);
    assert.equal(holder.connection.closeCount, 1);
    holder.release(); // after the forced close: harmless
    assert.equal(holder.connection.closeCount, 1);
  });

  it("closes every connection exactly once, aborts opens in flight, and returns the same promise twice", async () => {
    const connector = new ManualConnector(false);
    const { pool } = newPool(connector, {
      clientLimit: 1,
      maxSize: 3,
      maxConcurrentCreates: 3,
    });
    const callers = Array.from({ length: 3 }, () => track(pool.get()));
    await flushMicrotasks();
    connector.finishCreate();
    await flushMicrotasks();
    connector.finishReady();
    connector.finishCreate(); // created, readiness pending
    await flushMicrotasks();
    const first = pool.close();
    assert.equal(pool.close(), first);
    (callers[0]!.value as Lease<TestConnection>).release();
    await first;
    assert.equal(connector.connections.length, 2);
    assert.ok(connector.connections.every((c) => c.closeCount === 1));
    assert.equal(connector.pendingCreates.length, 0);
    assert.ok(callers.slice(1).every((c) => c.error instanceof PoolClosed));
    assert.equal(pool.closed, true);
  });

  it("closes an idle pool with no connection at once", async () => {
    const { pool } = newPool(new ManualConnector());
    await pool.close();
    assert.equal(pool.stats().isClosed, true);
    await assert.rejects(pool.warm(1), PoolClosed);
  });

  it("survives a connector whose close throws", async () => {
    const connector = new ManualConnector();
    connector.close = () => {
      throw new Error("close failed");
    };
    const { pool } = newPool(connector);
    await pool.use(() => {});
    await pool.close();
    assert.equal(pool.stats().connectionsClosed, 1);
  });
});

describe("ConnectionPool rule 9: options checked at construction", () => {
  const cases: Array<[string, unknown, typeof RangeError | typeof TypeError]> =
    [
      ["clientLimit", 0, RangeError],
      ["clientLimit", -1, RangeError],
      ["clientLimit", 1.5, RangeError],
      ["clientLimit", NaN, RangeError],
      ["clientLimit", Infinity, RangeError],
      ["clientLimit", "10", TypeError],
      ["clientLimit", null, TypeError],
      ["maxSize", -1, RangeError],
      ["maxSize", 2 ** 60, RangeError],
      ["maxConcurrentCreates", 0, RangeError],
      ["maxIdleSeconds", 0, RangeError],
      ["maxIdleSeconds", -1, RangeError],
      ["maxIdleSeconds", NaN, RangeError],
      ["maxIdleSeconds", -Infinity, RangeError],
      ["maxLifespanSeconds", 0, RangeError],
      ["acquireTimeoutSeconds", -5, RangeError],
      ["acquireTimeoutSeconds", "60", TypeError],
      ["createTimeoutSeconds", 0, RangeError],
      ["initialBackoffSeconds", -1, RangeError],
      ["breakerOpenAfterSeconds", 0, RangeError],
      ["breakerMinimumFailures", 0.5, RangeError],
      ["breakerMinimumFailures", "5", TypeError],
      ["breakerProbeSeconds", -1, RangeError],
      ["breakerProbeSeconds", Infinity, RangeError],
      ["lifespanJitter", 1, RangeError],
      ["lifespanJitter", -0.1, RangeError],
      ["lifespanJitter", NaN, RangeError],
      ["lifespanJitter", "0.1", TypeError],
      ["isConnectionError", true, TypeError],
      ["logger", {}, TypeError],
      ["clock", {}, TypeError],
      ["name", "", TypeError],
    ];
  for (const [option, value, errorClass] of cases) {
    it(`refuses ${option}: ${typeof value === "string" ? JSON.stringify(value) : String(value)}`, () => {
      assert.throws(
        () => new ConnectionPool(new ManualConnector(), { [option]: value }),
        (error: Error) => {
          assert.ok(
            error instanceof errorClass,
            `${error.name}: ${error.message}`,
          );
          assert.ok(error.message.includes(`'${option}'`), error.message);
          if (typeof value === "number") {
            assert.ok(error.message.includes(String(value)), error.message);
          }
          return true;
        },
      );
    });
  }

  it("refuses an unknown option by name", () => {
    assert.throws(
      () => new ConnectionPool(new ManualConnector(), { maxsize: 3 } as never),
      (e: Error) => e instanceof TypeError && e.message.includes("'maxsize'"),
    );
  });

  it("refuses maxConcurrentCreates above maxSize and a connector without methods", () => {
    assert.throws(
      () =>
        new ConnectionPool(new ManualConnector(), {
          maxSize: 2,
          maxConcurrentCreates: 3,
        }),
      RangeError,
    );
    assert.throws(() => new ConnectionPool({} as never), TypeError);
    assert.throws(
      () => new ConnectionPool(new ManualConnector(), null as never),
      TypeError,
    );
  });

  it("accepts fractional durations and applies the specification's defaults", async () => {
    const pool = new ConnectionPool(new ManualConnector(), {
      maxIdleSeconds: 0.05,
      acquireTimeoutSeconds: 0.5,
    });
    await pool.close();
    const connector = new ManualConnector(false);
    const defaults = new ConnectionPool(connector, {
      clientLimit: 1,
      clock: new FakeClock(),
    });
    const callers = Array.from({ length: 20 }, () => track(defaults.get()));
    await flushMicrotasks();
    assert.equal(
      connector.pendingCreates.length,
      3,
      "maxConcurrentCreates defaults to floor(10 / 3)",
    );
    await defaults.close();
    assert.ok(callers.every((c) => c.error instanceof PoolClosed));
  });

  it("refuses a bad acquireTimeoutSeconds or abortSignal on get, and names the replacement of a 0.1 option", async () => {
    const { pool } = newPool(new ManualConnector());
    await assert.rejects(pool.get({ acquireTimeoutSeconds: -1 }), RangeError);
    await assert.rejects(pool.get({ abortSignal: "nope" as never }), TypeError);
    await assert.rejects(pool.close({ timeoutSeconds: 0 }), RangeError);
    await assert.rejects(
      pool.get({ signal: AbortSignal.abort() } as never),
      /'signal' is not an option: it was renamed 'abortSignal'/,
    );
    await assert.rejects(
      pool.get({ timeoutSeconds: 1 } as never),
      /'timeoutSeconds' is not an option: it was renamed 'acquireTimeoutSeconds'/,
    );
    await pool.close();
  });
});

describe("ConnectionPool stats and warm", () => {
  it("reports counts that match what happened", async () => {
    const connector = new ManualConnector();
    const { pool, clock } = newPool(connector, {
      clientLimit: 1,
      maxSize: 1,
      acquireTimeoutSeconds: 1,
    });
    const holder = await pool.get();
    const waiter = track(pool.get());
    await clock.tickAsync(10);
    holder.release();
    await flushMicrotasks();
    const exhausted = track(pool.get());
    await clock.tickAsync(1000);
    const stats = pool.stats();
    assert.equal(stats.connectionsCreated, 1);
    assert.equal(stats.callersServed, 2);
    assert.equal(stats.callersTimedOut, 1);
    assert.equal(stats.activeCallers, 1);
    assert.equal(stats.waitP99Ms, 10);
    assert.ok(exhausted.error instanceof ConnectionsExhausted);
    (waiter.value as Lease<TestConnection>).release();
    await pool.close();
    assert.equal(pool.stats().connectionsClosed, 1);
  });

  it("warms up to maxSize connections and rejects on a failed open", async () => {
    const connector = new ManualConnector();
    const { pool } = newPool(connector, { maxSize: 3 });
    assert.equal(await pool.warm(5), 3);
    assert.equal(pool.readyConnectionCount, 3);
    await pool.close();
    const failing = new ManualConnector();
    failing.createError = new Error("down");
    const { pool: other } = newPool(failing);
    await assert.rejects(other.warm(2), ConnectionFailed);
    await assert.rejects(other.warm(-1), RangeError);
    await other.close();
  });
});
