/**
 * The command line of `deno task bench`: flags, their defaults, `--help`, and
 * the messages bad flags get (exit code 2). Pure: no runtime APIs.
 *
 * @module
 */

import {
  BenchArgsError,
  type CommandLine,
  commandLine,
  flagHelpLines,
  type FlagTable,
  parseFlags,
} from "./flags.ts";

export { BenchArgsError };

/** The backends the bench can drive. */
export type BenchTarget = "simulated" | "cosmos" | "servicebus" | "eventhubs";

const TARGETS: readonly BenchTarget[] = [
  "simulated",
  "cosmos",
  "servicebus",
  "eventhubs",
];

/** Everything a bench run is configured by. */
export interface BenchArgs {
  /**
   * The backend: a simulated connector, or a managed client against a local server.
   * @default {"simulated"}
   */
  target: BenchTarget;
  /**
   * Use the real Azure account named in environment variables instead of the local server.
   * @default {false}
   */
  azure: boolean;
  /**
   * The `clientLimit` values of the grid.
   * @default {[10, 50, 100]}
   */
  clientLimits: number[];
  /**
   * The `maxSize` values of the grid.
   * @default {[1, 2, 4, 8]}
   */
  maxSizes: number[];
  /**
   * The `maxConcurrentCreates` values of the grid; `undefined` is the pool's default.
   * @default {[undefined]}
   */
  maxConcurrentCreates: (number | undefined)[];
  /**
   * Open-loop arrival rate, requests per second.
   * @default {4000}
   */
  rate: number;
  /**
   * Closed-loop callers; when set, replaces `rate`.
   * @default {undefined}
   */
  concurrency: number | undefined;
  /**
   * Requests that arrive together on top of the rate, every `burstEverySeconds`.
   * @default {200}
   */
  burst: number;
  /**
   * Seconds between bursts.
   * @default {1}
   */
  burstEverySeconds: number;
  /**
   * The measured window of each grid cell, seconds.
   * @default {2}
   */
  durationSeconds: number;
  /**
   * Unmeasured load before the window, seconds, so the pool grows first.
   * @default {0.5}
   */
  warmupSeconds: number;
  /**
   * Simulated handshake (create + ready) before `timeScale`, milliseconds.
   * @default {700}
   */
  handshakeMs: number;
  /**
   * Simulated operation latency, milliseconds.
   * @default {2}
   */
  operationMs: number;
  /**
   * Simulated operations per second one connection carries; 0 for no limit.
   * @default {2000}
   */
  connectionRate: number;
  /**
   * Multiplies the simulated handshake.
   * @default {0.01}
   */
  timeScale: number;
  /**
   * The latency target: whole-operation p99, milliseconds.
   * @default {50}
   */
  p99Ms: number;
  /**
   * Instances of the service that each run one such pool; the recommendation
   * checks instances x `maxSize` against `connectionQuota`.
   * @default {undefined}
   */
  instances: number | undefined;
  /**
   * Connections the service allows per namespace or account, shared by every
   * instance.
   * @default {undefined}
   */
  connectionQuota: number | undefined;
  /**
   * The pool's `acquireTimeoutSeconds` in every cell.
   * @default {1}
   */
  acquireTimeoutSeconds: number;
  /**
   * Seed of the arrival process.
   * @default {1}
   */
  seed: number;
  /**
   * Print JSON results on stdout instead of the table.
   * @default {false}
   */
  json: boolean;
  /**
   * Write a Markdown report (and an SVG chart beside it) to this path.
   * @default {undefined}
   */
  out: string | undefined;
}

/**
 * The defaults of every flag, as printed by `--help`.
 *
 * @returns A fresh copy of the defaults.
 *
 * @example The default grid
 * ```ts
 * import { defaultBenchArgs } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(defaultBenchArgs().maxSizes, [1, 2, 4, 8]);
 * ```
 */
export function defaultBenchArgs(): BenchArgs {
  return {
    target: "simulated",
    azure: false,
    clientLimits: [10, 50, 100],
    maxSizes: [1, 2, 4, 8],
    maxConcurrentCreates: [undefined],
    rate: 4000,
    concurrency: undefined,
    burst: 200,
    burstEverySeconds: 1,
    durationSeconds: 2,
    warmupSeconds: 0.5,
    handshakeMs: 700,
    operationMs: 2,
    connectionRate: 2000,
    timeScale: 0.01,
    p99Ms: 50,
    instances: undefined,
    connectionQuota: undefined,
    acquireTimeoutSeconds: 1,
    seed: 1,
    json: false,
    out: undefined,
  };
}

const FLAGS: FlagTable<BenchArgs> = {
  "--target": {
    key: "target",
    kind: "choice",
    choices: TARGETS,
    help: "Backend: simulated, or cosmos|servicebus|eventhubs (a local server)",
  },
  "--azure": {
    key: "azure",
    kind: "bool",
    help:
      "With --target: use the real Azure account from environment variables",
  },
  "--client-limit": {
    key: "clientLimits",
    kind: "ints+",
    help: "clientLimit values, comma-separated",
  },
  "--max-size": {
    key: "maxSizes",
    kind: "ints+",
    help: "maxSize values, comma-separated",
  },
  "--max-concurrent-creates": {
    key: "maxConcurrentCreates",
    kind: "creates",
    help:
      "maxConcurrentCreates values, comma-separated; auto = the pool's default",
  },
  "--rate": {
    key: "rate",
    kind: "num+",
    help: "Open-loop arrivals per second (queueing shows in latency)",
  },
  "--concurrency": {
    key: "concurrency",
    kind: "int+",
    help: "Closed loop instead: this many callers, each back to back",
  },
  "--burst": {
    key: "burst",
    kind: "int0",
    help: "Extra requests arriving at once, every --burst-every",
  },
  "--burst-every": {
    key: "burstEverySeconds",
    kind: "num+",
    help: "Seconds between bursts",
  },
  "--duration": {
    key: "durationSeconds",
    kind: "num+",
    help: "Measured seconds per grid cell",
  },
  "--warmup": {
    key: "warmupSeconds",
    kind: "num0",
    help: "Unmeasured seconds of load first, per cell",
  },
  "--handshake-ms": {
    key: "handshakeMs",
    kind: "num0",
    help: "Simulated create + ready cost, ms, before --time-scale",
  },
  "--operation-ms": {
    key: "operationMs",
    kind: "num0",
    help: "Simulated operation latency, ms",
  },
  "--connection-rate": {
    key: "connectionRate",
    kind: "num0",
    help: "Simulated operations/s one connection carries; 0 = no limit",
  },
  "--time-scale": {
    key: "timeScale",
    kind: "num+",
    help: "Multiplies the simulated handshake (1 = real cost)",
  },
  "--p99-ms": {
    key: "p99Ms",
    kind: "num+",
    help: "Latency target: whole-operation p99, ms",
  },
  "--instances": {
    key: "instances",
    kind: "int+",
    help: "Instances running one pool each: checks instances x maxSize",
  },
  "--connection-quota": {
    key: "connectionQuota",
    kind: "int+",
    help: "Connections the namespace allows, shared by all instances",
  },
  "--acquire-timeout-seconds": {
    key: "acquireTimeoutSeconds",
    kind: "num+",
    help: "The pool's acquireTimeoutSeconds",
  },
  "--seed": {
    key: "seed",
    kind: "int0",
    help: "Seed of the random arrival process",
  },
  "--json": {
    key: "json",
    kind: "bool",
    help: "Print results as JSON on stdout instead of the table",
  },
  "--out": {
    key: "out",
    kind: "path",
    help: "Write a Markdown report and an SVG chart beside it",
  },
};

/**
 * The `--help` text, every flag with its default.
 *
 * @returns The text, ending with a newline.
 *
 * @example Every flag is listed
 * ```ts
 * import { helpText } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(helpText(), /--rate <n>\s+.*\(default 4000\)/);
 * ```
 */
export function helpText(): string {
  const defaults = defaultBenchArgs();
  const lines = [
    "Usage: deno task bench [flags]",
    "",
    "Runs a workload through ConnectionPool for every clientLimit x maxSize",
    "(x maxConcurrentCreates) in the grid, prints throughput, latency percentiles,",
    "connections opened, waits, timeouts and errors, then recommends the smallest",
    "pool whose p99 meets --p99-ms at the requested load.",
    "",
    "Flags:",
  ];
  lines.push(...flagHelpLines(FLAGS, defaults));
  lines.push(
    "",
    "Environment for --azure: AZURE_COSMOS_ENDPOINT + AZURE_COSMOS_KEY",
    "(+ AZURE_COSMOS_DATABASE, AZURE_COSMOS_CONTAINER), SERVICEBUS_CONNECTION_STRING",
    "+ SERVICEBUS_QUEUE, EVENTHUB_CONNECTION_STRING + EVENTHUB_NAME.",
    "",
  );
  return lines.join("\n");
}

/**
 * Parses flags, throwing {@linkcode BenchArgsError} on the first bad one.
 * Accepts `--flag value` and `--flag=value`; a value may start with `-`
 * (so `--concurrency -3` is reported as a bad value, not a missing one).
 * A repeated flag keeps its last value.
 *
 * @param argv The arguments after the script name.
 * @returns The flags, defaults filled in.
 * @throws {BenchArgsError} On an unknown flag, a missing or bad value, or a bad combination.
 *
 * @example Overriding the grid
 * ```ts
 * import { parseBenchArgs } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const args = parseBenchArgs(["--max-size", "1,3", "--rate=2500"]);
 * assert.deepEqual(args.maxSizes, [1, 3]);
 * assert.equal(args.rate, 2500);
 * ```
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { args, seen } = parseFlags(argv, FLAGS, defaultBenchArgs());
  if (seen.has("--rate") && seen.has("--concurrency")) {
    throw new BenchArgsError(
      "Invalid flags: --rate (open loop) and --concurrency (closed loop) exclude each other; give one",
    );
  }
  if (args.azure && args.target === "simulated") {
    throw new BenchArgsError(
      "Invalid --azure: it needs --target cosmos, servicebus or eventhubs",
    );
  }
  return args;
}

/**
 * Turns the command line into "run with these flags" or "exit now with this
 * text and code": 0 for `--help`, 2 for a bad flag (message on stderr).
 *
 * @param argv The arguments after the script name.
 * @returns What to do.
 *
 * @example A bad flag exits with code 2
 * ```ts
 * import { parseCommandLine } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const result = parseCommandLine(["--concurrency", "-3"]);
 * assert.equal(result.kind, "exit");
 * if (result.kind === "exit") {
 *   assert.equal(result.code, 2);
 *   assert.match(result.stderr, /Invalid --concurrency: expected a positive integer, got -3/);
 * }
 * ```
 */
export function parseCommandLine(
  argv: readonly string[],
): CommandLine<BenchArgs> {
  return commandLine(argv, "deno task bench", parseBenchArgs, helpText());
}
