/**
 * The command-line machinery both bench commands share (`deno task bench` and
 * `deno task bench:micro`): a table of flags, parsing with messages that name
 * the flag and the value, `--help` text with every default, and exit code 2
 * for a bad flag. Pure: no runtime APIs.
 *
 * @module
 */

/** A bad command line: the command prints the message and exits with code 2. */
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

/**
 * How a flag's value is read: `int+` a positive integer, `int0` a
 * non-negative integer, `num+`/`num0` the same for numbers, `ints+` a
 * comma-separated list of positive integers, `creates` the same with `auto`
 * for `undefined`, `choice` one of `choices`, `choices` a comma-separated
 * subset of them, `path` a non-empty string, `bool` a switch.
 */
export type FlagKind =
  | "int+"
  | "int0"
  | "num+"
  | "num0"
  | "ints+"
  | "creates"
  | "choice"
  | "choices"
  | "path"
  | "bool";

/** One flag of a command. */
export interface FlagSpec<A> {
  /** The field of the parsed arguments it sets. */
  key: keyof A & string;
  /** How its value is read. */
  kind: FlagKind;
  /** One line for `--help`. */
  help: string;
  /** The accepted values of a `choice` or `choices` flag. */
  choices?: readonly string[];
}

/** A command's flags by name (`--rate`), in `--help` order. */
export type FlagTable<A> = Record<string, FlagSpec<A>>;

function number(flag: string, text: string, kind: FlagKind): number {
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

function choices(
  flag: string,
  text: string,
  allowed: readonly string[],
  many: boolean,
): string | string[] {
  const parts = many ? text.split(",").map((part) => part.trim()) : [text];
  if (parts.some((part) => !allowed.includes(part))) {
    throw new BenchArgsError(
      many
        ? `Invalid ${flag}: expected some of ${
          allowed.join(", ")
        }, comma-separated, got ${text}`
        : `Invalid ${flag}: expected one of ${allowed.join(", ")}, got ${text}`,
    );
  }
  return many ? [...new Set(parts)] : parts[0];
}

/**
 * Parses flags against a table, throwing {@linkcode BenchArgsError} on the
 * first bad one. Accepts `--flag value` and `--flag=value`; a value may start
 * with `-` (so `--concurrency -3` is reported as a bad value, not a missing
 * one). A repeated flag keeps its last value.
 *
 * @typeParam A The parsed arguments.
 * @param argv The arguments after the script name.
 * @param table The command's flags.
 * @param defaults The values of flags not given (not modified).
 * @returns The arguments, and the names of the flags given.
 * @throws {BenchArgsError} On an unknown flag, a missing or bad value.
 *
 * @example Two flags of a small command
 * ```ts
 * import { parseFlags, type FlagTable } from "./flags.ts";
 * import assert from "node:assert/strict";
 *
 * const table: FlagTable<{ rounds: number; quick: boolean }> = {
 *   "--rounds": { key: "rounds", kind: "int+", help: "Rounds" },
 *   "--quick": { key: "quick", kind: "bool", help: "Quick" },
 * };
 * const { args, seen } = parseFlags(["--rounds=2", "--quick"], table, { rounds: 4, quick: false });
 * assert.deepEqual(args, { rounds: 2, quick: true });
 * assert.ok(seen.has("--rounds"));
 * ```
 */
export function parseFlags<A extends object>(
  argv: readonly string[],
  table: FlagTable<A>,
  defaults: A,
): { args: A; seen: Set<string> } {
  const args = { ...defaults };
  const target = args as unknown as Record<string, unknown>;
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const eq = token.startsWith("--") ? token.indexOf("=") : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    const flag = Object.hasOwn(table, name) ? table[name] : undefined;
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
      target[flag.key] = true;
      continue;
    }
    let text: string;
    if (eq > 0) text = token.slice(eq + 1);
    else if (i + 1 < argv.length) text = argv[++i];
    else throw new BenchArgsError(`Missing value for ${name}`);
    switch (flag.kind) {
      case "ints+":
        target[flag.key] = list(name, text, false);
        break;
      case "creates":
        target[flag.key] = list(name, text, true);
        break;
      case "choice":
      case "choices":
        target[flag.key] = choices(
          name,
          text,
          flag.choices ?? [],
          flag.kind === "choices",
        );
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
  return { args, seen };
}

function showDefault(value: unknown): string {
  if (value === undefined) return "auto";
  if (Array.isArray(value)) return value.map(showDefault).join(",");
  return String(value);
}

/**
 * The flag lines of a `--help` text: each flag, its argument, its help and
 * its default, then `--help` itself.
 *
 * @typeParam A The parsed arguments.
 * @param table The command's flags.
 * @param defaults Their defaults.
 * @returns One line per flag.
 *
 * @example A flag with its default
 * ```ts
 * import { flagHelpLines } from "./flags.ts";
 * import assert from "node:assert/strict";
 *
 * const lines = flagHelpLines({ "--rounds": { key: "rounds", kind: "int+", help: "Rounds" } }, { rounds: 4 });
 * assert.match(lines[0], /--rounds <n>\s+Rounds \(default 4\)/);
 * ```
 */
export function flagHelpLines<A extends object>(
  table: FlagTable<A>,
  defaults: A,
): string[] {
  const lines: string[] = [];
  for (const [name, flag] of Object.entries(table)) {
    const arg = ({
      bool: "",
      path: " <file>",
      choice: " <name>",
      choices: " <list>",
      "ints+": " <list>",
      creates: " <list>",
    } as Partial<Record<FlagKind, string>>)[flag.kind] ?? " <n>";
    const current = defaults[flag.key];
    const shown = flag.kind === "bool"
      ? ""
      : current === undefined && flag.kind !== "creates"
      ? " (default none)"
      : ` (default ${showDefault(current)})`;
    lines.push(`  ${(name + arg).padEnd(32)} ${flag.help}${shown}`);
  }
  lines.push(`  ${"--help, -h".padEnd(32)} Print this text`);
  return lines;
}

/** What a command-line parse decided: run with these arguments, or exit now. */
export type CommandLine<A> =
  | { kind: "run"; args: A }
  | { kind: "exit"; code: 0 | 2; stdout: string; stderr: string };

/**
 * Turns a command line into "run with these arguments" or "exit now with
 * this text and code": 0 for `--help`, 2 for a bad flag (message on stderr).
 *
 * @typeParam A The parsed arguments.
 * @param argv The arguments after the script name.
 * @param command How the user runs the command, for example `deno task bench`.
 * @param parse Parses `argv`, throwing {@linkcode BenchArgsError}.
 * @param help The `--help` text.
 * @returns What to do.
 *
 * @example A bad flag exits with code 2
 * ```ts
 * import { BenchArgsError, commandLine } from "./flags.ts";
 * import assert from "node:assert/strict";
 *
 * const result = commandLine(["--x"], "deno task demo", () => {
 *   throw new BenchArgsError("Unknown flag --x");
 * }, "help");
 * assert.equal(result.kind, "exit");
 * if (result.kind === "exit") assert.equal(result.code, 2);
 * ```
 */
export function commandLine<A>(
  argv: readonly string[],
  command: string,
  parse: (argv: readonly string[]) => A,
  help: string,
): CommandLine<A> {
  if (argv.includes("--help") || argv.includes("-h")) {
    return { kind: "exit", code: 0, stdout: help, stderr: "" };
  }
  try {
    return { kind: "run", args: parse(argv) };
  } catch (error) {
    if (!(error instanceof BenchArgsError)) throw error;
    return {
      kind: "exit",
      code: 2,
      stdout: "",
      stderr:
        `bench: ${error.message}\nRun "${command} --help" for the flags and their defaults.\n`,
    };
  }
}
