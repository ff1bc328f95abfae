/**
 * One runtime's run of the drop scenario of `deno task bench:vs-sdk`: runs
 * the scenarios given as a JSON argument one after another and prints each
 * result as one JSON line on stdout as it finishes. `scripts/bench/vs_sdk.ts`
 * starts it on each runtime (Deno from source, Node and Bun from a bundle).
 * Progress lines go to stderr. It exits when done: an SDK send still
 * pending at the cap holds timers that would keep the process alive for
 * minutes.
 *
 * @module
 */

import process from "node:process";
import { type DropScenarioOptions, runDropScenario } from "./drop_scenario.ts";

interface RuntimeGlobals {
  Bun?: { version: string };
  Deno?: { version: { deno: string } };
}

const globals = globalThis as unknown as RuntimeGlobals;

function runtimeName(): string {
  // Bun and Deno also report a Node version: ask them first.
  if (globals.Bun !== undefined) return `Bun ${globals.Bun.version}`;
  if (globals.Deno !== undefined) return `Deno ${globals.Deno.version.deno}`;
  return `Node ${process.versions.node}`;
}

const runtime = runtimeName();
const scenarios = JSON.parse(process.argv.at(-1) ?? "[]") as Omit<
  DropScenarioOptions,
  "onProgress"
>[];
let code = 0;
try {
  for (const scenario of scenarios) {
    const result = await runDropScenario({
      ...scenario,
      onProgress: (text) =>
        process.stderr.write(`bench:vs-sdk: ${runtime}: ${text}\n`),
    });
    // Waited for: the process exits right after the last one.
    await new Promise((resolve) =>
      process.stdout.write(`${JSON.stringify({ runtime, result })}\n`, resolve)
    );
  }
} catch (error) {
  process.stderr.write(
    `bench:vs-sdk: ${runtime}: ${
      error instanceof Error ? error.stack ?? error.message : String(error)
    }\n`,
  );
  code = 1;
}
process.exit(code);
