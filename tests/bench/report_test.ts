import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { recommend } from "../../scripts/bench/recommend.ts";
import {
  markdownTable,
  recommendationLines,
  renderJson,
  renderMarkdownReport,
  type ReportInput,
  streamHeader,
  streamRow,
  tableRows,
  textTable,
} from "../../scripts/bench/report.ts";
import { cell } from "./_cells.ts";

const results = [
  cell({ maxSize: 4, clientLimit: 50, p99: 31 }),
  cell({ maxSize: 2, clientLimit: 50, p99: 180, timeouts: 12 }),
];

function input(): ReportInput {
  return {
    command: "deno task bench --rate 2000",
    flags: { rate: 2000 },
    backend: "simulated connector",
    environment: "Deno 2.9.6",
    startedAt: "2025-01-01T00:00:00.000Z",
    elapsedSeconds: 12.3,
    targetP99Ms: 50,
    offeredRate: 2000,
    results,
    recommendation: recommend(results, { targetP99Ms: 50, offeredRate: 2000 }),
    warnings: [],
  };
}

describe("tableRows", () => {
  it("lists cells smallest first with every figure and the verdict", () => {
    const rows = tableRows(results, 50, 2000);
    assert.deepEqual(rows[0], [
      "maxSize",
      "clientLimit",
      "creates",
      "served req/s",
      "latency p50/p95/p99 ms",
      "wait p50/p95/p99 ms",
      "opened",
      "waited",
      "timeouts",
      "errors",
      "target",
    ]);
    assert.deepEqual(rows[1], [
      "2",
      "50",
      "1 (auto)",
      "2,000",
      "2.5 / 90 / 180",
      "0.05 / 0.2 / 1",
      "2",
      "0",
      "12",
      "0",
      "missed",
    ]);
    assert.equal(rows[2][10], "met");
  });
});

describe("textTable and markdownTable", () => {
  it("aligns numbers right and text left, with no trailing spaces", () => {
    const text = textTable([["n", "name"], ["5", "a"], ["100", "bcd"]]);
    assert.equal(text, "  n  name\n---  ----\n  5  a\n100  bcd");
  });

  it("writes a Markdown table", () => {
    assert.equal(
      markdownTable([["a"], ["1"], ["2"]]),
      "| a |\n|---|\n| 1 |\n| 2 |",
    );
  });
});

describe("recommendationLines", () => {
  it("puts the summary first and indents each reason", () => {
    const lines = recommendationLines(input().recommendation);
    assert.equal(
      lines[0],
      "Recommendation: Set maxSize 4 x clientLimit 50: the smallest pool that met p99 ≤ 50 ms at 2,000 req/s",
    );
    assert.match(
      lines[2],
      /^ {2}- maxSize 2 x clientLimit 50 missed: p99 180 ms > 50 ms, 12 timeouts$/,
    );
  });

  it("ends with the fleet against the quota, then the options to paste", () => {
    const recommendation = recommend(results, {
      targetP99Ms: 50,
      offeredRate: 2000,
      instances: 10,
      connectionQuota: 100,
    });
    assert.deepEqual(recommendationLines(recommendation).slice(-2), [
      "Fleet: 10 instances x maxSize 4 = 40 connections fit the connection quota of 100 (60 to spare)",
      "Options to paste: { maxSize: 4, clientLimit: 50 }",
    ]);
    assert.equal(
      recommendationLines(input().recommendation).at(-1),
      "Options to paste: { maxSize: 4, clientLimit: 50 }",
    );
  });

  it("labels the closest's options when nothing met the target", () => {
    const missed = recommend([results[1]], { targetP99Ms: 50 });
    assert.equal(
      recommendationLines(missed).at(-1),
      "Options of the closest (it missed the target): { maxSize: 2, clientLimit: 50 }",
    );
  });
});

describe("streamHeader and streamRow", () => {
  it("prints a row at the header's column positions, with the final table's figures", () => {
    const [header, rule] = streamHeader().split("\n");
    assert.match(header, /^maxSize {2}clientLimit +creates/);
    assert.equal(rule.length, header.length);
    const row = streamRow(results[1], 50, 2000);
    // Right-aligned: every figure ends where its column ends.
    const ends = [...rule.matchAll(/-+/g)].map((m) => m.index! + m[0].length);
    const cells = tableRows(results, 50, 2000)[1];
    cells.slice(0, -1).forEach((text, column) => {
      assert.equal(
        row.slice(ends[column] - text.length, ends[column]),
        text,
        `column ${column}`,
      );
    });
    assert.ok(row.endsWith("  missed"));
  });

  it("keeps wide figures in their columns: 10 (auto) creates and four-digit latencies", () => {
    const wide = cell({ maxSize: 30, clientLimit: 100, p99: 1012 });
    wide.latency = { ...wide.latency, p50: 1002, p95: 1008 };
    const [header] = streamHeader().split("\n");
    const row = streamRow(wide, 50, 2000);
    assert.ok(row.endsWith("  missed"), row);
    assert.equal(
      row.slice(0, row.lastIndexOf("  ")).length,
      header.slice(0, header.lastIndexOf("  ")).length,
    );
  });
});

describe("renderMarkdownReport", () => {
  it("states the command, backend and load, then recommendation, table, chart and a reading guide", () => {
    const md = renderMarkdownReport(input(), "report.svg");
    const order = [
      "- Command: `deno task bench --rate 2000`",
      "- Backend: simulated connector",
      "2,000 req/s offered",
      "## Recommendation",
      "**Set maxSize 4 x clientLimit 50",
      "Options to paste: `{ maxSize: 4, clientLimit: 50 }`",
      "## Results",
      "| maxSize | clientLimit |",
      "](report.svg)",
      "## How to read this",
      '"rate": 2000',
    ].map((needle) => md.indexOf(needle));
    assert.ok(order.every((at) => at >= 0), `${order}`);
    assert.deepEqual([...order].sort((a, b) => a - b), order);
  });

  it("quotes warnings about the run", () => {
    const md = renderMarkdownReport({
      ...input(),
      warnings: ["The load generator fell behind"],
    }, "r.svg");
    assert.match(md, /> \[!WARNING\]\n> The load generator fell behind/);
  });
});

describe("renderJson", () => {
  it("writes the results and the chosen settings, with NaN as null", () => {
    const json = JSON.parse(renderJson({
      ...input(),
      results: [cell({ maxSize: 1, clientLimit: 1, p99: NaN, count: 0 })],
    }));
    assert.equal(json.results[0].latency.p99, null);
    assert.equal(json.targetP99Ms, 50);
    const full = JSON.parse(renderJson(input()));
    assert.deepEqual(full.recommendation.settings, {
      clientLimit: 50,
      maxSize: 4,
    });
    assert.equal(full.recommendation.met, true);
    assert.equal(
      full.recommendation.options,
      "{ maxSize: 4, clientLimit: 50 }",
    );
    assert.equal(full.recommendation.fleet, null);
  });
});
