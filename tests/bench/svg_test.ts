import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { renderChart } from "../../scripts/bench/svg.ts";
import { cell } from "./_cells.ts";

const grid = [
  cell({ maxSize: 1, clientLimit: 10, p99: 1000, timeouts: 40 }),
  cell({ maxSize: 2, clientLimit: 10, p99: 180 }),
  cell({ maxSize: 4, clientLimit: 10, p99: 31 }),
  cell({ maxSize: 1, clientLimit: 100, p99: 900 }),
  cell({ maxSize: 2, clientLimit: 100, p99: 120 }),
  cell({ maxSize: 4, clientLimit: 100, p99: 20 }),
];

/** Counts the occurrences of `pattern` in `text`. */
function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, "g"))?.length ?? 0;
}

describe("renderChart", () => {
  it("draws one line per clientLimit with a marker per cell, and a legend entry for each", () => {
    const svg = renderChart(grid, { targetP99Ms: 50 });
    assert.equal(count(svg, /<polyline /), 2);
    assert.equal(count(svg, /<circle [^>]*r="4\.5"/), 6);
    assert.match(svg, />clientLimit 10</);
    assert.match(svg, />clientLimit 100</);
  });

  it("fills the markers that met the target and leaves the misses hollow", () => {
    const svg = renderChart(grid, { targetP99Ms: 50 });
    assert.equal(count(svg, /<circle [^>]*r="4\.5" fill="#ffffff"/), 4);
  });

  it("draws the target as a dashed line and rings the recommendation", () => {
    const svg = renderChart(grid, { targetP99Ms: 50, choice: grid[2] });
    assert.match(svg, /stroke-dasharray="6 4"/);
    assert.match(svg, /target p99 50 ms/);
    assert.match(svg, /<circle [^>]*r="10" fill="none"/);
    assert.match(svg, />recommended</);
  });

  it("puts a slower p99 higher on the page, and labels each maxSize once", () => {
    const svg = renderChart(grid, { targetP99Ms: 50 });
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)" r="4\.5"/g)]
      .map((m) => Number(m[1]));
    // Series clientLimit 10 in maxSize order: 1000, 180, 31 ms; SVG y grows downwards.
    assert.ok(ys[0] < ys[1] && ys[1] < ys[2], `${ys}`);
    for (const size of [1, 2, 4]) {
      assert.equal(count(svg, new RegExp(`text-anchor="middle">${size}<`)), 1);
    }
  });

  it("splits series by maxConcurrentCreates only when the grid varies it", () => {
    const varied = [
      cell({ maxSize: 2, clientLimit: 10, p99: 30, creates: 1 }),
      cell({ maxSize: 2, clientLimit: 10, p99: 20, creates: 2 }),
    ];
    assert.match(
      renderChart(varied, { targetP99Ms: 50 }),
      />clientLimit 10, creates 2</,
    );
    assert.doesNotMatch(renderChart(grid, { targetP99Ms: 50 }), /creates/);
  });

  it("skips cells with no completed request instead of drawing NaN", () => {
    const svg = renderChart([
      ...grid,
      cell({ maxSize: 8, clientLimit: 10, p99: NaN, count: 0 }),
    ], {
      targetP99Ms: 50,
    });
    assert.doesNotMatch(svg, /NaN|Infinity/);
  });

  it("is one well-formed svg element with every tag closed", () => {
    const svg = renderChart(grid, {
      targetP99Ms: 50,
      choice: grid[5],
      title: 'A <b> & "c"',
    });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /);
    assert.match(svg, /<\/svg>\n$/);
    assert.match(svg, /A &lt;b&gt; &amp; &quot;c&quot;/);
    const opened = count(svg, /<(?!\/)[a-z]+[^>]*[^/]>/);
    const closed = count(svg, /<\/[a-z]+>/);
    assert.equal(opened, closed);
  });
});
