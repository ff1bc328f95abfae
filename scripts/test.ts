/**
 * Runs the test suite on one runtime, streams its output through, and
 * prints as its last line `<runtime>: N passed, N failed` (plus
 * `, N skipped` when some were), after a `failed: <test>` line for each
 * failed test (so that the end of the log names them). Exits non-zero on
 * any failure, a failing runner, or a run with no passing test.
 *
 * Usage: `deno run -A scripts/test.ts <deno|node|bun> [args]`
 *
 * - deno: `deno test -A --reporter=tap --doc tests/ src/ mod.ts` (the
 *   sources and every JSDoc example). The figures come from the JUnit report
 *   it also writes (`--junit-path`), because its TAP prints nested steps flat.
 * - node: `node --test --test-reporter=tap --test-timeout=120000 npm/tests/`
 *   (the tests compiled by `deno task build:npm`). Without
 *   `--test-force-exit`: under it Node drops the verdicts of a file's last
 *   tests now and then and still exits 0 (nodejs/node#64833; here 57 or 61 of
 *   75 in 2 of 13 runs). A run still going after 10 minutes (a test file held
 *   open by a timer) is killed and run again with the flag, so a hang cannot
 *   stall CI.
 * - bun: `bun test --timeout 120000 ./npm/tests/` (the same compiled tests;
 *   the `./` keeps bun from reading the path as a name filter).
 *
 * Arguments starting with `-` are added to the runner's flags; any other
 * argument replaces the default paths.
 *
 * @module
 */

import {
  denoJunitCounts,
  denoJunitFailures,
  failureLines,
  LineSplitter,
  type Runtime,
  summaryLine,
  summaryParser,
  type TestCounts,
} from "./_test_summary.ts";
import { ROOT, tool } from "./_tools.ts";

const [runtime, ...extra] = Deno.args;
if (runtime !== "deno" && runtime !== "node" && runtime !== "bun") {
  console.error("Usage: deno run -A scripts/test.ts <deno|node|bun> [args]");
  Deno.exit(2);
}

const junitPath = runtime === "deno"
  ? Deno.makeTempFileSync({ suffix: ".xml" })
  : "";
const flags = extra.filter((arg) => arg.startsWith("-"));
const paths = extra.filter((arg) => !arg.startsWith("-"));

async function command(runtime: Runtime): Promise<[string, string[]]> {
  switch (runtime) {
    case "deno":
      return [Deno.execPath(), [
        "test",
        "-A",
        "--reporter=tap",
        `--junit-path=${junitPath}`,
        "--doc",
        ...flags,
        ...(paths.length > 0 ? paths : ["tests/", "src/", "mod.ts"]),
      ]];
    case "node":
      return ["node", [
        "--test",
        "--test-reporter=tap",
        "--test-timeout=120000",
        ...flags,
        ...(paths.length > 0 ? paths : ["npm/tests/"]),
      ]];
    case "bun":
      return [await tool("bun"), [
        "test",
        "--timeout",
        "120000",
        ...flags,
        ...(paths.length > 0 ? paths : ["./npm/tests/"]),
      ]];
  }
}

/**
 * How long the node run may take before it counts as held open; a full run
 * takes about 4 minutes on a 2-core machine.
 */
const NODE_WATCHDOG_MS = 10 * 60_000;

/** What one run of the runner gave. */
interface Run {
  status: Deno.CommandStatus;
  parser: ReturnType<typeof summaryParser> | undefined;
  /** Killed by the watchdog. */
  overdue: boolean;
}

/** Runs the runner once, streaming its output; `watchdogMs` kills it if it runs longer. */
async function runOnce(
  program: string,
  args: string[],
  watchdogMs: number | undefined,
): Promise<Run> {
  console.error(
    `test: ${runtime === "deno" ? "deno" : program} ${args.join(" ")}`,
  );
  const child = new Deno.Command(program, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const parser = runtime === "deno"
    ? undefined
    : summaryParser(runtime as "node" | "bun");
  let overdue = false;
  const watchdog = watchdogMs === undefined ? undefined : setTimeout(() => {
    overdue = true;
    // The test files run in processes of their own: stop them first.
    try {
      new Deno.Command("pkill", { args: ["-KILL", "-P", `${child.pid}`] })
        .outputSync();
    } catch {
      // no pkill (not Linux or macOS): only the runner goes
    }
    child.kill("SIGKILL");
  }, watchdogMs);
  // Node writes its TAP to stdout; bun writes its results to stderr.
  const [status] = await Promise.all([
    child.status,
    pipe(child.stdout, Deno.stdout, runtime === "node" ? parser : undefined),
    pipe(child.stderr, Deno.stderr, runtime === "bun" ? parser : undefined),
  ]);
  clearTimeout(watchdog);
  return { status, parser, overdue };
}

/** Copies a child stream to ours unchanged, feeding its lines to `parser`. */
async function pipe(
  stream: ReadableStream<Uint8Array>,
  out: { write(bytes: Uint8Array): Promise<number> },
  parser: ReturnType<typeof summaryParser> | undefined,
): Promise<void> {
  const parse = parser !== undefined;
  const decoder = new TextDecoder();
  const lines = new LineSplitter();
  const onLine = (line: string) => parser?.line(line);
  for await (const chunk of stream) {
    let written = 0;
    while (written < chunk.length) {
      written += await out.write(chunk.subarray(written));
    }
    if (parse) lines.push(decoder.decode(chunk, { stream: true }), onLine);
  }
  if (parse) {
    lines.push(decoder.decode(), onLine);
    lines.end(onLine);
  }
}

const [program, args] = await command(runtime);
let run = await runOnce(
  program,
  args,
  runtime === "node" ? NODE_WATCHDOG_MS : undefined,
);
if (run.overdue) {
  console.error(
    `test: node still ran after ${
      NODE_WATCHDOG_MS / 60_000
    } minutes (a test file held open?); running again with --test-force-exit`,
  );
  run = await runOnce(program, ["--test-force-exit", ...args], undefined);
}
const { status, parser } = run;

let counts: TestCounts;
let failures: string[] = [];
if (parser !== undefined) {
  counts = parser.counts();
  failures = parser.failures();
} else {
  let xml = "";
  try {
    xml = Deno.readTextFileSync(junitPath);
    Deno.removeSync(junitPath);
  } catch {
    // No report: deno failed before running tests; zero passes fails the run.
  }
  counts = denoJunitCounts(xml);
  failures = denoJunitFailures(xml);
}
const failed = status.code !== 0 || counts.failed > 0 || counts.passed === 0;
if (status.code !== 0 && counts.failed === 0) {
  console.error(
    `test: ${runtime} exited with code ${status.code}${
      status.signal ? ` (${status.signal})` : ""
    }`,
  );
}
// Named again here because CI may keep only the end of a long log.
for (const line of failureLines(failures)) console.log(line);
console.log(summaryLine(runtime, counts));
Deno.exit(failed ? (status.code !== 0 ? status.code : 1) : 0);
