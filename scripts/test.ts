/**
 * Runs the test suite on one runtime, streams its output through, and
 * prints as its last line `<runtime>: N passed, N failed` (plus
 * `, N skipped` when some were). Exits non-zero on any failure, a failing
 * runner, or a run with no passing test.
 *
 * Usage: `deno run -A scripts/test.ts <deno|node|bun> [args]`
 *
 * - deno: `deno test -A --reporter=tap --doc tests/ src/ mod.ts` (the
 *   sources and every JSDoc example). The figures come from the JUnit report
 *   it also writes (`--junit-path`), because its TAP prints nested steps flat.
 * - node: `node --test --test-reporter=tap --test-timeout=120000 --test-force-exit npm/tests/`
 *   (the tests compiled by `deno task build:npm`).
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
        // rhea can leave a heartbeat timer armed after an SDK closes a dropped
        // AMQP connection; it must not hold a finished test file open.
        // tests/pool_exit_test.ts checks in its own child process that our
        // code never keeps a process alive.
        "--test-force-exit",
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

const [program, args] = await command(runtime);
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

const parser = runtime === "deno" ? undefined : summaryParser(runtime);

/** Copies a child stream to ours unchanged, feeding its lines to the parser. */
async function pipe(
  stream: ReadableStream<Uint8Array>,
  out: { write(bytes: Uint8Array): Promise<number> },
  parse: boolean,
): Promise<void> {
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

// Node writes its TAP to stdout; bun writes its results to stderr.
const [status] = await Promise.all([
  child.status,
  pipe(child.stdout, Deno.stdout, runtime === "node"),
  pipe(child.stderr, Deno.stderr, runtime === "bun"),
]);

let counts: TestCounts;
if (parser !== undefined) counts = parser.counts();
else {
  let xml = "";
  try {
    xml = Deno.readTextFileSync(junitPath);
    Deno.removeSync(junitPath);
  } catch {
    // No report: deno failed before running tests; zero passes fails the run.
  }
  counts = denoJunitCounts(xml);
}
const failed = status.code !== 0 || counts.failed > 0 || counts.passed === 0;
if (status.code !== 0 && counts.failed === 0) {
  console.error(
    `test: ${runtime} exited with code ${status.code}${
      status.signal ? ` (${status.signal})` : ""
    }`,
  );
}
console.log(summaryLine(runtime, counts));
Deno.exit(failed ? (status.code !== 0 ? status.code : 1) : 0);
