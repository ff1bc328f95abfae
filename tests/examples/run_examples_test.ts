/**
 * Runs the README's examples, the programs `readme_*.ts` of this folder
 * (each starts the local server it needs and closes it with `await using`),
 * and checks what each printed. On Deno they run from source; on Node.js
 * and Bun from the compiled copy under npm/tests/examples/.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** Runs `load` (an example's import) and returns the arguments of each `console.log` call. */
async function printedBy(load: () => Promise<unknown>): Promise<unknown[][]> {
  const lines: unknown[][] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args);
  try {
    await load();
  } finally {
    console.log = log;
  }
  return lines;
}

/** What each example prints, by its file's stem. */
const EXAMPLES: Record<string, () => Promise<unknown>> = {
  readme_service_bus: () => import("./readme_service_bus.ts"),
  readme_cosmos: () => import("./readme_cosmos.ts"),
  readme_event_hubs: () => import("./readme_event_hubs.ts"),
  readme_pool: () => import("./readme_pool.ts"),
  readme_blob: () => import("./readme_blob.ts"),
  readme_event_grid: () => import("./readme_event_grid.ts"),
};

describe("the README's examples", () => {
  it("are every program of this folder", () => {
    const programs = readdirSync(dirname(fileURLToPath(import.meta.url)))
      .filter((name) => /^readme_\w+\.[jt]s$/.test(name))
      .filter((name) => !/_test\.[jt]s$/.test(name))
      .map((name) => name.replace(/\.[jt]s$/, ""))
      .sort();
    assert.deepEqual(programs, Object.keys(EXAMPLES).sort());
  });

  it("Service Bus: the message sent is received once, with its id", async () => {
    assert.deepEqual(await printedBy(EXAMPLES.readme_service_bus), [
      ["order-1", { id: 1, total: 42 }],
    ]);
  });

  it("Cosmos DB: the item written is read back", async () => {
    assert.deepEqual(await printedBy(EXAMPLES.readme_cosmos), [[42]]);
  });

  it("Event Hubs: the events sent are stored in order", async () => {
    assert.deepEqual(await printedBy(EXAMPLES.readme_event_hubs), [
      [[{ celsius: 21.5 }, { celsius: 21.6 }, { celsius: 21.7 }]],
    ]);
  });

  it("the pool: three concurrent callers share one connection", async () => {
    assert.deepEqual(await printedBy(EXAMPLES.readme_pool), [
      [["200 /a", "200 /b", "200 /c"], 1],
    ]);
  });

  it("Blob Storage: the blob uploaded is listed and read back", async () => {
    assert.deepEqual(await printedBy(EXAMPLES.readme_blob), [[
      "2026/q4.csv",
      18,
    ]]);
  });

  it("Event Grid: the event emitted reaches its topic", async () => {
    assert.deepEqual(await printedBy(EXAMPLES.readme_event_grid), [[[
      "Order.Placed",
    ]]]);
  });
});
