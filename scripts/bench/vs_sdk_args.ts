/**
 * The command line of `deno task bench:vs-sdk`: which services, concurrencies
 * and latency, how many rounds, the drop scenario's sizes and runtimes.
 * Pure: no runtime APIs.
 *
 * @module
 */

import {
  type CommandLine,
  commandLine,
  flagHelpLines,
  type FlagTable,
  parseFlags,
} from "./flags.ts";
import type { VsSdkService } from "./vs_sdk_report.ts";

/** The runtimes the drop scenario runs on. */
export type VsSdkRuntime = "deno" | "node" | "bun";

/** The two parts of a run. */
export type VsSdkPart = "throughput" | "drop";

const SERVICES: readonly VsSdkService[] = ["servicebus", "eventhubs", "cosmos"];
const RUNTIMES: readonly VsSdkRuntime[] = ["deno", "node", "bun"];
const PARTS: readonly VsSdkPart[] = ["throughput", "drop"];

/** Everything a `bench:vs-sdk` run is configured by. */
export interface VsSdkArgs {
  /**
   * What to run: the throughput comparison, the drop scenario, or both.
   * @default {["throughput", "drop"]}
   */
  parts: VsSdkPart[];
  /**
   * The services of the throughput comparison (the drop scenario runs on
   * Service Bus and Event Hubs among them).
   * @default {["servicebus", "eventhubs", "cosmos"]}
   */
  services: VsSdkService[];
  /**
   * Closed-loop callers, one column each.
   * @default {[1, 20, 50, 500]}
   */
  concurrency: number[];
  /**
   * The round trip added in the second phase, ms (half each way, by the
   * servers' proxy); 0 runs the loopback phase only.
   * @default {20}
   */
  rttMs: number;
  /**
   * Interleaved rounds: each runs every shape once per concurrency, in a
   * rotated order; ratios are reported as median [min-max] over them.
   * @default {5}
   */
  rounds: number;
  /**
   * Measured windows per shape per round; the round keeps their median.
   * @default {3}
   */
  runs: number;
  /**
   * The shortest measured window, seconds (see `measureWindow`).
   * @default {0.3}
   */
  seconds: number;
  /**
   * Unmeasured load before each window, seconds.
   * @default {0.1}
   */
  warmupSeconds: number;
  /**
   * Operations per round of the new-client-per-operation rows (they run at
   * concurrency min(c, this)).
   * @default {20}
   */
  perOpOps: number;
  /**
   * Sends of one drop scenario.
   * @default {3000}
   */
  dropSends: number;
  /**
   * Callers of the drop scenario.
   * @default {500}
   */
  dropConcurrency: number;
  /**
   * Time cap of one drop scenario, seconds: sends unsettled by then are
   * reported as pending.
   * @default {240}
   */
  dropCapSeconds: number;
  /**
   * Round trip added in the drop scenario, ms.
   * @default {0}
   */
  dropRttMs: number;
  /**
   * The runtimes of the drop scenario, in order.
   * @default {["deno"]}
   */
  runtimes: VsSdkRuntime[];
  /**
   * Also write the report to this markdown file.
   * @default {undefined}
   */
  out: string | undefined;
}

/**
 * The defaults of every flag, as printed by `--help`.
 *
 * @returns A fresh copy of the defaults.
 *
 * @example The concurrencies of issue 19
 * ```ts
 * import { defaultVsSdkArgs } from "./vs_sdk_args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(defaultVsSdkArgs().concurrency, [1, 20, 50, 500]);
 * ```
 */
export function defaultVsSdkArgs(): VsSdkArgs {
  return {
    parts: [...PARTS],
    services: [...SERVICES],
    concurrency: [1, 20, 50, 500],
    rttMs: 20,
    rounds: 5,
    runs: 3,
    seconds: 0.3,
    warmupSeconds: 0.1,
    perOpOps: 20,
    dropSends: 3000,
    dropConcurrency: 500,
    dropCapSeconds: 240,
    dropRttMs: 0,
    runtimes: ["deno"],
    out: undefined,
  };
}

const FLAGS: FlagTable<VsSdkArgs> = {
  "--parts": {
    key: "parts",
    kind: "choices",
    choices: PARTS,
    help: "What to run, comma-separated",
  },
  "--services": {
    key: "services",
    kind: "choices",
    choices: SERVICES,
    help: "Services of the throughput comparison, comma-separated",
  },
  "--concurrency": {
    key: "concurrency",
    kind: "ints+",
    help: "Closed-loop callers, one column each",
  },
  "--rtt-ms": {
    key: "rttMs",
    kind: "num0",
    help: "Round trip added in the latency phase, ms (0: loopback only)",
  },
  "--rounds": {
    key: "rounds",
    kind: "int+",
    help: "Interleaved rounds; ratios are median [min-max] over them",
  },
  "--runs": {
    key: "runs",
    kind: "int+",
    help: "Measured windows per shape per round (median kept)",
  },
  "--seconds": {
    key: "seconds",
    kind: "num+",
    help:
      "Shortest measured window, s (stretched to 8x the slowest first operation, at most 5 s)",
  },
  "--warmup-seconds": {
    key: "warmupSeconds",
    kind: "num0",
    help: "Unmeasured load before each window, s",
  },
  "--per-op-ops": {
    key: "perOpOps",
    kind: "int+",
    help: "Operations per round of the new-client-per-operation rows",
  },
  "--drop-sends": {
    key: "dropSends",
    kind: "int+",
    help: "Sends of one drop scenario",
  },
  "--drop-concurrency": {
    key: "dropConcurrency",
    kind: "int+",
    help: "Callers of the drop scenario",
  },
  "--drop-cap-seconds": {
    key: "dropCapSeconds",
    kind: "num+",
    help: "Time cap of one drop scenario, s (then: pending)",
  },
  "--drop-rtt-ms": {
    key: "dropRttMs",
    kind: "num0",
    help: "Round trip added in the drop scenario, ms",
  },
  "--runtimes": {
    key: "runtimes",
    kind: "choices",
    choices: RUNTIMES,
    help: "Runtimes of the drop scenario, comma-separated, in order",
  },
  "--out": {
    key: "out",
    kind: "path",
    help: "Also write the markdown report to this file",
  },
};

/**
 * The `--help` text, every flag with its default.
 *
 * @returns The text, ending with a newline.
 *
 * @example The rounds' default
 * ```ts
 * import { vsSdkHelpText } from "./vs_sdk_args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(vsSdkHelpText(), /--rounds <n>\s+.*\(default 5\)/);
 * ```
 */
export function vsSdkHelpText(): string {
  return [
    "Usage: deno task bench:vs-sdk [flags]",
    "",
    "This package's managed clients against one long-lived Azure SDK client (the",
    "singleton) and a new client per operation, side by side in one process, on",
    "local Service Bus, Event Hubs and Cosmos DB servers: throughput and p99 as",
    "ratios to the singleton at each concurrency, without and with added latency;",
    "then the connection-drop scenario (every connection ended twice mid-run) per",
    "client shape and runtime, counted from the server's records.",
    "",
    "Flags:",
    ...flagHelpLines(FLAGS, defaultVsSdkArgs()),
    "",
  ].join("\n");
}

/**
 * Parses flags, throwing `BenchArgsError` on the first bad one.
 *
 * @param argv The arguments after the script name.
 * @returns The flags, defaults filled in.
 * @throws {BenchArgsError} On an unknown flag or a missing or bad value.
 *
 * @example Service Bus only, two rounds
 * ```ts
 * import { parseVsSdkArgs } from "./vs_sdk_args.ts";
 * import assert from "node:assert/strict";
 *
 * const args = parseVsSdkArgs(["--services", "servicebus", "--rounds=2"]);
 * assert.deepEqual(args.services, ["servicebus"]);
 * assert.equal(args.rounds, 2);
 * ```
 */
export function parseVsSdkArgs(argv: readonly string[]): VsSdkArgs {
  const args = parseFlags(argv, FLAGS, defaultVsSdkArgs()).args;
  args.concurrency = args.concurrency.map(Number);
  return args;
}

/**
 * Turns the command line into "run with these flags" or "exit now": 0 for
 * `--help`, 2 for a bad flag (message on stderr).
 *
 * @param argv The arguments after the script name.
 * @returns What to do.
 *
 * @example An unknown service exits with code 2
 * ```ts
 * import { parseVsSdkCommandLine } from "./vs_sdk_args.ts";
 * import assert from "node:assert/strict";
 *
 * const result = parseVsSdkCommandLine(["--services", "blob"]);
 * assert.equal(result.kind === "exit" && result.code, 2);
 * ```
 */
export function parseVsSdkCommandLine(
  argv: readonly string[],
): CommandLine<VsSdkArgs> {
  return commandLine(
    argv,
    "deno task bench:vs-sdk",
    parseVsSdkArgs,
    vsSdkHelpText(),
  );
}

/**
 * The command line that repeats a run, every flag spelled out.
 *
 * @param args The flags in effect.
 * @returns For example `deno task bench:vs-sdk --parts throughput,drop ...`.
 *
 * @example The defaults spelled out
 * ```ts
 * import { defaultVsSdkArgs, vsSdkCommand } from "./vs_sdk_args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   vsSdkCommand(defaultVsSdkArgs()),
 *   "deno task bench:vs-sdk --parts throughput,drop --services servicebus,eventhubs,cosmos " +
 *     "--concurrency 1,20,50,500 --rtt-ms 20 --rounds 5 --runs 3 --seconds 0.3 --warmup-seconds 0.1 " +
 *     "--per-op-ops 20 --drop-sends 3000 --drop-concurrency 500 --drop-cap-seconds 240 " +
 *     "--drop-rtt-ms 0 --runtimes deno",
 * );
 * ```
 */
export function vsSdkCommand(args: VsSdkArgs): string {
  return [
    "deno task bench:vs-sdk",
    `--parts ${args.parts.join(",")}`,
    `--services ${args.services.join(",")}`,
    `--concurrency ${args.concurrency.join(",")}`,
    `--rtt-ms ${args.rttMs}`,
    `--rounds ${args.rounds}`,
    `--runs ${args.runs}`,
    `--seconds ${args.seconds}`,
    `--warmup-seconds ${args.warmupSeconds}`,
    `--per-op-ops ${args.perOpOps}`,
    `--drop-sends ${args.dropSends}`,
    `--drop-concurrency ${args.dropConcurrency}`,
    `--drop-cap-seconds ${args.dropCapSeconds}`,
    `--drop-rtt-ms ${args.dropRttMs}`,
    `--runtimes ${args.runtimes.join(",")}`,
    ...(args.out === undefined ? [] : [`--out ${shellQuote(args.out)}`]),
  ].join(" ");
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg)
    ? arg
    : `'${arg.replaceAll("'", `'\\''`)}'`;
}
