import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionFailed, ConnectionPool } from "../../mod.ts";
import { FakeClock, FaultyConnector } from "../../src/testing/mod.ts";

describe("a pool over a service that goes down", () => {
  it("fails callers fast while it is down, and serves them once it is back", async () => {
    const clock = new FakeClock(); // time moves only when the test says so
    const faulty = new FaultyConnector({
      create: () => Promise.resolve({ id: 1 }),
      ready: () => Promise.resolve(true),
      close: () => Promise.resolve(),
    }, { clock });
    await using pool = new ConnectionPool(faulty, { clock });

    faulty.serviceDown();
    const caller = pool.use(() => {});
    await clock.tickAsync(1000); // opens keep failing: the breaker opens
    await assert.rejects(caller, ConnectionFailed);
    assert.equal(pool.stats().breakerState, "open");

    faulty.serviceUp();
    await clock.tickAsync(1000); // past the next probe
    assert.equal(await pool.use((connection) => connection.id), 1);
    assert.equal(pool.stats().breakerState, "closed");
  });
});
