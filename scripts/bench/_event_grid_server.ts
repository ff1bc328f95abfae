/**
 * The local Event Grid of `event_grid_bench.ts`, in a process of its own so
 * that the client's CPU time is measured alone: prints one JSON line (the
 * topic's options) and serves until its standard input closes.
 *
 * @module
 */

import { startLocalEventGrid } from "../../src/testing/servers/mod.ts";

const grid = await startLocalEventGrid({ topics: ["bench"] });
console.log(JSON.stringify(grid.topicOptions("bench")));
// Serve until the parent closes our standard input (or exits).
for await (const _ of Deno.stdin.readable) { /* ignore input */ }
const stats = grid.stats();
console.error(
  `server: ${stats.requests} requests, ${stats.events} events, ${stats.tlsConnections} TLS handshakes`,
);
await grid.close();
