/**
 * `deno task bench:vs-sdk`: this package's managed clients against the
 * user's alternative, one long-lived Azure SDK client for the app's lifetime
 * (issue 19), side by side in one process against local servers:
 *
 * 1. Throughput and p99 latency of every client shape (managed clients, the
 *    singleton, a new client per operation) on Service Bus, Event Hubs and
 *    Cosmos DB, at each concurrency, on loopback and with a round trip added
 *    by the servers' proxy, as ratios to the singleton over interleaved
 *    rounds (`vs_sdk_throughput.ts`), in this Deno process.
 * 2. The connection-drop scenario (`drop_scenario.ts`) per client shape, on
 *    each runtime asked for: Deno from source, Node and Bun from a bundle
 *    made with `deno bundle` (`drop_child.ts`), as `bench:micro` does.
 *
 * The full command line, defaults spelled out, prints first so a run can be
 * repeated; each table prints as its part finishes; `--out` also writes the
 * whole report. `--help` lists the flags; a bad flag exits with code 2, a
 * runtime that failed with code 1.
 *
 * @module
 */

import { ROOT, tool } from "../_tools.ts";
import type {
  DropScenarioOptions,
  DropScenarioResult,
} from "./drop_scenario.ts";
import { DROP_SHAPES } from "./drop_scenario.ts";
import {
  parseVsSdkCommandLine,
  type VsSdkArgs,
  vsSdkCommand,
  type VsSdkRuntime,
} from "./vs_sdk_args.ts";
import {
  callsList,
  type DropRuntimeResult,
  dropTable,
  METHOD,
  type PhaseResult,
  renderVsSdkReport,
  throughputTable,
  type VsSdkReportInput,
} from "./vs_sdk_report.ts";
import { runThroughput } from "./vs_sdk_throughput.ts";
import { bundleChild } from "./bundle_child.ts";
import { ProgressLine } from "./progress_line.ts";

const CHILD = `${ROOT}scripts/bench/drop_child.ts`;
const encoder = new TextEncoder();

async function command(
  runtime: VsSdkRuntime,
  bundled: () => Promise<string>,
  settings: string,
): Promise<[string, string[]]> {
  switch (runtime) {
    case "deno":
      return [Deno.execPath(), ["run", "-A", CHILD, settings]];
    case "node":
      return ["node", [await bundled(), settings]];
    case "bun":
      return [await tool("bun"), [await bundled(), settings]];
  }
}

/** Runs one runtime's child, handing each result line over as it arrives. */
async function runChild(
  program: string,
  args: string[],
  onResult: (runtime: string, result: DropScenarioResult) => void,
): Promise<void> {
  const child = new Deno.Command(program, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    // Progress lines of a minutes-long scenario: shown as they come.
    stderr: "inherit",
  }).spawn();
  let buffered = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line.startsWith("{")) continue;
      const { runtime, result } = JSON.parse(line) as {
        runtime: string;
        result: DropScenarioResult;
      };
      onResult(runtime, result);
    }
  }
  const { code } = await child.status;
  if (code !== 0) throw new Error(`exited with code ${code}`);
}

/** The scenarios of one runtime: each shape, on Service Bus also with duplicate detection. */
function dropScenarios(
  args: VsSdkArgs,
): Omit<DropScenarioOptions, "onProgress">[] {
  const common = {
    sends: args.dropSends,
    concurrency: args.dropConcurrency,
    capSeconds: args.dropCapSeconds,
    latencySeconds: args.dropRttMs / 2000,
  };
  const scenarios: Omit<DropScenarioOptions, "onProgress">[] = [];
  if (args.services.includes("servicebus")) {
    for (const duplicateDetection of [false, true]) {
      for (const shape of DROP_SHAPES) {
        scenarios.push({
          ...common,
          service: "servicebus",
          shape,
          duplicateDetection,
        });
      }
    }
  }
  if (args.services.includes("eventhubs")) {
    for (const shape of DROP_SHAPES) {
      scenarios.push({ ...common, service: "eventhubs", shape });
    }
  }
  return scenarios;
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseVsSdkCommandLine(argv);
  if (parsed.kind === "exit") {
    if (parsed.stdout) await Deno.stdout.write(encoder.encode(parsed.stdout));
    if (parsed.stderr) await Deno.stderr.write(encoder.encode(parsed.stderr));
    return parsed.code;
  }
  const args = parsed.args;
  const startedAt = new Date();
  const started = performance.now();
  const out = (text: string) => Deno.stdout.write(encoder.encode(text));
  const environment =
    `Deno ${Deno.version.deno}, ${Deno.build.os} ${Deno.build.arch}, ` +
    `${navigator.hardwareConcurrency} CPUs`;
  await out(
    `${
      vsSdkCommand(args)
    }\n(--help lists the flags)\n\n${environment}. ${METHOD}\n\n`,
  );

  const phases: PhaseResult[] = [];
  if (args.parts.includes("throughput")) {
    const progress = new ProgressLine();
    try {
      for (const service of args.services) {
        const done = await runThroughput(
          { ...args, services: [service] },
          (text) => progress.show(`bench:vs-sdk: ${text}`),
        );
        progress.clear();
        for (const phase of done) {
          phases.push(phase);
          await out(
            `${
              throughputTable(phase, args.rounds, args.perOpOps).join("\n")
            }\n\n`,
          );
        }
      }
    } finally {
      progress.clear();
    }
  }

  const drops: DropRuntimeResult[] = [];
  let failed = 0;
  const scenarios = dropScenarios(args);
  if (args.parts.includes("drop") && scenarios.length > 0) {
    const dir = await Deno.makeTempDir({ prefix: "bench_vs_sdk_" });
    let bundlePath: Promise<string> | undefined;
    const bundled = () => (bundlePath ??= bundleChild(CHILD, dir));
    try {
      for (const runtime of args.runtimes) {
        const entry: DropRuntimeResult = { runtime, results: [] };
        drops.push(entry);
        try {
          const [program, childArgs] = await command(
            runtime,
            bundled,
            JSON.stringify(scenarios),
          );
          await runChild(program, childArgs, (name, result) => {
            entry.runtime = name;
            entry.results.push(result);
          });
        } catch (error) {
          failed++;
          entry.error = error instanceof Error ? error.message : String(error);
          console.error(`bench:vs-sdk: ${runtime} failed: ${entry.error}`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }

  const input: VsSdkReportInput = {
    command: vsSdkCommand(args),
    environment,
    startedAt: startedAt.toISOString(),
    elapsedSeconds: (performance.now() - started) / 1000,
    rounds: args.rounds,
    perOpOps: args.perOpOps,
    phases,
    drop: {
      sends: args.dropSends,
      concurrency: args.dropConcurrency,
      drops: 2,
      capSeconds: args.dropCapSeconds,
      rttMs: args.dropRttMs,
    },
    drops,
  };
  const dropLines = dropTable(input);
  await out(
    [...(dropLines.length > 0 ? [...dropLines, ""] : []), ...callsList(input)]
      .join("\n") +
      `(${input.elapsedSeconds.toFixed(1)} s in all)\n`,
  );
  if (args.out !== undefined) {
    await Deno.writeTextFile(args.out, renderVsSdkReport(input));
    await Deno.stderr.write(encoder.encode(`Wrote ${args.out}\n`));
  }
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
