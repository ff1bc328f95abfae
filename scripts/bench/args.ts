/**
 * The command line of `deno task bench`: flags, their defaults, `--help`, and
 * the messages bad flags get (exit code 2). Pure: no runtime APIs.
 *
 * @module
 */

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
   * Run the comparison micro-benchmark instead (pool against a bare
   * semaphore, generic-pool and tarn) and print ratios to the semaphore.
   * @default {false}
   */
  micro: boolean;
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
    acquireTimeoutSeconds: 1,
    seed: 1,
    json: false,
    micro: false,
    out: undefined,
  };
}

/** A bad command line: `deno task bench` prints the message and exits with code 2. */
export class BenchArgsError extends Error {
  /** The exit code for a usage error. */
  readonly exitCode = 2;

  /**
   * Constructs the error.
   *
   * @param message What was wrong, naming the flag and the value.
   */
  constructor(message: string) {
    super(message);
    this.name = "BenchArgsError";
  }
}

type Kind =
  | "int+"
  | "int0"
  | "num+"
  | "num0"
  | "ints+"
  | "creates"
  | "target"
  | "path"
  | "bool";

interface Flag {
  key: keyof BenchArgs;
  kind: Kind;
  help: string;
}

const FLAGS: Record<string, Flag> = {
  "--target": {
    key: "target",
    kind: "target",
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
  "--micro": {
    key: "micro",
    kind: "bool",
    help:
      "Instead: pool vs bare semaphore, generic-pool, tarn; ratios to the semaphore",
  },
  "--out": {
    key: "out",
    kind: "path",
    help: "Write a Markdown report and an SVG chart beside it",
  },
};

function showDefault(value: unknown): string {
  if (value === undefined) return "auto";
  if (Array.isArray(value)) return value.map(showDefault).join(",");
  return String(value);
}

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
  for (const [name, flag] of Object.entries(FLAGS)) {
    const arg = ({
      bool: "",
      path: " <file>",
      target: " <name>",
      "ints+": " <list>",
      creates: " <list>",
    } as Partial<Record<Kind, string>>)[flag.kind] ?? " <n>";
    const current = defaults[flag.key];
    const shown = flag.kind === "bool"
      ? ""
      : current === undefined && flag.kind !== "creates"
      ? " (default none)"
      : ` (default ${showDefault(current)})`;
    lines.push(`  ${(name + arg).padEnd(32)} ${flag.help}${shown}`);
  }
  lines.push(`  ${"--help, -h".padEnd(32)} Print this text`);
  lines.push(
    "",
    "Environment for --azure: AZURE_COSMOS_ENDPOINT + AZURE_COSMOS_KEY",
    "(+ AZURE_COSMOS_DATABASE, AZURE_COSMOS_CONTAINER), SERVICEBUS_CONNECTION_STRING",
    "+ SERVICEBUS_QUEUE, EVENTHUB_CONNECTION_STRING + EVENTHUB_NAME.",
    "",
  );
  return lines.join("\n");
}

function number(flag: string, text: string, kind: Kind): number {
  const value = text.trim() === "" ? NaN : Number(text);
  const expected: Record<string, string> = {
    "int+": "a positive integer",
    "int0": "a non-negative integer",
    "num+": "a positive number",
    "num0": "a non-negative number",
  };
  const ok = Number.isFinite(value) &&
    (kind === "int+" || kind === "int0" ? Number.isInteger(value) : true) &&
    (kind === "int+" || kind === "num+" ? value > 0 : value >= 0);
  if (!ok) {
    throw new BenchArgsError(
      `Invalid ${flag}: expected ${expected[kind]}, got ${text}`,
    );
  }
  return value;
}

function list(
  flag: string,
  text: string,
  allowAuto: boolean,
): (number | undefined)[] {
  const parts = text.split(",").map((part) => part.trim());
  const expected = allowAuto
    ? "positive integers or auto"
    : "positive integers";
  const values = parts.map((part) => {
    if (allowAuto && part === "auto") return undefined;
    const value = part === "" ? NaN : Number(part);
    if (!Number.isInteger(value) || value < 1) {
      throw new BenchArgsError(
        `Invalid ${flag}: expected ${expected}, comma-separated, got ${text}`,
      );
    }
    return value;
  });
  return [...new Set(values)];
}

/** What {@linkcode parseCommandLine} decided: run with these flags, or exit now. */
export type CommandLine =
  | { kind: "run"; args: BenchArgs }
  | { kind: "exit"; code: 0 | 2; stdout: string; stderr: string };

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
  const args = defaultBenchArgs();
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const eq = token.startsWith("--") ? token.indexOf("=") : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    const flag = FLAGS[name];
    if (flag === undefined) {
      throw new BenchArgsError(
        token.startsWith("-")
          ? `Unknown flag ${name} (run with --help for the list)`
          : `Unexpected argument ${token}: flags start with --`,
      );
    }
    seen.add(name);
    if (flag.kind === "bool") {
      if (eq > 0) {
        throw new BenchArgsError(
          `Invalid ${name}: it takes no value, got ${token.slice(eq + 1)}`,
        );
      }
      (args[flag.key] as boolean) = true;
      continue;
    }
    let text: string;
    if (eq > 0) text = token.slice(eq + 1);
    else if (i + 1 < argv.length) text = argv[++i];
    else throw new BenchArgsError(`Missing value for ${name}`);
    const target = args as unknown as Record<string, unknown>;
    switch (flag.kind) {
      case "ints+":
        target[flag.key] = list(name, text, false);
        break;
      case "creates":
        target[flag.key] = list(name, text, true);
        break;
      case "target":
        if (!(TARGETS as readonly string[]).includes(text)) {
          throw new BenchArgsError(
            `Invalid ${name}: expected one of ${
              TARGETS.join(", ")
            }, got ${text}`,
          );
        }
        target[flag.key] = text;
        break;
      case "path":
        if (text === "") {
          throw new BenchArgsError(
            `Invalid ${name}: expected a file path, got an empty string`,
          );
        }
        target[flag.key] = text;
        break;
      default:
        target[flag.key] = number(name, text, flag.kind);
    }
  }
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
export function parseCommandLine(argv: readonly string[]): CommandLine {
  if (argv.includes("--help") || argv.includes("-h")) {
    return { kind: "exit", code: 0, stdout: helpText(), stderr: "" };
  }
  try {
    return { kind: "run", args: parseBenchArgs(argv) };
  } catch (error) {
    if (!(error instanceof BenchArgsError)) throw error;
    return {
      kind: "exit",
      code: 2,
      stdout: "",
      stderr:
        `bench: ${error.message}\nRun "deno task bench --help" for the flags and their defaults.\n`,
    };
  }
}
