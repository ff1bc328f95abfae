import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  defaultMicroArgs,
  microCommand,
  microHelpText,
  parseMicroArgs,
  parseMicroCommandLine,
} from "../../scripts/bench/micro_args.ts";
import { BenchArgsError } from "../../scripts/bench/flags.ts";

function assertRefused(argv: string[], message: string): void {
  assert.throws(() => parseMicroArgs(argv), (error: unknown) => {
    assert.ok(error instanceof BenchArgsError);
    assert.equal(error.message, message);
    return true;
  });
  const result = parseMicroCommandLine(argv);
  assert.equal(result.kind, "exit");
  if (result.kind === "exit") {
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `bench: ${message}\nRun "deno task bench:micro --help" for the flags and their defaults.\n`,
    );
  }
}

describe("parseMicroArgs", () => {
  it("runs every runtime, 4 rounds of ~200 ms batches, by default", () => {
    assert.deepEqual(parseMicroArgs([]), {
      runtimes: ["deno", "node", "bun"],
      rounds: 4,
      batchMs: 200,
      handOffSamples: 20_000,
      json: false,
    });
  });

  it("keeps the runtimes in the order given, once each", () => {
    const args = parseMicroArgs(["--runtimes", "bun, deno,bun", "--rounds=2"]);
    assert.deepEqual(args.runtimes, ["bun", "deno"]);
    assert.equal(args.rounds, 2);
  });

  it("refuses an unknown runtime, a zero round count and a bad batch length", () => {
    assertRefused(
      ["--runtimes", "deno,java"],
      "Invalid --runtimes: expected some of deno, node, bun, comma-separated, got deno,java",
    );
    assertRefused(
      ["--rounds", "0"],
      "Invalid --rounds: expected a positive integer, got 0",
    );
    assertRefused(
      ["--batch-ms=-1"],
      "Invalid --batch-ms: expected a positive number, got -1",
    );
    assertRefused(
      ["--target", "cosmos"],
      "Unknown flag --target (run with --help for the list)",
    );
  });
});

describe("microHelpText and microCommand", () => {
  it("lists every flag with its default", () => {
    const text = microHelpText();
    for (
      const line of [
        /--runtimes <list>\s+.*\(default deno,node,bun\)/,
        /--rounds <n>\s+.*\(default 4\)/,
        /--batch-ms <n>\s+.*\(default 200\)/,
        /--hand-off-samples <n>\s+.*\(default 20000\)/,
        /--json\s+Print/,
        /--help, -h/,
      ]
    ) {
      assert.match(text, line);
    }
    assert.deepEqual(parseMicroCommandLine(["-h"]), {
      kind: "exit",
      code: 0,
      stdout: text,
      stderr: "",
    });
  });

  it("spells out every flag of a run, so it can be repeated", () => {
    const args = {
      ...defaultMicroArgs(),
      runtimes: ["node" as const],
      json: true,
    };
    assert.equal(
      microCommand(args),
      "deno task bench:micro --runtimes node --rounds 4 --batch-ms 200 --hand-off-samples 20000 --json",
    );
    assert.deepEqual(
      parseMicroArgs(microCommand(args).split(" ").slice(3)),
      args,
    );
  });
});
