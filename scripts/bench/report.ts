/**
 * The outputs of `deno task bench`: the terminal table, the Markdown report
 * and the JSON document. Pure: the entry point writes them.
 *
 * @module
 */

import { formatCount, formatMs } from "./format.ts";
import { compareSize, misses, type Recommendation } from "./recommend.ts";
import type { CellResult } from "./types.ts";

/** Everything a report describes. */
export interface ReportInput {
  /** The command line that reproduces the run, for example `deno task bench --rate 2000`. */
  command: string;
  /** The flags in effect, defaults included. */
  flags: Record<string, unknown>;
  /** What was measured (the backend's label). */
  backend: string;
  /** Runtime and machine, for example `Deno 2.9.6, linux x86_64, 2 CPUs`. */
  environment: string;
  /** When the run started (ISO 8601). */
  startedAt: string;
  /** How long the whole run took, seconds. */
  elapsedSeconds: number;
  /** The latency target, milliseconds. */
  targetP99Ms: number;
  /** The nominal offered rate (rate plus bursts), requests per second; 0 for a closed loop. */
  offeredRate: number;
  /** The grid's results. */
  results: CellResult[];
  /** The recommendation made from them. */
  recommendation: Recommendation;
  /** Warnings about the run itself (a launcher that fell behind). */
  warnings: string[];
}

const HEADERS = [
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
];

function triple(a: number, b: number, c: number): string {
  return `${formatMs(a)} / ${formatMs(b)} / ${formatMs(c)}`;
}

/**
 * The table's rows, smallest configuration first, as strings.
 *
 * @param results The grid's results.
 * @param targetP99Ms The latency target, milliseconds.
 * @param offeredRate The nominal offered rate; 0 for a closed loop.
 * @returns A header row then one row per cell.
 *
 * @example The header and a row
 * ```ts
 * import { tableRows } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * const rows = tableRows([], 50, 0);
 * assert.equal(rows.length, 1);
 * assert.equal(rows[0][0], "maxSize");
 * ```
 */
export function tableRows(
  results: readonly CellResult[],
  targetP99Ms: number,
  offeredRate: number,
): string[][] {
  return [
    HEADERS,
    ...[...results].sort(compareSize).map((cell) =>
      rowOf(cell, targetP99Ms, offeredRate)
    ),
  ];
}

function rowOf(
  cell: CellResult,
  targetP99Ms: number,
  offeredRate: number,
): string[] {
  const missed = misses(cell, { targetP99Ms, offeredRate });
  return [
    String(cell.settings.maxSize),
    String(cell.settings.clientLimit),
    cell.settings.maxConcurrentCreates === undefined
      ? `${cell.effectiveMaxConcurrentCreates} (auto)`
      : String(cell.settings.maxConcurrentCreates),
    formatCount(cell.throughput),
    triple(cell.latency.p50, cell.latency.p95, cell.latency.p99),
    triple(cell.wait.p50, cell.wait.p95, cell.wait.p99),
    formatCount(cell.opened),
    formatCount(cell.waited),
    formatCount(cell.timeouts),
    formatCount(cell.errors),
    missed.length === 0 ? "met" : "missed",
  ];
}

/**
 * Column widths of the streamed table: a row is printed before the others
 * are known, so the widths are fixed: each header's, or room for
 * `10 (auto)` in the creates column and `1,000 / 1,002 / 1,004` in the
 * latency and wait columns.
 */
const STREAM_WIDTHS = HEADERS.map((header, column) =>
  Math.max(
    header.length,
    ({ 2: 9, 4: 21, 5: 21 } as Record<number, number>)[column] ?? 0,
  )
);

function streamLine(cells: readonly string[]): string {
  // Every column right-aligned but the last (met / missed).
  return cells.map((cell, column) =>
    column === cells.length - 1 ? cell : cell.padStart(STREAM_WIDTHS[column])
  ).join("  ").trimEnd();
}

/**
 * The header of the table a piped run prints row by row: the column names
 * and a rule, at fixed widths.
 *
 * @returns Two lines, without a final newline.
 *
 * @example The first column
 * ```ts
 * import { streamHeader } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(streamHeader(), /^maxSize  clientLimit/);
 * ```
 */
export function streamHeader(): string {
  return [
    streamLine(HEADERS),
    STREAM_WIDTHS.map((width) => "-".repeat(width)).join("  "),
  ].join("\n");
}

/**
 * One row of the table a piped run prints as each configuration finishes,
 * at the widths of {@linkcode streamHeader}.
 *
 * @param cell The configuration's result.
 * @param targetP99Ms The latency target, milliseconds.
 * @param offeredRate The nominal offered rate; 0 for a closed loop.
 * @returns The line, without a newline.
 *
 * @example Same figures as the final table
 * ```ts
 * import { streamRow, tableRows } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * const cell = {
 *   settings: { clientLimit: 50, maxSize: 4, maxConcurrentCreates: undefined },
 *   effectiveMaxConcurrentCreates: 1, requests: 10, succeeded: 10, timeouts: 0, errors: 0,
 *   waited: 0, opened: 4, offeredRate: 0, throughput: 5, seconds: 2,
 *   wait: { count: 10, min: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 },
 *   latency: { count: 10, min: 1, mean: 1, p50: 1, p95: 2, p99: 3, max: 3 },
 * };
 * assert.deepEqual(streamRow(cell, 50, 0).split(/ {2,}/).filter(Boolean), tableRows([cell], 50, 0)[1]);
 * ```
 */
export function streamRow(
  cell: CellResult,
  targetP99Ms: number,
  offeredRate: number,
): string {
  return streamLine(rowOf(cell, targetP99Ms, offeredRate));
}

/**
 * Lays rows out as an aligned plain-text table (numbers right-aligned).
 *
 * @param rows A header row then data rows.
 * @returns The table, one line per row, with a rule under the header, no
 * trailing spaces.
 *
 * @example Alignment
 * ```ts
 * import { textTable } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(textTable([["a", "bb"], ["10", "x"]]), " a  bb\n--  --\n10  x");
 * ```
 */
export function textTable(rows: readonly string[][]): string {
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map((row) => row[column].length))
  );
  const numeric = (text: string) =>
    /^[\d,.\-/ ()auto]+$/.test(text) && /\d/.test(text);
  const line = (row: readonly string[], header: boolean) =>
    row.map((cell, column) => {
      const rightAlign = header
        ? numeric(rows[1]?.[column] ?? "")
        : numeric(cell);
      return rightAlign
        ? cell.padStart(widths[column])
        : cell.padEnd(widths[column]);
    }).join("  ").trimEnd();
  return [
    line(rows[0], true),
    widths.map((width) => "-".repeat(width)).join("  "),
    ...rows.slice(1).map((row) => line(row, false)),
  ].join("\n");
}

/**
 * Lays rows out as a Markdown table.
 *
 * @param rows A header row then data rows.
 * @returns The table.
 *
 * @example Two columns
 * ```ts
 * import { markdownTable } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(markdownTable([["a", "b"], ["1", "2"]]), "| a | b |\n|---|---|\n| 1 | 2 |");
 * ```
 */
export function markdownTable(rows: readonly string[][]): string {
  return [
    `| ${rows[0].join(" | ")} |`,
    `|${rows[0].map(() => "---").join("|")}|`,
    ...rows.slice(1).map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

/**
 * The line that ends a recommendation: the pool options to paste, or those
 * of the closest configuration when none met the target.
 *
 * @param recommendation The recommendation.
 * @param wrap Formats the code, for example as Markdown.
 * @returns The line, or `undefined` when there is nothing to paste.
 *
 * @example The options of a met target
 * ```ts
 * import { pasteLine } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   pasteLine({ met: true, choice: undefined, summary: "", reasons: [], fleet: undefined, options: "{ maxSize: 4, clientLimit: 50 }" }),
 *   "Options to paste: { maxSize: 4, clientLimit: 50 }",
 * );
 * ```
 */
export function pasteLine(
  recommendation: Recommendation,
  wrap: (code: string) => string = (code) => code,
): string | undefined {
  if (recommendation.options === undefined) return undefined;
  const label = recommendation.met
    ? "Options to paste"
    : "Options of the closest (it missed the target)";
  return `${label}: ${wrap(recommendation.options)}`;
}

/**
 * The recommendation as lines of text: the summary, each reason, the fleet
 * against the connection quota (when asked), then the options to paste.
 *
 * @param recommendation The recommendation.
 * @returns The lines.
 *
 * @example A recommendation's text
 * ```ts
 * import { recommendationLines } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * const lines = recommendationLines({
 *   met: true, choice: undefined, summary: "Set X", reasons: ["why"], fleet: undefined,
 *   options: "{ maxSize: 1, clientLimit: 10 }",
 * });
 * assert.deepEqual(lines, [
 *   "Recommendation: Set X",
 *   "  - why",
 *   "Options to paste: { maxSize: 1, clientLimit: 10 }",
 * ]);
 * ```
 */
export function recommendationLines(recommendation: Recommendation): string[] {
  const paste = pasteLine(recommendation);
  return [
    `Recommendation: ${recommendation.summary}`,
    ...recommendation.reasons.map((reason) => `  - ${reason}`),
    ...(recommendation.fleet === undefined ? [] : [recommendation.fleet]),
    ...(paste === undefined ? [] : [paste]),
  ];
}

/**
 * The Markdown report: how the run was made, the table, the recommendation,
 * the chart (an image link to `svgFileName`) and how to read them.
 *
 * @param input What was run and measured.
 * @param svgFileName The chart's file name, relative to the report.
 * @returns The Markdown document.
 *
 * @example A report links its chart
 * ```ts
 * import { renderMarkdownReport } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * const md = renderMarkdownReport({
 *   command: "deno task bench", flags: {}, backend: "simulated", environment: "Deno",
 *   startedAt: "2025-01-01T00:00:00Z", elapsedSeconds: 1, targetP99Ms: 50, offeredRate: 0,
 *   results: [], recommendation: {
 *     met: false, choice: undefined, summary: "none", reasons: [], fleet: undefined, options: undefined,
 *   },
 *   warnings: [],
 * }, "report.svg");
 * assert.match(md, /!\[.*\]\(report\.svg\)/);
 * ```
 */
export function renderMarkdownReport(
  input: ReportInput,
  svgFileName: string,
): string {
  const rec = input.recommendation;
  const load = input.offeredRate > 0
    ? `${
      formatCount(input.offeredRate)
    } req/s offered (open loop, rate plus bursts)`
    : `closed loop, ${formatCount(Number(input.flags.concurrency))} callers`;
  const lines = [
    "# Pool tuning report",
    "",
    `- Command: \`${input.command}\``,
    `- Backend: ${input.backend}`,
    `- Load: ${load}; target: whole-operation p99 ≤ ${
      formatMs(input.targetP99Ms)
    } ms`,
    `- Environment: ${input.environment}; started ${input.startedAt}; took ${
      input.elapsedSeconds.toFixed(1)
    } s`,
    "",
    "## Recommendation",
    "",
    `**${rec.summary}.**`,
    "",
    ...rec.reasons.map((reason) => `- ${reason}`),
    "",
  ];
  if (rec.fleet !== undefined) lines.push(rec.fleet, "");
  const paste = pasteLine(rec, (code) => `\`${code}\``);
  if (paste !== undefined) lines.push(paste, "");
  if (input.warnings.length > 0) {
    lines.push(
      "> [!WARNING]",
      ...input.warnings.map((warning) => `> ${warning}`),
      "",
    );
  }
  lines.push(
    "## Results",
    "",
    markdownTable(
      tableRows(input.results, input.targetP99Ms, input.offeredRate),
    ),
    "",
    `![p99 latency against maxSize, one line per clientLimit](${svgFileName})`,
    "",
    "## How to read this",
    "",
    "- Each row is one pool configuration, run fresh: an unmeasured warm-up, then the measured window.",
    "- *latency* is what a caller sees, from the request to its result (acquire wait plus operation); " +
      "failed requests count with the time they took to fail. *wait* is the acquire wait alone.",
    "- *opened* counts connections the pool opened (it grows lazily, so it can stay below maxSize); " +
      "*waited* counts requests that queued 1 ms or more for capacity; *timeouts* got " +
      "`ConnectionsExhausted` after `acquireTimeoutSeconds`.",
    "- *served req/s* below the offered rate means the pool (or the service behind it) could not keep " +
      "up: requests queued until they timed out.",
    "- In the chart, a line falling steeply with maxSize means connections are the bottleneck; lines " +
      "close together mean clientLimit hardly matters at this load. Hollow markers missed the target.",
    "- The recommendation is the smallest configuration (fewest connections, then the lowest " +
      "clientLimit) that met the target with no timeouts or errors and served 95% of the offered rate. " +
      "Among those of its maxSize with the same latency (p99 within 10% or 1 ms), callers that " +
      "waited for a connection break the tie: the smallest without that wait wins.",
    "",
    "<details><summary>Flags in effect</summary>",
    "",
    "```json",
    JSON.stringify(input.flags, null, 2),
    "```",
    "",
    "</details>",
    "",
  );
  return lines.join("\n");
}

/**
 * The machine-readable results (`--json`). `NaN` figures become `null`.
 *
 * @param input What was run and measured.
 * @returns The JSON text, ending with a newline.
 *
 * @example The recommendation is included
 * ```ts
 * import { renderJson } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * const json = JSON.parse(renderJson({
 *   command: "deno task bench", flags: {}, backend: "simulated", environment: "Deno",
 *   startedAt: "2025-01-01T00:00:00Z", elapsedSeconds: 1, targetP99Ms: 50, offeredRate: 0,
 *   results: [], recommendation: {
 *     met: false, choice: undefined, summary: "none", reasons: [], fleet: undefined, options: undefined,
 *   },
 *   warnings: [],
 * }));
 * assert.equal(json.recommendation.summary, "none");
 * ```
 */
export function renderJson(input: ReportInput): string {
  const { recommendation, ...rest } = input;
  return JSON.stringify(
    {
      ...rest,
      recommendation: {
        met: recommendation.met,
        settings: recommendation.choice?.settings ?? null,
        summary: recommendation.summary,
        reasons: recommendation.reasons,
        fleet: recommendation.fleet ?? null,
        options: recommendation.options ?? null,
      },
    },
    null,
    2,
  ) + "\n";
}
