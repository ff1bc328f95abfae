/**
 * Counts passed, failed and skipped tests from the JUnit report of `deno
 * test`, and from the output of `node --test --test-reporter=tap` and
 * `bun test`, for the
 * one-line summary `scripts/test.ts` prints last. No runtime API here, so the
 * test runs on Deno, Node and Bun.
 *
 * All three count leaf tests (an `it`/`test` without children; a `describe`
 * is not a test), so the figures mean the same on each runtime. Deno's doc
 * tests are leaves too.
 *
 * @module
 */

/** The figures of one run. */
export interface TestCounts {
  /** Tests that passed. */
  passed: number;
  /** Tests that failed, were cancelled or timed out. */
  failed: number;
  /** Tests skipped or marked todo. */
  skipped: number;
}

/** The runtimes `scripts/test.ts` runs. */
export type Runtime = "deno" | "node" | "bun";

/** Takes output lines one by one and keeps the counts. */
export interface SummaryParser {
  /** Feeds one line of output, without its line break. */
  line(text: string): void;
  /** The counts so far. */
  counts(): TestCounts;
}

const ENTITIES: Record<string, string> = {
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&apos;": "'",
  "&amp;": "&",
};

function unescapeXml(text: string): string {
  return text.replace(
    /&(?:lt|gt|quot|apos|amp);/g,
    (entity) => ENTITIES[entity],
  );
}

/**
 * Counts the JUnit XML that `deno test --junit-path` writes. Deno's TAP
 * reporter prints nested steps flat, so it cannot tell a `describe` from an
 * `it`; the JUnit file names every step by its path (`outer > inner > it`).
 * A test case is a leaf unless another case's name extends it. A parent is
 * counted only if it failed while none of its descendants did (a failing
 * hook, for example), so no failure is lost and none is counted twice.
 *
 * @param xml The JUnit report.
 * @returns The leaf counts.
 */
export function denoJunitCounts(xml: string): TestCounts {
  const cases: { name: string; status: "passed" | "failed" | "skipped" }[] = [];
  const testcase =
    /<testcase\s+name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(testcase)) {
    const body = match[2] ?? "";
    const status = /<(failure|error)\b/.test(body)
      ? "failed"
      : /<skipped\b/.test(body)
      ? "skipped"
      : "passed";
    cases.push({ name: unescapeXml(match[1]), status });
  }
  const parents = new Set<string>();
  const failedParents = new Set<string>();
  for (const { name, status } of cases) {
    const parts = name.split(" > ");
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join(" > ");
      parents.add(prefix);
      if (status === "failed") failedParents.add(prefix);
    }
  }
  const counts: TestCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const { name, status } of cases) {
    if (!parents.has(name)) counts[status]++;
    else if (status === "failed" && !failedParents.has(name)) counts.failed++;
  }
  return counts;
}

/**
 * Reads the closing lines of Node's TAP reporter (`# pass 7`, `# fail 0`,
 * `# cancelled 0`, `# skipped 0`, `# todo 0`). The last value wins, so a
 * test's own output echoed as a TAP comment cannot override the summary.
 * Cancelled tests (timeouts, a hanging file) count as failed.
 */
export function nodeTapParser(): SummaryParser {
  const figures: Record<string, number> = {};
  return {
    line(text) {
      const match = /^# (pass|fail|cancelled|skipped|todo) (\d+)$/.exec(
        text.trimEnd(),
      );
      if (match !== null) figures[match[1]] = Number(match[2]);
    },
    counts: () => ({
      passed: figures.pass ?? 0,
      failed: (figures.fail ?? 0) + (figures.cancelled ?? 0),
      skipped: (figures.skipped ?? 0) + (figures.todo ?? 0),
    }),
  };
}

/** Reads Bun's closing lines (` 7 pass`, ` 0 fail`, ` 1 skip`, ` 1 todo`). */
export function bunParser(): SummaryParser {
  const figures: Record<string, number> = {};
  return {
    line(text) {
      const match = /^ *(\d+) (pass|fail|skip|todo)$/.exec(text.trimEnd());
      if (match !== null) figures[match[2]] = Number(match[1]);
    },
    counts: () => ({
      passed: figures.pass ?? 0,
      failed: figures.fail ?? 0,
      skipped: (figures.skip ?? 0) + (figures.todo ?? 0),
    }),
  };
}

/**
 * The parser for a runtime's output (Deno's figures come from
 * {@linkcode denoJunitCounts} instead).
 *
 * @param runtime node or bun.
 * @returns A fresh parser.
 */
export function summaryParser(runtime: "node" | "bun"): SummaryParser {
  switch (runtime) {
    case "node":
      return nodeTapParser();
    case "bun":
      return bunParser();
  }
}

/**
 * The last line `scripts/test.ts` prints, e.g. `deno: 6 passed, 0 failed`
 * (with `, N skipped` only when some were).
 *
 * @param runtime The runtime's name.
 * @param counts The figures.
 * @returns The summary line.
 */
export function summaryLine(runtime: Runtime, counts: TestCounts): string {
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : "";
  return `${runtime}: ${counts.passed} passed, ${counts.failed} failed${skipped}`;
}

/**
 * Splits a stream of text chunks into lines, keeping a partial last line
 * until its end arrives.
 */
export class LineSplitter {
  #rest = "";

  /**
   * Feeds a chunk.
   *
   * @param chunk Decoded text.
   * @param onLine Called with each complete line.
   */
  push(chunk: string, onLine: (line: string) => void): void {
    const parts = (this.#rest + chunk).split("\n");
    this.#rest = parts.pop() ?? "";
    for (const part of parts) onLine(part.replace(/\r$/, ""));
  }

  /**
   * Flushes the last line if it had no line break.
   *
   * @param onLine Called with the line.
   */
  end(onLine: (line: string) => void): void {
    if (this.#rest !== "") onLine(this.#rest);
    this.#rest = "";
  }
}
