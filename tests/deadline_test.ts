import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { deadline } from "../src/pool/deadline.ts";
import { FakeClock, flushMicrotasks } from "../src/testing/fake_clock.ts";

describe("deadline", () => {
  it("resolves with the promise's value and clears its timer", async () => {
    const clock = new FakeClock();
    assert.equal(await deadline(Promise.resolve(7), 1000, { clock }), 7);
    assert.equal(clock.pendingTimers, 0);
  });

  it("rejects with a TimeoutError when the time passes first", async () => {
    const clock = new FakeClock();
    const bounded = deadline(new Promise(() => {}), 1000, { clock });
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
    const bounded = deadline(new Promise(() => {}), 1000, {
      clock,
      signal: controller.signal,
    });
    controller.abort(reason);
    await assert.rejects(bounded, (error) => error === reason);
    assert.equal(clock.pendingTimers, 0);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort("gone");
    await assert.rejects(
      deadline(Promise.resolve(1), 1000, { signal: controller.signal }),
      (e) => e === "gone",
    );
  });

  it("passes the promise's rejection through and clears its timer", async () => {
    const clock = new FakeClock();
    const failure = new Error("boom");
    await assert.rejects(
      deadline(Promise.reject(failure), 1000, { clock }),
      (e) => e === failure,
    );
    assert.equal(clock.pendingTimers, 0);
  });

  it("refuses a negative or NaN time limit", () => {
    assert.throws(() => deadline(Promise.resolve(), -1), RangeError);
    assert.throws(() => deadline(Promise.resolve(), NaN), RangeError);
  });

  it("arms no timer for an infinite limit", async () => {
    const clock = new FakeClock();
    const bounded = deadline(Promise.resolve("ok"), Infinity, { clock });
    assert.equal(clock.pendingTimers, 0);
    assert.equal(await bounded, "ok");
  });
});
