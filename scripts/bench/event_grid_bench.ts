/**
 * `deno run -A scripts/bench/event_grid_bench.ts`: events per second sent to
 * a local Event Grid topic (`startLocalEventGrid`, HTTPS, keep-alive, in this
 * process) by three shapes of client, side by side, at each concurrency:
 *
 * - `EventGridPublisher.send`: one publisher kept for the run (one SDK
 *   client and one keep-alive agent per topic).
 * - `one long-lived client` (the baseline): one `EventGridPublisherClient`
 *   kept for the run, the SDK's advice.
 * - `new client per send`: a new `EventGridPublisherClient` with its own
 *   agent for every send, the agent destroyed after it (without that, each
 *   client's keep-alive socket would stay open): a TCP and TLS handshake per
 *   send.
 *
 * Each cell runs `EG_BENCH_SECONDS` (2) after a warm-up of a quarter of
 * that; the rounds (`EG_BENCH_ROUNDS`, 3) interleave the shapes, and the
 * median is reported. `EG_BENCH_CONCURRENCY` (1,20) lists the sends in
 * flight; `EG_BENCH_EVENTS` (1) is the events per send. Client and server
 * share this process (and its 2 cores): figures are for comparison, not
 * capacity.
 *
 * @module
 */

import https from "node:https";
import { AzureKeyCredential, EventGridPublisherClient } from "@azure/eventgrid";
import { EventGridPublisher } from "../../src/event_grid/mod.ts";
import { startLocalEventGrid } from "../../src/testing/servers/mod.ts";

function numberFromEnv(name: string, fallback: string): number[] {
  const raw = Deno.env.get(name) ?? fallback;
  const values = raw.split(",").map(Number);
  if (!values.every((v) => Number.isFinite(v) && v > 0)) {
    throw new RangeError(
      `Cannot run the Event Grid bench as ${name} must be positive numbers, comma-separated: received ${raw}`,
    );
  }
  return values;
}

const [SECONDS] = numberFromEnv("EG_BENCH_SECONDS", "2");
const [ROUNDS] = numberFromEnv("EG_BENCH_ROUNDS", "3");
const CONCURRENCY = numberFromEnv("EG_BENCH_CONCURRENCY", "1,20");
const [EVENTS] = numberFromEnv("EG_BENCH_EVENTS", "1");
console.log(
  `event grid bench: EG_BENCH_SECONDS=${SECONDS} EG_BENCH_ROUNDS=${ROUNDS} EG_BENCH_CONCURRENCY=${
    CONCURRENCY.join(",")
  } EG_BENCH_EVENTS=${EVENTS}`,
);

const grid = await startLocalEventGrid({ topics: ["bench"] });
const options = grid.topicOptions("bench");
const credential = new AzureKeyCredential(options.key);
const events = Array.from({ length: EVENTS }, (_, i) => ({
  eventType: "Bench.Sent",
  subject: `bench/${i}`,
  dataVersion: "1",
  data: { i, text: "an event of about two hundred bytes" },
}));

type Send = () => Promise<void>;

const publisher = new EventGridPublisher({ topics: { bench: options } });
const longLived = new EventGridPublisherClient(
  options.endpoint,
  "EventGrid",
  credential,
  grid.clientOptions(),
);

const shapes: Record<string, Send> = {
  "EventGridPublisher.send": () => publisher.send("bench", events),
  "one long-lived client": () => longLived.send(events),
  "new client per send": async () => {
    const agent = new https.Agent({ keepAlive: true, ca: grid.certificate });
    try {
      await new EventGridPublisherClient(
        options.endpoint,
        "EventGrid",
        credential,
        { agent },
      ).send(events);
    } finally {
      agent.destroy();
    }
  },
};

/** Sends for `seconds` with `concurrency` loops; returns events per second. */
async function run(
  send: Send,
  concurrency: number,
  seconds: number,
): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let sends = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await send();
        sends++;
      }
    }),
  );
  return (sends * EVENTS) / ((performance.now() - started) / 1000);
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const results = new Map<string, number[]>();
for (const concurrency of CONCURRENCY) {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, send] of Object.entries(shapes)) {
      await run(send, concurrency, SECONDS / 4); // warm-up
      const rate = await run(send, concurrency, SECONDS);
      const key = `${name}|${concurrency}`;
      results.set(key, [...(results.get(key) ?? []), rate]);
    }
  }
}

console.log(
  "\n| shape | concurrency | events/s (median) | vs long-lived client |",
);
console.log("|---|---|---|---|");
for (const concurrency of CONCURRENCY) {
  const baseline = median(results.get(`one long-lived client|${concurrency}`)!);
  for (const name of Object.keys(shapes)) {
    const rate = median(results.get(`${name}|${concurrency}`)!);
    console.log(
      `| ${name} | ${concurrency} | ${Math.round(rate)} | ${
        (rate / baseline).toFixed(2)
      }x |`,
    );
  }
}
const stats = grid.stats();
console.log(
  `\nserver: ${stats.requests} requests, ${stats.events} events, ${stats.tlsConnections} TLS handshakes`,
);

await publisher.close();
await grid.close();
