/**
 * The connection-drop scenario of `deno task bench:vs-sdk` (issue 19), as a
 * module that tests call with small numbers: `sends` messages or events, each
 * with a unique id, at `concurrency` callers (closed loop), against a local
 * server started here, which ends every client connection `drops` times at
 * fixed points of progress (after 1/3 and 2/3 of the sends were started, for
 * two). Then, from the server's own records:
 *
 * - rejected: the caller got an error;
 * - lost: the caller got success but the server never stored the id (must
 *   be 0);
 * - duplicated: ids stored more than once (a retry of a message the server
 *   had stored; with Service Bus duplicate detection on it must be 0);
 * - pending: sends still unsettled at the time cap (the SDK's defaults wait
 *   60 s for an operation on a dead connection, then 30 s before a retry);
 * - recovery: per drop, the time until a send started after it succeeded;
 * - p50/p99 send latency (a pending send counts as longer than the cap) and
 *   the wall time.
 *
 * Runs on Deno, Node and Bun (`drop_child.ts` is its entry point in a child
 * process); it needs only the AMQP servers and SDKs.
 *
 * @module
 */

import { summarize } from "./stats.ts";
import {
  type AmqpService,
  amqpShapes,
  type AmqpTarget,
  WARM_PREFIX,
} from "./vs_sdk_clients.ts";
import {
  startLocalEventHubs,
  startLocalServiceBus,
} from "../../src/testing/servers/mod.ts";

/** The client shapes the scenario compares. */
export type DropShape = "singleton" | "managed" | "managed-4";

/** The shapes, in report order. */
export const DROP_SHAPES: readonly DropShape[] = [
  "singleton",
  "managed",
  "managed-4",
];

/** Options of {@linkcode runDropScenario}. */
export interface DropScenarioOptions {
  /** The service. */
  service: AmqpService;
  /** The client shape. */
  shape: DropShape;
  /**
   * Messages or events to send, each with its own id.
   * @default {3000}
   */
  sends?: number;
  /**
   * Callers sending at once (closed loop).
   * @default {500}
   */
  concurrency?: number;
  /**
   * How many times every connection is dropped, at evenly spaced points of
   * the sends started.
   * @default {2}
   */
  drops?: number;
  /**
   * Time cap: sends unsettled by then are reported as pending.
   * @default {240}
   */
  capSeconds?: number;
  /**
   * Service Bus duplicate detection on the queue.
   * @default {false}
   */
  duplicateDetection?: boolean;
  /**
   * One-way latency added by the server's proxy; 0 for none (no proxy).
   * @default {0}
   */
  latencySeconds?: number;
  /**
   * SDK client options for every client (tests shorten the SDK's retries);
   * the bench leaves the SDK's defaults, which are what users get.
   * @default {undefined}
   */
  clientOptions?: Record<string, unknown>;
  /**
   * Called with a progress line now and then.
   * @default {undefined}
   */
  onProgress?: (text: string) => void;
}

/** One send as the caller saw it. */
export interface SendRecord {
  /** Its id (Service Bus `messageId`, or the event's `id` property). */
  id: string;
  /** When it started, ms on the scenario's clock. */
  startedAt: number;
  /** When it settled; `undefined` while pending. */
  settledAt?: number;
  /** Whether the caller got success. */
  ok?: boolean;
  /** The error's `code` (or `name`), when it failed. */
  error?: string;
}

/** The counts of one run of the scenario. */
export interface DropTally {
  /** Sends started. */
  started: number;
  /** Sends the caller saw succeed. */
  succeeded: number;
  /** Sends the caller saw fail. */
  rejected: number;
  /** Sends unsettled at the cap. */
  pending: number;
  /** Sends never started (the cap came first). */
  notStarted: number;
  /** Succeeded, but the server never stored the id. */
  lost: number;
  /** Ids stored more than once. */
  duplicated: number;
  /** Copies beyond the first, over every duplicated id. */
  extraCopies: number;
  /** Rejected, yet stored (a caller's retry would duplicate it). */
  rejectedButStored: number;
  /** Distinct ids stored. */
  storedIds: number;
  /** Per drop, ms until a send started after it succeeded; `null`: none by the cap. */
  recoveryMs: (number | null)[];
  /** Median send latency, ms; `null` when pending sends reach it. */
  p50Ms: number | null;
  /** 99th percentile send latency, ms; `null` when pending sends reach it. */
  p99Ms: number | null;
  /** Errors by code. */
  errors: Record<string, number>;
}

/** What {@linkcode runDropScenario} reports. */
export interface DropScenarioResult extends DropTally {
  /** The service. */
  service: AmqpService;
  /** The shape's id. */
  shape: DropShape;
  /** The shape's row label. */
  label: string;
  /** The call that sent. */
  api: string;
  /** Whether Service Bus duplicate detection was on. */
  duplicateDetection: boolean;
  /** Sends asked for. */
  sends: number;
  /** Callers at once. */
  concurrency: number;
  /** Drops asked for. */
  drops: number;
  /** Connections the server ended. */
  droppedConnections: number;
  /** Connections the server accepted. */
  connections: number;
  /** Duplicates the server's detection dropped. */
  duplicatesDropped: number;
  /** From the first send to the last settlement (or the cap), ms. */
  wallMs: number;
  /** Whether the cap ended the run. */
  capped: boolean;
  /** The cap, seconds. */
  capSeconds: number;
}

/**
 * Counts what happened from the callers' records and the ids the server
 * stored. Pure.
 *
 * @param records The sends started, in any order.
 * @param stored Every id the server stored, once per copy (warm-up ids are
 * skipped).
 * @param dropTimes When each drop started, on the records' clock.
 * @param notStarted Sends never started.
 * @returns The counts.
 *
 * @example A lost send, a duplicate and a recovery
 * ```ts
 * import { tallyDrops } from "./drop_scenario.ts";
 * import assert from "node:assert/strict";
 *
 * const tally = tallyDrops(
 *   [
 *     { id: "a", startedAt: 0, settledAt: 5, ok: true },
 *     { id: "b", startedAt: 1, settledAt: 9, ok: true },
 *     { id: "c", startedAt: 12, settledAt: 20, ok: true },
 *   ],
 *   ["a", "a", "c"],
 *   [10],
 *   0,
 * );
 * assert.equal(tally.lost, 1);
 * assert.equal(tally.duplicated, 1);
 * assert.deepEqual(tally.recoveryMs, [10]);
 * ```
 */
export function tallyDrops(
  records: readonly SendRecord[],
  stored: readonly string[],
  dropTimes: readonly number[],
  notStarted: number,
): DropTally {
  const copies = new Map<string, number>();
  for (const id of stored) {
    if (id.startsWith(WARM_PREFIX)) continue;
    copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  let succeeded = 0;
  let rejected = 0;
  let pending = 0;
  let lost = 0;
  let rejectedButStored = 0;
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  for (const record of records) {
    const count = copies.get(record.id) ?? 0;
    if (record.settledAt === undefined) {
      pending++;
      latencies.push(Infinity);
      continue;
    }
    latencies.push(record.settledAt - record.startedAt);
    if (record.ok) {
      succeeded++;
      if (count === 0) lost++;
    } else {
      rejected++;
      if (count > 0) rejectedButStored++;
      const code = record.error ?? "Error";
      errors[code] = (errors[code] ?? 0) + 1;
    }
  }
  let duplicated = 0;
  let extraCopies = 0;
  for (const count of copies.values()) {
    if (count > 1) {
      duplicated++;
      extraCopies += count - 1;
    }
  }
  const recoveryMs = dropTimes.map((at) => {
    let first = Infinity;
    for (const record of records) {
      if (
        record.ok && record.startedAt >= at && record.settledAt !== undefined
      ) {
        first = Math.min(first, record.settledAt);
      }
    }
    return first === Infinity ? null : first - at;
  });
  const summary = summarize(latencies);
  const finite = (ms: number) => Number.isFinite(ms) ? ms : null;
  return {
    started: records.length,
    succeeded,
    rejected,
    pending,
    notStarted,
    lost,
    duplicated,
    extraCopies,
    rejectedButStored,
    storedIds: copies.size,
    recoveryMs,
    p50Ms: finite(summary.p50),
    p99Ms: finite(summary.p99),
    errors,
  };
}

function codeOf(error: unknown): string {
  if (error && typeof error === "object") {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === "string" && code !== "") return code;
    if (typeof name === "string" && name !== "") return name;
  }
  return "Error";
}

/** Resolves after `ms` on an unref'd timer (a bound, never what keeps a process alive). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    (timer as { unref?: () => void }).unref?.();
  });
}

/**
 * Runs the scenario once: starts a local server, opens the shape's clients,
 * sends with drops, counts, and closes everything (a client close that hangs
 * on pending sends is given up after 5 s).
 *
 * @param options The service, the shape and the sizes.
 * @returns The counts.
 * @throws {RangeError} When a size is not a positive integer.
 */
export async function runDropScenario(
  options: DropScenarioOptions,
): Promise<DropScenarioResult> {
  const sends = options.sends ?? 3000;
  const concurrency = options.concurrency ?? 500;
  const drops = options.drops ?? 2;
  const capSeconds = options.capSeconds ?? 240;
  const duplicateDetection = options.service === "servicebus" &&
    (options.duplicateDetection ?? false);
  for (const [name, value] of Object.entries({ sends, concurrency })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot run the drop scenario as '${name}' must be a positive integer: received ${value}`,
      );
    }
  }
  const shape = amqpShapes(options.service).find((s) => s.id === options.shape);
  if (shape === undefined) {
    throw new RangeError(
      `Cannot run the drop scenario: no shape '${options.shape}'`,
    );
  }
  const entity = "drops";
  const latencySeconds = options.latencySeconds
    ? options.latencySeconds
    : undefined;
  const server = options.service === "servicebus"
    ? await startLocalServiceBus({
      queues: [entity],
      latencySeconds,
      ...(duplicateDetection ? { duplicateDetection: {} } : {}),
    })
    : await startLocalEventHubs({ hubs: [entity], latencySeconds });
  const storedIds = (): string[] =>
    "messages" in server
      ? server.messages(entity).map((m) => String(m.messageId))
      : server.events(entity).map((e) => String(e.properties.id));
  const target: AmqpTarget = {
    connectionString: server.connectionString,
    entity,
    clientOptions: options.clientOptions,
  };
  const progress = options.onProgress ?? (() => {});
  const prefix = `${options.service} ${shape.id}${
    duplicateDetection ? " (dedupe)" : ""
  }`;
  try {
    const open = await shape.open(target);
    const records: SendRecord[] = [];
    const thresholds = Array.from(
      { length: drops },
      (_, k) => Math.floor((sends * (k + 1)) / (drops + 1)),
    );
    const dropTimes: number[] = [];
    const dropping: Promise<unknown>[] = [];
    const started = performance.now();
    const capAt = started + capSeconds * 1000;
    let next = 0;
    let settled = 0;
    const runId = crypto.randomUUID().slice(0, 8);
    const worker = async () => {
      while (next < sends && performance.now() < capAt) {
        const i = next++;
        const k = thresholds.indexOf(i);
        if (k >= 0) {
          dropTimes[k] = performance.now();
          progress(`${prefix}: drop ${k + 1} at send ${i}`);
          dropping.push(server.dropConnections().catch(() => 0));
        }
        const record: SendRecord = {
          id: `${runId}-${i}`,
          startedAt: performance.now(),
        };
        records.push(record);
        try {
          await open.send(record.id);
          record.ok = true;
        } catch (error) {
          record.ok = false;
          record.error = codeOf(error);
        }
        record.settledAt = performance.now();
        settled++;
        if (settled % 500 === 0) {
          progress(`${prefix}: ${settled}/${sends} settled`);
        }
      }
    };
    const workers = Array.from({ length: concurrency }, worker);
    let capTimer: ReturnType<typeof setTimeout> | undefined;
    const cap = new Promise<"cap">((resolve) => {
      capTimer = setTimeout(() => resolve("cap"), capSeconds * 1000);
    });
    const outcome = await Promise.race([
      Promise.all(workers).then(() => "done" as const),
      cap,
    ]);
    clearTimeout(capTimer);
    const ended = performance.now();
    await Promise.race([Promise.all(dropping), pause(5000)]);
    // Copied now: sends that settle after the cap stay pending in the tally.
    const snapshot = records.map((record) => ({ ...record }));
    const stats = server.stats();
    const tally = tallyDrops(
      snapshot,
      storedIds(),
      dropTimes,
      sends - snapshot.length,
    );
    const result: DropScenarioResult = {
      service: options.service,
      shape: options.shape,
      label: shape.label,
      api: open.api,
      duplicateDetection,
      sends,
      concurrency,
      drops,
      ...tally,
      droppedConnections: stats.droppedConnections,
      connections: stats.connections,
      duplicatesDropped: stats.duplicatesDropped,
      wallMs: ended - started,
      capped: outcome === "cap",
      capSeconds,
    };
    progress(`${prefix}: done in ${(result.wallMs / 1000).toFixed(1)} s`);
    await Promise.race([open.close().catch(() => {}), pause(5000)]);
    return result;
  } finally {
    await server.close();
  }
}
