/**
 * The throughput part of `deno task bench:vs-sdk`: every client shape of a
 * service, side by side in this process, at each concurrency, on loopback
 * and through the servers' latency proxy, in interleaved rounds (each round
 * runs every shape once per concurrency, in an order rotated by one, so
 * that drift in the machine's load falls on every shape alike).
 *
 * Each measurement gets a fresh local server and freshly opened (and
 * warmed) clients: the servers keep every message in memory, and a heap
 * grown by earlier shapes would slow the later ones.
 *
 * @module
 */

import {
  amqpShapes,
  type AmqpTarget,
  type ClientShape,
} from "./vs_sdk_clients.ts";
import { cosmosShapes, type CosmosTarget } from "./vs_sdk_cosmos.ts";
import { type Figures, measureCount, measureWindow } from "./vs_sdk_measure.ts";
import type {
  PhaseResult,
  ShapeResult,
  VsSdkService,
} from "./vs_sdk_report.ts";
import { median } from "./vs_sdk_report.ts";
import type { VsSdkArgs } from "./vs_sdk_args.ts";
import {
  startLocalCosmos,
  startLocalEventHubs,
  startLocalServiceBus,
} from "../../src/testing/servers/mod.ts";

/** What the throughput part is configured by (a subset of the flags). */
export type ThroughputSettings = Pick<
  VsSdkArgs,
  | "services"
  | "concurrency"
  | "rttMs"
  | "rounds"
  | "runs"
  | "seconds"
  | "warmupSeconds"
  | "perOpOps"
>;

interface Bench<T> {
  shapes: ClientShape<T>[];
  start(latencySeconds: number | undefined): Promise<
    { target: T; close(): Promise<void> }
  >;
}

function benchOf(
  service: VsSdkService,
): Bench<AmqpTarget> | Bench<CosmosTarget> {
  switch (service) {
    case "servicebus":
      return {
        shapes: amqpShapes("servicebus"),
        async start(latencySeconds) {
          const bus = await startLocalServiceBus({
            queues: ["bench"],
            latencySeconds,
          });
          return {
            target: { connectionString: bus.connectionString, entity: "bench" },
            close: () => bus.close(),
          };
        },
      };
    case "eventhubs":
      return {
        shapes: amqpShapes("eventhubs"),
        async start(latencySeconds) {
          const hubs = await startLocalEventHubs({
            hubs: ["bench"],
            latencySeconds,
          });
          return {
            target: {
              connectionString: hubs.connectionString,
              entity: "bench",
            },
            close: () => hubs.close(),
          };
        },
      };
    case "cosmos":
      return {
        shapes: cosmosShapes(),
        async start(latencySeconds) {
          const server = await startLocalCosmos({
            containers: [{ database: "bench", container: "items" }],
            latencySeconds,
          });
          return {
            target: { server, database: "bench", container: "items" },
            close: () => server.close(),
          };
        },
      };
  }
}

/** The round's figure from its runs: the median of each figure. */
function medianOf(runs: Figures[]): Figures {
  const firstError = runs.find((run) => run.firstError)?.firstError;
  return {
    ops: median(runs.map((run) => run.ops)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    opsPerSecond: median(runs.map((run) => run.opsPerSecond)),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
    ...(firstError === undefined ? {} : { firstError }),
  };
}

async function measureShape<T>(
  bench: Bench<T>,
  shape: ClientShape<T>,
  latencySeconds: number | undefined,
  concurrency: number,
  settings: ThroughputSettings,
): Promise<{ figures: Figures; api: string }> {
  const server = await bench.start(latencySeconds);
  try {
    const open = await shape.open(server.target);
    try {
      const prefix = crypto.randomUUID().slice(0, 8);
      let n = 0;
      const op = () => open.send(`${prefix}-${n++}`);
      let figures: Figures;
      if (shape.role === "per-op") {
        figures = await measureCount(op, {
          concurrency,
          count: settings.perOpOps,
        });
      } else {
        const runs: Figures[] = [];
        for (let run = 0; run < settings.runs; run++) {
          runs.push(
            await measureWindow(op, {
              concurrency,
              warmupMs: settings.warmupSeconds * 1000,
              windowMs: settings.seconds * 1000,
            }),
          );
        }
        figures = medianOf(runs);
      }
      return { figures, api: open.api };
    } finally {
      await open.close();
    }
  } finally {
    await server.close();
  }
}

async function runPhase<T>(
  service: VsSdkService,
  bench: Bench<T>,
  rttMs: number,
  settings: ThroughputSettings,
  onProgress: (text: string) => void,
): Promise<PhaseResult> {
  const shapes: ShapeResult[] = bench.shapes.map((shape) => ({
    id: shape.id,
    label: shape.label,
    role: shape.role,
    api: "",
    byConcurrency: Object.fromEntries(
      settings.concurrency.map((c) => [String(c), [] as Figures[]]),
    ),
  }));
  const latencySeconds = rttMs > 0 ? rttMs / 2000 : undefined;
  for (let round = 0; round < settings.rounds; round++) {
    for (const concurrency of settings.concurrency) {
      for (let k = 0; k < bench.shapes.length; k++) {
        const index = (k + round) % bench.shapes.length;
        const shape = bench.shapes[index];
        onProgress(
          `${service} rtt ${rttMs} ms, round ${
            round + 1
          }/${settings.rounds}, c${concurrency}, ${shape.label}`,
        );
        const { figures, api } = await measureShape(
          bench,
          shape,
          latencySeconds,
          concurrency,
          settings,
        );
        shapes[index].api = api;
        shapes[index].byConcurrency[String(concurrency)].push(figures);
      }
    }
  }
  return { service, rttMs, concurrencies: settings.concurrency, shapes };
}

/**
 * Runs the throughput comparison: per service, a loopback phase and (when
 * `rttMs` > 0) a phase with that round trip added.
 *
 * @param settings The services, concurrencies, latency and rounds.
 * @param onProgress Called before each measurement with what it is.
 * @returns One result per service and phase, in that order.
 */
export async function runThroughput(
  settings: ThroughputSettings,
  onProgress: (text: string) => void = () => {},
): Promise<PhaseResult[]> {
  const phases: PhaseResult[] = [];
  const rtts = settings.rttMs > 0 ? [0, settings.rttMs] : [0];
  for (const service of settings.services) {
    const bench = benchOf(service);
    for (const rttMs of rtts) {
      phases.push(
        await runPhase(
          service,
          bench as unknown as Bench<unknown>,
          rttMs,
          settings,
          onProgress,
        ),
      );
    }
  }
  return phases;
}
