/**
 * Soaks the managed clients against local backends that are killed and
 * restarted several times mid-run: no caller may hang past its deadline,
 * every failure must reach its caller as an Error, nothing reported written
 * (or sent) may be lost or duplicated, and close() must close every client.
 * BACKEND_SOAK_CYCLES sets the number of kill/restart cycles (default 3).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import type { Agent } from "@azure/cosmos";
import type { Agent as HttpsAgent } from "node:https";
import { isCosmosConnectionError, ManagedCosmos } from "../src/cosmos/mod.ts";
import {
  ConnectionFailed,
  ConnectionsExhausted,
  PoolClosed,
} from "../src/pool/errors.ts";
import {
  EMULATOR_KEY,
  startCosmosServer,
} from "../src/testing/servers/cosmos_server.ts";
import {
  isServiceBusConnectionError,
  ManagedServiceBusSender,
  ServiceBus,
} from "../src/service_bus/mod.ts";
import {
  isEventHubConnectionError,
  ManagedEventHubProducer,
} from "../src/event_hubs/mod.ts";
import type { PoolStats } from "../src/pool/stats.ts";
import {
  type AmqpBroker,
  startAmqpBroker,
} from "../src/testing/servers/amqp_broker.ts";

const CYCLES = Number(process.env.BACKEND_SOAK_CYCLES ?? 3);

const delay = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How one settled call ended, for the printed figures. */
function outcomeOf(error: unknown, signal: AbortSignal): string {
  if (error instanceof ConnectionsExhausted) return "ConnectionsExhausted";
  if (error instanceof ConnectionFailed) return "ConnectionFailed";
  if (error instanceof PoolClosed) return "PoolClosed";
  if (
    signal.aborted && (error === signal.reason ||
      (error as Error).name === "AbortError" ||
      (error as Error).name === "TimeoutError")
  ) return "deadline";
  if (
    isCosmosConnectionError(error) || isServiceBusConnectionError(error) ||
    isEventHubConnectionError(error)
  ) {
    return "connection error";
  }
  const status = (error as { code?: unknown; statusCode?: unknown }).code ??
    (error as { statusCode?: unknown }).statusCode;
  return `${(error as Error).name ?? typeof error} ${String(status ?? "")}`
    .trim();
}

function list(counts: Map<string, number>): string {
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`)
    .join(", ");
}

/** Calls `fn` up to three times, until it answers something other than `undefined`. */
async function retried<T>(
  fn: () => Promise<T | undefined>,
): Promise<T | undefined> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const value = await fn();
    if (value !== undefined) return value;
    await delay(100);
  }
  return undefined;
}

/** Tracks every call: its outcome, and how late after its deadline it settled. */
class CallLog {
  readonly outcomes = new Map<string, number>();
  readonly notErrors: unknown[] = [];
  started = 0;
  settled = 0;
  maxPastDeadlineMs = -Infinity;

  async run<T>(
    deadlineMs: number,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T | undefined> {
    this.started++;
    const signal = AbortSignal.timeout(deadlineMs);
    const startedAt = performance.now();
    try {
      const value = await fn(signal);
      this.#count("ok");
      return value;
    } catch (error) {
      if (!(error instanceof Error)) this.notErrors.push(error);
      this.#count(outcomeOf(error, signal));
      return undefined;
    } finally {
      this.settled++;
      this.maxPastDeadlineMs = Math.max(
        this.maxPastDeadlineMs,
        performance.now() - startedAt - deadlineMs,
      );
    }
  }

  #count(outcome: string): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }
}

describe("backend soak: ManagedCosmos while the Cosmos server is stopped and restarted", () => {
  it(`settles every caller by its deadline through ${CYCLES} stop/restart cycles, loses no write made after the last restart, and closes every client`, async () => {
    const server = await startCosmosServer();
    await server.ensureContainer("soak", "items");
    const agents: HttpsAgent[] = [];
    const destroyed = new Set<HttpsAgent>();
    const cosmos = new ManagedCosmos({
      endpoint: server.endpoint,
      key: EMULATOR_KEY,
      databaseName: "soak",
      containerName: "items",
      agentFactory: (): Agent => {
        const agent = server.createAgent();
        const destroy = agent.destroy.bind(agent);
        agent.destroy = () => {
          destroyed.add(agent);
          destroy();
        };
        agents.push(agent);
        return agent;
      },
      clientOptions: { connectionPolicy: { enableEndpointDiscovery: false } },
      maxSize: 4,
      clientLimit: 10,
      createTimeoutSeconds: 2,
      initialBackoffSeconds: 0.02,
      maxBackoffSeconds: 0.2,
    });
    const log = new CallLog();
    const DEADLINE_MS = 1500;
    let epoch = 0;
    let stopping = false;
    let next = 0;
    /** Writes the service acknowledged, by id, with the epoch they were made in. */
    const written = new Map<string, number>();
    const upsert = () =>
      log.run(DEADLINE_MS, (signal) => {
        const id = `w${++next}`;
        return cosmos.use(async (container) => {
          const { statusCode } = await container.items.upsert(
            { id, pk: "soak" },
            { abortSignal: signal },
          );
          if (statusCode === 200 || statusCode === 201) {
            written.set(id, epoch);
          }
          return statusCode;
        }, { abortSignal: signal, acquireTimeoutSeconds: DEADLINE_MS / 1000 });
      });
    const callers = Array.from({ length: 40 }, async () => {
      while (!stopping) {
        // A failed caller pauses briefly, as a real one would, instead of spinning.
        if (await upsert() === undefined) await delay(5);
      }
    });

    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        await delay(600);
        await server.stop();
        await delay(300);
        await server.restart();
        epoch++; // the server forgot everything: only later writes must survive
      }
      await delay(600);
      stopping = true;
      await Promise.all(callers);

      // The pool recovered: every caller of a fresh round succeeds, each
      // within three tries (a client killed in the last cycle is found broken
      // only when it is used, and then replaced).
      const recovered = await Promise.all(
        Array.from({ length: 20 }, () => retried(upsert)),
      );
      const stored = await cosmos.use(async (container) => {
        const { resources } = await container.items.query<{ id: string }>(
          "SELECT c.id FROM c WHERE c.pk = 'soak'",
        ).fetchAll();
        return new Set(resources.map((r) => r.id));
      });
      const lost = [...written].filter(([id, e]) =>
        e === epoch && !stored.has(id)
      );
      const stats = cosmos.pool.stats();
      console.log(
        [
          `backend soak, Cosmos: ${CYCLES} stop/restart cycles, 40 callers, deadline ${DEADLINE_MS} ms`,
          `  calls ${log.started}, settled ${log.settled}: ${
            list(log.outcomes)
          }`,
          `  latest settle past its deadline ${
            log.maxPastDeadlineMs.toFixed(0)
          } ms; ` +
          `acknowledged writes ${written.size}, after the last restart ${
            [...written.values()].filter((e) => e === epoch).length
          }, lost ${lost.length}`,
          `  clients created ${stats.connectionsCreated}, failed opens ${stats.opensFailed}, TLS connections ${server.tlsConnections}`,
        ].join("\n"),
      );
      assert.equal(log.settled, log.started, "every call settled");
      assert.deepEqual(log.notErrors, [], "every failure is an Error");
      assert.ok(
        log.maxPastDeadlineMs < 5000,
        `a caller hung ${log.maxPastDeadlineMs} ms past its deadline`,
      );
      assert.ok(
        recovered.every((status) => status === 200 || status === 201),
        `after the last restart every write succeeds: ${recovered}`,
      );
      assert.deepEqual(lost, [], "writes acknowledged after the last restart");
      assert.ok(
        (log.outcomes.get("ok") ?? 0) > 0 && log.outcomes.size > 1,
        "the run saw both successes and failures",
      );
    } finally {
      stopping = true;
      await cosmos.close();
      await server.close();
    }
    const stats = cosmos.pool.stats();
    assert.equal(
      stats.connectionsCreated,
      stats.connectionsClosed,
      "every client closed",
    );
    assert.equal(destroyed.size, agents.length, "every agent destroyed");
  });
});

/**
 * Counts how often each id occurs, and reports the ids acknowledged but not
 * seen exactly once, and the ids seen that were never attempted.
 */
function exactlyOnce(
  acknowledged: Set<string>,
  attempted: Set<string>,
  seen: unknown[],
): { lost: string[]; duplicated: string[]; unknown: string[] } {
  const counts = new Map<string, number>();
  for (const id of seen) {
    counts.set(String(id), (counts.get(String(id)) ?? 0) + 1);
  }
  return {
    lost: [...acknowledged].filter((id) => !counts.has(id)),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    unknown: [...counts.keys()].filter((id) => !attempted.has(id)),
  };
}

/** What the AMQP soak drives: one managed sender and where its messages land. */
interface AmqpTarget {
  name: string;
  /** Sends one message carrying `id`; resolves when the service accepted it. */
  send(id: string, signal: AbortSignal, timeoutSeconds: number): Promise<void>;
  /** The ids the broker stored. */
  stored(): unknown[];
  /** The ids a consumer receives, when the test reads them back. */
  receive?(count: number): Promise<unknown[]>;
  stats(): PoolStats;
  close(): Promise<void>;
}

/**
 * Sends from 30 concurrent callers while the broker is killed (every
 * connection reset) and restarted (new connections refused at the token
 * exchange for 300 ms, then served again with its store intact) `CYCLES`
 * times; then checks deadlines, errors and exactly-once delivery.
 */
async function soakAmqp(
  broker: AmqpBroker,
  target: AmqpTarget,
): Promise<void> {
  const log = new CallLog();
  const DEADLINE_MS = 2500;
  const attempted = new Set<string>();
  const acknowledged = new Set<string>();
  let next = 0;
  let stopping = false;
  const send = async () => {
    const id = `m${++next}`;
    attempted.add(id);
    const ok = await log.run(DEADLINE_MS, async (signal) => {
      await target.send(id, signal, DEADLINE_MS / 1000);
      return true;
    });
    if (ok) acknowledged.add(id);
    return ok;
  };
  const callers = Array.from({ length: 30 }, async () => {
    while (!stopping) {
      if (await send() === undefined) await delay(5);
    }
  });
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await delay(600);
      broker.refuseTokens = true;
      broker.dropConnections();
      await delay(300);
      broker.refuseTokens = false;
    }
    await delay(600);
    stopping = true;
    await Promise.all(callers);
    const recovered = await Promise.all(
      Array.from({ length: 20 }, () => retried(send)),
    );

    const stored = target.stored();
    const atBroker = exactlyOnce(acknowledged, attempted, stored);
    const received = await target.receive?.(stored.length);
    const atConsumer = received === undefined
      ? undefined
      : exactlyOnce(acknowledged, attempted, received);
    const stats = target.stats();
    console.log(
      [
        `backend soak, ${target.name}: ${CYCLES} kill/restart cycles, 30 senders, deadline ${DEADLINE_MS} ms`,
        `  sends ${log.started}, settled ${log.settled}: ${list(log.outcomes)}`,
        `  latest settle past its deadline ${
          log.maxPastDeadlineMs.toFixed(0)
        } ms; reported sent ${acknowledged.size}, ` +
        `stored ${stored.length} (lost ${atBroker.lost.length}, duplicated ${atBroker.duplicated.length})` +
        (received === undefined
          ? ""
          : `, received ${received.length} (lost ${
            atConsumer!.lost.length
          }, duplicated ${atConsumer!.duplicated.length})`),
        `  clients created ${stats.connectionsCreated}, failed opens ${stats.opensFailed}, broker connections ${broker.counters.connections}`,
      ].join("\n"),
    );
    assert.equal(log.settled, log.started, "every send settled");
    assert.deepEqual(log.notErrors, [], "every failure is an Error");
    assert.ok(
      log.maxPastDeadlineMs < 5000,
      `a sender hung ${log.maxPastDeadlineMs} ms past its deadline`,
    );
    assert.ok(recovered.every((ok) => ok === true), "sends work again");
    assert.deepEqual(atBroker, { lost: [], duplicated: [], unknown: [] });
    if (atConsumer !== undefined) {
      assert.deepEqual(atConsumer, { lost: [], duplicated: [], unknown: [] });
    }
    assert.ok(
      (log.outcomes.get("ok") ?? 0) > 0 && log.outcomes.size > 1,
      "the run saw both successes and failures",
    );
  } finally {
    stopping = true;
    await Promise.all(callers);
    await target.close();
    await broker.idle(5000).catch(() => {});
    await broker.stop();
  }
  const stats = target.stats();
  assert.equal(
    stats.connectionsCreated,
    stats.connectionsClosed,
    "every client closed",
  );
}

const amqpRetry = { retryOptions: { maxRetries: 0, timeoutInMs: 2000 } };
const amqpPool = {
  closeTimeoutSeconds: 2,
  maxSize: 3,
  clientLimit: 10,
  createTimeoutSeconds: 2,
  initialBackoffSeconds: 0.02,
  maxBackoffSeconds: 0.2,
};

describe("backend soak: ManagedServiceBusSender while the broker is killed and restarted", () => {
  it(`settles every send by its deadline through ${CYCLES} kill/restart cycles, and every message reported sent is received exactly once`, async () => {
    const broker = await startAmqpBroker({ queues: ["soak"] });
    const connection = {
      connectionString: broker.connectionString(),
      queueName: "soak",
      clientOptions: amqpRetry,
    };
    const sender = new ManagedServiceBusSender({ ...connection, ...amqpPool });
    const bus = new ServiceBus(connection);
    await soakAmqp(broker, {
      name: "Service Bus",
      send: (messageId, abortSignal, timeoutSeconds) =>
        sender.sendBody({ messageId }, {
          messageId,
          abortSignal,
          acquireTimeoutSeconds: timeoutSeconds,
        }),
      stored: () => broker.messages("soak").map((m) => m.messageId),
      // Through the SDK, as a consumer would.
      async receive(count) {
        const receiver = await bus.receiver({
          receiveMode: "receiveAndDelete",
        });
        let received: unknown[] = [];
        try {
          while (received.length < count) {
            const batch = await receiver.receive(500, {
              maxWaitTimeSeconds: 1,
            });
            if (batch.length === 0) break;
            received = received.concat(batch.map((m) => m.messageId));
          }
        } finally {
          await receiver.close();
        }
        return received;
      },
      stats: () => sender.pool.stats(),
      close: async () => {
        await sender.close();
        await bus.close();
      },
    });
  });
});

describe("backend soak: ManagedEventHubProducer while the broker is killed and restarted", () => {
  it(`settles every send by its deadline through ${CYCLES} kill/restart cycles, and every event reported sent is stored exactly once`, async () => {
    const broker = await startAmqpBroker({ eventHubs: { soak: 2 } });
    const producer = new ManagedEventHubProducer({
      connectionString: broker.connectionString(),
      eventHubName: "soak",
      clientOptions: amqpRetry,
      ...amqpPool,
    });
    await soakAmqp(broker, {
      name: "Event Hubs",
      send: (id, abortSignal, timeoutSeconds) =>
        producer.sendBody({ id }, {
          properties: { id },
          partitionKey: id,
          abortSignal,
          acquireTimeoutSeconds: timeoutSeconds,
        }),
      stored: () =>
        broker.events("soak").map((e) => e.applicationProperties.id),
      stats: () => producer.pool.stats(),
      close: () => producer.close(),
    });
  });
});
