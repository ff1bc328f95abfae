/**
 * One runtime's run of `deno task bench:micro`: measures in this process and
 * prints the figures as one JSON line on stdout. `scripts/bench/micro.ts`
 * starts it on each runtime (Deno from source, Node and Bun from a bundle),
 * with the settings as a JSON argument. A progress line goes to stderr when
 * it is a terminal.
 *
 * @module
 */

import process from "node:process";
import { type HeapProbe, measureMicro } from "./micro_measure.ts";
import type { MicroSettings } from "./micro_report.ts";

interface RuntimeGlobals {
  Bun?: { version: string; gc(force: boolean): void };
  Deno?: { version: { deno: string } };
  gc?: () => void;
}

const globals = globalThis as unknown as RuntimeGlobals;

function runtimeName(): string {
  // Bun and Deno also report a Node version: ask them first.
  if (globals.Bun !== undefined) return `Bun ${globals.Bun.version}`;
  if (globals.Deno !== undefined) return `Deno ${globals.Deno.version.deno}`;
  return `Node ${process.versions.node}`;
}

function heapProbe(): HeapProbe | undefined {
  const bun = globals.Bun;
  const gc = bun !== undefined ? () => bun.gc(true) : globals.gc;
  if (typeof gc !== "function") return undefined;
  return { gc, heapUsed: () => process.memoryUsage().heapUsed };
}

const settings = JSON.parse(process.argv.at(-1) ?? "{}") as MicroSettings;
const runtime = runtimeName();
const tty = process.stderr.isTTY === true;
let width = 0;
const result = await measureMicro({
  ...settings,
  runtime,
  heap: heapProbe(),
  onProgress: (text) => {
    if (!tty) return;
    const line = `bench:micro: ${runtime}: ${text}`;
    process.stderr.write(`\r${line.padEnd(width)}`);
    width = line.length;
  },
});
if (tty) process.stderr.write(`\r${" ".repeat(width)}\r`);
console.log(JSON.stringify(result));
