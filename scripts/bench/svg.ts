/**
 * The chart of `deno task bench --out`: whole-operation p99 latency against
 * `maxSize`, one line per `clientLimit` (and `maxConcurrentCreates`, when the
 * grid varies it), the target as a dashed line and the recommendation ringed.
 * A self-contained SVG string; pure.
 *
 * @module
 */

import { formatMs } from "./format.ts";
import { misses } from "./recommend.ts";
import type { CellResult } from "./types.ts";

/** What to draw besides the results. */
export interface ChartOptions {
  /** The latency target, milliseconds: drawn as a dashed line. */
  targetP99Ms: number;
  /**
   * The offered rate, requests per second, for the "missed" markers (as in
   * `recommend`).
   * @default {undefined}
   */
  offeredRate?: number;
  /**
   * The recommended cell, ringed.
   * @default {undefined}
   */
  choice?: CellResult;
  /**
   * The chart's title.
   * @default {"p99 latency against maxSize"}
   */
  title?: string;
}

// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
const PALETTE = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#56B4E9",
  "#D55E00",
  "#000000",
];
const WIDTH = 800;
const HEIGHT = 440;
const PLOT = { left: 70, top: 48, right: 580, bottom: 370 };

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) =>
      ({
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        '"': "&quot;",
        "'": "&apos;",
      })[c]!,
  );
}

function niceTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (
    let decade = Math.pow(10, Math.floor(Math.log10(min)));
    decade <= max * 10;
    decade *= 10
  ) {
    for (const step of [1, 2, 5]) {
      const value = decade * step;
      if (value >= min && value <= max) {
        ticks.push(Number(value.toPrecision(3)));
      }
    }
  }
  return ticks;
}

/** The nearest 1, 2 or 5 times a power of ten below (or above) `value`. */
function niceBound(value: number, direction: "down" | "up"): number {
  const decade = Math.pow(10, Math.floor(Math.log10(value)));
  const steps = [1, 2, 5, 10].map((step) => step * decade);
  return direction === "down"
    ? steps.filter((step) => step <= value).pop()!
    : steps.find((step) => step >= value)!;
}

function seriesKey(cell: CellResult, varyCreates: boolean): string {
  const base = `clientLimit ${cell.settings.clientLimit}`;
  return varyCreates
    ? `${base}, creates ${cell.settings.maxConcurrentCreates ?? "auto"}`
    : base;
}

/**
 * Renders the chart. The y axis is logarithmic (latencies span milliseconds
 * to the acquire timeout); the x axis places each `maxSize` tried at equal
 * spacing. A filled marker met the target (as `recommend` judges it: p99, no
 * timeouts or errors, the offered rate served); a hollow one did not.
 *
 * @param results The grid's results.
 * @param options The target and the recommendation.
 * @returns The SVG document.
 *
 * @example A two-point chart
 * ```ts
 * import { renderChart } from "./svg.ts";
 * import assert from "node:assert/strict";
 *
 * const cell = (maxSize: number, p99: number) => ({
 *   settings: { clientLimit: 50, maxSize, maxConcurrentCreates: undefined },
 *   effectiveMaxConcurrentCreates: 1, requests: 10, succeeded: 10, timeouts: 0, errors: 0,
 *   waited: 0, opened: maxSize, offeredRate: 5, throughput: 5, seconds: 2,
 *   wait: { count: 10, min: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 },
 *   latency: { count: 10, min: 1, mean: 2, p50: 2, p95: p99, p99, max: p99 },
 * });
 * const svg = renderChart([cell(1, 180), cell(2, 31)], { targetP99Ms: 50 });
 * assert.match(svg, /^<svg /);
 * assert.match(svg, /clientLimit 50/);
 * assert.match(svg, /target p99 50 ms/);
 * ```
 */
export function renderChart(
  results: readonly CellResult[],
  options: ChartOptions,
): string {
  const title = options.title ?? "p99 latency against maxSize";
  const measured = results.filter((cell) =>
    cell.latency.count > 0 && cell.latency.p99 > 0
  );
  const sizes = [...new Set(results.map((cell) => cell.settings.maxSize))].sort(
    (a, b) => a - b,
  );
  // The grid's value, not the effective one: "auto" differs by maxSize yet is one series.
  const varyCreates =
    new Set(results.map((cell) => cell.settings.maxConcurrentCreates)).size > 1;
  const values = measured.map((cell) => cell.latency.p99).concat(
    options.targetP99Ms,
  );
  const yMin = niceBound(Math.min(...values) / 1.05, "down");
  const yMax = niceBound(Math.max(...values) * 1.05, "up");
  const logSpan = Math.log10(yMax) - Math.log10(yMin) || 1;
  const y = (ms: number) =>
    PLOT.bottom -
    ((Math.log10(ms) - Math.log10(yMin)) / logSpan) * (PLOT.bottom - PLOT.top);
  const xStep = (PLOT.right - PLOT.left) / Math.max(1, sizes.length);
  const x = (size: number) => PLOT.left + xStep * (sizes.indexOf(size) + 0.5);
  const f = (n: number) => n.toFixed(1);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
    `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PLOT.left}" y="26" font-size="15" font-weight="bold">${
      escapeXml(title)
    }</text>`,
  ];
  for (const tick of niceTicks(yMin, yMax)) {
    out.push(
      `<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${f(y(tick))}" y2="${
        f(y(tick))
      }" stroke="#e5e5e5"/>`,
      `<text x="${PLOT.left - 8}" y="${f(y(tick) + 4)}" text-anchor="end">${
        formatMs(tick)
      }</text>`,
    );
  }
  for (const size of sizes) {
    out.push(
      `<text x="${f(x(size))}" y="${
        PLOT.bottom + 18
      }" text-anchor="middle">${size}</text>`,
    );
  }
  out.push(
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${
      PLOT.right - PLOT.left
    }" ` +
      `height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#999999"/>`,
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${
      PLOT.bottom + 40
    }" text-anchor="middle">` +
      `maxSize (connections)</text>`,
    `<text transform="translate(18 ${
      (PLOT.top + PLOT.bottom) / 2
    }) rotate(-90)" ` +
      `text-anchor="middle">p99 latency, ms (log scale)</text>`,
  );
  const targetY = f(y(options.targetP99Ms));
  out.push(
    `<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${targetY}" y2="${targetY}" ` +
      `stroke="#D55E00" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    `<text x="${PLOT.right - 4}" y="${
      f(Number(targetY) - 6)
    }" text-anchor="end" fill="#D55E00">` +
      `target p99 ${formatMs(options.targetP99Ms)} ms</text>`,
  );

  const series = new Map<string, CellResult[]>();
  for (const cell of measured) {
    const key = seriesKey(cell, varyCreates);
    series.set(key, [...(series.get(key) ?? []), cell]);
  }
  const keys = [...series.keys()].sort((a, b) => {
    const [ca, cb] = [series.get(a)![0], series.get(b)![0]];
    return ca.settings.clientLimit - cb.settings.clientLimit ||
      (ca.settings.maxConcurrentCreates ?? Number.MAX_SAFE_INTEGER) -
        (cb.settings.maxConcurrentCreates ?? Number.MAX_SAFE_INTEGER);
  });
  keys.forEach((key, index) => {
    const colour = PALETTE[index % PALETTE.length];
    const cells = series.get(key)!.sort((a, b) =>
      a.settings.maxSize - b.settings.maxSize
    );
    // Series sharing a maxSize would hide each other's markers: nudge them apart.
    const nudge = (index - (keys.length - 1) / 2) *
      Math.min(6, xStep / (keys.length + 2));
    const points = cells.map((cell) =>
      `${f(x(cell.settings.maxSize) + nudge)},${f(y(cell.latency.p99))}`
    );
    out.push(
      `<polyline points="${
        points.join(" ")
      }" fill="none" stroke="${colour}" stroke-width="2"/>`,
    );
    for (const cell of cells) {
      const met = misses(cell, options).length === 0;
      out.push(
        `<circle cx="${f(x(cell.settings.maxSize) + nudge)}" cy="${
          f(y(cell.latency.p99))
        }" r="4.5" ` +
          `fill="${
            met ? colour : "#ffffff"
          }" stroke="${colour}" stroke-width="2">` +
          `<title>${
            escapeXml(
              `${key}, maxSize ${cell.settings.maxSize}: p99 ${
                formatMs(cell.latency.p99)
              } ms` +
                (cell.timeouts ? `, ${cell.timeouts} timeouts` : ""),
            )
          }</title></circle>`,
      );
    }
    const legendY = PLOT.top + 10 + index * 20;
    out.push(
      `<line x1="${PLOT.right + 16}" x2="${
        PLOT.right + 40
      }" y1="${legendY}" y2="${legendY}" ` +
        `stroke="${colour}" stroke-width="2"/>`,
      `<circle cx="${
        PLOT.right + 28
      }" cy="${legendY}" r="4" fill="${colour}"/>`,
      `<text x="${PLOT.right + 46}" y="${legendY + 4}">${
        escapeXml(key)
      }</text>`,
    );
  });
  const legendBase = PLOT.top + 10 + keys.length * 20 + 10;
  out.push(
    `<circle cx="${
      PLOT.right + 28
    }" cy="${legendBase}" r="4" fill="#ffffff" stroke="#555555" stroke-width="2"/>`,
    `<text x="${PLOT.right + 46}" y="${
      legendBase + 4
    }">missed the target</text>`,
  );
  if (options.choice !== undefined && options.choice.latency.count > 0) {
    const key = seriesKey(options.choice, varyCreates);
    const index = keys.indexOf(key);
    const nudge = (index - (keys.length - 1) / 2) *
      Math.min(6, xStep / (keys.length + 2));
    const cx = f(x(options.choice.settings.maxSize) + nudge);
    const cy = f(y(options.choice.latency.p99));
    out.push(
      `<circle cx="${cx}" cy="${cy}" r="10" fill="none" stroke="#000000" stroke-width="1.5"/>`,
      `<text x="${cx}" y="${
        f(Number(cy) + 24)
      }" text-anchor="middle" font-weight="bold">recommended</text>`,
      `<circle cx="${PLOT.right + 28}" cy="${
        legendBase + 20
      }" r="8" fill="none" stroke="#000000" stroke-width="1.5"/>`,
      `<text x="${PLOT.right + 46}" y="${legendBase + 24}">recommended</text>`,
    );
  }
  out.push("</svg>", "");
  return out.join("\n");
}
