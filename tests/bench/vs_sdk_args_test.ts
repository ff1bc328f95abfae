import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  defaultVsSdkArgs,
  parseVsSdkArgs,
  parseVsSdkCommandLine,
  vsSdkCommand,
  vsSdkHelpText,
} from "../../scripts/bench/vs_sdk_args.ts";
import { BenchArgsError } from "../../scripts/bench/flags.ts";

function assertRefused(argv: string[], message: string): void {
  assert.throws(() => parseVsSdkArgs(argv), (error: unknown) => {
    assert.ok(error instanceof BenchArgsError);
    assert.equal(error.message, message);
    return true;
  });
  const result = parseVsSdkCommandLine(argv);
  assert.equal(result.kind, "exit");
  if (result.kind === "exit") {
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `bench: ${message}\nRun "deno task bench:vs-sdk --help" for the flags and their defaults.\n`,
    );
  }
}

describe("parseVsSdkArgs", () => {
  it("runs both parts on every service at c1, c20, c50 and c500 with a 20 ms round trip, 5 rounds of 3 runs, by default", () => {
    assert.deepEqual(parseVsSdkArgs([]), {
      parts: ["throughput", "drop"],
      services: ["servicebus", "eventhubs", "cosmos"],
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
    });
  });

  it("reads every flag, in both spellings, keeping lists in the order given", () => {
    const args = parseVsSdkArgs([
      "--parts=drop",
      "--services",
      "eventhubs,servicebus",
      "--concurrency",
      "500,1",
      "--rtt-ms",
      "0",
      "--rounds=2",
      "--runs",
      "1",
      "--seconds",
      "0.5",
      "--warmup-seconds",
      "0",
      "--per-op-ops",
      "5",
      "--drop-sends",
      "90",
      "--drop-concurrency",
      "30",
      "--drop-cap-seconds",
      "12.5",
      "--drop-rtt-ms",
      "4",
      "--runtimes",
      "bun,node",
      "--out",
      "vs sdk.md",
    ]);
    assert.deepEqual(args, {
      parts: ["drop"],
      services: ["eventhubs", "servicebus"],
      concurrency: [500, 1],
      rttMs: 0,
      rounds: 2,
      runs: 1,
      seconds: 0.5,
      warmupSeconds: 0,
      perOpOps: 5,
      dropSends: 90,
      dropConcurrency: 30,
      dropCapSeconds: 12.5,
      dropRttMs: 4,
      runtimes: ["bun", "node"],
      out: "vs sdk.md",
    });
  });

  it("refuses an unknown service, part or runtime, a zero count and a negative latency", () => {
    assertRefused(
      ["--services", "cosmos,blob"],
      "Invalid --services: expected some of servicebus, eventhubs, cosmos, comma-separated, got cosmos,blob",
    );
    assertRefused(
      ["--parts", "all"],
      "Invalid --parts: expected some of throughput, drop, comma-separated, got all",
    );
    assertRefused(
      ["--runtimes", "java"],
      "Invalid --runtimes: expected some of deno, node, bun, comma-separated, got java",
    );
    assertRefused(
      ["--rounds", "0"],
      "Invalid --rounds: expected a positive integer, got 0",
    );
    assertRefused(
      ["--concurrency", "1,0"],
      "Invalid --concurrency: expected positive integers, comma-separated, got 1,0",
    );
    assertRefused(
      ["--rtt-ms=-20"],
      "Invalid --rtt-ms: expected a non-negative number, got -20",
    );
    assertRefused(
      ["--drop-cap-seconds", "0"],
      "Invalid --drop-cap-seconds: expected a positive number, got 0",
    );
    assertRefused(
      ["--vs-sdk"],
      "Unknown flag --vs-sdk (run with --help for the list)",
    );
  });
});

describe("vsSdkHelpText and vsSdkCommand", () => {
  it("lists every flag with its default", () => {
    const text = vsSdkHelpText();
    for (
      const line of [
        /--parts <list>\s+.*\(default throughput,drop\)/,
        /--services <list>\s+.*\(default servicebus,eventhubs,cosmos\)/,
        /--concurrency <list>\s+.*\(default 1,20,50,500\)/,
        /--rtt-ms <n>\s+.*\(default 20\)/,
        /--rounds <n>\s+.*\(default 5\)/,
        /--runs <n>\s+.*\(default 3\)/,
        /--seconds <n>\s+.*\(default 0\.3\)/,
        /--warmup-seconds <n>\s+.*\(default 0\.1\)/,
        /--per-op-ops <n>\s+.*\(default 20\)/,
        /--drop-sends <n>\s+.*\(default 3000\)/,
        /--drop-concurrency <n>\s+.*\(default 500\)/,
        /--drop-cap-seconds <n>\s+.*\(default 240\)/,
        /--drop-rtt-ms <n>\s+.*\(default 0\)/,
        /--runtimes <list>\s+.*\(default deno\)/,
        /--out <file>\s+.*\(default none\)/,
        /--help, -h/,
      ]
    ) {
      assert.match(text, line);
    }
  });

  it("exits with code 0 and the help text on --help", () => {
    const result = parseVsSdkCommandLine(["--rounds", "0", "--help"]);
    assert.deepEqual(result, {
      kind: "exit",
      code: 0,
      stdout: vsSdkHelpText(),
      stderr: "",
    });
  });

  it("spells out every flag so that the printed command repeats the run", () => {
    const args = {
      ...defaultVsSdkArgs(),
      services: ["cosmos" as const],
      out: "it's.md",
    };
    const command = vsSdkCommand(args);
    assert.match(command, /--services cosmos /);
    assert.match(command, / --out 'it'\\''s\.md'$/);
    const repeated = parseVsSdkArgs(
      command.replace("deno task bench:vs-sdk ", "")
        .replace(" --out 'it'\\''s.md'", "")
        .split(" "),
    );
    assert.deepEqual(repeated, { ...args, out: undefined });
  });
});
