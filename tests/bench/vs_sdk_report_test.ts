import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { DropScenarioResult } from "../../scripts/bench/drop_scenario.ts";
import type { Figures } from "../../scripts/bench/vs_sdk_measure.ts";
import {
  callsList,
  dropTable,
  formatRatio,
  formatSpread,
  median,
  type PhaseResult,
  renderVsSdkReport,
  roundRatios,
  throughputTable,
  type VsSdkReportInput,
} from "../../scripts/bench/vs_sdk_report.ts";

function figures(opsPerSecond: number, p99Ms: number, errors = 0): Figures {
  return { ops: opsPerSecond, errors, opsPerSecond, p50Ms: p99Ms / 2, p99Ms };
}

/** Service Bus on loopback, three rounds at c1 and c500. */
function phase(): PhaseResult {
  return {
    service: "servicebus",
    rttMs: 0,
    concurrencies: [1, 500],
    shapes: [
      {
        id: "singleton",
        label: "ServiceBusClient + sender (singleton)",
        role: "singleton",
        api: "sendMessages({ body, messageId })",
        byConcurrency: {
          "1": [figures(7000, 0.4), figures(7200, 0.5), figures(6800, 0.3)],
          "500": [
            figures(20000, 40),
            figures(22000, 50),
            figures(21000, 45),
          ],
        },
      },
      {
        id: "managed-1",
        label: "ManagedServiceBusSender maxSize 1",
        role: "managed",
        api: "sendMessages({ body, messageId })",
        byConcurrency: {
          "1": [figures(7000, 0.4), figures(6480, 0.5), figures(7140, 0.36)],
          "500": [
            figures(18000, 80, 3),
            figures(22000, 50),
            figures(23100, 36),
          ],
        },
      },
      {
        id: "per-op",
        label: "new ServiceBusClient per send",
        role: "per-op",
        api: "sendMessages({ body, messageId })",
        byConcurrency: {
          "1": [figures(70, 20), figures(72, 20), figures(68, 20)],
          "500": [figures(100, 900), figures(110, 950), figures(105, 1000)],
        },
      },
    ],
  };
}

function dropResult(
  overrides: Partial<DropScenarioResult> = {},
): DropScenarioResult {
  return {
    service: "servicebus",
    shape: "managed",
    label: "ManagedServiceBusSender (defaults)",
    api: "sendMessages({ body, messageId })",
    duplicateDetection: false,
    sends: 3000,
    concurrency: 500,
    drops: 2,
    started: 3000,
    succeeded: 2990,
    rejected: 10,
    pending: 0,
    notStarted: 0,
    lost: 0,
    duplicated: 4,
    extraCopies: 4,
    rejectedButStored: 2,
    storedIds: 2992,
    recoveryMs: [12.5, 1500],
    p50Ms: 30,
    p99Ms: 420,
    errors: { ServiceTimeout: 10 },
    droppedConnections: 2,
    connections: 3,
    duplicatesDropped: 0,
    wallMs: 4200,
    capped: false,
    capSeconds: 240,
    ...overrides,
  };
}

function input(overrides: Partial<VsSdkReportInput> = {}): VsSdkReportInput {
  return {
    command: "deno task bench:vs-sdk --rounds 3",
    environment: "Deno 2.9.6, linux x86_64, 2 CPUs",
    startedAt: "2026-12-07T10:00:00.000Z",
    elapsedSeconds: 61.2,
    rounds: 3,
    perOpOps: 20,
    phases: [phase()],
    drop: {
      sends: 3000,
      concurrency: 500,
      drops: 2,
      capSeconds: 240,
      rttMs: 0,
    },
    drops: [{ runtime: "Deno 2.9.6", results: [dropResult()] }],
    ...overrides,
  };
}

describe("formatRatio, median and formatSpread", () => {
  it("gives a ratio the digits its magnitude needs", () => {
    assert.equal(formatRatio(0.0021), "0.0021");
    assert.equal(formatRatio(0.0999), "0.10");
    assert.equal(formatRatio(1), "1.00");
    assert.equal(formatRatio(9.994), "9.99");
    assert.equal(formatRatio(45.67), "45.7");
    assert.equal(formatRatio(2500), "2,500");
    assert.equal(formatRatio(0), "0");
    assert.equal(formatRatio(NaN), "-");
    assert.equal(formatRatio(Infinity), "∞");
  });

  it("takes the median of odd and even counts, and NaN of none", () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([1, 2, 3, 10]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it("shows the median and the range over rounds, skipping rounds without a ratio", () => {
    assert.equal(formatSpread([0.9, 1.1, 1.0]), "1.00 [0.90-1.10]");
    assert.equal(formatSpread([0.9, NaN]), "0.90");
    assert.equal(formatSpread([]), "-");
  });
});

describe("roundRatios", () => {
  it("divides each round by the singleton's same round", () => {
    const [singleton, managed] = phase().shapes;
    assert.deepEqual(
      roundRatios(managed, singleton, 1, "throughput").map((r) =>
        Number(r.toFixed(3))
      ),
      [1, 0.9, 1.05],
    );
    assert.deepEqual(
      roundRatios(managed, singleton, 500, "p99"),
      [2, 1, 0.8],
    );
  });

  it("is empty for a concurrency neither measured", () => {
    const [singleton, managed] = phase().shapes;
    assert.deepEqual(roundRatios(managed, singleton, 20, "throughput"), []);
  });
});

describe("throughputTable", () => {
  it("holds the singleton's own figures, the others' ratios, the per-op note and the failures", () => {
    assert.deepEqual(throughputTable(phase(), 3, 20), [
      "### Service Bus, loopback, no added latency",
      "",
      "Throughput and p99 latency as a ratio to the singleton, median [min-max] over 3 rounds (throughput: higher is better; p99: lower is better). The singleton's row holds its own figures.",
      "",
      "| client | c1 | c500 | p99 c1 | p99 c500 |",
      "|---|---:|---:|---:|---:|",
      "| ServiceBusClient + sender (singleton) | 7,000/s | 21,000/s | 0.4 ms | 45 ms |",
      "| ManagedServiceBusSender maxSize 1 | 1.00 [0.90-1.05] | 1.00 [0.90-1.10] | 1.00 [1.00-1.20] | 1.00 [0.80-2.00] |",
      "| new ServiceBusClient per send ¹ | 0.010 [0.010-0.010] | 0.0050 [0.0050-0.0050] | 50.0 [40.0-66.7] | 22.2 [19.0-22.5] |",
      "",
      "- ¹ A new client per operation is slow: 20 operations per round at concurrency min(c, 20), against the singleton at c.",
      "- ManagedServiceBusSender maxSize 1 at c500: 3 failed operations (not in the figures)",
    ]);
  });

  it("names the added round trip in the heading", () => {
    const [heading] = throughputTable({ ...phase(), rttMs: 20 }, 3, 20);
    assert.equal(
      heading,
      "### Service Bus, 20 ms round trip added (10 ms each way, by the servers' proxy)",
    );
  });
});

describe("dropTable", () => {
  it("lists the counts per runtime and shape, and the errors below", () => {
    const lines = dropTable(input());
    assert.match(
      lines[2],
      /^3,000 sends, each with its own id, at concurrency 500; the server ends every connection after 1,000 and 2,000 sends were started\. /,
    );
    assert.equal(
      lines[4],
      "| runtime | service | client | dedupe | ok | rejected | pending | lost | duplicated | rejected but stored | recovery | p50 | p99 | wall |",
    );
    assert.equal(
      lines[6],
      "| Deno 2.9.6 | Service Bus | ManagedServiceBusSender (defaults) | off | 2,990 | 10 | 0 | 0 | 4 | 2 | 12.5 ms, 1.5 s | 30 ms | 420 ms | 4.2 s |",
    );
    assert.deepEqual(lines.slice(7), [
      "",
      "- Deno 2.9.6, Service Bus, ManagedServiceBusSender (defaults): errors ServiceTimeout x10",
    ]);
  });

  it("shows pending sends, a capped wall time, duplicate detection and Event Hubs' n/a", () => {
    const lines = dropTable(input({
      drops: [{
        runtime: "Node 20.20.2",
        results: [
          dropResult({
            shape: "singleton",
            label: "ServiceBusClient + sender (singleton)",
            duplicateDetection: true,
            succeeded: 2000,
            rejected: 0,
            pending: 500,
            notStarted: 500,
            recoveryMs: [90_000, null],
            p99Ms: null,
            errors: {},
            wallMs: 240_000,
            capped: true,
          }),
          dropResult({ service: "eventhubs", errors: {} }),
        ],
      }],
    }));
    assert.ok(lines.includes(
      "| Node 20.20.2 | Service Bus | ServiceBusClient + sender (singleton) | on | 2,000 | 0 | 1,000 | 0 | 4 | 2 | 90.0 s, pending | 30 ms | pending | 240.0 s (cap) |",
    ));
    assert.ok(
      lines.some((line) =>
        line.includes("| Event Hubs |") && line.includes("| n/a |")
      ),
    );
    assert.ok(lines.includes(
      "- Node 20.20.2, Service Bus, ServiceBusClient + sender (singleton) (dedupe): 500 of the pending were never started (the cap came first)",
    ));
  });

  it("notes a runtime that failed, and is empty when the scenario did not run", () => {
    const failed = dropTable(input({
      drops: [{ runtime: "bun", results: [], error: "exited with code 1" }],
    }));
    assert.ok(failed.includes("- bun: failed: exited with code 1"));
    assert.deepEqual(dropTable(input({ drops: [] })), []);
  });
});

describe("renderVsSdkReport and callsList", () => {
  it("puts the command, the environment, every table and the calls in one markdown text", () => {
    const text = renderVsSdkReport(input());
    assert.ok(text.startsWith(
      "## Managed clients against one long-lived SDK client\n\n```\ndeno task bench:vs-sdk --rounds 3\n```\n",
    ));
    assert.match(
      text,
      /Deno 2\.9\.6, linux x86_64, 2 CPUs; started 2026-12-07T10:00:00\.000Z, took 61 s\./,
    );
    assert.match(text, /### Service Bus, loopback, no added latency/);
    assert.match(text, /### Connection drops/);
    assert.match(
      text,
      /- Service Bus, ManagedServiceBusSender maxSize 1: `sendMessages\(\{ body, messageId \}\)`/,
    );
    assert.ok(text.endsWith("\n"));
  });

  it("lists each shape's call once", () => {
    const lines = callsList(input());
    assert.equal(lines[0], "Calls measured:");
    assert.equal(
      lines.filter((line) => line.includes("ManagedServiceBusSender maxSize 1"))
        .length,
      1,
    );
  });
});
