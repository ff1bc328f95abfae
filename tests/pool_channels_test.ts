/**
 * The pool's diagnostics channels, as the root entry point wires them: a
 * subscriber of `azure-clients-toolbox:pool:acquire` (a TracingChannel) and
 * of `azure-clients-toolbox:pool:connection` sees every acquire and every
 * connection's life, with names, ids and error names only; after it
 * unsubscribes nothing reaches it. Also: importing the root needs no Deno
 * permission and loads no Azure SDK (a child process of the same runtime).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  ConnectionPool,
  type PoolAcquireContext,
  type PoolConnectionEvent,
} from "../mod.ts";
import { FakeClock, flushMicrotasks } from "../src/testing/fake_clock.ts";
import { ManualConnector } from "./_connectors.ts";

const ACQUIRE = "azure-clients-toolbox:pool:acquire";
const CONNECTION = "azure-clients-toolbox:pool:connection";

type Phase = "start" | "end" | "asyncStart" | "asyncEnd" | "error";

/** Subscribes to both channels and keeps what arrives, as copies. */
function record() {
  const acquires: Array<[Phase, Record<string, unknown>]> = [];
  const connections: PoolConnectionEvent[] = [];
  const tracing = diagnosticsChannel.tracingChannel(ACQUIRE);
  const on = (phase: Phase) => (context: unknown) =>
    void acquires.push([phase, { ...(context as PoolAcquireContext) }]);
  const handlers = {
    start: on("start"),
    end: on("end"),
    asyncStart: on("asyncStart"),
    asyncEnd: on("asyncEnd"),
    error: on("error"),
  };
  const onConnection = (message: unknown) =>
    void connections.push({ ...(message as PoolConnectionEvent) });
  tracing.subscribe(handlers);
  diagnosticsChannel.subscribe(CONNECTION, onConnection);
  return {
    acquires,
    connections,
    phases: () => acquires.map(([phase]) => phase),
    unsubscribe() {
      tracing.unsubscribe(handlers);
      diagnosticsChannel.unsubscribe(CONNECTION, onConnection);
    },
  };
}

describe("ConnectionPool diagnostics channels", () => {
  it("traces a successful acquire with the pool's name and the connection's id, never the lease", async () => {
    const seen = record();
    try {
      const pool = new ConnectionPool(new ManualConnector(), {
        name: "orders",
        clock: new FakeClock(),
      });
      const lease = await pool.get();
      assert.deepEqual(seen.phases(), [
        "start",
        "end",
        "asyncStart",
        "asyncEnd",
      ]);
      assert.deepEqual(seen.acquires[0]![1], { pool: "orders" });
      assert.deepEqual(seen.acquires[3]![1], {
        pool: "orders",
        connectionId: 1,
        result: undefined,
      });
      lease.release();
      await pool.close();
    } finally {
      seen.unsubscribe();
    }
  });

  it("traces the acquire of use() too, fast path included", async () => {
    const seen = record();
    try {
      const pool = new ConnectionPool(new ManualConnector(), {
        name: "orders",
        clock: new FakeClock(),
      });
      await pool.use(() => {}); // opens the connection
      seen.acquires.length = 0;
      assert.equal(await pool.use(() => "done"), "done");
      assert.deepEqual(seen.phases(), [
        "start",
        "end",
        "asyncStart",
        "asyncEnd",
      ]);
      assert.equal(seen.acquires[3]![1].connectionId, 1);
      await pool.close();
    } finally {
      seen.unsubscribe();
    }
  });

  it("puts the caller's error on the context of a failed acquire", async () => {
    const seen = record();
    try {
      const clock = new FakeClock();
      const pool = new ConnectionPool(new ManualConnector(), {
        name: "orders",
        clientLimit: 1,
        maxSize: 1,
        clock,
      });
      const lease = await pool.get();
      seen.acquires.length = 0;
      const waiting = pool.get({ acquireTimeoutSeconds: 1 }).catch((e) => e);
      await flushMicrotasks();
      await clock.tickAsync(1000);
      const error = await waiting;
      assert.equal(error.name, "ConnectionsExhausted");
      assert.deepEqual(seen.phases(), [
        "start",
        "end",
        "error",
        "asyncStart",
        "asyncEnd",
      ]);
      assert.equal(seen.acquires[2]![1].error, error);
      assert.equal(seen.acquires[2]![1].pool, "orders");
      assert.equal(seen.acquires[2]![1].connectionId, undefined);
      lease.release();
      await pool.close();
      seen.acquires.length = 0;
      const closed = await pool.get().catch((e) => e);
      assert.equal(closed.name, "PoolClosed");
      assert.equal(seen.acquires[2]![1].error, closed);
    } finally {
      seen.unsubscribe();
    }
  });

  it("publishes opened, open-failed, retired and closed with reasons that are error names, never messages", async () => {
    const seen = record();
    try {
      const clock = new FakeClock();
      const connector = new ManualConnector();
      const pool = new ConnectionPool(connector, {
        name: "orders",
        maxIdleSeconds: 10,
        initialBackoffSeconds: 0.01,
        clock,
      });
      await pool.use(() => {});
      await clock.tickAsync(10_000); // idle: retired, then closed
      connector.createError = new TypeError("password=hunter2 refused");
      const waiting = pool.get(); // one failure: it waits for the retry
      await flushMicrotasks();
      connector.createError = undefined;
      await clock.tickAsync(100);
      const lease = await waiting;
      lease.invalidate();
      await flushMicrotasks();
      await pool.close();
      assert.deepEqual(seen.connections, [
        { pool: "orders", connectionId: 1, event: "opened" },
        { pool: "orders", connectionId: 1, event: "retired", reason: "idle" },
        { pool: "orders", connectionId: 1, event: "closed" },
        {
          pool: "orders",
          connectionId: 2,
          event: "open-failed",
          reason: "TypeError",
        },
        { pool: "orders", connectionId: 3, event: "opened" },
        {
          pool: "orders",
          connectionId: 3,
          event: "retired",
          reason: "invalidated",
        },
        { pool: "orders", connectionId: 3, event: "closed" },
      ]);
      assert.doesNotMatch(JSON.stringify(seen.connections), /hunter2/);
    } finally {
      seen.unsubscribe();
    }
  });

  it("names the close failure and the recycle in the connection events", async () => {
    const seen = record();
    try {
      const connector = new ManualConnector();
      connector.close = () => Promise.reject(new RangeError("socket secret"));
      const pool = new ConnectionPool(connector, {
        name: "orders",
        clock: new FakeClock(),
      });
      await pool.use(() => {});
      await pool.recycle();
      await pool.close();
      assert.deepEqual(
        seen.connections.filter((m) => m.connectionId === 1),
        [
          { pool: "orders", connectionId: 1, event: "opened" },
          {
            pool: "orders",
            connectionId: 1,
            event: "retired",
            reason: "recycle",
          },
          {
            pool: "orders",
            connectionId: 1,
            event: "closed",
            reason: "RangeError",
          },
        ],
      );
    } finally {
      seen.unsubscribe();
    }
  });

  it("publishes nothing to a subscriber that has unsubscribed", async () => {
    const seen = record();
    seen.unsubscribe();
    const clock = new FakeClock();
    const connector = new ManualConnector();
    const pool = new ConnectionPool(connector, { maxIdleSeconds: 1, clock });
    await pool.use(() => {});
    const lease = await pool.get();
    lease.invalidate();
    await pool.use(() => {});
    await clock.tickAsync(1000);
    await pool.get({ acquireTimeoutSeconds: 1 }).then((l) => l.release());
    await pool.close();
    assert.equal(connector.connections.length, 3);
    assert.deepEqual(seen.acquires, []);
    assert.deepEqual(seen.connections, []);
  });
});

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
const extension = import.meta.url.endsWith(".ts") ? "ts" : "js";
const rootModule = new URL(`../mod.${extension}`, import.meta.url);

describe("the root entry point", () => {
  it("publishes the channels in a process that imports only the root, with no permission", () => {
    const dir = mkdtempSync(join(tmpdir(), "pool-channels-"));
    const script = join(dir, isDeno ? "child.ts" : "child.mjs");
    writeFileSync(
      script,
      `import dc from "node:diagnostics_channel";
import { ConnectionPool } from ${JSON.stringify(rootModule.href)};
const events = [];
dc.subscribe(${JSON.stringify(CONNECTION)}, (m) => events.push(m.event));
dc.tracingChannel(${
        JSON.stringify(ACQUIRE)
      }).subscribe({ asyncEnd: (c) => events.push("acquired " + c.pool) });
const pool = new ConnectionPool({
  create: () => Promise.resolve({}),
  ready: () => Promise.resolve(true),
  close: () => Promise.resolve(),
}, { name: "root" });
await pool.use(() => {});
await pool.close();
console.log(JSON.stringify(events));
`,
    );
    try {
      // Deno: no permission flag at all, and no prompt, so any request fails the run.
      const args = isDeno
        ? ["run", "--no-prompt", "--no-check", "--no-config", script]
        : [script];
      const child = spawnSync(process.execPath, args, {
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(JSON.parse(child.stdout), [
        "opened",
        "acquired root",
        "retired",
        "closed",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("loads no npm package, so no Azure SDK", { skip: !isDeno }, () => {
    const info = spawnSync(
      process.execPath,
      ["info", "--json", "--no-config", rootModule.href],
      { encoding: "utf8", timeout: 30_000 },
    );
    assert.equal(info.status, 0, info.stderr);
    const graph = JSON.parse(info.stdout) as {
      modules: Array<{ specifier: string }>;
    };
    const outside = graph.modules.map((m) => m.specifier).filter((s) =>
      !s.startsWith("file:")
    );
    assert.deepEqual(outside, []);
    assert.ok(
      graph.modules.some((m) =>
        m.specifier.endsWith("/src/runtime/diagnostics_channel.ts")
      ),
      "the root loads the channel binding",
    );
  });
});
