/**
 * `deno task soak`: the pool soak of `tests/soak_test.ts`, as long as you
 * like. Thousands of concurrent callers with random hold times, timeouts and
 * aborts run against a connector that injects faults (failed, hung and
 * refused opens, slow and throwing closes, connections breaking mid-use,
 * periodic outages); then `close()` runs under load. It prints the figures and
 * exits 1 if any promise was broken: a caller that never settled or got an
 * untyped error, a limit exceeded, stats that disagree with what the callers
 * saw, a connection leaked or closed twice, or heap growth.
 *
 * Usage: `deno task soak [--seconds=3600] [--callers=10000] [--seed=7] ...`
 * (`--help` lists every flag with its default), or
 * `deno task soak --profile chaos|flaky|hung|outage [--seed=7]` for one of
 * the fault profiles of issue 11, which prints the share of non-aborted
 * callers served, the time-to-fail while the service is down and the time to
 * the first caller served after it returns. Run with
 * `--v8-flags=--expose-gc` or as is: the heap is measured after a full GC
 * either way on Deno.
 *
 * @module
 */

import {
  formatProfileReport,
  formatSoakReport,
  type ProfileName,
  PROFILES,
  runProfile,
  runSoak,
  SOAK_DEFAULTS,
  type SoakConfig,
} from "./soak.ts";

const NUMERIC = Object.entries(SOAK_DEFAULTS)
  .filter(([, value]) => typeof value === "number")
  .map(([key]) => key);

function usage(): string {
  return [
    "Usage: deno task soak [--flag=value ...]",
    "",
    ...NUMERIC.map((key) =>
      `  --${key}=<number>  (default ${SOAK_DEFAULTS[key as keyof SoakConfig]})`
    ),
    `  --timeoutSeconds=<min>,<max>  (default ${
      SOAK_DEFAULTS.timeoutSeconds.join(",")
    })`,
    "  --progressSeconds=<number>  (default 10; 0 for none)",
    "  --seed defaults to a random one, printed in the report",
    "",
    `Or: deno task soak --profile ${
      Object.keys(PROFILES).join("|")
    } [--seed=<number>]`,
  ].join("\n");
}

function parse(args: string[]): {
  config: Partial<SoakConfig>;
  progressSeconds: number;
  profile: ProfileName | undefined;
} {
  const config: Record<string, unknown> = {};
  let progressSeconds = 10;
  let profile: ProfileName | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") {
      console.log(usage());
      Deno.exit(0);
    }
    const match = /^--([A-Za-z]+)(?:=(.*))?$/.exec(arg);
    if (match === null) throw new TypeError(`Unknown argument: ${arg}`);
    const [, key, inline] = match;
    const value = inline ?? args[++i];
    if (value === undefined) throw new TypeError(`--${key} needs a value`);
    if (key === "profile") {
      if (!Object.hasOwn(PROFILES, value)) {
        throw new RangeError(
          `--profile must be one of ${
            Object.keys(PROFILES).join(", ")
          }: received ${value}`,
        );
      }
      profile = value as ProfileName;
      continue;
    }
    if (key === "timeoutSeconds") {
      const bounds = value.split(",").map(Number);
      if (
        bounds.length !== 2 || !bounds.every((n) => n > 0) ||
        bounds[0] > bounds[1]
      ) {
        throw new RangeError(
          `--timeoutSeconds must be <min>,<max> with 0 < min <= max: received ${value}`,
        );
      }
      config.timeoutSeconds = bounds;
      continue;
    }
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number) || number < 0) {
      throw new RangeError(
        `--${key} must be a non-negative number: received ${value}`,
      );
    }
    if (key === "progressSeconds") progressSeconds = number;
    else if (NUMERIC.includes(key)) config[key] = number;
    else throw new TypeError(`Unknown flag: --${key}`);
  }
  if (profile !== undefined) {
    const other = Object.keys(config).filter((key) => key !== "seed");
    if (other.length > 0) {
      throw new TypeError(
        `--profile takes only --seed: received --${other.join(", --")}`,
      );
    }
  }
  return { config: config as Partial<SoakConfig>, progressSeconds, profile };
}

let parsed: ReturnType<typeof parse>;
try {
  parsed = parse(Deno.args);
} catch (error) {
  console.error((error as Error).message);
  console.error(usage());
  Deno.exit(2);
}
const seed = parsed.config.seed ?? Math.floor(Math.random() * 2 ** 31);
if (parsed.profile !== undefined) {
  const report = await runProfile(parsed.profile, { seed });
  console.log(formatProfileReport(report));
  Deno.exit(report.violations.length === 0 ? 0 : 1);
}
const report = await runSoak({ ...parsed.config, seed }, {
  progressSeconds: parsed.progressSeconds,
  progress: (line) => console.error(line),
});
console.log(formatSoakReport(report));
Deno.exit(report.violations.length === 0 ? 0 : 1);
