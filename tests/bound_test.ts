import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bound } from "../src/pool/_bound.ts";
import { FakeClock, flushMicrotasks } from "../src/testing/fake_clock.ts";

describe("bound", () => {
  it("resolves with the promise's value and clears its timer", async () => {
    const clock = new FakeClock();
    assert.equal(
      await bound(Promise.resolve(7), { timeoutMs: 1000, clock }),
      7,
    );
    assert.equal(clock.pendingTimers, 0);
  });

  it("rejects with a TimeoutError when the time passes first", async () => {
    const clock = new FakeClock();
    const bounded = bound(new Promise(() => {}), { timeoutMs: 1000, clock });
    let settled = false;
    bounded.catch(() => (settled = true));
    clock.tick(999);
    await flushMicrotasks();
    assert.equal(settled, false);
    clock.tick(1);
    await assert.rejects(
      bounded,
      (error: Error) => error.name === "TimeoutError",
    );
  });

  it("rejects with the signal's reason unchanged and leaves no timer", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const reason = new Error("stop");
    const bounded = bound(new Promise(() => {}), {
      timeoutMs: 1000,
      clock,
      abortSignal: controller.signal,
    });
    controller.abort(reason);
    await assert.rejects(bounded, (error) => error === reason);
    assert.equal(clock.pendingTimers, 0);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort("gone");
    await assert.rejects(
      bound(Promise.resolve(1), {
        timeoutMs: 1000,
        abortSignal: controller.signal,
      }),
      (e) => e === "gone",
    );
  });

  it("passes the promise's rejection through and clears its timer", async () => {
    const clock = new FakeClock();
    const failure = new Error("boom");
    await assert.rejects(
      bound(Promise.reject(failure), { timeoutMs: 1000, clock }),
      (e) => e === failure,
    );
    assert.equal(clock.pendingTimers, 0);
  });

  it("refuses a negative or NaN time limit", () => {
    assert.throws(
      () => bound(Promise.resolve(), { timeoutMs: -1 }),
      RangeError,
    );
    assert.throws(
      () => bound(Promise.resolve(), { timeoutMs: NaN }),
      RangeError,
    );
  });

  it("arms no timer for an infinite limit", async () => {
    const clock = new FakeClock();
    const bounded = bound(Promise.resolve("ok"), {
      timeoutMs: Infinity,
      clock,
    });
    assert.equal(clock.pendingTimers, 0);
    assert.equal(await bounded, "ok");
  });

  it("hands a value that arrives after a timeout to onLate", async () => {
    const clock = new FakeClock();
    let deliver!: (value: string) => void;
    const late: PromiseSettledResult<string>[] = [];
    const bounded = bound(new Promise<string>((r) => (deliver = r)), {
      timeoutMs: 10,
      clock,
      onLate: (outcome) => late.push(outcome),
    });
    clock.tick(10);
    await assert.rejects(bounded, { name: "TimeoutError" });
    assert.deepEqual(late, []);
    deliver("connection");
    await flushMicrotasks();
    assert.deepEqual(late, [{ status: "fulfilled", value: "connection" }]);
  });

  it("hands a late rejection after an abort to onLate, not to the caller", async () => {
    const controller = new AbortController();
    let fail!: (error: Error) => void;
    const late: PromiseSettledResult<never>[] = [];
    const bounded = bound(new Promise<never>((_, r) => (fail = r)), {
      abortSignal: controller.signal,
      onLate: (outcome) => late.push(outcome),
    });
    controller.abort("stop");
    await assert.rejects(bounded, (e) => e === "stop");
    const failure = new Error("late");
    fail(failure);
    await flushMicrotasks();
    assert.deepEqual(late, [{ status: "rejected", reason: failure }]);
  });
});
