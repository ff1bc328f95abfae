import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BenchArgsError,
  defaultBenchArgs,
  helpText,
  parseBenchArgs,
  parseCommandLine,
} from "../../scripts/bench/args.ts";

/** Asserts that `argv` is refused with exit code 2 and exactly this message. */
function assertRefused(argv: string[], message: string): void {
  assert.throws(() => parseBenchArgs(argv), (error: unknown) => {
    assert.ok(error instanceof BenchArgsError);
    assert.equal(error.message, message);
    assert.equal(error.exitCode, 2);
    return true;
  });
  const result = parseCommandLine(argv);
  assert.equal(result.kind, "exit");
  if (result.kind === "exit") {
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.ok(result.stderr.startsWith(`bench: ${message}\n`), result.stderr);
    assert.match(result.stderr, /--help/);
  }
}

describe("parseBenchArgs", () => {
  it("returns the defaults for no flags", () => {
    assert.deepEqual(parseBenchArgs([]), defaultBenchArgs());
    const args = defaultBenchArgs();
    assert.equal(args.target, "simulated");
    assert.equal(args.p99Ms, 50);
    assert.equal(args.handshakeMs, 700);
    assert.equal(args.operationMs, 2);
    assert.deepEqual(args.maxConcurrentCreates, [undefined]);
  });

  it("reads --flag value and --flag=value alike", () => {
    const a = parseBenchArgs([
      "--rate",
      "2500",
      "--duration",
      "0.5",
      "--p99-ms",
      "20",
    ]);
    const b = parseBenchArgs(["--rate=2500", "--duration=0.5", "--p99-ms=20"]);
    assert.deepEqual(a, b);
    assert.equal(a.rate, 2500);
    assert.equal(a.durationSeconds, 0.5);
    assert.equal(a.p99Ms, 20);
  });

  it("reads grid lists, dropping duplicates, with auto for the pool's default creates", () => {
    const args = parseBenchArgs([
      "--client-limit",
      "10, 100,10",
      "--max-size",
      "1,2,16",
      "--max-concurrent-creates",
      "1,auto,4",
    ]);
    assert.deepEqual(args.clientLimits, [10, 100]);
    assert.deepEqual(args.maxSizes, [1, 2, 16]);
    assert.deepEqual(args.maxConcurrentCreates, [1, undefined, 4]);
  });

  it("switches to a closed loop with --concurrency", () => {
    const args = parseBenchArgs(["--concurrency", "200"]);
    assert.equal(args.concurrency, 200);
  });

  it("reads targets, booleans and the report path", () => {
    const args = parseBenchArgs([
      "--target",
      "servicebus",
      "--azure",
      "--json",
      "--out",
      "r.md",
    ]);
    assert.equal(args.target, "servicebus");
    assert.equal(args.azure, true);
    assert.equal(args.json, true);
    assert.equal(args.out, "r.md");
  });

  it("reads the fleet: --instances and --connection-quota, none by default", () => {
    assert.deepEqual(
      [defaultBenchArgs().instances, defaultBenchArgs().connectionQuota],
      [undefined, undefined],
    );
    const args = parseBenchArgs([
      "--instances",
      "12",
      "--connection-quota=5000",
    ]);
    assert.deepEqual([args.instances, args.connectionQuota], [12, 5000]);
    assertRefused(
      ["--instances", "0"],
      "Invalid --instances: expected a positive integer, got 0",
    );
    assertRefused(
      ["--connection-quota", "1.5"],
      "Invalid --connection-quota: expected a positive integer, got 1.5",
    );
  });

  it("keeps the last value of a repeated flag", () => {
    assert.equal(parseBenchArgs(["--seed", "1", "--seed", "9"]).seed, 9);
  });

  it("accepts zero where zero means something: burst, warm-up, handshake, connection rate", () => {
    const args = parseBenchArgs([
      "--burst",
      "0",
      "--warmup",
      "0",
      "--handshake-ms",
      "0",
      "--connection-rate",
      "0",
    ]);
    assert.deepEqual(
      [args.burst, args.warmupSeconds, args.handshakeMs, args.connectionRate],
      [0, 0, 0, 0],
    );
  });
});

describe("bad flags", () => {
  it("names the flag and the value for a negative count", () => {
    assertRefused(
      ["--concurrency", "-3"],
      "Invalid --concurrency: expected a positive integer, got -3",
    );
  });

  it("refuses a fraction, zero, text and an empty value where a count is meant", () => {
    assertRefused(
      ["--concurrency", "2.5"],
      "Invalid --concurrency: expected a positive integer, got 2.5",
    );
    assertRefused(
      ["--concurrency=0"],
      "Invalid --concurrency: expected a positive integer, got 0",
    );
    assertRefused(
      ["--burst", "lots"],
      "Invalid --burst: expected a non-negative integer, got lots",
    );
    assertRefused(
      ["--rate="],
      "Invalid --rate: expected a positive number, got ",
    );
  });

  it("refuses durations and targets that are not positive", () => {
    assertRefused(
      ["--duration", "0"],
      "Invalid --duration: expected a positive number, got 0",
    );
    assertRefused(
      ["--p99-ms", "-5"],
      "Invalid --p99-ms: expected a positive number, got -5",
    );
    assertRefused(
      ["--time-scale", "Infinity"],
      "Invalid --time-scale: expected a positive number, got Infinity",
    );
    assertRefused(
      ["--warmup", "-1"],
      "Invalid --warmup: expected a non-negative number, got -1",
    );
  });

  it("refuses a bad grid list and shows the whole list", () => {
    assertRefused(
      ["--max-size", "1,0,4"],
      "Invalid --max-size: expected positive integers, comma-separated, got 1,0,4",
    );
    assertRefused(
      ["--client-limit", "10,"],
      "Invalid --client-limit: expected positive integers, comma-separated, got 10,",
    );
    assertRefused(
      ["--max-concurrent-creates", "auto,x"],
      "Invalid --max-concurrent-creates: expected positive integers or auto, comma-separated, got auto,x",
    );
  });

  it("refuses an unknown flag, a stray argument and a missing value", () => {
    assertRefused(
      ["--conccurency", "3"],
      "Unknown flag --conccurency (run with --help for the list)",
    );
    assertRefused(["-c"], "Unknown flag -c (run with --help for the list)");
    assertRefused(["fast"], "Unexpected argument fast: flags start with --");
    assertRefused(["--rate"], "Missing value for --rate");
  });

  it("refuses an unknown target and a value given to a switch", () => {
    assertRefused(
      ["--target", "redis"],
      "Invalid --target: expected one of simulated, cosmos, servicebus, eventhubs, got redis",
    );
    assertRefused(["--json=yes"], "Invalid --json: it takes no value, got yes");
  });

  it("refuses --rate with --concurrency, and --azure without a service target", () => {
    assertRefused(
      ["--rate", "100", "--concurrency", "10"],
      "Invalid flags: --rate (open loop) and --concurrency (closed loop) exclude each other; give one",
    );
    assertRefused(
      ["--azure"],
      "Invalid --azure: it needs --target cosmos, servicebus or eventhubs",
    );
  });
});

describe("parseCommandLine", () => {
  it("answers --help and -h with the help text on stdout and exit code 0", () => {
    for (const flag of ["--help", "-h"]) {
      const result = parseCommandLine(["--rate", "5", flag]);
      assert.deepEqual(result, {
        kind: "exit",
        code: 0,
        stdout: helpText(),
        stderr: "",
      });
    }
  });

  it("returns the flags to run with when they are good", () => {
    const result = parseCommandLine(["--rate", "5"]);
    assert.equal(result.kind, "run");
    if (result.kind === "run") assert.equal(result.args.rate, 5);
  });
});

describe("helpText", () => {
  it("lists every flag with its default, so a run can be repeated", () => {
    const text = helpText();
    for (
      const line of [
        /--rate <n>\s+.*\(default 4000\)/,
        /--concurrency <n>\s+.*\(default none\)/,
        /--burst <n>\s+.*\(default 200\)/,
        /--client-limit <list>\s+.*\(default 10,50,100\)/,
        /--max-size <list>\s+.*\(default 1,2,4,8\)/,
        /--max-concurrent-creates <list>\s+.*\(default auto\)/,
        /--handshake-ms <n>\s+.*\(default 700\)/,
        /--operation-ms <n>\s+.*\(default 2\)/,
        /--time-scale <n>\s+.*\(default 0\.01\)/,
        /--p99-ms <n>\s+.*\(default 50\)/,
        /--json\s+Print/,
        /--instances <n>\s+.*\(default none\)/,
        /--connection-quota <n>\s+.*\(default none\)/,
        /--target <name>\s+.*\(default simulated\)/,
        /--out <file>\s+.*\(default none\)/,
        /--help, -h/,
      ]
    ) {
      assert.match(text, line);
    }
  });
});

/** Runs `deno run -A [--no-config] scripts/bench/main.ts ...flags` with piped output (Deno only). */
async function runBench(
  flags: string[],
  options: { noConfig?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { Deno } = globalThis as unknown as {
    Deno: {
      execPath(): string;
      Command: new (
        cmd: string,
        options: { args: string[]; stdout: "piped"; stderr: "piped" },
      ) => {
        output(): Promise<
          { code: number; stdout: Uint8Array; stderr: Uint8Array }
        >;
      };
    };
  };
  const script = new URL("../../scripts/bench/main.ts", import.meta.url)
    .pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(options.noConfig ? ["--no-config"] : []),
      script,
      ...flags,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

describe("deno task bench", () => {
  // The end-to-end checks need Deno to run the script.
  const deno = (globalThis as { Deno?: unknown }).Deno;
  it("exits with code 2 and the message for a bad flag", {
    skip: deno === undefined,
  }, async () => {
    const { code, stdout, stderr } = await runBench(["--concurrency", "-3"], {
      noConfig: true,
    });
    assert.equal(code, 2, stderr);
    assert.match(
      stderr,
      /Invalid --concurrency: expected a positive integer, got -3/,
    );
    assert.equal(stdout, "");
  });

  it(
    "prints each row as its configuration finishes when piped, and ends with the options to paste",
    {
      skip: deno === undefined,
    },
    async () => {
      // Run order 1 x 50 then 1 x 10; the final table would sort 1 x 10 first.
      const { code, stdout, stderr } = await runBench([
        "--max-size=1",
        "--client-limit=50,10",
        "--concurrency=2",
        "--burst=0",
        "--warmup=0",
        "--duration=0.1",
        "--time-scale=0.001",
        "--instances=3",
        "--connection-quota=2",
      ]);
      assert.equal(code, 0, stderr);
      const lines = stdout.split("\n");
      const header = lines.findIndex((line) => line.startsWith("maxSize  "));
      assert.ok(header > 0, stdout);
      assert.match(lines[header + 2], /^ {6}1 {11}50 /);
      assert.match(lines[header + 3], /^ {6}1 {11}10 /);
      assert.match(lines[header + 5], /^Recommendation: /);
      assert.equal(
        lines.filter((line) => line.startsWith("maxSize  ")).length,
        1,
        "the table is not printed twice",
      );
      assert.ok(
        lines.includes(
          "Fleet: 3 instances x maxSize 1 = 3 connections exceed the connection quota of 2. " +
            "At most 2 instances of maxSize 1 fit; even at maxSize 1, 3 instances need more than the quota",
        ),
        stdout,
      );
      assert.match(
        stdout,
        /\nOptions to paste: \{ maxSize: 1, clientLimit: (10|50) \}\n/,
      );
    },
  );
});
