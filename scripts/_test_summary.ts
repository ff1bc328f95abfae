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
  /**
   * The failed tests so far, one line each (name, and where the runner says
   * it: location and the error's first line), so that the end of a long log
   * still names them.
   */
  failures(): string[];
}

/** At most this many failures are named; the rest are counted. */
export const MAX_NAMED_FAILURES = 20;

/**
 * The lines `scripts/test.ts` prints before the summary line: one per failed
 * test, at most {@linkcode MAX_NAMED_FAILURES}, then how many more.
 *
 * @param failures What a parser's `failures()` or {@linkcode denoJunitFailures} gave.
 * @returns The lines to print (none when nothing failed).
 */
export function failureLines(failures: string[]): string[] {
  const lines = failures.slice(0, MAX_NAMED_FAILURES).map((failure) =>
    `failed: ${failure}`
  );
  if (failures.length > MAX_NAMED_FAILURES) {
    lines.push(`failed: ... and ${failures.length - MAX_NAMED_FAILURES} more`);
  }
  return lines;
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
  const counts: TestCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const { status } of countedJunitCases(xml)) counts[status]++;
  return counts;
}

/**
 * The failed tests of a `deno test --junit-path` report, counted as
 * {@linkcode denoJunitCounts} counts them, each with its failure message.
 *
 * @param xml The JUnit report.
 * @returns One line per failed test.
 */
export function denoJunitFailures(xml: string): string[] {
  return countedJunitCases(xml)
    .filter(({ status }) => status === "failed")
    .map(({ name, message }) => message === "" ? name : `${name}: ${message}`);
}

interface JunitCase {
  name: string;
  status: "passed" | "failed" | "skipped";
  /** The failure's message, first line; empty when none. */
  message: string;
}

/** The cases of a JUnit report that count as tests (see denoJunitCounts). */
function countedJunitCases(xml: string): JunitCase[] {
  const cases: JunitCase[] = [];
  const testcase =
    /<testcase\s+name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(testcase)) {
    const body = match[2] ?? "";
    const failure = /<(?:failure|error)\b(?:[^>]*?\smessage="([^"]*)")?/.exec(
      body,
    );
    const status = failure !== null
      ? "failed"
      : /<skipped\b/.test(body)
      ? "skipped"
      : "passed";
    const message = firstLine(unescapeXml(failure?.[1] ?? ""));
    cases.push({ name: unescapeXml(match[1]), status, message });
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
  return cases.filter(({ name, status }) =>
    !parents.has(name) || (status === "failed" && !failedParents.has(name))
  );
}

function firstLine(text: string): string {
  return text.trim().split("\n", 1)[0].trim();
}

/**
 * Reads the closing lines of Node's TAP reporter (`# pass 7`, `# fail 0`,
 * `# cancelled 0`, `# skipped 0`, `# todo 0`). The last value wins, so a
 * test's own output echoed as a TAP comment cannot override the summary.
 * Cancelled tests (timeouts, a hanging file) count as failed. Failures are
 * named from the `not ok` lines, with the location and first error line of
 * their YAML block; a suite whose only failure is its children's is left out.
 */
export function nodeTapParser(): SummaryParser {
  const figures: Record<string, number> = {};
  const failures: string[] = [];
  // The failure being read: its name, then what its YAML block says.
  let open: { name: string; location: string; error: string } | undefined;
  let errorNext = false;
  let suiteOnly = false;
  const close = () => {
    // A suite that failed only through its children is named by them.
    if (open !== undefined && !suiteOnly) {
      const where = open.location === "" ? "" : ` (${open.location})`;
      const error = open.error === "" ? "" : `: ${open.error}`;
      failures.push(`${open.name}${where}${error}`);
    }
    open = undefined;
    errorNext = false;
    suiteOnly = false;
  };
  return {
    line(text) {
      const trimmed = text.trim();
      const match = /^# (pass|fail|cancelled|skipped|todo) (\d+)$/.exec(
        text.trimEnd(),
      );
      if (match !== null) figures[match[1]] = Number(match[2]);
      const notOk = /^not ok \d+ - (.*?)(?: # (TODO|SKIP)\b.*)?$/i.exec(
        trimmed,
      );
      if (notOk !== null) {
        close();
        // A todo that fails is not a failure (Node counts it under todo).
        if (notOk[2] === undefined) {
          open = { name: notOk[1], location: "", error: "" };
        }
        return;
      }
      if (open === undefined) return;
      if (trimmed === "..." || /^(?:ok|# Subtest:) /.test(trimmed)) {
        close();
      } else if (errorNext) {
        open.error = trimmed;
        errorNext = false;
      } else if (trimmed.startsWith("location: ")) {
        open.location = trimmed.slice(10).replace(/^'|'$/g, "");
      } else if (trimmed === "failureType: 'subtestsFailed'") {
        suiteOnly = true;
      } else if (/^error: [|>]-?$/.test(trimmed)) {
        errorNext = true;
      } else if (trimmed.startsWith("error: ")) {
        open.error = trimmed.slice(7).replace(/^'|'$/g, "");
      }
    },
    failures: () => {
      close();
      return [...failures];
    },
    counts: () => ({
      passed: figures.pass ?? 0,
      failed: (figures.fail ?? 0) + (figures.cancelled ?? 0),
      skipped: (figures.skipped ?? 0) + (figures.todo ?? 0),
    }),
  };
}

/**
 * Reads Bun's closing lines (` 7 pass`, ` 0 fail`, ` 1 skip`, ` 1 todo`),
 * and its `(fail) suite > test [1.00ms]` lines for the failures.
 */
export function bunParser(): SummaryParser {
  const figures: Record<string, number> = {};
  const failures: string[] = [];
  return {
    line(text) {
      const match = /^ *(\d+) (pass|fail|skip|todo)$/.exec(text.trimEnd());
      if (match !== null) figures[match[2]] = Number(match[1]);
      const failed = /^\(fail\) (.*?)(?: \[[\d.]+m?s\])?$/.exec(text.trim());
      if (failed !== null) failures.push(failed[1]);
    },
    failures: () => [...failures],
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
