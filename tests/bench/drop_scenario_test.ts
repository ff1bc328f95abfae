import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  runDropScenario,
  type SendRecord,
  tallyDrops,
} from "../../scripts/bench/drop_scenario.ts";

// The SDK's defaults wait 60 s, then 30 s, on a dead connection: far too long
// for a test. The shapes under test get the same short retries.
const clientOptions = {
  retryOptions: { timeoutInMs: 2000, retryDelayInMs: 50, maxRetries: 3 },
};

function ok(id: string, startedAt: number, settledAt: number): SendRecord {
  return { id, startedAt, settledAt, ok: true };
}

describe("tallyDrops", () => {
  it("counts lost, duplicated and rejected-but-stored sends from the server's ids", () => {
    const tally = tallyDrops(
      [
        ok("a", 0, 4),
        ok("b", 0, 5),
        { id: "c", startedAt: 1, settledAt: 60, ok: false, error: "Timeout" },
        { id: "d", startedAt: 2, settledAt: 61, ok: false, error: "Timeout" },
        { id: "e", startedAt: 3, settledAt: 9, ok: false, error: "Other" },
      ],
      ["a", "a", "a", "c", "warm-1", "warm-1"],
      [],
      0,
    );
    assert.deepEqual(
      {
        succeeded: tally.succeeded,
        rejected: tally.rejected,
        lost: tally.lost,
        duplicated: tally.duplicated,
        extraCopies: tally.extraCopies,
        rejectedButStored: tally.rejectedButStored,
        storedIds: tally.storedIds,
        errors: tally.errors,
      },
      {
        succeeded: 2,
        rejected: 3,
        lost: 1,
        duplicated: 1,
        extraCopies: 2,
        rejectedButStored: 1,
        storedIds: 2,
        errors: { Timeout: 2, Other: 1 },
      },
    );
  });

  it("takes each drop's recovery from the first success among the sends started after it", () => {
    const tally = tallyDrops(
      [
        ok("a", 0, 95),
        ok("b", 11, 40),
        ok("c", 12, 30),
        { id: "d", startedAt: 50, settledAt: 55, ok: false },
        { id: "e", startedAt: 60 },
      ],
      ["a", "b", "c"],
      [10, 50],
      0,
    );
    assert.deepEqual(tally.recoveryMs, [20, null]);
  });

  it("reports pending sends, and latencies as pending once they reach the percentile", () => {
    const records: SendRecord[] = [];
    for (let i = 0; i < 98; i++) records.push(ok(`s${i}`, 0, 10));
    records.push({ id: "p1", startedAt: 0 }, { id: "p2", startedAt: 0 });
    const tally = tallyDrops(records, records.map((r) => r.id), [], 7);
    assert.equal(tally.pending, 2);
    assert.equal(tally.notStarted, 7);
    assert.equal(tally.started, 100);
    assert.equal(tally.p50Ms, 10);
    assert.equal(tally.p99Ms, null);
  });
});

describe("runDropScenario", () => {
  it("counts a managed sender's sends through two drops: every one settled, none lost", async () => {
    const result = await runDropScenario({
      service: "servicebus",
      shape: "managed",
      sends: 60,
      concurrency: 20,
      capSeconds: 30,
      clientOptions,
    });
    assert.equal(result.started, 60);
    assert.equal(result.succeeded + result.rejected + result.pending, 60);
    assert.equal(result.pending, 0);
    assert.equal(result.lost, 0);
    assert.equal(result.capped, false);
    assert.ok(result.droppedConnections >= 2, `${result.droppedConnections}`);
    assert.ok(result.connections >= 3, `${result.connections}`);
    assert.equal(result.recoveryMs.length, 2);
    assert.ok(result.storedIds >= result.succeeded);
  });

  it("stores no duplicate with Service Bus duplicate detection on", async () => {
    const result = await runDropScenario({
      service: "servicebus",
      shape: "singleton",
      sends: 60,
      concurrency: 20,
      capSeconds: 30,
      duplicateDetection: true,
      clientOptions,
    });
    assert.equal(result.duplicateDetection, true);
    assert.equal(result.duplicated, 0);
    assert.equal(result.lost, 0);
    assert.equal(result.succeeded + result.rejected + result.pending, 60);
  });

  it("counts an Event Hubs producer's events by their id property", async () => {
    const result = await runDropScenario({
      service: "eventhubs",
      shape: "singleton",
      sends: 40,
      concurrency: 10,
      drops: 1,
      capSeconds: 30,
      clientOptions,
    });
    assert.equal(result.duplicateDetection, false);
    assert.equal(result.lost, 0);
    assert.equal(result.recoveryMs.length, 1);
    assert.ok(result.storedIds >= result.succeeded);
    assert.ok(result.droppedConnections >= 1);
  });

  it("refuses sizes that are not positive integers", async () => {
    await assert.rejects(
      runDropScenario({ service: "servicebus", shape: "singleton", sends: 0 }),
      /^RangeError: Cannot run the drop scenario as 'sends' must be a positive integer: received 0$/,
    );
  });
});
