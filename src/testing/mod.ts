/**
 * Helpers for testing code that uses `azure-clients-toolbox`: a fake clock
 * that drives a pool's timers without sleeping, and a connector wrapper that
 * injects faults.
 *
 * @example Faking time for a pool
 * ```ts
 * import { FakeClock } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const clock = new FakeClock();
 * clock.tick(1000);
 * assert.equal(clock.now(), 1000);
 * ```
 *
 * @module
 */

export { FakeClock, flushMicrotasks } from "./fake_clock.ts";
export { FaultyConnector, InjectedFault } from "./faulty_connector.ts";
export type {
  ConnectorCounts,
  FaultCounts,
  FaultKind,
  FaultStep,
  FaultyConnectorOptions,
} from "./faulty_connector.ts";
export { seededRandom } from "./seeded_random.ts";
