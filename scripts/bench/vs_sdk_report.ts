/**
 * The report of `deno task bench:vs-sdk`: markdown tables of each client
 * shape's ratio to the singleton (one long-lived SDK client), per service,
 * without and with added latency, then the connection-drop scenario's
 * counts. Pure: no runtime APIs, so the normal test suite runs it on Deno,
 * Node and Bun.
 *
 * @module
 */

import type { DropScenarioResult } from "./drop_scenario.ts";
import { formatCount, formatMs } from "./format.ts";
import type { ShapeRole } from "./vs_sdk_clients.ts";
import type { Figures } from "./vs_sdk_measure.ts";

/** The services the bench compares on. */
export type VsSdkService = "servicebus" | "eventhubs" | "cosmos";

/** One shape's figures in one phase: per concurrency, one entry per round. */
export interface ShapeResult {
  /** The shape's id (`managed-1`). */
  id: string;
  /** The row label. */
  label: string;
  /** The singleton (the baseline), a managed client, or a new client per operation. */
  role: ShapeRole;
  /** The call that sent, as the shape reported it. */
  api: string;
  /** Per concurrency (`"20"`), the figures of each round in order. */
  byConcurrency: Record<string, Figures[]>;
}

/** One service at one latency. */
export interface PhaseResult {
  /** The service. */
  service: VsSdkService;
  /** The round trip the servers' proxy added, ms (0: none, no proxy). */
  rttMs: number;
  /** The concurrencies, in column order. */
  concurrencies: number[];
  /** The shapes, singleton first. */
  shapes: ShapeResult[];
}

/** The drop scenario on one runtime. */
export interface DropRuntimeResult {
  /** For example `Deno 2.9.6`. */
  runtime: string;
  /** One result per scenario run. */
  results: DropScenarioResult[];
  /** Why the runtime's run failed, if it did. */
  error?: string;
}

/** Everything the report shows. */
export interface VsSdkReportInput {
  /** The command line that repeats the run. */
  command: string;
  /** Runtime, OS and CPUs of the process that measured the throughput. */
  environment: string;
  /** When the run started (ISO 8601). */
  startedAt: string;
  /** How long the whole run took, seconds. */
  elapsedSeconds: number;
  /** Interleaved rounds per phase. */
  rounds: number;
  /** Operations per round of the new-client-per-operation rows. */
  perOpOps: number;
  /** The throughput phases. */
  phases: PhaseResult[];
  /** The drop scenario's settings. */
  drop: {
    sends: number;
    concurrency: number;
    drops: number;
    capSeconds: number;
    rttMs: number;
  };
  /** The drop scenario, per runtime (empty when not run). */
  drops: DropRuntimeResult[];
}

const SERVICE_NAMES: Record<VsSdkService, string> = {
  servicebus: "Service Bus",
  eventhubs: "Event Hubs",
  cosmos: "Cosmos DB",
};

/**
 * Formats a ratio with the digits a reader needs: two significant digits
 * under 0.1, two decimals under 10, one under 100, none above.
 *
 * @param ratio The ratio.
 * @returns For example `"0.0042"`, `"0.97"`, `"12.5"`, or `"-"` for `NaN`.
 *
 * @example Four magnitudes
 * ```ts
 * import { formatRatio } from "./vs_sdk_report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatRatio(0.004213), "0.0042");
 * assert.equal(formatRatio(0.974), "0.97");
 * assert.equal(formatRatio(12.46), "12.5");
 * assert.equal(formatRatio(1234.4), "1,234");
 * ```
 */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return Number.isNaN(ratio) ? "-" : "∞";
  if (ratio === 0) return "0";
  if (ratio < 0.1) return ratio.toPrecision(2);
  if (ratio < 10) return ratio.toFixed(2);
  if (ratio < 100) return ratio.toFixed(1);
  return formatCount(ratio);
}

/**
 * The median of some values (the mean of the middle two for an even count).
 *
 * @param values The values, in any order.
 * @returns The median, or `NaN` for none.
 *
 * @example
 * ```ts
 * import { median } from "./vs_sdk_report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(median([3, 1, 2]), 2);
 * assert.equal(median([4, 1, 2, 3]), 2.5);
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[mid]
    : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Formats ratios over rounds as `median [min-max]` (just the median for one
 * round).
 *
 * @param ratios One ratio per round.
 * @returns For example `"0.97 [0.91-1.02]"`, or `"-"` for none.
 *
 * @example Three rounds
 * ```ts
 * import { formatSpread } from "./vs_sdk_report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatSpread([1.02, 0.91, 0.97]), "0.97 [0.91-1.02]");
 * assert.equal(formatSpread([0.5]), "0.50");
 * ```
 */
export function formatSpread(ratios: readonly number[]): string {
  const finite = ratios.filter((ratio) => !Number.isNaN(ratio));
  if (finite.length === 0) return "-";
  const mid = formatRatio(median(finite));
  if (finite.length === 1) return mid;
  return `${mid} [${formatRatio(Math.min(...finite))}-${
    formatRatio(Math.max(...finite))
  }]`;
}

/**
 * A shape's ratios to the singleton, round by round, at one concurrency.
 *
 * @param shape The shape.
 * @param singleton The baseline.
 * @param concurrency The column.
 * @param metric Throughput or p99 latency.
 * @returns One ratio per round both measured (`NaN` where the singleton's is 0).
 *
 * @example Throughput ratios over two rounds
 * ```ts
 * import { roundRatios, type ShapeResult } from "./vs_sdk_report.ts";
 * import assert from "node:assert/strict";
 *
 * const f = (opsPerSecond: number, p99Ms: number) =>
 *   ({ ops: 1, errors: 0, opsPerSecond, p50Ms: p99Ms, p99Ms });
 * const shape = (byConcurrency: ShapeResult["byConcurrency"]): ShapeResult =>
 *   ({ id: "x", label: "x", role: "managed", api: "", byConcurrency });
 * const singleton = shape({ "1": [f(100, 2), f(200, 2)] });
 * const managed = shape({ "1": [f(90, 3), f(220, 1)] });
 * assert.deepEqual(roundRatios(managed, singleton, 1, "throughput"), [0.9, 1.1]);
 * assert.deepEqual(roundRatios(managed, singleton, 1, "p99"), [1.5, 0.5]);
 * ```
 */
export function roundRatios(
  shape: ShapeResult,
  singleton: ShapeResult,
  concurrency: number,
  metric: "throughput" | "p99",
): number[] {
  const ours = shape.byConcurrency[String(concurrency)] ?? [];
  const base = singleton.byConcurrency[String(concurrency)] ?? [];
  const ratios: number[] = [];
  for (let round = 0; round < Math.min(ours.length, base.length); round++) {
    const [a, b] = metric === "throughput"
      ? [ours[round].opsPerSecond, base[round].opsPerSecond]
      : [ours[round].p99Ms, base[round].p99Ms];
    ratios.push(b > 0 ? a / b : NaN);
  }
  return ratios;
}

function absolute(shape: ShapeResult, concurrency: number): [string, string] {
  const rounds = shape.byConcurrency[String(concurrency)] ?? [];
  if (rounds.length === 0) return ["-", "-"];
  return [
    `${formatCount(median(rounds.map((f) => f.opsPerSecond)))}/s`,
    `${formatMs(median(rounds.map((f) => f.p99Ms)))} ms`,
  ];
}

/**
 * The markdown table of one service at one latency: a row per shape, the
 * throughput ratio to the singleton per concurrency, then the p99 ratio (the
 * singleton's row holds its absolute figures).
 *
 * @param phase The phase.
 * @param rounds Rounds run, for the caption.
 * @param perOpOps Operations per round of the new-client rows, for the note.
 * @returns The lines: a heading, a caption, the table and its notes.
 *
 * @example A managed row and the singleton's
 * ```ts
 * import { throughputTable } from "./vs_sdk_report.ts";
 * import assert from "node:assert/strict";
 *
 * const f = (opsPerSecond: number) =>
 *   ({ ops: 1, errors: 0, opsPerSecond, p50Ms: 1, p99Ms: 2 });
 * const lines = throughputTable({
 *   service: "servicebus",
 *   rttMs: 0,
 *   concurrencies: [1],
 *   shapes: [
 *     { id: "singleton", label: "singleton", role: "singleton", api: "a", byConcurrency: { "1": [f(1000)] } },
 *     { id: "managed-1", label: "managed", role: "managed", api: "a", byConcurrency: { "1": [f(900)] } },
 *   ],
 * }, 1, 20);
 * assert.ok(lines.includes("| singleton | 1,000/s | 2 ms |"));
 * assert.ok(lines.includes("| managed | 0.90 | 1.00 |"));
 * ```
 */
export function throughputTable(
  phase: PhaseResult,
  rounds: number,
  perOpOps: number,
): string[] {
  const singleton = phase.shapes.find((shape) => shape.role === "singleton");
  const where = phase.rttMs === 0
    ? "loopback, no added latency"
    : `${formatMs(phase.rttMs)} ms round trip added (${
      formatMs(phase.rttMs / 2)
    } ms each way, by the servers' proxy)`;
  const lines = [
    `### ${SERVICE_NAMES[phase.service]}, ${where}`,
    "",
    `Throughput and p99 latency as a ratio to the singleton, median [min-max] over ${rounds} round${
      rounds === 1 ? "" : "s"
    } (throughput: higher is better; p99: lower is better). The singleton's row holds its own figures.`,
    "",
    `| client | ${phase.concurrencies.map((c) => `c${c}`).join(" | ")} | ${
      phase.concurrencies.map((c) => `p99 c${c}`).join(" | ")
    } |`,
    `|---|${phase.concurrencies.map(() => "---:").join("|")}|${
      phase.concurrencies.map(() => "---:").join("|")
    }|`,
  ];
  const notes: string[] = [];
  let perOp = false;
  for (const shape of phase.shapes) {
    let cells: string[];
    if (shape === singleton) {
      const figures = phase.concurrencies.map((c) => absolute(shape, c));
      cells = [...figures.map(([t]) => t), ...figures.map(([, p]) => p)];
    } else if (singleton === undefined) {
      cells = [...phase.concurrencies, ...phase.concurrencies].map(() => "-");
    } else {
      cells = [
        ...phase.concurrencies.map((c) =>
          formatSpread(roundRatios(shape, singleton, c, "throughput"))
        ),
        ...phase.concurrencies.map((c) =>
          formatSpread(roundRatios(shape, singleton, c, "p99"))
        ),
      ];
    }
    const mark = shape.role === "per-op" ? " ¹" : "";
    perOp ||= shape.role === "per-op";
    lines.push(`| ${shape.label}${mark} | ${cells.join(" | ")} |`);
    for (const c of phase.concurrencies) {
      const rounds = shape.byConcurrency[String(c)] ?? [];
      const errors = rounds.reduce((sum, f) => sum + f.errors, 0);
      if (errors === 0) continue;
      const first = rounds.find((f) => f.firstError)?.firstError;
      notes.push(
        `- ${shape.label} at c${c}: ${formatCount(errors)} failed operation${
          errors === 1 ? "" : "s"
        } (not in the figures)${first ? `: ${first}` : ""}`,
      );
    }
  }
  if (perOp) {
    notes.unshift(
      `- ¹ A new client per operation is slow: ${perOpOps} operations per round at concurrency min(c, ${perOpOps}), against the singleton at c.`,
    );
  }
  return notes.length === 0 ? lines : [...lines, "", ...notes];
}

function seconds(ms: number | null): string {
  if (ms === null) return "pending";
  return ms < 1000 ? `${formatMs(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The markdown table of the drop scenario: per runtime and shape, what the
 * callers saw and what the server stored.
 *
 * @param input The report's input.
 * @returns The lines (none when the scenario did not run).
 *
 * @example One scenario
 * ```ts
 * import { dropTable } from "./vs_sdk_report.ts";
 * import assert from "node:assert/strict";
 *
 * const lines = dropTable({
 *   command: "", environment: "", startedAt: "", elapsedSeconds: 0, rounds: 1, perOpOps: 1,
 *   phases: [],
 *   drop: { sends: 3, concurrency: 2, drops: 1, capSeconds: 60, rttMs: 0 },
 *   drops: [{
 *     runtime: "Deno 2.9.6",
 *     results: [{
 *       service: "servicebus", shape: "singleton", label: "singleton", api: "", duplicateDetection: false,
 *       sends: 3, concurrency: 2, drops: 1, started: 3, succeeded: 2, rejected: 0, pending: 1, notStarted: 0,
 *       lost: 0, duplicated: 1, extraCopies: 1, rejectedButStored: 0, storedIds: 3, recoveryMs: [null],
 *       p50Ms: 2, p99Ms: null, errors: {}, droppedConnections: 1, connections: 2, duplicatesDropped: 0,
 *       wallMs: 60000, capped: true, capSeconds: 60,
 *     }],
 *   }],
 * });
 * assert.ok(lines.includes(
 *   "| Deno 2.9.6 | Service Bus | singleton | off | 2 | 0 | 1 | 0 | 1 | 0 | pending | 2 ms | pending | 60.0 s (cap) |",
 * ));
 * ```
 */
export function dropTable(input: VsSdkReportInput): string[] {
  if (input.drops.length === 0) return [];
  const { sends, concurrency, drops, capSeconds, rttMs } = input.drop;
  const points = Array.from(
    { length: drops },
    (_, k) => formatCount(Math.floor((sends * (k + 1)) / (drops + 1))),
  );
  const lines = [
    "### Connection drops",
    "",
    `${formatCount(sends)} sends, each with its own id, at concurrency ${
      formatCount(concurrency)
    }; the server ends every connection after ${
      points.join(" and ")
    } sends were started${
      rttMs > 0 ? `; ${formatMs(rttMs)} ms round trip added` : ""
    }. Every client keeps the SDK's default retry options (what users get). ` +
    `Counted from the server's records: ok (the caller got success), rejected (an error), ` +
    `pending (unsettled at the ${capSeconds} s cap), lost (ok but never stored: must be 0), ` +
    `duplicated (ids stored more than once), rejected but stored; recovery is the time from each ` +
    `drop until a send started after it succeeded.`,
    "",
    "| runtime | service | client | dedupe | ok | rejected | pending | lost | duplicated | rejected but stored | recovery | p50 | p99 | wall |",
    "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
  ];
  const notes: string[] = [];
  for (const runtime of input.drops) {
    if (runtime.error !== undefined) {
      notes.push(`- ${runtime.runtime}: failed: ${runtime.error}`);
    }
    for (const r of runtime.results) {
      const dedupe = r.service === "servicebus"
        ? (r.duplicateDetection ? "on" : "off")
        : "n/a";
      const pending = r.pending + r.notStarted;
      lines.push(
        `| ${runtime.runtime} | ${
          SERVICE_NAMES[r.service]
        } | ${r.label} | ${dedupe} | ${formatCount(r.succeeded)} | ${
          formatCount(r.rejected)
        } | ${formatCount(pending)} | ${formatCount(r.lost)} | ${
          formatCount(r.duplicated)
        } | ${formatCount(r.rejectedButStored)} | ${
          r.recoveryMs.map(seconds).join(", ")
        } | ${seconds(r.p50Ms)} | ${seconds(r.p99Ms)} | ${seconds(r.wallMs)}${
          r.capped ? " (cap)" : ""
        } |`,
      );
      const codes = Object.entries(r.errors);
      if (codes.length > 0) {
        notes.push(
          `- ${runtime.runtime}, ${SERVICE_NAMES[r.service]}, ${r.label}${
            r.duplicateDetection ? " (dedupe)" : ""
          }: errors ${codes.map(([code, n]) => `${code} x${n}`).join(", ")}`,
        );
      }
      if (r.notStarted > 0) {
        notes.push(
          `- ${runtime.runtime}, ${SERVICE_NAMES[r.service]}, ${r.label}${
            r.duplicateDetection ? " (dedupe)" : ""
          }: ${
            formatCount(r.notStarted)
          } of the pending were never started (the cap came first)`,
        );
      }
    }
  }
  return notes.length === 0 ? lines : [...lines, "", ...notes];
}

/**
 * The whole report in markdown: the command, the environment, one table per
 * service and latency, the drop scenario, and which calls each shape used.
 *
 * @param input What was measured.
 * @returns The markdown, ending with a newline.
 *
 * @example An empty run still names its command
 * ```ts
 * import { renderVsSdkReport } from "./vs_sdk_report.ts";
 * import assert from "node:assert/strict";
 *
 * const text = renderVsSdkReport({
 *   command: "deno task bench:vs-sdk --rounds 1", environment: "Deno", startedAt: "2026-12-01T00:00:00.000Z",
 *   elapsedSeconds: 1, rounds: 1, perOpOps: 20, phases: [],
 *   drop: { sends: 3, concurrency: 2, drops: 1, capSeconds: 60, rttMs: 0 }, drops: [],
 * });
 * assert.match(text, /deno task bench:vs-sdk --rounds 1/);
 * ```
 */
export function renderVsSdkReport(input: VsSdkReportInput): string {
  const lines = [
    "## Managed clients against one long-lived SDK client",
    "",
    "```",
    input.command,
    "```",
    "",
    `${input.environment}; started ${input.startedAt}, took ${
      input.elapsedSeconds.toFixed(0)
    } s. ${METHOD}`,
    "",
  ];
  for (const phase of input.phases) {
    lines.push(...throughputTable(phase, input.rounds, input.perOpOps), "");
  }
  const drops = dropTable(input);
  if (drops.length > 0) lines.push(...drops, "");
  lines.push(...callsList(input));
  return lines.join("\n");
}

/** How every throughput figure was taken, for the report's header. */
export const METHOD: string =
  "Local servers in this process (127.0.0.1); a fresh server and fresh clients for every " +
  "measurement, managed pools warmed to their maxSize and every long-lived client warmed by " +
  "one send first.";

/**
 * The list of calls each shape measured (the managed clients' calls change
 * with the SDK-shaped `sendMessages` and `sendBatch`).
 *
 * @param input The report's input.
 * @returns The lines, ending with an empty one; none when nothing ran.
 *
 * @example Nothing ran
 * ```ts
 * import { callsList } from "./vs_sdk_report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(callsList({ phases: [], drops: [] }), []);
 * ```
 */
export function callsList(
  input: Pick<VsSdkReportInput, "phases" | "drops">,
): string[] {
  const lines: string[] = [];
  const apis = new Map<string, string>();
  for (const phase of input.phases) {
    for (const shape of phase.shapes) {
      apis.set(`${SERVICE_NAMES[phase.service]}, ${shape.label}`, shape.api);
    }
  }
  for (const runtime of input.drops) {
    for (const r of runtime.results) {
      apis.set(`${SERVICE_NAMES[r.service]}, ${r.label}`, r.api);
    }
  }
  if (apis.size > 0) {
    lines.push("Calls measured:", "");
    for (const [shape, api] of apis) lines.push(`- ${shape}: \`${api}\``);
    lines.push("");
  }
  return lines;
}
