/**
 * What the Blob tests share: running tests/_blob_child.ts in a child process
 * of the same runtime (Deno on the sources, Node or Bun on the compiled
 * tests), and watching it exit.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { BlobChildSpec } from "./_blob_child.ts";

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
const childScript = fileURLToPath(
  new URL(
    `./_blob_child.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`,
    import.meta.url,
  ),
);

/** Byte `i` of the big blob of the streaming test: a shifted or dropped chunk breaks it. */
export function patternByte(i: number): number {
  return (i * 31 + (i >>> 20)) & 0xff;
}

/** How a child run went. */
export interface BlobChildRun {
  /** The JSON lines it printed. */
  lines: Record<string, unknown>[];
  /** Its exit code; `null` when it was killed. */
  code: number | null;
  /** From its `closed` line to its exit; `undefined` when killed or never closed. */
  exitAfterCloseMs: number | undefined;
  stderr: string;
}

/**
 * Runs the child; kills it when it runs past `limitMs` or lives
 * `exitWithinMs` after printing `closed`.
 *
 * @param spec What the child does.
 * @param exitWithinMs How long it may live after closing its client.
 * @param limitMs How long it may run at all.
 * @returns How it went.
 */
export function runBlobChild(
  spec: BlobChildSpec,
  exitWithinMs = 10_000,
  limitMs = 120_000,
): Promise<BlobChildRun> {
  // A collection before each measurement: the child reports live memory,
  // not garbage the collector has not reached yet.
  const isBun = process.versions.bun !== undefined;
  const args = isDeno
    ? ["run", "-A", "--no-check", "--v8-flags=--expose-gc", childScript]
    : isBun
    ? [childScript]
    : ["--expose-gc", childScript];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, BLOB_CHILD: JSON.stringify(spec) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const run: BlobChildRun = {
    lines: [],
    code: null,
    exitAfterCloseMs: undefined,
    stderr: "",
  };
  let closedAt: number | undefined;
  let killer: ReturnType<typeof setTimeout> | undefined;
  const kill = (after: number) => {
    if (killer !== undefined) clearTimeout(killer);
    killer = setTimeout(() => child.kill("SIGKILL"), after);
  };
  kill(limitMs);
  let buffer = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
      const text = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (!text.startsWith("{")) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      run.lines.push(line);
      if ("closed" in line) {
        closedAt = Date.now();
        kill(exitWithinMs);
      }
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (run.stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(killer);
      run.code = code;
      if (closedAt !== undefined && code !== null) {
        run.exitAfterCloseMs = Date.now() - closedAt;
      }
      resolve(run);
    });
  });
}
