/**
 * `deno task test`: `deno task check`, then the test suite on Bun, Node.js
 * and Deno (Deno last), each run to the end whatever the others gave, so one
 * failing runtime cannot hide another. Each step's output streams through;
 * then it prints the check's result, each runtime's failed tests and summary
 * line, and last, alone, the total: `N passed, N failed` (the line CI reads).
 * Exits 1 if any step failed.
 *
 * A failing check does not stop the tests: their results are worth having
 * even when only the formatting is off, and the run fails either way (the
 * failed check counts as one failure in the total).
 *
 * Usage: `deno run -A scripts/test_all.ts`
 *
 * @module
 */

import { LineSplitter, type Runtime } from "./_test_summary.ts";
import {
  closingLines,
  RuntimeSummaryReader,
  type StepOutcome,
} from "./_test_all_summary.ts";
import { ROOT } from "./_tools.ts";

/** The runtimes in the order they run: Deno last, as before. */
const RUNTIMES: readonly Runtime[] = ["bun", "node", "deno"];

/** Runs `deno task <task>`, streaming its output, and feeds its stdout lines to `onLine`. */
async function task(
  name: string,
  onLine?: (line: string) => void,
): Promise<number> {
  console.error(`test: deno task ${name}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", name],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const decoder = new TextDecoder();
  const lines = new LineSplitter();
  const feed = (line: string) => onLine?.(line);
  for await (const chunk of child.stdout) {
    let written = 0;
    while (written < chunk.length) {
      written += await Deno.stdout.write(chunk.subarray(written));
    }
    lines.push(decoder.decode(chunk, { stream: true }), feed);
  }
  lines.push(decoder.decode(), feed);
  lines.end(feed);
  return (await child.status).code;
}

const outcomes: StepOutcome[] = [
  { step: "check", code: await task("check") },
];
for (const runtime of RUNTIMES) {
  const reader = new RuntimeSummaryReader(runtime);
  const code = await task(`test:${runtime}`, (line) => reader.line(line));
  outcomes.push({
    step: runtime,
    code,
    counts: reader.counts,
    failures: reader.failures,
  });
}

const lines = closingLines(outcomes);
console.log(`\ntest: every runtime ran\n${lines.join("\n")}`);
Deno.exit(outcomes.some((o) => o.code !== 0) ? 1 : 0);
