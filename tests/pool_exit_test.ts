/**
 * A process that uses a pool and never closes it exits on its own: the pool's
 * background timers are unref'd (rule 5). Runs a child process of the same
 * runtime (Deno on the sources, Node or Bun on the compiled package).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
const extension = import.meta.url.endsWith(".ts") ? "ts" : "js";
const poolModule =
  new URL(`../src/pool/connection_pool.${extension}`, import.meta.url).href;

function runChild(
  body: string,
): { status: number | null; stdout: string; stderr: string; ms: number } {
  const dir = mkdtempSync(join(tmpdir(), "pool-exit-"));
  const script = join(dir, isDeno ? "child.ts" : "child.mjs");
  writeFileSync(
    script,
    `import { ConnectionPool } from ${JSON.stringify(poolModule)};\n${body}\n`,
  );
  const args = isDeno ? ["run", "-A", "--no-check", script] : [script];
  const started = Date.now();
  try {
    const result = spawnSync(process.execPath, args, {
      encoding: "utf8",
      timeout: 30_000,
    });
    return {
      status: result.status,
      stdout: result.stdout,
      stderr: result.stderr,
      ms: Date.now() - started,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("ConnectionPool in a process that never closes it", () => {
  it("lets the process exit although idle connections and their timers remain", () => {
    const child = runChild(`
      const pool = new ConnectionPool({
        create: () => Promise.resolve({}),
        ready: () => Promise.resolve(true),
        close: () => Promise.resolve(),
      }, { maxIdleSeconds: 300, maxLifespanSeconds: 3600 });
      await Promise.all(Array.from({ length: 50 }, () => pool.use(() => new Promise((r) => setTimeout(r, 5)))));
      console.log("ready connections:", pool.readyConnectionCount);
    `);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /ready connections: 1/);
    assert.ok(
      child.ms < 25_000,
      `the child took ${child.ms} ms: a timer kept it alive`,
    );
  });

  it("lets the process exit after a failed open left a backoff timer", () => {
    const child = runChild(`
      const pool = new ConnectionPool({
        create: () => Promise.reject(new Error("down")),
        ready: () => Promise.resolve(true),
        close: () => Promise.resolve(),
      }, { initialBackoffSeconds: 0.05, maxBackoffSeconds: 60 });
      const error = await pool.get().catch((e) => e);
      console.log("caller got:", error.name);
    `);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /caller got: ConnectionFailed/);
  });
});
