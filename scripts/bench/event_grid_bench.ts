/**
 * `deno task bench:event-grid`: events per second sent to
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
 * Each cell runs `EG_BENCH_SECONDS` (0.5) after a warm-up of a quarter of
 * that; the rounds (`EG_BENCH_ROUNDS`, 11) interleave the shapes in short
 * slices, so that a load that comes and goes on a shared machine touches
 * each shape alike, and the medians are reported: events per second, and
 * this process's CPU time per event (user + system), which varies far less
 * with the machine's load than throughput does. `EG_BENCH_CONCURRENCY`
 * (1,20) lists the sends in flight; `EG_BENCH_EVENTS` (1) is the events per
 * send. The server runs in a child process (`_event_grid_server.ts`), so the
 * CPU time is the client's alone.
 *
 * @module
 */

import https from "node:https";
import process from "node:process";
import { AzureKeyCredential, EventGridPublisherClient } from "@azure/eventgrid";
import { EventGridPublisher } from "../../src/event_grid/mod.ts";
import type { LocalEventGridTopicOptions } from "../../src/testing/servers/mod.ts";

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

const [SECONDS] = numberFromEnv("EG_BENCH_SECONDS", "0.5");
const [ROUNDS] = numberFromEnv("EG_BENCH_ROUNDS", "11");
const CONCURRENCY = numberFromEnv("EG_BENCH_CONCURRENCY", "1,20");
const [EVENTS] = numberFromEnv("EG_BENCH_EVENTS", "1");
console.log(
  `event grid bench: EG_BENCH_SECONDS=${SECONDS} EG_BENCH_ROUNDS=${ROUNDS} EG_BENCH_CONCURRENCY=${
    CONCURRENCY.join(",")
  } EG_BENCH_EVENTS=${EVENTS}`,
);

const server = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL("./_event_grid_server.ts", import.meta.url).href],
  stdin: "piped",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const firstLine = await (async () => {
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of server.stdout) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes("\n")) return text.slice(0, text.indexOf("\n"));
  }
  throw new Error("the bench's Event Grid server exited before it served");
})();
const options = JSON.parse(firstLine) as LocalEventGridTopicOptions;
const certificate = options.clientOptions.tlsOptions.ca;
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
  { tlsOptions: { ca: certificate } },
);

const shapes: Record<string, Send> = {
  "EventGridPublisher.send": () => publisher.send("bench", events),
  "one long-lived client": () => longLived.send(events),
  "new client per send": async () => {
    const agent = new https.Agent({ keepAlive: true, ca: certificate });
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

/** What a cell measured. */
interface Sample {
  /** Events per second. */
  rate: number;
  /** This process's CPU time per event, in microseconds. */
  cpu: number;
}

/** Sends for `seconds` with `concurrency` loops. */
async function run(
  send: Send,
  concurrency: number,
  seconds: number,
): Promise<Sample> {
  const until = performance.now() + seconds * 1000;
  let sends = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await send();
        sends++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const events = sends * EVENTS;
  return {
    rate: events / ((performance.now() - started) / 1000),
    cpu: (used.user + used.system) / events,
  };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const results = new Map<string, Sample[]>();
for (const concurrency of CONCURRENCY) {
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order: the shape after `new client per send` meets a
    // server still busy with its handshakes; each shape takes that turn.
    const entries = Object.entries(shapes);
    const order = entries.map((_, i) => entries[(i + round) % entries.length]);
    for (const [name, send] of order) {
      await run(send, concurrency, SECONDS / 4); // warm-up
      const sample = await run(send, concurrency, SECONDS);
      const key = `${name}|${concurrency}`;
      results.set(key, [...(results.get(key) ?? []), sample]);
    }
  }
}

console.log(
  "\n| shape | concurrency | events/s | vs long-lived | client CPU µs/event | vs long-lived |",
);
console.log("|---|---|---|---|---|---|");
for (const concurrency of CONCURRENCY) {
  const base = results.get(`one long-lived client|${concurrency}`)!;
  const baseRate = median(base.map((s) => s.rate));
  const baseCpu = median(base.map((s) => s.cpu));
  for (const name of Object.keys(shapes)) {
    const samples = results.get(`${name}|${concurrency}`)!;
    const rate = median(samples.map((s) => s.rate));
    const cpu = median(samples.map((s) => s.cpu));
    console.log(
      `| ${name} | ${concurrency} | ${Math.round(rate)} | ${
        (rate / baseRate).toFixed(2)
      }x | ${cpu.toFixed(1)} | ${(cpu / baseCpu).toFixed(2)}x |`,
    );
  }
}

await publisher.close();
await server.stdin.close();
await server.status;
