/**
 * What `scripts/test_all.ts` (`deno task test`) reads from each step it runs
 * and prints at the end: each runtime's failed tests and summary line, then
 * the total, alone, as the very last line (`N passed, N failed`, the line CI
 * reads). No runtime API here, so the test runs on Deno, Node and Bun.
 *
 * ```
 * check: passed
 * failed: <test> (<location>): <first error line>    one per failure, per runtime
 * bun: 170 passed, 1 failed
 * node: 171 passed, 0 failed
 * deno: 905 passed, 0 failed, 2 skipped
 * 1246 passed, 1 failed                               the total, always last
 * ```
 *
 * @module
 */

import { type Runtime, summaryLine, type TestCounts } from "./_test_summary.ts";

/** How one step of the run ended. */
export interface StepOutcome {
  /** `check` (`deno task check`) or the runtime whose tests ran. */
  step: "check" | Runtime;
  /** The step's exit code. */
  code: number;
  /** A runtime's figures, from its summary line; `undefined` if it printed none. */
  counts?: TestCounts;
  /** A runtime's `failed: ...` lines, as it printed them above its summary line. */
  failures?: string[];
}

/**
 * Reads the standard output of `scripts/test.ts <runtime>`, line by line,
 * for its closing block: the `failed: ...` lines right above its summary line
 * (`<runtime>: N passed, N failed[, N skipped]`), which it prints last. A
 * test's own output that looks like either, earlier in the log, is
 * superseded by the closing block.
 */
export class RuntimeSummaryReader {
  readonly #runtime: Runtime;
  #pending: string[] = [];
  #counts: TestCounts | undefined = undefined;
  #failures: string[] = [];

  /** @param runtime The runtime whose output this reads. */
  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  /**
   * Feeds one line, without its line break.
   *
   * @param text The line.
   */
  line(text: string): void {
    const line = text.trimEnd();
    if (line.startsWith("failed: ")) {
      this.#pending.push(line);
      return;
    }
    const counts = parseSummaryLine(this.#runtime, line);
    if (counts !== undefined) {
      this.#counts = counts;
      this.#failures = this.#pending;
    }
    this.#pending = [];
  }

  /** The figures of the last summary line, or `undefined` if none came. */
  get counts(): TestCounts | undefined {
    return this.#counts;
  }

  /** The `failed: ...` lines right above the last summary line. */
  get failures(): string[] {
    return [...this.#failures];
  }
}

/**
 * Parses a summary line of `scripts/test.ts` for `runtime`.
 *
 * @param runtime The runtime it must name.
 * @param line The line.
 * @returns Its figures, or `undefined` if it is not such a line.
 */
export function parseSummaryLine(
  runtime: Runtime,
  line: string,
): TestCounts | undefined {
  const match = /^(\w+): (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/
    .exec(line.trim());
  if (match === null || match[1] !== runtime) return undefined;
  return {
    passed: Number(match[2]),
    failed: Number(match[3]),
    skipped: Number(match[4] ?? 0),
  };
}

/**
 * The total over every step: the runtimes' figures added up, plus one failure
 * for each step that failed without a failed test to show for it (a failing
 * `deno task check`, a build that broke, a runner that crashed or found no
 * test), so that the total says "failed" whenever the run fails.
 *
 * @param outcomes Every step, in the order it ran.
 * @returns The total.
 */
export function totalCounts(outcomes: readonly StepOutcome[]): TestCounts {
  const total: TestCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const { code, counts } of outcomes) {
    total.passed += counts?.passed ?? 0;
    total.skipped += counts?.skipped ?? 0;
    const failed = counts?.failed ?? 0;
    total.failed += code !== 0 && failed === 0 ? 1 : failed;
  }
  return total;
}

/**
 * The lines printed after every step ran: the check's result, then for each
 * runtime its failed tests and its summary line (or why it has none), then
 * the total alone as the last line.
 *
 * @param outcomes Every step, in the order it ran.
 * @returns The lines, the total last.
 */
export function closingLines(outcomes: readonly StepOutcome[]): string[] {
  const lines: string[] = [];
  for (const { step, code, counts, failures } of outcomes) {
    if (step === "check") {
      lines.push(
        code === 0 ? "check: passed" : `check: failed (exit code ${code})`,
      );
      continue;
    }
    lines.push(...(failures ?? []));
    if (counts === undefined) {
      lines.push(`${step}: no summary (exit code ${code})`);
      continue;
    }
    if (code !== 0 && counts.failed === 0) {
      lines.push(`failed: ${step} exited with code ${code}, no test failed`);
    }
    lines.push(summaryLine(step, counts));
  }
  const total = totalCounts(outcomes);
  lines.push(`${total.passed} passed, ${total.failed} failed`);
  return lines;
}
