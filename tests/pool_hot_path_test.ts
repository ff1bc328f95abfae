/**
 * The hot path's mechanisms that issue 12 changed: a release hands its place
 * straight to the oldest waiter (one clock reading, exact stats, never past a
 * connection's lifespan) and the queue's one deadline timer stays armed,
 * unref'd, while the queue is empty, yet still rejects each caller at its own
 * deadline.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionPool } from "../src/pool/connection_pool.ts";
import type { Clock } from "../src/pool/clock.ts";
import type { Lease } from "../src/pool/lease.ts";
import { FakeClock, flushMicrotasks } from "../src/testing/fake_clock.ts";

/** A timer handle with `ref`/`unref`, like Node's, Bun's and Deno's. */
interface RefHandle {
  id: number;
  held: boolean;
  cleared: boolean;
  ref(): RefHandle;
  unref(): RefHandle;
}

/** A fake clock whose handles can be unref'd, counting reads and timers. */
class RefClock implements Clock {
  readonly fake = new FakeClock();
  readonly handles: RefHandle[] = [];
  reads = 0;

  now(): number {
    this.reads++;
    return this.fake.now();
  }

  setTimeout(callback: () => void, ms: number): RefHandle {
    const handle: RefHandle = {
      id: 0,
      held: true,
      cleared: false,
      ref: () => ((handle.held = true), handle),
      unref: () => ((handle.held = false), handle),
    };
    handle.id = this.fake.setTimeout(() => {
      handle.cleared = true;
      callback();
    }, ms);
    this.handles.push(handle);
    return handle;
  }

  clearTimeout(handle: unknown): void {
    (handle as RefHandle).cleared = true;
    this.fake.clearTimeout((handle as RefHandle).id);
  }

  /** Armed timers that keep the process alive. */
  get held(): number {
    return this.handles.filter((h) => !h.cleared && h.held).length;
  }
}

const connector = () => {
  let next = 0;
  return {
    create: () => Promise.resolve({ id: ++next }),
    ready: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
};

describe("ConnectionPool hand-off to a waiter", () => {
  it("gives the released place to the oldest waiter with one clock reading and exact stats", async () => {
    const clock = new RefClock();
    const pool = new ConnectionPool(connector(), {
      clientLimit: 1,
      maxSize: 1,
      clock,
    });
    try {
      const first = await pool.get();
      const order: number[] = [];
      const waiting = [1, 2].map((n) =>
        pool.get().then((lease) => (order.push(n), lease))
      );
      await flushMicrotasks();
      assert.equal(pool.stats().waitingCallers, 2);
      clock.fake.tick(5);
      const reads = clock.reads;
      first.release();
      assert.equal(clock.reads - reads, 1, "one reading per hand-off");
      const second = await waiting[0];
      assert.equal(second.connection, first.connection);
      const stats = pool.stats();
      assert.equal(stats.activeCallers, 1);
      assert.equal(stats.waitingCallers, 1);
      assert.equal(stats.callersServed, 2);
      assert.equal(stats.readyConnections, 1);
      second.release();
      (await waiting[1]).release();
      assert.deepEqual(order, [1, 2]);
      assert.equal(pool.stats().activeCallers, 0);
      assert.equal(pool.stats().callersServed, 3);
      assert.ok(pool.stats().waitP99Ms >= 5, "the wait was measured");
    } finally {
      await pool.close();
    }
  });

  it("never hands a connection past its lifespan to a waiter: it retires and the waiter gets a new one", async () => {
    const clock = new FakeClock();
    const pool = new ConnectionPool(connector(), {
      clientLimit: 1,
      maxSize: 1,
      maxLifespanSeconds: 10,
      lifespanJitter: 0,
      clock,
    });
    try {
      const first = await pool.get();
      const waiting = pool.get({ acquireTimeoutSeconds: 60 });
      clock.jump(11_000); // timers late: only the hand-off's reading sees the lifespan over
      first.release();
      const next = await waiting;
      assert.notEqual(next.connection, first.connection);
      assert.equal(pool.stats().connectionsClosed, 1);
      next.release();
    } finally {
      await pool.close();
    }
  });
});

describe("ConnectionPool deadline timer", () => {
  it("arms one timer for lone waiters one after another and lets it go (unref'd) while nobody waits", async () => {
    const clock = new RefClock();
    const pool = new ConnectionPool(connector(), {
      clientLimit: 1,
      maxSize: 1,
      acquireTimeoutSeconds: 10,
      clock,
    });
    try {
      await pool.warm(1);
      const armedBefore = clock.handles.length; // the idle timer of the open
      let lease: Lease<{ id: number }> = await pool.get();
      for (let i = 0; i < 5; i++) {
        const waiting = pool.get();
        await flushMicrotasks();
        assert.equal(clock.held, 1, "a waiting caller holds the process");
        lease.release();
        lease = await waiting;
        assert.equal(clock.held, 0, "an empty queue holds nothing");
      }
      // One deadline timer for all five, and the clock refresh armed when the
      // first lease went out (the idle timer it replaced was already counted);
      // the place never went idle, so no idle timer.
      assert.equal(clock.handles.length - armedBefore, 2);
      lease.release();
    } finally {
      await pool.close({ timeoutSeconds: 1 });
    }
    assert.equal(clock.held, 0);
  });

  it("rejects a caller who queued after the queue emptied at its own deadline, not the old one", async () => {
    const clock = new RefClock();
    const pool = new ConnectionPool(connector(), {
      clientLimit: 1,
      maxSize: 1,
      acquireTimeoutSeconds: 10,
      clock,
    });
    try {
      const lease = await pool.get();
      const early = pool.get(); // deadline 10 s
      await flushMicrotasks();
      clock.fake.tick(1_000);
      lease.release();
      const held = await early; // the timer stays armed for 10 s
      clock.fake.tick(4_000);
      let settled = false;
      const late = pool.get(); // deadline 15 s
      late.then(() => {}, () => {}).finally(() => (settled = true));
      clock.fake.tick(5_000); // 10 s: the old deadline fires and re-arms
      await flushMicrotasks();
      assert.equal(settled, false, "not rejected at the earlier deadline");
      assert.equal(clock.held, 1);
      clock.fake.tick(4_999);
      await flushMicrotasks();
      assert.equal(settled, false, "not rejected before its deadline");
      clock.fake.tick(1);
      await assert.rejects(late, { name: "ConnectionsExhausted" });
      assert.equal(pool.stats().callersTimedOut, 1);
      assert.equal(clock.held, 0);
      held.release();
    } finally {
      await pool.close();
    }
  });

  it("rejects callers with different timeouts each at its own deadline, whichever list was used last", async () => {
    const clock = new RefClock();
    const pool = new ConnectionPool(connector(), {
      clientLimit: 1,
      maxSize: 1,
      clock,
    });
    const lease = await pool.get();
    try {
      const timedOutAt: Record<string, number> = {};
      const wait = (name: string, seconds: number) =>
        pool.get({ acquireTimeoutSeconds: seconds }).then(
          () => assert.fail(`${name} was served`),
          () => (timedOutAt[name] = clock.fake.now()),
        );
      const start = clock.fake.now();
      const waits = [wait("a", 5), wait("b", 1), wait("c", 3), wait("d", 1)];
      await flushMicrotasks();
      for (let ms = 0; ms < 6_000; ms += 250) {
        clock.fake.tick(250);
        await flushMicrotasks();
      }
      await Promise.all(waits);
      const after = (name: string) => timedOutAt[name] - start;
      assert.deepEqual(
        { a: after("a"), b: after("b"), c: after("c"), d: after("d") },
        { a: 5_000, b: 1_000, c: 3_000, d: 1_000 },
      );
      assert.equal(pool.stats().callersTimedOut, 4);
      // The queue empties and refills with a timeout used before.
      const again = wait("e", 3);
      await flushMicrotasks();
      clock.fake.tick(3_000);
      await again;
      assert.equal(timedOutAt.e - start, 9_000);
      assert.equal(clock.held, 0);
    } finally {
      lease.release();
      await pool.close();
    }
  });
});
