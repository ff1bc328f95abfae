import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  closingLines,
  parseSummaryLine,
  RuntimeSummaryReader,
  type StepOutcome,
  totalCounts,
} from "../scripts/_test_all_summary.ts";

/** The closing block of `scripts/test.ts node` after a run with one failure, amid test output. */
const NODE_OUTPUT = `TAP version 13
# Subtest: logs
    # a test printed these:
failed: not a real failure
node: 1 passed, 99 failed
ok 1 - logs
# pass 171
# fail 1
failed: outer > bad one (/tmp/a.test.mjs:5:3): one is not two
node: 171 passed, 1 failed
`;

function read(
  runtime: "deno" | "node" | "bun",
  output: string,
): RuntimeSummaryReader {
  const reader = new RuntimeSummaryReader(runtime);
  for (const line of output.split("\n")) reader.line(line);
  return reader;
}

const CLEAN: StepOutcome[] = [
  { step: "check", code: 0 },
  {
    step: "bun",
    code: 0,
    counts: { passed: 170, failed: 0, skipped: 0 },
    failures: [],
  },
  {
    step: "node",
    code: 0,
    counts: { passed: 171, failed: 0, skipped: 0 },
    failures: [],
  },
  {
    step: "deno",
    code: 0,
    counts: { passed: 905, failed: 0, skipped: 2 },
    failures: [],
  },
];

describe("test_all summary", () => {
  it("reads a runtime's closing summary line and the failure lines right above it", () => {
    const reader = read("node", NODE_OUTPUT);
    assert.deepEqual(reader.counts, { passed: 171, failed: 1, skipped: 0 });
    assert.deepEqual(reader.failures, [
      "failed: outer > bad one (/tmp/a.test.mjs:5:3): one is not two",
    ]);
  });

  it("has no figures for a runtime that printed no summary line", () => {
    const reader = read("bun", "error: build failed\nfailed: something\n");
    assert.equal(reader.counts, undefined);
    assert.deepEqual(reader.failures, []);
  });

  it("parses summary lines for the runtime named only, skipped tests included", () => {
    assert.deepEqual(
      parseSummaryLine("deno", "deno: 905 passed, 1 failed, 2 skipped"),
      { passed: 905, failed: 1, skipped: 2 },
    );
    assert.deepEqual(parseSummaryLine("bun", "bun: 3 passed, 0 failed\r"), {
      passed: 3,
      failed: 0,
      skipped: 0,
    });
    assert.equal(
      parseSummaryLine("bun", "node: 3 passed, 0 failed"),
      undefined,
    );
    assert.equal(parseSummaryLine("bun", "3 passed, 0 failed"), undefined);
    assert.equal(parseSummaryLine("bun", "bun: 3 passed"), undefined);
  });

  it("ends a clean run with each runtime's line, then the total alone as the last line", () => {
    assert.deepEqual(closingLines(CLEAN), [
      "check: passed",
      "bun: 170 passed, 0 failed",
      "node: 171 passed, 0 failed",
      "deno: 905 passed, 0 failed, 2 skipped",
      "1246 passed, 0 failed",
    ]);
  });

  it("names every runtime's failures, not just the first failing runtime's, and adds them up", () => {
    const outcomes: StepOutcome[] = [
      CLEAN[0],
      {
        step: "bun",
        code: 1,
        counts: { passed: 168, failed: 2, skipped: 0 },
        failures: ["failed: a > b", "failed: a > c"],
      },
      CLEAN[2],
      {
        step: "deno",
        code: 1,
        counts: { passed: 904, failed: 1, skipped: 2 },
        failures: ["failed: d: boom"],
      },
    ];
    const lines = closingLines(outcomes);
    assert.deepEqual(lines, [
      "check: passed",
      "failed: a > b",
      "failed: a > c",
      "bun: 168 passed, 2 failed",
      "node: 171 passed, 0 failed",
      "failed: d: boom",
      "deno: 904 passed, 1 failed, 2 skipped",
      "1243 passed, 3 failed",
    ]);
    assert.match(lines.at(-1)!, /^\d+ passed, \d+ failed$/);
  });

  it("counts a failing step with no failed test as one failure, so the total never reads 0 failed for a failed run", () => {
    const outcomes: StepOutcome[] = [
      { step: "check", code: 1 },
      { step: "bun", code: 1, failures: [] },
      {
        step: "node",
        code: 1,
        counts: { passed: 171, failed: 0, skipped: 0 },
        failures: [],
      },
      CLEAN[3],
    ];
    assert.deepEqual(totalCounts(outcomes), {
      passed: 1076,
      failed: 3,
      skipped: 2,
    });
    assert.deepEqual(closingLines(outcomes), [
      "check: failed (exit code 1)",
      "bun: no summary (exit code 1)",
      "failed: node exited with code 1, no test failed",
      "node: 171 passed, 0 failed",
      "deno: 905 passed, 0 failed, 2 skipped",
      "1076 passed, 3 failed",
    ]);
  });
});
