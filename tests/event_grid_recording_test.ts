/**
 * `RecordingEventGridPublisher` records per topic, fails on script, closes
 * like the publisher, and shares `EventGridEventPublisher` with
 * `EventGridPublisher`.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventGridPublisher, PoolClosed } from "../src/event_grid/mod.ts";
import {
  type EventGridEventPublisher,
  RecordingEventGridPublisher,
} from "../src/testing/mod.ts";

const placed = {
  eventType: "Order.Placed",
  subject: "orders/1",
  data: { id: 1 },
};

/** Code under test, written against the interface. */
async function onOrder(
  grid: EventGridEventPublisher,
  id: number,
): Promise<void> {
  await grid.emitEvent("orders", { ...placed, subject: `orders/${id}` });
  await grid.send("audit", [{
    type: "Audit.Order",
    source: "/shop",
    data: { id },
  }]);
}

describe("RecordingEventGridPublisher", () => {
  it("records each topic's events in order, and every call", async () => {
    const grid = new RecordingEventGridPublisher();
    await onOrder(grid, 1);
    await onOrder(grid, 2);
    assert.deepEqual(
      grid.events("orders").map((e) => "subject" in e && e.subject),
      [
        "orders/1",
        "orders/2",
      ],
    );
    assert.equal(grid.events("audit").length, 2);
    assert.deepEqual(grid.events("billing"), []);
    assert.deepEqual(
      grid.calls.map((c) => [c.method, c.topic, c.events.length]),
      [
        ["emitEvent", "orders", 1],
        ["send", "audit", 1],
        ["emitEvent", "orders", 1],
        ["send", "audit", 1],
      ],
    );
  });

  it("fails the next calls with failNext, recording them without their events", async () => {
    const grid = new RecordingEventGridPublisher();
    const busy = new Error("busy");
    grid.failNext(2, busy);
    await assert.rejects(grid.emitEvent("orders", placed), (e) => e === busy);
    await assert.rejects(
      grid.send("orders", [{ ...placed, dataVersion: "1" }]),
      (e) => e === busy,
    );
    await grid.emitEvent("orders", placed);
    assert.equal(grid.events("orders").length, 1);
    assert.deepEqual(grid.calls.map((c) => c.error), [busy, busy, undefined]);
    assert.throws(() => grid.failNext(0, busy), RangeError);
  });

  it("refuses topics not listed, a non-array, an aborted signal, and calls after close", async () => {
    const grid = new RecordingEventGridPublisher({ topics: ["orders"] });
    await assert.rejects(
      grid.emitEvent("audit", placed),
      /'audit' is not one of this publisher's topics: known topics are orders/,
    );
    await assert.rejects(grid.send("orders", placed as never), TypeError);
    const reason = new Error("stop");
    await assert.rejects(
      grid.emitEvent("orders", placed, {
        abortSignal: AbortSignal.abort(reason),
      }),
      (e) => e === reason,
    );
    await grid.close();
    assert.equal(grid.closed, true);
    await assert.rejects(grid.emitEvent("orders", placed), PoolClosed);
    assert.throws(
      () => new RecordingEventGridPublisher({ topic: ["a"] } as never),
      /'topic' is not an option/,
    );
  });

  it("stands where EventGridPublisher stands (the same interface)", async () => {
    const publisher = new EventGridPublisher({
      topics: {
        orders: {
          endpoint: "https://o.eventgrid.azure.net/api/events",
          key: "a2V5",
        },
        audit: {
          endpoint: "https://a.eventgrid.azure.net/api/events",
          key: "a2V5",
          schema: "CloudEvent",
        },
      },
    });
    const both: EventGridEventPublisher[] = [
      publisher,
      new RecordingEventGridPublisher(),
    ];
    for (const grid of both) await grid.close();
    assert.equal(publisher.closed, true);
  });
});
