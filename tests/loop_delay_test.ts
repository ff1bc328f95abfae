/**
 * Tests of src/pool/_loop_delay.ts: the sampler that counts the time the
 * event loop was held, under a fake clock whose `jump` moves time without
 * firing timers, as a held loop looks.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LATE_MS, LoopDelay, SAMPLE_MS } from "../src/pool/_loop_delay.ts";
import { FakeClock } from "../src/testing/fake_clock.ts";

describe("LoopDelay", () => {
  it("counts no delay while its timer fires on time", () => {
    const clock = new FakeClock();
    const delay = new LoopDelay(clock);
    delay.start(clock.now());
    clock.tick(10_000);
    assert.equal(delay.delayedMs(clock.now()), 0);
    delay.stop();
  });

  it("counts the whole period of a firing held past its due time, already before it fires", () => {
    const clock = new FakeClock();
    const delay = new LoopDelay(clock);
    delay.start(clock.now());
    clock.tick(25); // two periods on time, the third armed at 20
    clock.jump(300); // the loop is held: nothing fires
    assert.equal(delay.delayedMs(clock.now()), 305, "the current period");
    clock.tick(0); // the late firing
    assert.equal(delay.delayedMs(clock.now()), 305);
    clock.tick(100); // on time again
    assert.equal(delay.delayedMs(clock.now()), 305);
    delay.stop();
  });

  it("ignores a firing late by no more than timer jitter", () => {
    const clock = new FakeClock();
    const delay = new LoopDelay(clock);
    delay.start(clock.now());
    clock.jump(SAMPLE_MS + LATE_MS);
    clock.tick(0);
    assert.equal(delay.delayedMs(clock.now()), 0);
    clock.jump(SAMPLE_MS + LATE_MS + 1);
    clock.tick(0);
    assert.equal(delay.delayedMs(clock.now()), SAMPLE_MS + LATE_MS + 1);
    delay.stop();
  });

  it("runs one timer only between start and stop, and keeps what it counted", () => {
    const clock = new FakeClock();
    const delay = new LoopDelay(clock);
    assert.equal(delay.sampling, false);
    delay.start(clock.now());
    delay.start(clock.now());
    assert.equal(clock.pendingTimers, 1);
    clock.jump(100);
    clock.tick(0);
    delay.stop();
    assert.equal(delay.sampling, false);
    assert.equal(clock.pendingTimers, 0);
    clock.jump(1000); // not sampling: not counted
    assert.equal(delay.delayedMs(clock.now()), 100);
    delay.stop();
  });
});
