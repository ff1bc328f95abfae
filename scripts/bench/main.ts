/**
 * `deno task bench`: pool tuning in one command. Runs a workload through the
 * real `ConnectionPool` for every `clientLimit` x `maxSize` (x
 * `maxConcurrentCreates`) in a grid, prints throughput, latency percentiles,
 * connections opened, waits, timeouts and errors, then recommends the
 * smallest pool that meets a p99 target at the requested load, and why.
 *
 * With no flags it needs no network: the backend is a simulated connector.
 * `--target cosmos|servicebus|eventhubs` drives a managed client against a
 * local server instead (or a real account with `--azure`). `--help` lists the
 * flags and their defaults; a bad flag exits with code 2.
 *
 * @module
 */

import { parseCommandLine } from "./args.ts";
import type { BenchArgs } from "./args.ts";
import { gridCells, LAG_WARNING_MS, runGrid } from "./grid.ts";
import { recommend } from "./recommend.ts";
import {
  recommendationLines,
  renderJson,
  renderMarkdownReport,
  streamHeader,
  streamRow,
  tableRows,
  textTable,
} from "./report.ts";
import type { ReportInput } from "./report.ts";
import type { BenchBackend } from "./runner.ts";
import { simulatedBackend } from "./simulated.ts";
import { renderChart } from "./svg.ts";
import { ProgressLine } from "./progress_line.ts";

const encoder = new TextEncoder();

async function openBackend(args: BenchArgs): Promise<BenchBackend> {
  if (args.target === "simulated") {
    return simulatedBackend({
      handshakeMs: args.handshakeMs * args.timeScale,
      operationMs: args.operationMs,
      connectionRate: args.connectionRate,
    });
  }
  // Loaded only for a real target, so the default run never loads an Azure SDK.
  const { openTargetBackend } = await import("./targets.ts");
  return await openTargetBackend(args.target, {
    azure: args.azure,
    env: Deno.env.toObject(),
  });
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg)
    ? arg
    : `'${arg.replaceAll("'", `'\\''`)}'`;
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (parsed.kind === "exit") {
    if (parsed.stdout) await Deno.stdout.write(encoder.encode(parsed.stdout));
    if (parsed.stderr) await Deno.stderr.write(encoder.encode(parsed.stderr));
    return parsed.code;
  }
  const args = parsed.args;
  const startedAt = new Date();
  const started = performance.now();
  const backend = await openBackend(args);
  const cells = gridCells(args);
  const offeredRate = args.concurrency === undefined
    ? args.rate + args.burst / args.burstEverySeconds
    : 0;
  const loadLine = offeredRate > 0
    ? `Load: ${args.rate} req/s open loop + bursts of ${args.burst} every ${args.burstEverySeconds} s; ` +
      `warm-up ${args.warmupSeconds} s, measured ${args.durationSeconds} s per cell`
    : `Load: ${args.concurrency} closed-loop callers; warm-up ${args.warmupSeconds} s, ` +
      `measured ${args.durationSeconds} s per cell`;
  // Piped (a log, CI, `| tee`): each row prints as its configuration finishes,
  // since nothing else would appear for the whole run. A terminal gets the
  // progress line instead, then the table sorted by size.
  const streamed = !args.json && !Deno.stdout.isTerminal();
  const out = (text: string) => Deno.stdout.write(encoder.encode(text));
  if (streamed) {
    await out(`Backend: ${backend.label}\n${loadLine}\n\n${streamHeader()}\n`);
  }
  const progress = new ProgressLine();
  let run;
  try {
    run = await runGrid(
      backend,
      cells,
      {
        rate: args.rate,
        concurrency: args.concurrency,
        burst: args.burst,
        burstEverySeconds: args.burstEverySeconds,
        warmupSeconds: args.warmupSeconds,
        durationSeconds: args.durationSeconds,
        seed: args.seed,
        acquireTimeoutSeconds: args.acquireTimeoutSeconds,
      },
      args.p99Ms,
      {
        onProgress: (text) => progress.show(text),
        onResult: async (result) => {
          if (!streamed) return;
          progress.clear();
          await out(`${streamRow(result, args.p99Ms, offeredRate)}\n`);
        },
      },
    );
  } finally {
    progress.clear();
    await backend.close();
  }
  const { results, lagged } = run;

  const recommendation = recommend(results, {
    targetP99Ms: args.p99Ms,
    offeredRate,
    concurrency: args.concurrency,
    instances: args.instances,
    connectionQuota: args.connectionQuota,
  });
  const warnings = lagged.length === 0 ? [] : [
    `The load generator fell more than ${LAG_WARNING_MS} ms behind its schedule in ` +
    `${
      lagged.join(", ")
    }: the machine was busy (or the process paused), so those cells' ` +
    "latencies include the stall. Re-run, or lower --rate.",
  ];
  const input: ReportInput = {
    command: ["deno task bench", ...argv.map(shellQuote)].join(" "),
    flags: { ...args },
    backend: backend.label,
    environment:
      `Deno ${Deno.version.deno}, ${Deno.build.os} ${Deno.build.arch}, ` +
      `${navigator.hardwareConcurrency} CPUs`,
    startedAt: startedAt.toISOString(),
    elapsedSeconds: (performance.now() - started) / 1000,
    targetP99Ms: args.p99Ms,
    offeredRate,
    results,
    recommendation,
    warnings,
  };

  if (args.json) {
    await Deno.stdout.write(encoder.encode(renderJson(input)));
  } else {
    const lines = [
      ...(streamed ? [] : [
        `Backend: ${backend.label}`,
        loadLine,
        "",
        textTable(tableRows(results, args.p99Ms, offeredRate)),
      ]),
      "",
      ...recommendationLines(recommendation),
      ...warnings.map((warning) => `Warning: ${warning}`),
      `(${cells.length} configurations in ${
        input.elapsedSeconds.toFixed(1)
      } s)`,
      "",
    ];
    await Deno.stdout.write(encoder.encode(lines.join("\n")));
  }
  if (args.out !== undefined) {
    const svgPath = args.out.replace(/\.md$/i, "") + ".svg";
    const svgName = svgPath.slice(svgPath.lastIndexOf("/") + 1);
    await Deno.writeTextFile(
      svgPath,
      renderChart(results, {
        targetP99Ms: args.p99Ms,
        offeredRate,
        choice: recommendation.choice,
        title: `p99 latency against maxSize (${backend.label.split(":")[0]})`,
      }),
    );
    await Deno.writeTextFile(args.out, renderMarkdownReport(input, svgName));
    await Deno.stderr.write(
      encoder.encode(`Wrote ${args.out} and ${svgPath}\n`),
    );
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exitCode = await main(Deno.args);
  } catch (error) {
    // A configuration the backend refused (say, --azure without its environment
    // variables) is a usage error: code 2, like a bad flag.
    const usage = error instanceof Error && error.name === "BenchArgsError";
    console.error(
      `bench: ${error instanceof Error ? error.message : String(error)}`,
    );
    if (!usage && error instanceof Error && error.cause !== undefined) {
      console.error("cause:", error.cause);
    }
    Deno.exitCode = usage ? 2 : 1;
  }
}
