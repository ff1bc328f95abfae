/**
 * `deno task bench:micro`: the pool's hot-path cost on Deno, Node and Bun in
 * one command. Each runtime runs the same workload in its own process
 * (`micro_child.ts`: Deno from source, Node and Bun from a bundle made with
 * `deno bundle`), and its table prints as soon as it finishes: ops/s and the
 * ratio to a bare semaphore in the same process at concurrency 1, 100 and
 * 10,000, `generic-pool` and `tarn` side by side, hand-off p50/p99, heap per
 * queued caller, and the goals of issue 12 checked (reported, never
 * asserted). `--help` lists the flags and their defaults; a bad flag exits
 * with code 2, a runtime that failed with code 1.
 *
 * @module
 */

import { ROOT, tool } from "../_tools.ts";
import { bundleChild } from "./bundle_child.ts";
import {
  microCommand,
  type MicroRuntime,
  parseMicroCommandLine,
} from "./micro_args.ts";
import {
  microGoals,
  type MicroResult,
  type MicroSettings,
  renderMicro,
} from "./micro_report.ts";

const CHILD = `${ROOT}scripts/bench/micro_child.ts`;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function command(
  runtime: MicroRuntime,
  bundled: () => Promise<string>,
  settings: string,
): Promise<[string, string[]]> {
  switch (runtime) {
    case "deno":
      return [Deno.execPath(), [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        CHILD,
        settings,
      ]];
    case "node":
      return ["node", ["--expose-gc", await bundled(), settings]];
    case "bun":
      // Bun.gc(true) needs no flag.
      return [await tool("bun"), [await bundled(), settings]];
  }
}

async function runChild(program: string, args: string[]): Promise<MicroResult> {
  const { code, stdout } = await new Deno.Command(program, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const lines = decoder.decode(stdout).trim().split("\n");
  if (code !== 0) throw new Error(`exited with code ${code}`);
  return JSON.parse(lines[lines.length - 1]) as MicroResult;
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseMicroCommandLine(argv);
  if (parsed.kind === "exit") {
    if (parsed.stdout) await Deno.stdout.write(encoder.encode(parsed.stdout));
    if (parsed.stderr) await Deno.stderr.write(encoder.encode(parsed.stderr));
    return parsed.code;
  }
  const args = parsed.args;
  const started = performance.now();
  const settings: MicroSettings = {
    rounds: args.rounds,
    batchMs: args.batchMs,
    handOffSamples: args.handOffSamples,
    queued: 10_000,
    concurrencies: [1, 100, 10_000],
  };
  const write = (text: string) =>
    (args.json ? Deno.stderr : Deno.stdout).write(encoder.encode(text));
  await write(`${microCommand(args)}\n(--help lists the flags)\n\n`);
  const dir = await Deno.makeTempDir({ prefix: "bench_micro_" });
  let bundlePath: Promise<string> | undefined;
  const bundled = () => (bundlePath ??= bundleChild(CHILD, dir));
  const results: MicroResult[] = [];
  let failed = 0;
  try {
    for (const runtime of args.runtimes) {
      try {
        const [program, childArgs] = await command(
          runtime,
          bundled,
          JSON.stringify(settings),
        );
        const result = await runChild(program, childArgs);
        results.push(result);
        // Printed as each runtime finishes, so a pipe sees progress too.
        if (!args.json) await write(`${renderMicro(result)}\n`);
      } catch (error) {
        failed++;
        console.error(
          `bench:micro: ${runtime} failed: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  if (args.json) {
    await Deno.stdout.write(
      encoder.encode(JSON.stringify(results, null, 2) + "\n"),
    );
  } else {
    const summary = results.map((result) => {
      const checks = microGoals(result);
      const met = checks.filter((check) => check.met === true).length;
      return `${result.runtime} ${met} of ${checks.length}`;
    });
    await write(
      `goals met: ${summary.join("; ") || "none measured"} (${
        ((performance.now() - started) / 1000).toFixed(1)
      } s in all)\n`,
    );
  }
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
