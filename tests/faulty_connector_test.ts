import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionPool } from "../src/pool/connection_pool.ts";
import type { Connector } from "../src/pool/connector.ts";
import { ConnectionFailed } from "../src/pool/errors.ts";
import { FakeClock, flushMicrotasks } from "../src/testing/fake_clock.ts";
import {
  FaultyConnector,
  type FaultyConnectorOptions,
  InjectedFault,
} from "../src/testing/faulty_connector.ts";
import { track } from "./_connectors.ts";

class Conn {
  closes = 0;
  readies = 0;
  constructor(readonly id: number) {}
}

/** A well-behaved connector that records what it was asked to do. */
class Inner implements Connector<Conn> {
  readonly made: Conn[] = [];
  creates = 0;
  create(_signal: AbortSignal): Promise<Conn> {
    this.creates++;
    const conn = new Conn(this.made.length + 1);
    this.made.push(conn);
    return Promise.resolve(conn);
  }
  ready(conn: Conn): Promise<boolean> {
    conn.readies++;
    return Promise.resolve(true);
  }
  close(conn: Conn): Promise<void> {
    conn.closes++;
    return Promise.resolve();
  }
}

/** A `random` that answers the given numbers in turn, then 0.999. */
function sequence(...values: number[]): () => number {
  return () => values.shift() ?? 0.999;
}

const signal = () => new AbortController().signal;

describe("FaultyConnector options", () => {
  const rates = [
    "createFailureRate",
    "readyFailureRate",
    "hangRate",
    "closeThrowRate",
    "breakRate",
  ] as const;
  for (const option of rates) {
    for (const value of [-0.1, 1.5, NaN, Infinity, -Infinity]) {
      it(`refuses ${option}: ${value} with a RangeError naming it`, () => {
        assert.throws(
          () => new FaultyConnector(new Inner(), { [option]: value }),
          (error: Error) =>
            error instanceof RangeError && error.message.includes(option) &&
            error.message.includes(String(value)),
        );
      });
    }
    for (const value of ["0.5", null, true, {}]) {
      it(`refuses ${option}: ${JSON.stringify(value)} with a TypeError naming it`, () => {
        assert.throws(
          () =>
            new FaultyConnector(
              new Inner(),
              { [option]: value } as unknown as FaultyConnectorOptions,
            ),
          (error: Error) =>
            error instanceof TypeError && error.message.includes(option),
        );
      });
    }
  }

  it("refuses a negative, non-finite or non-number slowCloseSeconds", () => {
    for (const value of [-1, NaN, Infinity]) {
      assert.throws(
        () => new FaultyConnector(new Inner(), { slowCloseSeconds: value }),
        (error: Error) =>
          error instanceof RangeError &&
          error.message.includes("slowCloseSeconds"),
      );
    }
    assert.throws(
      () =>
        new FaultyConnector(
          new Inner(),
          { slowCloseSeconds: "1" } as unknown as FaultyConnectorOptions,
        ),
      (error: Error) =>
        error instanceof TypeError &&
        error.message.includes("slowCloseSeconds"),
    );
  });

  it("refuses an unknown option, a bad script, random or clock, and an inner without methods", () => {
    const cases: Array<[unknown, unknown, string]> = [
      [new Inner(), { hangrate: 0.1 }, "'hangrate' is not an option"],
      [new Inner(), { script: ["explode"] }, "'script'"],
      [new Inner(), { script: "fail" }, "'script'"],
      [new Inner(), { random: 0.5 }, "'random'"],
      [new Inner(), { clock: {} }, "'clock'"],
      [new Inner(), null, "'options'"],
      [{ create() {} }, {}, "'inner'"],
      [undefined, {}, "'inner'"],
    ];
    for (const [inner, options, message] of cases) {
      assert.throws(
        () =>
          new FaultyConnector(
            inner as Connector<Conn>,
            options as FaultyConnectorOptions,
          ),
        (error: Error) =>
          error instanceof TypeError && error.message.includes(message),
        message,
      );
    }
  });

  it("refuses a bad count or step in the scripting methods", () => {
    const faulty = new FaultyConnector(new Inner());
    for (const bad of [-1, 1.5, NaN]) {
      assert.throws(() => faulty.failNextCreates(bad), RangeError);
      assert.throws(() => faulty.hangNextCreates(bad), RangeError);
      assert.throws(() => faulty.failNextCloses(bad), RangeError);
    }
    assert.throws(
      () => faulty.script("ok", "boom" as "ok"),
      /"boom"/,
    );
    assert.equal(faulty.scriptedSteps, 0, "a refused script adds nothing");
  });
});

describe("FaultyConnector create and ready", () => {
  it("passes every call through when no fault is configured", async () => {
    const inner = new Inner();
    const faulty = new FaultyConnector(inner);
    const conn = await faulty.create(signal());
    assert.equal(conn, inner.made[0]);
    assert.equal(await faulty.ready(conn, signal()), true);
    assert.equal(conn.readies, 1);
    await faulty.close(conn);
    assert.equal(conn.closes, 1);
    assert.equal(faulty.faults.total, 0);
    assert.equal(faulty.counts.open, 0);
  });

  it("fails creates at the configured rate, without calling the wrapped connector", async () => {
    const inner = new Inner();
    // Draws: create 1 fails (0.1 < 0.5), create 2 succeeds (0.9), create 3 fails (0.2).
    const faulty = new FaultyConnector(inner, {
      createFailureRate: 0.5,
      random: sequence(0.1, 0.9, 0.2),
    });
    const outcomes = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(
        await faulty.create(signal()).then(
          () => "ok",
          (e: InjectedFault) => e.kind,
        ),
      );
    }
    assert.deepEqual(outcomes, ["create", "ok", "create"]);
    assert.equal(inner.creates, 1);
    assert.equal(faulty.faults.createFailures, 2);
    assert.equal(faulty.counts.creates, 3);
    assert.equal(faulty.counts.created, 1);
  });

  it("plays scripted steps in order before the rates", async () => {
    const inner = new Inner();
    const faulty = new FaultyConnector(inner, {
      script: ["fail", "readyFail", "readyFalse"],
      createFailureRate: 1,
    });
    faulty.script("ok");
    await assert.rejects(faulty.create(signal()), { kind: "create" });
    const a = await faulty.create(signal());
    await assert.rejects(faulty.ready(a, signal()), { kind: "ready" });
    const b = await faulty.create(signal());
    assert.equal(await faulty.ready(b, signal()), false);
    const c = await faulty.create(signal());
    assert.equal(await faulty.ready(c, signal()), true);
    assert.equal(c.readies, 1, "an ok step reaches the wrapped ready");
    assert.equal(a.readies + b.readies, 0);
    assert.equal(faulty.scriptedSteps, 0);
    await assert.rejects(faulty.create(signal()), { kind: "create" });
    assert.equal(faulty.faults.readyFailures, 2);
    assert.equal(faulty.faults.createFailures, 2);
  });

  it("fails ready at the configured rate", async () => {
    const faulty = new FaultyConnector(new Inner(), {
      readyFailureRate: 0.5,
      random: sequence(0.7, 0.3),
    });
    const conn = await faulty.create(signal());
    assert.equal(await faulty.ready(conn, signal()), true);
    await assert.rejects(faulty.ready(conn, signal()), InjectedFault);
  });

  it("hangs a create until its signal aborts, then rejects with the reason", async () => {
    const inner = new Inner();
    const faulty = new FaultyConnector(inner, { hangRate: 1 });
    const controller = new AbortController();
    const hung = track(faulty.create(controller.signal));
    await flushMicrotasks();
    assert.equal(hung.settled, false);
    assert.equal(faulty.counts.createsInFlight, 1);
    const reason = new Error("timed out");
    controller.abort(reason);
    await flushMicrotasks();
    assert.equal(hung.error, reason);
    assert.equal(faulty.counts.createsInFlight, 0);
    assert.equal(inner.creates, 0);
    assert.equal(faulty.faults.hangs, 1);
  });

  it("ends a hang after hangSeconds and opens as usual, unless aborted first", async () => {
    const clock = new FakeClock();
    const inner = new Inner();
    const faulty = new FaultyConnector(inner, {
      hangRate: 1,
      hangSeconds: 3,
      clock,
    });
    const slow = track(faulty.create(signal()));
    await clock.tickAsync(2999);
    assert.equal(slow.settled, false);
    assert.equal(inner.creates, 0);
    await clock.tickAsync(1);
    assert.equal(slow.value, inner.made[0]);
    assert.equal(faulty.counts.open, 1);
    const controller = new AbortController();
    const aborted = track(faulty.create(controller.signal));
    await clock.tickAsync(1000);
    controller.abort(new Error("gave up"));
    await flushMicrotasks();
    assert.equal((aborted.error as Error).message, "gave up");
    await clock.tickAsync(5000);
    assert.equal(
      inner.creates,
      1,
      "an aborted hang never reaches the inner connector",
    );
    assert.equal(clock.pendingTimers, 0, "nor leaves its timer armed");
    assert.equal(faulty.faults.hangs, 2);
  });

  it("refuses a hangSeconds that is not a positive number", () => {
    for (const value of [0, -1, NaN, Infinity]) {
      assert.throws(
        () => new FaultyConnector(new Inner(), { hangSeconds: value }),
        (error: Error) =>
          error instanceof RangeError && error.message.includes("hangSeconds"),
      );
    }
    assert.throws(
      () =>
        new FaultyConnector(
          new Inner(),
          { hangSeconds: "3" } as unknown as FaultyConnectorOptions,
        ),
      (error: Error) =>
        error instanceof TypeError && error.message.includes("hangSeconds"),
    );
  });

  it("fails every create and ready and breaks every connection while the service is down", async () => {
    const inner = new Inner();
    const faulty = new FaultyConnector(inner, { script: ["ok", "ok"] });
    const before = await faulty.create(signal());
    faulty.serviceDown();
    assert.equal(faulty.isServiceDown, true);
    assert.throws(() => faulty.check(before), FaultyConnector.isInjectedBreak);
    await assert.rejects(faulty.create(signal()), { name: "InjectedFault" });
    await assert.rejects(faulty.ready(before, signal()), {
      name: "InjectedFault",
    });
    assert.equal(faulty.scriptedSteps, 1, "a refused create takes no step");
    assert.equal(inner.creates, 1);
    faulty.serviceUp();
    const after = await faulty.create(signal());
    faulty.check(after);
    assert.equal(faulty.isBroken(before), true, "what broke stays broken");
    assert.equal(faulty.faults.createFailures, 1);
    assert.equal(faulty.faults.readyFailures, 1);
    assert.equal(faulty.faults.breaks, 1);
  });

  it("rejects a hang at once when its signal is already aborted", async () => {
    const faulty = new FaultyConnector(new Inner());
    faulty.hangNextCreates(1);
    const reason = new Error("already");
    await assert.rejects(faulty.create(AbortSignal.abort(reason)), reason);
  });

  it("tracks creates in flight and their maximum", async () => {
    const faulty = new FaultyConnector(new Inner(), { hangRate: 1 });
    const controllers = [1, 2, 3].map(() => new AbortController());
    const opens = controllers.map((c) =>
      faulty.create(c.signal).catch(() => {})
    );
    assert.equal(faulty.counts.createsInFlight, 3);
    for (const c of controllers) c.abort();
    await Promise.all(opens);
    assert.equal(faulty.counts.createsInFlight, 0);
    assert.equal(faulty.counts.maxCreatesInFlight, 3);
  });

  it("turns a synchronous throw of the wrapped create into a rejection", async () => {
    const faulty = new FaultyConnector<Conn>({
      create: () => {
        throw new Error("sync");
      },
      ready: () => Promise.resolve(true),
      close: () => Promise.resolve(),
    });
    await assert.rejects(faulty.create(signal()), { message: "sync" });
    assert.equal(faulty.counts.inFlight, 0);
  });
});

describe("FaultyConnector close", () => {
  it("delays every close by slowCloseSeconds on the given clock", async () => {
    const clock = new FakeClock();
    const faulty = new FaultyConnector(new Inner(), {
      slowCloseSeconds: 2,
      clock,
    });
    const conn = await faulty.create(signal());
    const closing = track(faulty.close(conn));
    await clock.tickAsync(1999);
    assert.equal(closing.settled, false);
    assert.equal(conn.closes, 0);
    await clock.tickAsync(1);
    assert.equal(closing.settled, true);
    assert.equal(conn.closes, 1);
    assert.equal(faulty.faults.slowCloses, 1);
  });

  it("closes the wrapped connection before throwing an injected close fault", async () => {
    const faulty = new FaultyConnector(new Inner(), {
      closeThrowRate: 0.5,
      random: sequence(0.1, 0.9),
    });
    const a = await faulty.create(signal());
    const b = await faulty.create(signal());
    await assert.rejects(faulty.close(a), { kind: "close" });
    await faulty.close(b);
    assert.equal(a.closes, 1);
    assert.equal(b.closes, 1);
    assert.equal(faulty.faults.closeThrows, 1);
    assert.equal(faulty.counts.open, 0);
  });

  it("counts a second close, or a close of an unknown connection, and does not forward it", async () => {
    const faulty = new FaultyConnector(new Inner());
    const conn = await faulty.create(signal());
    await faulty.close(conn);
    await faulty.close(conn);
    await faulty.close(new Conn(99));
    assert.equal(conn.closes, 1);
    assert.equal(faulty.counts.unexpectedCloses, 2);
    assert.equal(faulty.counts.closed, 1);
  });

  it("resolves whenIdle only after every call in flight settled", async () => {
    const clock = new FakeClock();
    const faulty = new FaultyConnector(new Inner(), {
      slowCloseSeconds: 1,
      clock,
    });
    faulty.hangNextCreates(1);
    const controller = new AbortController();
    const hung = faulty.create(controller.signal).catch(() => {});
    const conn = await faulty.create(signal());
    const closing = faulty.close(conn);
    const idle = track(faulty.whenIdle());
    await clock.tickAsync(1000);
    assert.equal(idle.settled, false, "the hang is still in flight");
    controller.abort();
    await Promise.all([hung, closing]);
    await flushMicrotasks();
    assert.equal(idle.settled, true);
  });
});

describe("FaultyConnector breaks", () => {
  it("breaks a connection at breakRate per check, and it stays broken", async () => {
    const faulty = new FaultyConnector(new Inner(), {
      breakRate: 0.5,
      random: sequence(0.9, 0.8, 0.1),
    });
    const conn = await faulty.create(signal());
    faulty.check(conn);
    faulty.check(conn);
    assert.throws(() => faulty.check(conn), FaultyConnector.isInjectedBreak);
    assert.throws(() => faulty.check(conn), FaultyConnector.isInjectedBreak);
    assert.equal(faulty.faults.breaks, 1, "a broken connection breaks once");
  });

  it("treats a closed or unknown connection as broken", async () => {
    const faulty = new FaultyConnector(new Inner());
    const conn = await faulty.create(signal());
    await faulty.close(conn);
    assert.equal(faulty.isBroken(conn), true);
    assert.throws(() => faulty.check(conn), InjectedFault);
    assert.throws(() => faulty.check(new Conn(7)), InjectedFault);
    assert.equal(faulty.faults.breaks, 0);
  });

  it("recognises only injected breaks", () => {
    assert.equal(
      FaultyConnector.isInjectedBreak(new InjectedFault("break")),
      true,
    );
    for (
      const other of [
        new InjectedFault("close"),
        new Error("break"),
        { name: "InjectedFault", kind: "create" },
        null,
        undefined,
        "InjectedFault",
      ]
    ) {
      assert.equal(FaultyConnector.isInjectedBreak(other), false);
    }
  });
});

describe("FaultyConnector under a ConnectionPool", () => {
  it("reaches callers as ConnectionFailed whose cause is the injected fault", async () => {
    const clock = new FakeClock();
    const faulty = new FaultyConnector(new Inner(), {
      script: ["fail", "readyFail", "readyFalse"],
    });
    const pool = new ConnectionPool(faulty, {
      clock,
      initialBackoffSeconds: 1,
      maxBackoffSeconds: 1,
      breakerMinimumFailures: 2,
      breakerOpenAfterSeconds: 0.5,
      breakerProbeSeconds: 10,
    });
    // One failed open keeps the caller waiting for the retry 0.5-1 s later;
    // its failure opens the breaker and fails the caller, with the last
    // fault as the cause.
    const first = track(pool.use(() => {}));
    await clock.tickAsync(1000);
    assert.ok(first.error instanceof ConnectionFailed);
    assert.ok(first.error.cause instanceof InjectedFault);
    assert.equal((first.error.cause as InjectedFault).kind, "ready");
    // While the breaker is open a newcomer fails at once, without an open.
    await assert.rejects(pool.use(() => {}), ConnectionFailed);
    assert.equal(faulty.counts.creates, 2);
    // Callers asked: a probe within 10 s, whose ready() answers false.
    await clock.tickAsync(10_000);
    assert.equal(faulty.counts.creates, 3);
    assert.equal(pool.stats().breakerState, "open");
    const third = track(pool.use(() => {}));
    await flushMicrotasks();
    assert.ok(third.error instanceof ConnectionFailed, "ready answered false");
    await clock.tickAsync(10_000); // past the next probe: a caller waits for it
    assert.equal(await pool.use((conn) => conn.id), 3);
    await pool.close();
    assert.equal(pool.stats().opensFailed, 3);
    assert.equal(faulty.counts.created, 3);
    assert.equal(faulty.counts.closed, 3, "failed readies are closed too");
    assert.equal(faulty.counts.unexpectedCloses, 0);
  });

  it("has a hung open aborted by createTimeoutSeconds", async () => {
    const clock = new FakeClock();
    const faulty = new FaultyConnector(new Inner(), {
      script: ["hang", "hang"],
    });
    const pool = new ConnectionPool(faulty, {
      clock,
      createTimeoutSeconds: 0.2, // below 0.5 s, when a first open is hedged
      acquireTimeoutSeconds: 60,
      initialBackoffSeconds: 1,
      maxBackoffSeconds: 1,
      breakerMinimumFailures: 2,
      breakerOpenAfterSeconds: 0.5,
      breakerProbeSeconds: 10,
    });
    const caller = track(pool.get());
    await clock.tickAsync(199);
    assert.equal(faulty.counts.createsInFlight, 1);
    await clock.tickAsync(1);
    assert.equal(faulty.counts.createsInFlight, 0, "the hang was aborted");
    assert.equal(
      caller.settled,
      false,
      "one failure: the caller waits for the retry",
    );
    await clock.tickAsync(1000 + 200); // the backoff, then the second hang
    assert.equal(faulty.counts.creates, 2);
    assert.ok(caller.error instanceof ConnectionFailed);
    assert.equal((caller.error.cause as Error).name, "TimeoutError");
    assert.equal(faulty.counts.createsInFlight, 0);
    await pool.close();
  });

  it("has a hung open aborted by close()", async () => {
    const faulty = new FaultyConnector(new Inner(), { hangRate: 1 });
    const pool = new ConnectionPool(faulty, { clock: new FakeClock() });
    const caller = track(pool.get());
    await flushMicrotasks();
    assert.equal(faulty.counts.createsInFlight, 1);
    await pool.close();
    await flushMicrotasks();
    assert.equal(caller.error instanceof Error, true);
    assert.equal((caller.error as Error).name, "PoolClosed");
    assert.equal(faulty.counts.createsInFlight, 0);
    await faulty.whenIdle();
  });

  it("invalidates a connection that breaks mid-use and serves the next caller from a new one", async () => {
    const faulty = new FaultyConnector(new Inner(), { breakRate: 1 });
    const pool = new ConnectionPool(faulty, {
      clock: new FakeClock(),
      isConnectionError: FaultyConnector.isInjectedBreak,
    });
    await assert.rejects(
      pool.use((conn) => faulty.check(conn)),
      FaultyConnector.isInjectedBreak,
    );
    assert.equal(await pool.use((conn) => conn.id), 2);
    await pool.close();
    assert.equal(faulty.counts.closed, 2);
    assert.equal(faulty.counts.open, 0);
  });

  it("lets the pool close every connection once although closes throw and are slow", async () => {
    const clock = new FakeClock();
    const faulty = new FaultyConnector(new Inner(), {
      closeThrowRate: 1,
      slowCloseSeconds: 3,
      clock,
    });
    const pool = new ConnectionPool(faulty, {
      clock,
      clientLimit: 1,
      maxSize: 3,
      maxConcurrentCreates: 3,
    });
    const leases = await Promise.all([pool.get(), pool.get(), pool.get()]);
    for (const lease of leases) lease.release();
    const closing = track(pool.close());
    await clock.tickAsync(2999);
    assert.equal(closing.settled, false, "close waits for slow closes");
    await clock.tickAsync(1);
    assert.equal(closing.settled, true);
    assert.equal(closing.error, undefined);
    assert.equal(faulty.faults.closeThrows, 3);
    assert.equal(
      pool.stats().connectionsClosed,
      pool.stats().connectionsCreated,
    );
    assert.equal(faulty.counts.open, 0);
    assert.equal(faulty.counts.unexpectedCloses, 0);
  });
});
