import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import type { Agent, Container } from "@azure/cosmos";
import { CosmosClient } from "@azure/cosmos";
import {
  Cosmos,
  CosmosConnector,
  isCosmosConnectionError,
  ManagedCosmos,
  type ManagedCosmosOptions,
  type Operation,
  PatchOp,
  SimpleCosmos,
  toPatchOperations,
} from "../src/cosmos/mod.ts";
import {
  ConnectionFailed,
  EntityNotFound,
  PoolClosed,
  PoolError,
} from "../src/pool/errors.ts";
import { FakeClock, flushMicrotasks } from "../src/testing/mod.ts";
import {
  type CosmosTestServer,
  EMULATOR_KEY,
  startCosmosServer,
} from "../src/testing/servers/cosmos_server.ts";

const DB = "toolbox";
const CONTAINER = "items";

/** Agents made for clients, with a count of the ones destroyed. */
interface AgentLog {
  factory: () => Agent;
  created: https.Agent[];
  destroyed: Set<https.Agent>;
}

function agentLog(
  server: CosmosTestServer,
  options?: https.AgentOptions,
): AgentLog {
  const log: AgentLog = {
    created: [],
    destroyed: new Set(),
    factory: () => {
      const agent = server.createAgent(options);
      const destroy = agent.destroy.bind(agent);
      agent.destroy = () => {
        log.destroyed.add(agent);
        destroy();
      };
      log.created.push(agent);
      return agent;
    },
  };
  return log;
}

/** The agent a container's client sends through (set by `agentFactory`). */
function agentOf(container: Container): unknown {
  return (container.database.client as unknown as {
    clientContext: { cosmosClientOptions: { agent?: unknown } };
  }).clientContext.cosmosClientOptions.agent;
}

function fakeCredential(log?: { closed: number }) {
  return {
    getToken: () =>
      Promise.resolve({
        token: "t",
        expiresOnTimestamp: Date.now() + 3600_000,
      }),
    close: () => {
      if (log) log.closed++;
    },
  };
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

describe("ManagedCosmos against a local Cosmos DB server", () => {
  let server: CosmosTestServer;

  before(async () => {
    server = await startCosmosServer();
    await server.ensureContainer(DB, CONTAINER);
  });
  after(async () => {
    await server.close();
  });
  // Every test closes what it opened: no client socket may stay open.
  afterEach(async () => {
    await server.waitForOpenSockets(0);
  });

  function managed(
    options: Partial<ManagedCosmosOptions> & { agents: AgentLog },
  ): ManagedCosmos {
    const { agents, ...rest } = options;
    return new ManagedCosmos({
      endpoint: server.endpoint,
      key: EMULATOR_KEY,
      databaseName: DB,
      containerName: CONTAINER,
      agentFactory: agents.factory,
      clientOptions: { connectionPolicy: { enableEndpointDiscovery: false } },
      ...rest,
    });
  }

  it("runs create, read, upsert, replace, patch, query and delete for 500 concurrent callers on 4 clients over a handful of TLS connections", async () => {
    const agents = agentLog(server, { maxSockets: 2 });
    const cosmos = managed({ agents, maxSize: 4, clientLimit: 50 });
    const active = new Map<Container, number>();
    let maxPerClient = 0;
    // Every callback goes through here, to check rule 1 from the outside.
    const run = <T>(fn: (c: Container) => Promise<T>): Promise<T> =>
      cosmos.use(async (container) => {
        const n = (active.get(container) ?? 0) + 1;
        active.set(container, n);
        maxPerClient = Math.max(maxPerClient, n);
        try {
          return await fn(container);
        } finally {
          active.set(container, active.get(container)! - 1);
        }
      });
    const tlsBefore = server.tlsConnections;
    try {
      const ids = Array.from({ length: 100 }, (_, i) => i);
      const pk = (i: number) => `p${i % 7}`;
      // 200 creates.
      await Promise.all(ids.flatMap((i) => [
        run((c) => c.items.create({ id: `a${i}`, pk: pk(i), n: 0 })),
        run((c) => c.items.create({ id: `r${i}`, pk: pk(i), v: "old" })),
      ]));
      // 500 mixed operations at once: each touches its own document or field.
      const results = await Promise.all(ids.flatMap((i) => [
        run(async (c) => (await c.item(`a${i}`, pk(i)).read()).resource?.id),
        run(async (c) =>
          (await c.item(`a${i}`, pk(i)).patch(toPatchOperations([
            { op: PatchOp.Incr, path: "/n", value: i },
            { op: PatchOp.Set, path: "/patched", value: true },
          ]))).statusCode
        ),
        run(async (c) =>
          (await c.item(`r${i}`, pk(i)).replace({
            id: `r${i}`,
            pk: pk(i),
            v: "new",
          })).statusCode
        ),
        run(async (c) =>
          (await c.items.upsert({ id: `u${i}`, pk: pk(i) })).statusCode
        ),
        run(async (c) => {
          const { resources } = await c.items.query<number>({
            // The server ignores the partitionKey option: filter in the SQL.
            query:
              "SELECT VALUE COUNT(1) FROM c WHERE c.pk = @pk AND STARTSWITH(c.id, 'r')",
            parameters: [{ name: "@pk", value: pk(i) }],
          }).fetchAll();
          return resources[0];
        }),
      ]));
      assert.equal(results.length, 500);
      for (const i of ids) {
        const [readId, patched, replaced, upserted, count] = results.slice(
          i * 5,
          i * 5 + 5,
        );
        assert.equal(readId, `a${i}`);
        assert.equal(patched, 200);
        assert.equal(replaced, 200);
        assert.equal(upserted, 201);
        assert.equal(count, ids.filter((j) => pk(j) === pk(i)).length);
      }
      const docs = await run(async (c) =>
        (await c.items.query("SELECT c.id, c.n, c.patched, c.v FROM c")
          .fetchAll()).resources
      );
      assert.equal(docs.length, 300);
      for (const doc of docs) {
        if (doc.id.startsWith("a")) {
          assert.deepEqual([doc.n, doc.patched], [
            Number(doc.id.slice(1)),
            true,
          ]);
        }
        if (doc.id.startsWith("r")) assert.equal(doc.v, "new");
      }
      // 300 deletes.
      await Promise.all(
        docs.map((doc) =>
          run((c) => c.item(doc.id, pk(Number(doc.id.slice(1)))).delete())
        ),
      );
      const left = await run(async (c) =>
        (await c.items.readAll().fetchAll()).resources.length
      );
      assert.equal(left, 0);

      const stats = cosmos.pool.stats();
      assert.ok(maxPerClient <= 50, `a client had ${maxPerClient} callers`);
      assert.ok(active.size <= 4, `${active.size} clients were used`);
      assert.ok(
        stats.connectionsCreated <= 4,
        `${stats.connectionsCreated} clients were created`,
      );
      assert.equal(stats.opensFailed, 0);
      const tls = server.tlsConnections - tlsBefore;
      // 1 003 operations; each client's own agent keeps at most 2 sockets.
      assert.ok(
        tls >= 1 && tls <= 4 * 2,
        `${tls} TLS connections for 1003 operations`,
      );
    } finally {
      await cosmos.close();
    }
    assert.equal(agents.destroyed.size, agents.created.length);
  });

  it("shows the baseline: a new client with its own agent per operation opens one TLS connection per operation", async () => {
    const tlsBefore = server.tlsConnections;
    for (let i = 0; i < 10; i++) {
      const agent = server.createAgent();
      const client = new CosmosClient({
        endpoint: server.endpoint,
        key: EMULATOR_KEY,
        agent,
        connectionPolicy: { enableEndpointDiscovery: false },
      });
      try {
        await client.database(DB).container(CONTAINER).items.upsert({
          id: "baseline",
          pk: "b",
        });
      } finally {
        client.dispose();
        agent.destroy();
      }
    }
    assert.equal(server.tlsConnections - tlsBefore, 10);
  });

  for (
    const [what, names] of [["container", [DB, "missing"]], ["database", [
      "nodb",
      CONTAINER,
    ]]] as const
  ) {
    it(`fails at once with EntityNotFound caused by the SDK's 404 when the ${what} does not exist, leaving nothing open`, async () => {
      const agents = agentLog(server);
      const cosmos = managed({
        agents,
        databaseName: names[0],
        containerName: names[1],
        maxSize: 2,
      });
      try {
        const error = await cosmos.use(() => "unreachable").then(
          () => assert.fail("use() resolved"),
          (e: unknown) => e,
        );
        assert.ok(error instanceof EntityNotFound, String(error));
        assert.equal(error.entity, what === "container" ? "missing" : "nodb");
        assert.match(error.message, new RegExp(`${what} '${error.entity}'`));
        assert.equal(codeOf(error.cause), 404);
        assert.equal(isCosmosConnectionError(error.cause), false);
        await flushMicrotasks();
        // The service's answer is tried once more at once, then the breaker
        // answers the next callers with it until its probe.
        const stats = cosmos.pool.stats();
        assert.equal(stats.opensFailed, 2);
        assert.equal(stats.breakerState, "open");
        await assert.rejects(cosmos.use(() => "again"), EntityNotFound);
        assert.equal(cosmos.pool.stats().connectionsCreated, 2);
        assert.equal(stats.size, 0);
        assert.equal(agents.destroyed.size, 2);
      } finally {
        await cosmos.close();
      }
    });
  }

  it("fails with ConnectionFailed caused by a TLS error when the client does not trust the server", async () => {
    let made = 0;
    const cosmos = new ManagedCosmos({
      endpoint: server.endpoint,
      key: EMULATOR_KEY,
      databaseName: DB,
      containerName: CONTAINER,
      // Trusts only the system's roots: the server's certificate expired in 2021.
      agentFactory: () => (made++, new https.Agent({ keepAlive: true })),
      clientOptions: { connectionPolicy: { enableEndpointDiscovery: false } },
    });
    try {
      const error = await cosmos.use(() => "unreachable").then(
        () => assert.fail("use() resolved"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ConnectionFailed, String(error));
      assert.ok(
        isCosmosConnectionError((error as Error).cause),
        String(codeOf((error as Error).cause)),
      );
      assert.ok(made >= 5, "retried until the circuit breaker opened");
    } finally {
      await cosmos.close();
    }
  });

  it("re-throws 404, 409 and 412 answers unchanged and keeps the client", async () => {
    const agents = agentLog(server);
    const cosmos = managed({ agents, maxSize: 1 });
    try {
      const { resource } = await cosmos.use((c) =>
        c.items.upsert({ id: "keep", pk: "k" })
      );
      const failures = [
        (c: Container) => c.items.create({ id: "keep", pk: "k" }), // 409
        (c: Container) => c.item("nothing", "k").delete(), // 404
        (c: Container) =>
          c.item("keep", "k").replace({ id: "keep", pk: "k" }, {
            accessCondition: {
              type: "IfMatch",
              condition: `"not-${resource?._etag}"`,
            },
          }), // 412
      ];
      const codes = [];
      for (const fn of failures) {
        const error = await cosmos.use(fn).then(
          () => assert.fail("resolved"),
          (e: unknown) => e,
        );
        assert.ok(!(error instanceof PoolError));
        assert.equal(isCosmosConnectionError(error), false);
        codes.push(codeOf(error));
      }
      assert.deepEqual(codes, [409, 404, 412]);
      const stats = cosmos.pool.stats();
      assert.equal(stats.connectionsCreated, 1);
      assert.equal(stats.connectionsClosed, 0);
      assert.equal(stats.readyConnections, 1);
      assert.equal(agents.destroyed.size, 0);
    } finally {
      await cosmos.close();
    }
  });

  it("invalidates the clients whose connection broke when the server stops mid-run, and recovers after it restarts", async () => {
    const agents = agentLog(server);
    const cosmos = managed({
      agents,
      maxSize: 2,
      clientLimit: 5,
      initialBackoffSeconds: 0.01,
      maxBackoffSeconds: 0.05,
    });
    const upsert = (i: number, seen: Set<Container>, broken: Set<Container>) =>
      cosmos.use(async (c) => {
        seen.add(c);
        try {
          return await c.items.upsert({ id: `x${i}`, pk: "x" });
        } catch (error) {
          if (isCosmosConnectionError(error)) broken.add(c);
          throw error;
        }
      });
    try {
      assert.equal(await cosmos.pool.warm(2), 2);
      const before = new Set<Container>();
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => upsert(i, before, new Set())),
      );
      assert.equal(before.size, 2);

      // Stop while 10 upserts are in flight: each fails or completes, none hangs.
      const during = new Set<Container>();
      const broken = new Set<Container>();
      const inFlight = Array.from(
        { length: 10 },
        (_, i) => upsert(i, during, broken),
      );
      await server.stop();
      const outcomes = await Promise.allSettled(inFlight);
      const failures = outcomes.filter((o) => o.status === "rejected").map((
        o,
      ) => o.reason);
      assert.ok(
        failures.length > 0,
        "no operation failed while the server was down",
      );
      for (const failure of failures) {
        // Re-thrown unchanged (the SDK's own error), or the pool's ConnectionFailed for a new client.
        const cause = failure instanceof ConnectionFailed
          ? failure.cause
          : failure;
        assert.ok(
          isCosmosConnectionError(cause),
          `unexpected failure ${String(failure)}`,
        );
      }
      assert.ok(broken.size > 0, "no client saw a connection error");
      await flushMicrotasks();
      for (const container of broken) {
        assert.ok(
          agents.destroyed.has(agentOf(container) as https.Agent),
          "a broken client was not closed",
        );
      }

      await server.restart();
      // Event-driven: resolves once a new client passed its readiness read (after any backoff).
      assert.ok(await cosmos.pool.warm(1) >= 1);
      const after = new Set<Container>();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => upsert(i, after, new Set())),
      );
      assert.ok(
        results.every((r) => r.statusCode === 200 || r.statusCode === 201),
      );
      for (const container of broken) {
        assert.ok(!after.has(container), "a broken client was used again");
      }
      assert.ok(cosmos.pool.stats().connectionsCreated > 2);
    } finally {
      await cosmos.close();
    }
    assert.equal(agents.destroyed.size, agents.created.length);
  });

  it("keeps one client for the app's life by default, however long it is idle or old", async () => {
    const clock = new FakeClock();
    const agents = agentLog(server);
    const cosmos = managed({ agents, clock });
    try {
      const first = await cosmos.use((c) => c);
      await clock.tickAsync(24 * 3600_000);
      assert.equal(await cosmos.use((c) => c), first);
      assert.equal(agents.destroyed.size, 0);
      assert.equal(cosmos.pool.stats().connectionsCreated, 1);
    } finally {
      await cosmos.close();
    }
  });

  it("recycles a client after maxIdleSeconds, when asked, in the background", async () => {
    const clock = new FakeClock();
    const agents = agentLog(server);
    const cosmos = managed({ agents, clock, maxIdleSeconds: 30 });
    try {
      const first = await cosmos.use((c) => c);
      await clock.tickAsync(29_000);
      assert.equal(await cosmos.use((c) => c), first);
      await clock.tickAsync(30_001);
      // Closed by the background timer, before anyone asked again.
      assert.equal(agents.destroyed.size, 1);
      assert.equal(cosmos.pool.stats().size, 0);
      const second = await cosmos.use((c) => c);
      assert.notEqual(second, first);
    } finally {
      await cosmos.close();
    }
  });

  it("recycles a client after maxLifespanSeconds, when asked, once its last caller leaves", async () => {
    const clock = new FakeClock();
    const agents = agentLog(server);
    const cosmos = managed({ agents, clock, maxLifespanSeconds: 60 });
    try {
      const lease = await cosmos.getContainerClient();
      const first = lease.client;
      // The replacement opens ahead, over real sockets, in the last 6 s of the
      // (jittered) lifespan: fake time must not outrun it.
      await clock.tickAsync(53_000);
      for (let t = 53_000; t <= 60_000; t += 50) {
        await clock.tickAsync(50);
        for (
          let i = 0;
          i < 400 && cosmos.pool.stats().openingConnections;
          i++
        ) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      const second = await cosmos.use(async (c) => {
        await c.items.upsert({ id: "life", pk: "l" });
        return c;
      });
      assert.notEqual(second, first);
      // The old client still serves its holder, and closes when it leaves.
      assert.equal(
        (await lease.client.item("life", "l").read()).statusCode,
        200,
      );
      assert.equal(agents.destroyed.size, 0);
      await lease[Symbol.asyncDispose]();
      await flushMicrotasks();
      assert.deepEqual([...agents.destroyed], [agentOf(first)]);
    } finally {
      await cosmos.close();
    }
  });

  it("close() closes every client, its agent and its pool timers, and refuses callers", async () => {
    const clock = new FakeClock();
    const agents = agentLog(server);
    const cosmos = managed({ agents, clock, maxSize: 3, clientLimit: 2 });
    await Promise.all(
      Array.from(
        { length: 6 },
        (_, i) => cosmos.use((c) => c.items.upsert({ id: `c${i}`, pk: "c" })),
      ),
    );
    assert.ok(server.openSockets > 0);
    assert.ok(clock.pendingTimers > 0);
    await cosmos.close();
    assert.equal(clock.pendingTimers, 0);
    assert.equal(agents.destroyed.size, agents.created.length);
    const stats = cosmos.pool.stats();
    assert.equal(stats.connectionsClosed, stats.connectionsCreated);
    await server.waitForOpenSockets(0);
    await assert.rejects(cosmos.use((c) => c), PoolClosed);
    await assert.rejects(cosmos.getContainerClient(), PoolClosed);
  });

  it("lends a container with getContainerClient() that await using gives back", async () => {
    const agents = agentLog(server);
    const cosmos = managed({ agents, maxSize: 1 });
    try {
      {
        await using lease = await cosmos.getContainerClient();
        await lease.client.items.upsert({ id: "lease", pk: "l" });
        assert.equal(cosmos.pool.stats().activeCallers, 1);
      }
      assert.equal(cosmos.pool.stats().activeCallers, 0);
      const lease = await cosmos.getContainerClient();
      lease.invalidate();
      assert.equal(lease.released, true);
      await flushMicrotasks();
      assert.equal(agents.destroyed.size, 1);
    } finally {
      await cosmos.close();
    }
  });

  it("makes one credential per client with credentialFactory and closes it with the client, but never closes a given credential", async () => {
    const made = { closed: 0 };
    let calls = 0;
    const agents = agentLog(server);
    const cosmos = new ManagedCosmos({
      endpoint: server.endpoint,
      databaseName: DB,
      containerName: CONTAINER,
      credentialFactory: () => (calls++, fakeCredential(made)),
      agentFactory: agents.factory,
      clientOptions: { connectionPolicy: { enableEndpointDiscovery: false } },
      maxSize: 2,
      clientLimit: 1,
    });
    await Promise.all([1, 2].map(() => cosmos.use((c) => c.read())));
    await cosmos.close();
    assert.equal(calls, 2);
    assert.equal(made.closed, 2);

    const given = { closed: 0 };
    const shared = new ManagedCosmos({
      endpoint: server.endpoint,
      databaseName: DB,
      containerName: CONTAINER,
      credential: fakeCredential(given),
      agentFactory: agents.factory,
      clientOptions: { connectionPolicy: { enableEndpointDiscovery: false } },
    });
    await shared.use((c) => c.read());
    await shared.close();
    assert.equal(given.closed, 0);
  });

  it("patches with every PatchOp, including move and remove", async () => {
    const agents = agentLog(server);
    const cosmos = managed({ agents });
    try {
      const doc = await cosmos.use(async (c) => {
        await c.items.upsert({
          id: "patch",
          pk: "p",
          freight: 3,
          tax: 1,
          ttl: 9,
          list: [1],
          total: 10,
        });
        const ops: Operation[] = [
          { op: PatchOp.Add, path: "/color", value: "red" },
          { op: PatchOp.Remove, path: "/ttl" },
          { op: PatchOp.Replace, path: "/tax", value: 14 },
          { op: PatchOp.Set, path: "/list/0", value: 2 },
          { op: PatchOp.Incr, path: "/total", value: 5 },
          { op: PatchOp.Move, from: "/freight", path: "/shipping" },
        ];
        const { resource } = await c.item("patch", "p").patch(
          toPatchOperations(ops),
        );
        return resource;
      });
      assert.deepEqual(
        {
          color: doc.color,
          ttl: doc.ttl,
          tax: doc.tax,
          list: doc.list,
          total: doc.total,
          freight: doc.freight,
          shipping: doc.shipping,
        },
        {
          color: "red",
          ttl: undefined,
          tax: 14,
          list: [2],
          total: 15,
          freight: undefined,
          shipping: 3,
        },
      );
    } finally {
      await cosmos.close();
    }
  });

  describe("Cosmos", () => {
    function single(
      agents: AgentLog,
      clock?: FakeClock,
      lifespan?: number,
    ): Cosmos {
      return new Cosmos({
        endpoint: server.endpoint,
        key: EMULATOR_KEY,
        databaseName: DB,
        containerName: CONTAINER,
        agentFactory: agents.factory,
        clientOptions: { connectionPolicy: { enableEndpointDiscovery: false } },
        clock,
        maxLifespanSeconds: lifespan,
      });
    }

    it("shares one client between callers and runs operations on it", async () => {
      const agents = agentLog(server);
      const cosmos = single(agents);
      try {
        const tlsBefore = server.tlsConnections;
        const results = await Promise.all(
          Array.from(
            { length: 20 },
            (_, i) =>
              cosmos.use((c) => c.items.upsert({ id: `s${i}`, pk: "s" })),
          ),
        );
        assert.ok(
          results.every((r) => r.statusCode === 201 || r.statusCode === 200),
        );
        assert.equal(agents.created.length, 1);
        assert.ok(server.tlsConnections - tlsBefore <= 20);
      } finally {
        await cosmos.close();
      }
      assert.equal(agents.destroyed.size, 1);
    });

    it("gives new callers a new client after maxLifespanSeconds and closes the old one when its holders leave", async () => {
      const clock = new FakeClock();
      const agents = agentLog(server);
      const cosmos = single(agents, clock, 60);
      try {
        const a = await cosmos.getContainerClient();
        const b = await cosmos.getContainerClient();
        assert.equal(a.client, b.client);
        clock.tick(60_000);
        const c = await cosmos.getContainerClient();
        assert.notEqual(c.client, a.client);
        assert.equal(agents.destroyed.size, 0);
        a.release();
        a.release();
        assert.equal(agents.destroyed.size, 0);
        await b[Symbol.asyncDispose]();
        await flushMicrotasks();
        assert.deepEqual([...agents.destroyed], [agents.created[0]]);
        c.release();
      } finally {
        await cosmos.close();
      }
      assert.equal(agents.destroyed.size, 2);
    });

    it("replaces the client after a connection error and re-throws the error unchanged", async () => {
      const agents = agentLog(server);
      const cosmos = single(agents);
      try {
        const reset = Object.assign(new Error("socket hang up"), {
          code: "ECONNRESET",
        });
        const first = await cosmos.use((c) => c);
        await assert.rejects(
          cosmos.use(() => Promise.reject(reset)),
          (e) => e === reset,
        );
        await flushMicrotasks();
        assert.equal(agents.destroyed.size, 1);
        const conflict = Object.assign(new Error("Conflict"), { code: 409 });
        const second = await cosmos.use((c) => c);
        assert.notEqual(second, first);
        await assert.rejects(
          cosmos.use(() => Promise.reject(conflict)),
          (e) => e === conflict,
        );
        assert.equal(await cosmos.use((c) => c), second);
      } finally {
        await cosmos.close();
      }
    });

    it("refuses callers with PoolClosed after close()", async () => {
      const cosmos = single(agentLog(server));
      await cosmos.close();
      assert.equal(cosmos.closed, true);
      await assert.rejects(cosmos.getContainerClient(), PoolClosed);
    });

    it("rejects with the signal's reason when aborted", async () => {
      const cosmos = single(agentLog(server));
      try {
        const reason = new Error("stop");
        await assert.rejects(
          cosmos.use((c) => c, { abortSignal: AbortSignal.abort(reason) }),
          (e) => e === reason,
        );
      } finally {
        await cosmos.close();
      }
    });
  });

  describe("SimpleCosmos", () => {
    it("opens on demand, keeps one client until close() and can open again", async () => {
      const agents = agentLog(server);
      const cosmos = new SimpleCosmos({
        endpoint: server.endpoint,
        key: EMULATOR_KEY,
        databaseName: DB,
        containerName: CONTAINER,
        agentFactory: agents.factory,
        clientOptions: { connectionPolicy: { enableEndpointDiscovery: false } },
      });
      try {
        assert.equal(cosmos.isOpen, false);
        assert.throws(() => cosmos.container, /getContainerClient/);
        const [c1, c2] = await Promise.all([
          cosmos.getContainerClient(),
          cosmos.getContainerClient(),
        ]);
        assert.equal(c1.client, c2.client);
        assert.equal(
          (await c1.client.items.upsert({ id: "simple", pk: "s" }))
            .statusCode >=
            200,
          true,
        );
        await cosmos.close();
        assert.equal(cosmos.isOpen, false);
        assert.equal(agents.destroyed.size, 1);
        const c3 = await cosmos.getContainerClient();
        assert.notEqual(c3.client, c1.client);
        assert.equal(
          (await c3.client.item("simple", "s").read()).statusCode,
          200,
        );
      } finally {
        await cosmos.close();
      }
      assert.equal(agents.destroyed.size, 2);
    });
  });
});

describe("isCosmosConnectionError", () => {
  const cases: [string, unknown, boolean][] = [
    [
      "a connection reset",
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
      true,
    ],
    [
      "a refused connection",
      Object.assign(new Error("connect ECONNREFUSED"), {
        code: "ECONNREFUSED",
      }),
      true,
    ],
    ["a socket hang-up without a code", new Error("socket hang up"), true],
    [
      "an expired certificate",
      Object.assign(new Error("certificate has expired"), {
        code: "CERT_HAS_EXPIRED",
      }),
      true,
    ],
    [
      "an OpenSSL failure",
      Object.assign(new Error("wrong version number"), {
        code: "ERR_SSL_WRONG_VERSION_NUMBER",
      }),
      true,
    ],
    [
      "the SDK's request timeout",
      Object.assign(new Error("Timeout Error"), { code: "TimeoutError" }),
      true,
    ],
    ["a closed client", new Error("The client is closed"), true],
    [
      "a reset wrapped as a cause",
      new Error("failed", {
        cause: Object.assign(new Error("x"), { code: "EPIPE" }),
      }),
      true,
    ],
    [
      "a 404 answer",
      Object.assign(new Error("NotFound"), { code: 404 }),
      false,
    ],
    [
      "a 409 answer",
      Object.assign(new Error("Conflict"), { code: 409 }),
      false,
    ],
    [
      "a 412 answer",
      Object.assign(new Error("Precondition failed"), {
        code: 412,
        statusCode: 412,
      }),
      false,
    ],
    [
      "a 503 answer with a reset-like message",
      Object.assign(new Error("connection reset by gateway"), { code: 503 }),
      false,
    ],
    [
      "the caller's abort",
      Object.assign(new Error("The operation was aborted"), {
        name: "AbortError",
      }),
      false,
    ],
    ["a TypeError", new TypeError("x is not a function"), false],
    ["a string", "ECONNRESET", false],
    ["undefined", undefined, false],
  ];
  for (const [name, error, expected] of cases) {
    it(`answers ${expected} for ${name}`, () => {
      assert.equal(isCosmosConnectionError(error), expected);
    });
  }
});

describe("ManagedCosmos, Cosmos and SimpleCosmos options", () => {
  const KEY = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=";
  const base = {
    endpoint: "https://localhost:8081",
    databaseName: "d",
    containerName: "c",
  };

  function messageOf(fn: () => unknown): { error: Error; message: string } {
    try {
      fn();
    } catch (error) {
      return { error: error as Error, message: (error as Error).message };
    }
    return assert.fail("did not throw");
  }

  it("rejects a missing endpoint, naming it", () => {
    const { error, message } = messageOf(() =>
      new ManagedCosmos({ ...base, endpoint: undefined, key: KEY })
    );
    assert.ok(error instanceof TypeError);
    assert.match(
      message,
      /^Cannot create ManagedCosmos as 'endpoint' is missing/,
    );
  });

  it("rejects both a key and a credential, naming both and never echoing the key", () => {
    const { error, message } = messageOf(() =>
      new ManagedCosmos({ ...base, key: KEY, credential: fakeCredential() })
    );
    assert.ok(error instanceof TypeError);
    assert.match(message, /'credential' and 'key'/);
    assert.ok(!message.includes(KEY));
  });

  it("rejects no credential at all", () => {
    assert.throws(
      () => new ManagedCosmos({ ...base }),
      /no credential was given/,
    );
  });

  it("rejects an endpoint that is not a URL without echoing it", () => {
    const { error, message } = messageOf(() =>
      new ManagedCosmos({ ...base, endpoint: "not a url", key: KEY })
    );
    assert.ok(error instanceof TypeError);
    assert.match(
      message,
      /'endpoint' must be an absolute https:\/\/ or http:\/\/ URL: received a string of 9 characters/,
    );
    const swapped =
      `AccountEndpoint=https://a.documents.azure.com:443/;AccountKey=${KEY};`;
    const hint =
      messageOf(() =>
        new ManagedCosmos({ ...base, endpoint: swapped, key: KEY })
      ).message;
    assert.match(hint, /looks like a connection string/);
    assert.ok(!hint.includes(KEY));
  });

  it("rejects an endpoint with another protocol", () => {
    assert.throws(
      () =>
        new Cosmos({
          ...base,
          endpoint: "sb://x.servicebus.windows.net",
          key: KEY,
        }),
      /protocol 'sb:'/,
    );
  });

  it("rejects a negative pool option with a RangeError naming it and its value", () => {
    const { error, message } = messageOf(() =>
      new ManagedCosmos({ ...base, key: KEY, maxSize: -1 })
    );
    assert.ok(error instanceof RangeError);
    assert.match(message, /'maxSize'.*-1/);
    assert.throws(
      () => new ManagedCosmos({ ...base, key: KEY, maxIdleSeconds: -5 }),
      RangeError,
    );
    assert.throws(
      () => new Cosmos({ ...base, key: KEY, maxLifespanSeconds: 0 }),
      /'maxLifespanSeconds'.*received 0/,
    );
  });

  it("rejects a connection string without AccountKey and never echoes it", () => {
    const cs = "AccountEndpoint=https://a.documents.azure.com:443/;AcountKey=" +
      KEY;
    const { message } = messageOf(() =>
      new SimpleCosmos({
        databaseName: "d",
        containerName: "c",
        connectionString: cs,
      })
    );
    assert.match(message, /'connectionString' lacks AccountKey/);
    assert.ok(!message.includes(KEY));
  });

  it("accepts a connection string and takes the endpoint from it", async () => {
    const connector = new CosmosConnector({
      databaseName: "d",
      containerName: "c",
      connectionString:
        `AccountEndpoint=https://127.0.0.1:1/;AccountKey=${KEY};`,
    });
    assert.equal(connector.host, "127.0.0.1:1");
    const container = await connector.create(new AbortController().signal);
    assert.equal(container.id, "c");
    await connector.close(container);
  });

  it("rejects credentials inside clientOptions and a blank database name", () => {
    assert.throws(
      () =>
        new ManagedCosmos({
          ...base,
          key: KEY,
          clientOptions: { key: KEY } as never,
        }),
      /'clientOptions' must not set 'key'/,
    );
    assert.throws(
      () => new ManagedCosmos({ ...base, databaseName: "", key: KEY }),
      /'databaseName' must be a non-empty string/,
    );
    assert.throws(
      () => new ManagedCosmos(undefined as never),
      /options must be an object/,
    );
  });
});

describe("toPatchOperations", () => {
  it("maps each PatchOp to the SDK's shape", () => {
    assert.deepEqual(
      toPatchOperations([
        { op: PatchOp.Add, path: "/a", value: 1 },
        { op: PatchOp.Remove, path: "/b" },
        { op: PatchOp.Replace, path: "/c", value: "x" },
        { op: PatchOp.Set, path: "/d", value: null },
        { op: PatchOp.Incr, path: "/e", value: -2 },
        { op: PatchOp.Move, from: "/f", path: "/g" },
      ]),
      [
        { op: "add", path: "/a", value: 1 },
        { op: "remove", path: "/b" },
        { op: "replace", path: "/c", value: "x" },
        { op: "set", path: "/d", value: null },
        { op: "incr", path: "/e", value: -2 },
        { op: "move", from: "/f", path: "/g" },
      ],
    );
  });

  it("rejects a bad path, a non-numeric incr, a missing value and an unknown op", () => {
    assert.throws(
      () => toPatchOperations([{ op: "set", path: "a", value: 1 }]),
      /#0 as 'path' must be a JSON pointer/,
    );
    assert.throws(
      () =>
        toPatchOperations([{ op: "incr", path: "/a", value: "1" as never }]),
      /finite number/,
    );
    assert.throws(
      () => toPatchOperations([{ op: "add", path: "/a" } as never]),
      /'add' needs a value/,
    );
    assert.throws(
      () => toPatchOperations([{ op: "copy", path: "/a" } as never]),
      /must be one of add, remove/,
    );
    assert.throws(
      () => toPatchOperations([{ op: "move", path: "/a" } as never]),
      /'from' must be a JSON pointer/,
    );
  });
});
