/**
 * Randomized interleavings of callers, releases, invalidations, aborts,
 * connector successes, failures and hangs (some seeds hang one open in four,
 * ignoring the abort), a service that goes down and comes back, and time,
 * under a fake clock. The pool's invariants are checked after every step; a
 * failure names its seed (replay one with POOL_SEED=<seed>).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionPool } from "../src/pool/connection_pool.ts";
import type { Connector } from "../src/pool/connector.ts";
import {
  ConnectionFailed,
  ConnectionsExhausted,
  PoolClosed,
} from "../src/pool/errors.ts";
import type { Lease } from "../src/pool/lease.ts";
import type { PoolMeter } from "../src/pool/meter.ts";
import { FakeClock, flushMicrotasks } from "../src/testing/fake_clock.ts";
import { seededRandom, withSeededMathRandom } from "./_seeded.ts";

class Conn {
  proved = false;
  closeCount = 0;
  holders = 0;
  constructor(readonly id: number) {}
}

interface Parked<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  /** A hung open ignores its abort until the scheduler settles it. */
  hung: boolean;
}

/** A connector whose every open is parked until the scheduler settles it. */
class ChaosConnector implements Connector<Conn> {
  readonly created: Conn[] = [];
  readonly creates: Parked<Conn>[] = [];
  readonly readies: Array<Parked<boolean> & { conn: Conn }> = [];
  inFlight = 0;
  violations: string[] = [];
  /** While down, every create is refused at once. */
  down = false;
  #next = 0;

  constructor(private random: () => number, private hangRate: number) {}

  create(signal: AbortSignal): Promise<Conn> {
    if (this.down) return Promise.reject(new Error("ECONNREFUSED"));
    this.inFlight++;
    const hung = this.random() < this.hangRate;
    return new Promise<Conn>((resolve, reject) => {
      const parked: Parked<Conn> = {
        hung,
        resolve: (conn) => {
          this.inFlight--;
          resolve(conn);
        },
        reject: (error) => {
          this.inFlight--;
          reject(error);
        },
      };
      this.creates.push(parked);
      if (!hung) {
        signal.addEventListener("abort", () => {
          const at = this.creates.indexOf(parked);
          if (at < 0) return;
          this.creates.splice(at, 1);
          parked.reject(signal.reason);
        }, { once: true });
      }
    });
  }

  newConn(): Conn {
    const conn = new Conn(++this.#next);
    this.created.push(conn);
    return conn;
  }

  ready(conn: Conn, signal: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const parked = {
        conn,
        hung: false,
        resolve: (ok: boolean) => {
          conn.proved = ok;
          resolve(ok);
        },
        reject,
      };
      this.readies.push(parked);
      signal.addEventListener("abort", () => {
        const at = this.readies.indexOf(parked);
        if (at >= 0) this.readies.splice(at, 1);
        reject(signal.reason);
      }, { once: true });
    });
  }

  close(conn: Conn): Promise<void> {
    conn.closeCount++;
    if (conn.holders > 0 && !this.forced) {
      this.violations.push(
        `conn#${conn.id} closed with ${conn.holders} callers`,
      );
    }
    if (this.random() < 0.1) return Promise.reject(new Error("close failed"));
    return Promise.resolve();
  }

  forced = false;
}

/** A meter that keeps only the running sum of each counter, per connection state. */
class SummingMeter implements PoolMeter {
  readonly sums = new Map<string, number>();
  #counter = (name: string) => ({
    add: (value: number, attributes?: Record<string, string>) => {
      const key = `${name} ${attributes?.["db.client.connection.state"] ?? ""}`;
      this.sums.set(key, (this.sums.get(key) ?? 0) + value);
    },
  });
  createCounter = this.#counter;
  createUpDownCounter = this.#counter;
  createHistogram = () => ({ record: () => {} });
  sum(name: string, state = ""): number {
    return this.sums.get(`${name} ${state}`) ?? 0;
  }
}

interface Caller {
  settled: boolean;
  /** When its acquire must have settled, on the fake clock. */
  deadline: number;
  lease?: Lease<Conn>;
  error?: unknown;
  controller?: AbortController;
}

const envSeed =
  (globalThis as { process?: { env?: Record<string, string | undefined> } })
    .process?.env
    ?.POOL_SEED;
const SEEDS = envSeed
  ? [Number(envSeed)]
  : Array.from({ length: 40 }, (_, i) => i + 1);

interface SeedRun {
  callers: number;
  steps: number;
  /** Callers that got ConnectionFailed (the breaker was open). */
  failedFast: number;
  /** Callers served after the service came back. */
  servedAfterUp: number;
  /** Whether an overdue open was ever seen (a hung create that ignored its abort). */
  sawOverdue: boolean;
}

async function runSeed(seed: number): Promise<SeedRun> {
  const random = seededRandom(seed);
  const pick = <T>(items: T[]): T =>
    items[Math.floor(random() * items.length)]!;
  const clock = new FakeClock();
  const connector = new ChaosConnector(random, random() < 0.5 ? 0.25 : 0.05);
  const clientLimit = 1 + Math.floor(random() * 5);
  const maxSize = 1 + Math.floor(random() * 4);
  const maxConcurrentCreates = 1 + Math.floor(random() * maxSize);
  const minReady = random() < 0.3 ? Math.floor(random() * (maxSize + 1)) : 0;
  const maxWaitingCallers = random() < 0.3
    ? Math.floor(random() * 10)
    : undefined;
  const meter = new SummingMeter();
  const acquireTimeoutSeconds = 1 + random() * 10;
  const pool = new ConnectionPool(connector, {
    clientLimit,
    maxSize,
    maxConcurrentCreates,
    maxIdleSeconds: 0.5 + random() * 5,
    maxLifespanSeconds: random() < 0.5 ? 2 + random() * 10 : undefined,
    acquireTimeoutSeconds,
    createTimeoutSeconds: 2 + random() * 3,
    minReady,
    maxWaitingCallers,
    meter,
    clock,
  });
  const recycles: Array<{ settled: boolean; error?: unknown }> = [];
  // The service is down over these steps (in a random quarter of the run).
  const downFrom = Math.floor(random() * 190);
  const downTo = downFrom + 60;
  const callers: Caller[] = [];
  const held = new Set<Caller>();
  let servedAfterUp = 0;
  let sawOverdue = false;
  let up = false; // the service came back after its outage
  const where = () =>
    `seed ${seed} (clientLimit ${clientLimit}, maxSize ${maxSize}, maxCC ${maxConcurrentCreates}, minReady ${minReady}, maxWaitingCallers ${maxWaitingCallers})`;

  const spawn = () => {
    const options: {
      abortSignal?: AbortSignal;
      acquireTimeoutSeconds?: number;
    } = {};
    const caller: Caller = { settled: false, deadline: 0 };
    if (random() < 0.15) {
      caller.controller = new AbortController();
      options.abortSignal = caller.controller.signal;
    }
    if (random() < 0.2) options.acquireTimeoutSeconds = 0.1 + random() * 3;
    caller.deadline = clock.now() +
      (options.acquireTimeoutSeconds ?? acquireTimeoutSeconds) * 1000;
    callers.push(caller);
    pool.get(options).then((lease) => {
      caller.settled = true;
      caller.lease = lease;
      if (up) servedAfterUp++;
      const conn = lease.connection;
      if (conn.closeCount !== 0) {
        connector.violations.push(`caller served closed conn#${conn.id}`);
      }
      if (!conn.proved) {
        connector.violations.push(`caller served unproved conn#${conn.id}`);
      }
      conn.holders++;
      if (conn.holders > clientLimit) {
        connector.violations.push(
          `conn#${conn.id} has ${conn.holders} callers`,
        );
      }
      held.add(caller);
    }, (error) => {
      caller.settled = true;
      caller.error = error;
      const typed = error instanceof ConnectionsExhausted ||
        error instanceof ConnectionFailed ||
        error instanceof PoolClosed ||
        error === caller.controller?.signal.reason;
      if (!typed) {
        connector.violations.push(`untyped rejection: ${String(error)}`);
      }
    });
  };

  const giveBack = (caller: Caller, invalidate: boolean) => {
    held.delete(caller);
    caller.lease!.connection.holders--;
    if (invalidate) caller.lease!.invalidate();
    else caller.lease!.release();
  };

  const check = (step: number) => {
    const at = `${where()} step ${step}`;
    assert.deepEqual(connector.violations, [], at);
    for (const view of pool.connections()) {
      assert.ok(
        view.currentClientCount <= clientLimit,
        `${at}: ${view.currentClientCount} callers on one connection`,
      );
    }
    const stats = pool.stats();
    if (stats.overdueOpens > 0) sawOverdue = true;
    assert.ok(stats.size <= maxSize, `${at}: ${stats.size} connections held`);
    // Live: created minus closed, plus creates that may still deliver (orphans too).
    const live = connector.created.filter((c) => c.closeCount === 0).length +
      connector.inFlight;
    assert.ok(live <= maxSize, `${at}: ${live} connections live or opening`);
    assert.ok(
      stats.openingConnections - stats.overdueOpens <= maxConcurrentCreates,
      `${at}: ${
        stats.openingConnections - stats.overdueOpens
      } opens in flight besides overdue ones`,
    );
    assert.equal(
      stats.readyConnections + stats.openingConnections +
        stats.drainingConnections + stats.closingConnections,
      stats.size,
      `${at}: stats add up`,
    );
    for (const caller of callers) {
      // Deadline timers round up to whole milliseconds.
      assert.ok(
        caller.settled || clock.now() < caller.deadline + 1,
        `${at}: a caller is still waiting ${
          clock.now() - caller.deadline
        } ms past its deadline`,
      );
    }
    assert.equal(stats.activeCallers, held.size, `${at}: activeCallers`);
    if (stats.waitingCallers > 0) {
      for (const view of pool.connections()) {
        if (view.isReady) {
          assert.equal(
            view.currentClientCount,
            clientLimit,
            `${at}: a caller waits while conn#${view.id} has room`,
          );
        }
      }
    }
    for (const conn of connector.created) {
      assert.ok(conn.closeCount <= 1, `${at}: conn#${conn.id} closed twice`);
    }
    if (maxWaitingCallers !== undefined) {
      assert.ok(stats.waitingCallers <= maxWaitingCallers, `${at}: queue`);
    }
    // The metrics add up at every quiet moment.
    const count = "db.client.connection.count";
    assert.equal(
      meter.sum(count, "idle") + meter.sum(count, "used"),
      stats.readyConnections + stats.drainingConnections,
      `${at}: connection count`,
    );
    assert.equal(
      meter.sum(count, "used"),
      pool.connections().filter((v) =>
        (v.state === "ready" || v.state === "draining") &&
        v.currentClientCount > 0
      ).length,
      `${at}: used connections`,
    );
    assert.equal(
      meter.sum("db.client.connection.pending_requests"),
      stats.waitingCallers,
      `${at}: pending requests`,
    );
    assert.equal(
      meter.sum("db.client.connection.timeouts"),
      stats.callersTimedOut,
      `${at}: timeouts`,
    );
  };

  const steps = 250;
  for (let step = 0; step < steps; step++) {
    connector.down = step >= downFrom && step < downTo;
    up ||= step >= downTo;
    const action = random();
    if (action < 0.25) {
      const burst = 1 + Math.floor(random() * 15);
      for (let i = 0; i < burst; i++) spawn();
    } else if (action < 0.45 && held.size > 0) {
      giveBack(pick([...held]), random() < 0.1);
    } else if (action < 0.6 && connector.creates.length > 0) {
      // Any parked open, not just the oldest; a hung one mostly stays hung, past its create timeout.
      const at = Math.floor(random() * connector.creates.length);
      const parked = connector.creates[at]!;
      if (parked.hung && random() < 0.8) continue;
      connector.creates.splice(at, 1);
      if (connector.down) parked.reject(new Error("ECONNRESET"));
      else if (random() < 0.75) parked.resolve(connector.newConn());
      else {parked.reject(
          random() < 0.5
            ? new Error("create failed")
            : "a string, not an Error",
        );}
    } else if (action < 0.72 && connector.readies.length > 0) {
      const parked = connector.readies.shift()!;
      const roll = random();
      if (connector.down) parked.reject(new Error("ECONNRESET"));
      else if (roll < 0.85) parked.resolve(true);
      else if (roll < 0.92) parked.resolve(false);
      else parked.reject(new Error("ready failed"));
    } else if (action < 0.74) {
      const recycle: { settled: boolean; error?: unknown } = { settled: false };
      recycles.push(recycle);
      pool.recycle().then(
        () => (recycle.settled = true),
        (error) => {
          recycle.settled = true;
          recycle.error = error;
        },
      );
    } else if (action < 0.78) {
      const waiting = callers.filter((c) =>
        !c.settled && c.controller && !c.controller.signal.aborted
      );
      if (waiting.length > 0) {
        pick(waiting).controller!.abort(new Error("caller aborted"));
      }
    } else {
      await clock.tickAsync(Math.floor(random() * 1500));
    }
    await flushMicrotasks();
    check(step);
  }

  // Wind down: release everything, settle every parked open, let time pass, close.
  connector.down = false;
  for (const caller of [...held]) giveBack(caller, false);
  for (let round = 0; round < 100; round++) {
    while (connector.creates.length > 0) {
      connector.creates.shift()!.resolve(connector.newConn());
    }
    while (connector.readies.length > 0) {
      connector.readies.shift()!.resolve(true);
    }
    await clock.tickAsync(1000);
    for (const caller of [...held]) giveBack(caller, false);
    if (
      callers.every((c) => c.settled) && connector.creates.length === 0 &&
      connector.readies.length === 0 && recycles.every((r) => r.settled)
    ) {
      break;
    }
  }
  check(steps);
  // Every recycle ends once the old connections are released.
  const pendingRecycles = recycles.filter((r) => !r.settled).length;
  assert.equal(pendingRecycles, 0, `${where()}: recycles never resolved`);
  assert.deepEqual(recycles.filter((r) => r.error !== undefined), []);
  // minReady: once every open in flight has settled (no time passing), the floor holds.
  for (let round = 0; round < 20; round++) {
    while (connector.creates.length > 0) {
      connector.creates.shift()!.resolve(connector.newConn());
    }
    while (connector.readies.length > 0) {
      connector.readies.shift()!.resolve(true);
    }
    await flushMicrotasks();
  }
  assert.ok(
    pool.stats().readyConnections >= minReady,
    `${where()}: ${pool.stats().readyConnections} ready, minReady ${minReady}`,
  );
  const closing = pool.close();
  for (let round = 0; round < 10; round++) {
    while (connector.creates.length > 0) {
      connector.creates.shift()!.resolve(connector.newConn());
    }
    while (connector.readies.length > 0) {
      connector.readies.shift()!.resolve(true);
    }
    for (const caller of [...held]) giveBack(caller, false);
    await clock.tickAsync(1000);
  }
  await closing;
  await flushMicrotasks();
  assert.deepEqual(connector.violations, [], where());
  const unsettled = callers.filter((c) => !c.settled).length;
  assert.equal(unsettled, 0, `${where()}: ${unsettled} callers never settled`);
  for (const conn of connector.created) {
    assert.equal(
      conn.closeCount,
      1,
      `${where()}: conn#${conn.id} closed ${conn.closeCount} times`,
    );
  }
  const stats = pool.stats();
  assert.equal(
    stats.connectionsCreated,
    connector.created.length,
    `${where()}: created count`,
  );
  assert.equal(
    stats.connectionsClosed,
    connector.created.length,
    `${where()}: closed count`,
  );
  assert.equal(stats.activeCallers, 0);
  const failedFast =
    callers.filter((c) => c.error instanceof ConnectionFailed).length;
  return {
    callers: callers.length,
    steps,
    failedFast,
    servedAfterUp,
    sawOverdue,
  };
}

describe("ConnectionPool under randomized interleavings", () => {
  it(`keeps every invariant over ${SEEDS.length} seeds`, async () => {
    let callers = 0;
    let failedFast = 0;
    let recovered = 0;
    let overdue = 0;
    for (const seed of SEEDS) {
      try {
        const run = await withSeededMathRandom(seed, () => runSeed(seed));
        callers += run.callers;
        failedFast += run.failedFast;
        if (run.servedAfterUp > 0) recovered++;
        if (run.sawOverdue) overdue++;
      } catch (error) {
        console.error(
          `pool interleaving failed for seed ${seed}; replay with POOL_SEED=${seed}`,
        );
        throw error;
      }
    }
    console.log(
      `pool interleavings: ${SEEDS.length} seeds, ${callers} callers, every invariant held; ` +
        `${failedFast} callers failed fast, ${recovered} seeds served callers after the outage, ` +
        `${overdue} seeds had overdue opens`,
    );
    assert.ok(callers > 1000, `only ${callers} callers ran`);
    if (envSeed === undefined) {
      // The interleavings must reach what they are meant to test.
      assert.ok(failedFast > 0, "no caller ever failed fast");
      assert.ok(recovered > SEEDS.length / 2, `${recovered} seeds recovered`);
      assert.ok(overdue > 0, "no open was ever overdue");
    }
  });
});
