/**
 * The command line of `deno task bench:micro`: which runtimes, how many
 * rounds, how long a batch. Pure: no runtime APIs.
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

/** The runtimes the micro bench runs on. */
export type MicroRuntime = "deno" | "node" | "bun";

const RUNTIMES: readonly MicroRuntime[] = ["deno", "node", "bun"];

/** Everything a micro bench run is configured by. */
export interface MicroArgs {
  /**
   * The runtimes, in the order they run.
   * @default {["deno", "node", "bun"]}
   */
  runtimes: MicroRuntime[];
  /**
   * Interleaved rounds per measurement: the best counts for throughput, the
   * median for hand-off latency.
   * @default {4}
   */
  rounds: number;
  /**
   * Target length of one measured throughput batch, milliseconds.
   * @default {200}
   */
  batchMs: number;
  /**
   * Hand-off samples per round.
   * @default {20000}
   */
  handOffSamples: number;
  /**
   * Print the figures as JSON on stdout instead of the tables.
   * @default {false}
   */
  json: boolean;
}

/**
 * The defaults of every flag, as printed by `--help`.
 *
 * @returns A fresh copy of the defaults.
 *
 * @example Every runtime by default
 * ```ts
 * import { defaultMicroArgs } from "./micro_args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(defaultMicroArgs().runtimes, ["deno", "node", "bun"]);
 * ```
 */
export function defaultMicroArgs(): MicroArgs {
  return {
    runtimes: [...RUNTIMES],
    rounds: 4,
    batchMs: 200,
    handOffSamples: 20_000,
    json: false,
  };
}

const FLAGS: FlagTable<MicroArgs> = {
  "--runtimes": {
    key: "runtimes",
    kind: "choices",
    choices: RUNTIMES,
    help: "Runtimes to run on, comma-separated, in this order",
  },
  "--rounds": {
    key: "rounds",
    kind: "int+",
    help: "Interleaved rounds: best for throughput, median for hand-off",
  },
  "--batch-ms": {
    key: "batchMs",
    kind: "num+",
    help: "Target length of one measured throughput batch, ms",
  },
  "--hand-off-samples": {
    key: "handOffSamples",
    kind: "int+",
    help: "Hand-off samples per round",
  },
  "--json": {
    key: "json",
    kind: "bool",
    help: "Print the figures as JSON on stdout instead of the tables",
  },
};

/**
 * The `--help` text, every flag with its default.
 *
 * @returns The text, ending with a newline.
 *
 * @example The rounds' default
 * ```ts
 * import { microHelpText } from "./micro_args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(microHelpText(), /--rounds <n>\s+.*\(default 4\)/);
 * ```
 */
export function microHelpText(): string {
  return [
    "Usage: deno task bench:micro [flags]",
    "",
    "The pool's hot path against a bare semaphore, generic-pool and tarn, in one",
    "process per runtime (Deno from source, Node and Bun from a bundle): ops/s and",
    "the ratio to the semaphore at concurrency 1, 100 and 10,000, hand-off p50/p99,",
    "heap per queued caller, and the goals of issue 12 checked.",
    "",
    "Flags:",
    ...flagHelpLines(FLAGS, defaultMicroArgs()),
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
 * @example Two runtimes, two rounds
 * ```ts
 * import { parseMicroArgs } from "./micro_args.ts";
 * import assert from "node:assert/strict";
 *
 * const args = parseMicroArgs(["--runtimes", "node,deno", "--rounds=2"]);
 * assert.deepEqual(args.runtimes, ["node", "deno"]);
 * assert.equal(args.rounds, 2);
 * ```
 */
export function parseMicroArgs(argv: readonly string[]): MicroArgs {
  return parseFlags(argv, FLAGS, defaultMicroArgs()).args;
}

/**
 * Turns the command line into "run with these flags" or "exit now": 0 for
 * `--help`, 2 for a bad flag (message on stderr).
 *
 * @param argv The arguments after the script name.
 * @returns What to do.
 *
 * @example An unknown runtime exits with code 2
 * ```ts
 * import { parseMicroCommandLine } from "./micro_args.ts";
 * import assert from "node:assert/strict";
 *
 * const result = parseMicroCommandLine(["--runtimes", "java"]);
 * assert.equal(result.kind === "exit" && result.code, 2);
 * ```
 */
export function parseMicroCommandLine(
  argv: readonly string[],
): CommandLine<MicroArgs> {
  return commandLine(
    argv,
    "deno task bench:micro",
    parseMicroArgs,
    microHelpText(),
  );
}

/**
 * The command line that repeats a run, every flag spelled out.
 *
 * @param args The flags in effect.
 * @returns For example `deno task bench:micro --runtimes deno,node,bun --rounds 4 ...`.
 *
 * @example The defaults spelled out
 * ```ts
 * import { defaultMicroArgs, microCommand } from "./micro_args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   microCommand(defaultMicroArgs()),
 *   "deno task bench:micro --runtimes deno,node,bun --rounds 4 --batch-ms 200 --hand-off-samples 20000",
 * );
 * ```
 */
export function microCommand(args: MicroArgs): string {
  return [
    "deno task bench:micro",
    `--runtimes ${args.runtimes.join(",")}`,
    `--rounds ${args.rounds}`,
    `--batch-ms ${args.batchMs}`,
    `--hand-off-samples ${args.handOffSamples}`,
    ...(args.json ? ["--json"] : []),
  ].join(" ");
}
